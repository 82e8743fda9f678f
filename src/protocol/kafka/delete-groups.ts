/**
 * DeleteGroups (key 42), versions 0–1 (none flexible; v2 is flexible).
 *
 * ```text
 * request:  groups_names ARRAY(STRING)
 * response: throttle_time_ms INT32, results ARRAY(group_id STRING, error_code INT16)
 * ```
 *
 * v1 answers quota violations before throttling (KIP-219): the same bytes. Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface DeleteGroupsRequest {
  groupsNames: string[];
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: { groupId: string; errorCode: number }[];
}

export const DELETE_GROUPS_LIMITS = { maxGroups: 10_000 } as const;

export function readDeleteGroupsRequest(
  r: KafkaReader,
  _version: number,
  limits: { maxGroups: number } = DELETE_GROUPS_LIMITS,
): DeleteGroupsRequest {
  return { groupsNames: r.array((x) => x.string(), { max: limits.maxGroups, minBytes: 2 }) };
}

export function writeDeleteGroupsRequest(w: KafkaWriter, _version: number, request: DeleteGroupsRequest): void {
  w.array(request.groupsNames, (x, name) => x.string(name));
}

export function writeDeleteGroupsResponse(w: KafkaWriter, _version: number, response: DeleteGroupsResponse): void {
  w.int32(response.throttleTimeMs);
  w.array(response.results, (x, g) => x.string(g.groupId).int16(g.errorCode));
}

export function readDeleteGroupsResponse(r: KafkaReader, _version: number): DeleteGroupsResponse {
  const throttleTimeMs = r.int32();
  const results = r.array((x) => ({ groupId: x.string(), errorCode: x.int16() }), { max: DELETE_GROUPS_LIMITS.maxGroups, minBytes: 4 });
  return { throttleTimeMs, results };
}
