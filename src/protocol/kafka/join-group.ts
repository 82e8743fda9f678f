/**
 * JoinGroup (key 11), versions 0–5 (6 is flexible). The protocols' metadata is opaque here (for consumers
 * it is the consumer protocol's subscription: consumer-protocol.ts).
 *
 * ```text
 * request:  group_id STRING, session_timeout_ms INT32, rebalance_timeout_ms INT32 v1+, member_id STRING,
 *           group_instance_id NULLABLE_STRING v5+, protocol_type STRING,
 *           protocols ARRAY(name STRING, metadata BYTES)
 * response: throttle_time_ms INT32 v2+, error_code INT16, generation_id INT32, protocol_name STRING,
 *           leader STRING, member_id STRING,
 *           members ARRAY(member_id STRING, group_instance_id NULLABLE_STRING v5+, metadata BYTES)
 * ```
 * Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** v1+; the session timeout below (what Kafka assumes for v0). */
  rebalanceTimeoutMs: number;
  memberId: string;
  /** v5+; null below. */
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
}

export interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export const JOIN_GROUP_LIMITS = { maxProtocols: 100, maxMembers: 100_000 } as const;

export function readJoinGroupRequest(
  r: KafkaReader,
  version: number,
  limits: { maxProtocols: number } = JOIN_GROUP_LIMITS,
): JoinGroupRequest {
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = version >= 1 ? r.int32() : sessionTimeoutMs;
  const memberId = r.string();
  const groupInstanceId = version >= 5 ? r.nullableString() : null;
  const protocolType = r.string();
  const protocols = r.array((x) => ({ name: x.string(), metadata: x.bytes() }), { max: limits.maxProtocols, minBytes: 6 });
  return { groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, groupInstanceId, protocolType, protocols };
}

export function writeJoinGroupRequest(w: KafkaWriter, version: number, request: JoinGroupRequest): void {
  w.string(request.groupId).int32(request.sessionTimeoutMs);
  if (version >= 1) w.int32(request.rebalanceTimeoutMs);
  w.string(request.memberId);
  if (version >= 5) w.nullableString(request.groupInstanceId);
  w.string(request.protocolType);
  w.array(request.protocols, (x, p) => x.string(p.name).bytes(p.metadata));
}

export function writeJoinGroupResponse(w: KafkaWriter, version: number, response: JoinGroupResponse): void {
  if (version >= 2) w.int32(response.throttleTimeMs);
  w.int16(response.errorCode).int32(response.generationId).string(response.protocolName).string(response.leader).string(response.memberId);
  w.array(response.members, (x, m) => {
    x.string(m.memberId);
    if (version >= 5) x.nullableString(m.groupInstanceId);
    x.bytes(m.metadata);
  });
}

export function readJoinGroupResponse(r: KafkaReader, version: number): JoinGroupResponse {
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const errorCode = r.int16();
  const generationId = r.int32();
  const protocolName = r.string();
  const leader = r.string();
  const memberId = r.string();
  const members = r.array(
    (x) => ({ memberId: x.string(), groupInstanceId: version >= 5 ? x.nullableString() : null, metadata: x.bytes() }),
    { max: JOIN_GROUP_LIMITS.maxMembers, minBytes: 6 },
  );
  return { throttleTimeMs, errorCode, generationId, protocolName, leader, memberId, members };
}
