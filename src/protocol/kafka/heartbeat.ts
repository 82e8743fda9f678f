/**
 * Heartbeat (key 12), versions 0–3 (4 is flexible), and LeaveGroup (key 13), versions 0–1 (3 leaves
 * several members; 4 is flexible).
 *
 * ```text
 * Heartbeat request:   group_id STRING, generation_id INT32, member_id STRING, group_instance_id NULLABLE_STRING v3+
 * Heartbeat response:  throttle_time_ms INT32 v1+, error_code INT16
 * LeaveGroup request:  group_id STRING, member_id STRING
 * LeaveGroup response: throttle_time_ms INT32 v1+, error_code INT16
 * ```
 * Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** v3+; null below. */
  groupInstanceId: string | null;
}

export interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
}

/** The response of Heartbeat and of LeaveGroup (v0–1). */
export interface GroupErrorResponse {
  throttleTimeMs: number;
  errorCode: number;
}

export function readHeartbeatRequest(r: KafkaReader, version: number): HeartbeatRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const groupInstanceId = version >= 3 ? r.nullableString() : null;
  return { groupId, generationId, memberId, groupInstanceId };
}

export function writeHeartbeatRequest(w: KafkaWriter, version: number, request: HeartbeatRequest): void {
  w.string(request.groupId).int32(request.generationId).string(request.memberId);
  if (version >= 3) w.nullableString(request.groupInstanceId);
}

export function readLeaveGroupRequest(r: KafkaReader, _version: number): LeaveGroupRequest {
  return { groupId: r.string(), memberId: r.string() };
}

export function writeLeaveGroupRequest(w: KafkaWriter, _version: number, request: LeaveGroupRequest): void {
  w.string(request.groupId).string(request.memberId);
}

/** Writes a Heartbeat (v0–3) or LeaveGroup (v0–1) response: the throttle time from v1. */
export function writeGroupErrorResponse(w: KafkaWriter, version: number, response: GroupErrorResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.int16(response.errorCode);
}

export function readGroupErrorResponse(r: KafkaReader, version: number): GroupErrorResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { throttleTimeMs, errorCode: r.int16() };
}
