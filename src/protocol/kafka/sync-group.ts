/**
 * SyncGroup (key 14), versions 0–3 (4 is flexible). The leader sends every member's assignment; each
 * member gets its own back (opaque bytes here; for consumers: consumer-protocol.ts).
 *
 * ```text
 * request:  group_id STRING, generation_id INT32, member_id STRING, group_instance_id NULLABLE_STRING v3+,
 *           assignments ARRAY(member_id STRING, assignment BYTES)
 * response: throttle_time_ms INT32 v1+, error_code INT16, assignment BYTES
 * ```
 * Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** v3+; null below. */
  groupInstanceId: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface SyncGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  assignment: Buffer;
}

export const SYNC_GROUP_LIMITS = { maxAssignments: 100_000 } as const;

export function readSyncGroupRequest(
  r: KafkaReader,
  version: number,
  limits: { maxAssignments: number } = SYNC_GROUP_LIMITS,
): SyncGroupRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const groupInstanceId = version >= 3 ? r.nullableString() : null;
  const assignments = r.array((x) => ({ memberId: x.string(), assignment: x.bytes() }), { max: limits.maxAssignments, minBytes: 6 });
  return { groupId, generationId, memberId, groupInstanceId, assignments };
}

export function writeSyncGroupRequest(w: KafkaWriter, version: number, request: SyncGroupRequest): void {
  w.string(request.groupId).int32(request.generationId).string(request.memberId);
  if (version >= 3) w.nullableString(request.groupInstanceId);
  w.array(request.assignments, (x, a) => x.string(a.memberId).bytes(a.assignment));
}

export function writeSyncGroupResponse(w: KafkaWriter, version: number, response: SyncGroupResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.int16(response.errorCode).bytes(response.assignment);
}

export function readSyncGroupResponse(r: KafkaReader, version: number): SyncGroupResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { throttleTimeMs, errorCode: r.int16(), assignment: r.bytes() };
}
