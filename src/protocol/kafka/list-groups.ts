/**
 * ListGroups (key 16), versions 0–2 (none flexible; v3 is flexible, v4 filters by state).
 *
 * ```text
 * request:  (no fields)
 * response: throttle_time_ms INT32                              v1+
 *           error_code INT16,
 *           groups ARRAY(group_id STRING, protocol_type STRING)
 * ```
 *
 * v2 answers quota violations before throttling (KIP-219): the same bytes as v1. Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

/** ListGroups v0–2 asks nothing: the request body is empty. */
export type ListGroupsRequest = Record<string, never>;

export interface ListGroupsResponse {
  /** v1+; 0 below. */
  throttleTimeMs: number;
  errorCode: number;
  groups: { groupId: string; protocolType: string }[];
}

export const LIST_GROUPS_LIMITS = { maxGroups: 1_000_000 } as const;

export function readListGroupsRequest(_r: KafkaReader, _version: number): ListGroupsRequest {
  return {};
}

export function writeListGroupsRequest(_w: KafkaWriter, _version: number, _request: ListGroupsRequest): void {}

export function writeListGroupsResponse(w: KafkaWriter, version: number, response: ListGroupsResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.int16(response.errorCode);
  w.array(response.groups, (x, g) => x.string(g.groupId).string(g.protocolType));
}

export function readListGroupsResponse(r: KafkaReader, version: number): ListGroupsResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  const groups = r.array((x) => ({ groupId: x.string(), protocolType: x.string() }), { max: LIST_GROUPS_LIMITS.maxGroups, minBytes: 4 });
  return { throttleTimeMs, errorCode, groups };
}
