/**
 * DescribeGroups (key 15), versions 0–4 (none flexible; v5 is flexible).
 *
 * ```text
 * request:  groups ARRAY(STRING),
 *           include_authorized_operations BOOLEAN                  v3+
 * response: throttle_time_ms INT32                                 v1+
 *           groups ARRAY(error_code INT16, group_id STRING, group_state STRING,
 *             protocol_type STRING, protocol_data STRING,
 *             members ARRAY(member_id STRING, group_instance_id NULLABLE_STRING v4+,
 *               client_id STRING, client_host STRING, member_metadata BYTES, member_assignment BYTES),
 *             authorized_operations INT32                          v3+)
 * ```
 *
 * `protocol_data` is the chosen assignor (e.g. `range`); `authorized_operations` is a bit field of ACL
 * operations, -2^31 when the request did not ask for it. v2 answers quota violations before throttling
 * (KIP-219): the same bytes as v1. Byte fields are views into the frame. Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

/** `authorized_operations` when they were not asked for (Kafka's INT32 minimum). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export interface DescribeGroupsRequest {
  groups: string[];
  /** v3+; false below. */
  includeAuthorizedOperations: boolean;
}

export interface DescribeGroupsMember {
  memberId: string;
  /** v4+; null below. */
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribeGroupsGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribeGroupsMember[];
  /** v3+; AUTHORIZED_OPERATIONS_OMITTED below. */
  authorizedOperations: number;
}

export interface DescribeGroupsResponse {
  /** v1+; 0 below. */
  throttleTimeMs: number;
  groups: DescribeGroupsGroup[];
}

export const DESCRIBE_GROUPS_LIMITS = { maxGroups: 10_000, maxMembers: 100_000 } as const;

export function readDescribeGroupsRequest(
  r: KafkaReader,
  version: number,
  limits: { maxGroups: number } = DESCRIBE_GROUPS_LIMITS,
): DescribeGroupsRequest {
  const groups = r.array((x) => x.string(), { max: limits.maxGroups, minBytes: 2 });
  const includeAuthorizedOperations = version >= 3 ? r.boolean() : false;
  return { groups, includeAuthorizedOperations };
}

export function writeDescribeGroupsRequest(w: KafkaWriter, version: number, request: DescribeGroupsRequest): void {
  w.array(request.groups, (x, g) => x.string(g));
  if (version >= 3) w.boolean(request.includeAuthorizedOperations);
}

export function writeDescribeGroupsResponse(w: KafkaWriter, version: number, response: DescribeGroupsResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.array(response.groups, (x, g) => {
    x.int16(g.errorCode).string(g.groupId).string(g.groupState).string(g.protocolType).string(g.protocolData);
    x.array(g.members, (y, m) => {
      y.string(m.memberId);
      if (version >= 4) y.nullableString(m.groupInstanceId);
      y.string(m.clientId).string(m.clientHost).bytes(m.memberMetadata).bytes(m.memberAssignment);
    });
    if (version >= 3) x.int32(g.authorizedOperations);
  });
}

export function readDescribeGroupsResponse(r: KafkaReader, version: number): DescribeGroupsResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const groups = r.array(
    (x): DescribeGroupsGroup => ({
      errorCode: x.int16(),
      groupId: x.string(),
      groupState: x.string(),
      protocolType: x.string(),
      protocolData: x.string(),
      members: x.array(
        (y): DescribeGroupsMember => ({
          memberId: y.string(),
          groupInstanceId: version >= 4 ? y.nullableString() : null,
          clientId: y.string(),
          clientHost: y.string(),
          memberMetadata: y.bytes(),
          memberAssignment: y.bytes(),
        }),
        { max: DESCRIBE_GROUPS_LIMITS.maxMembers, minBytes: version >= 4 ? 16 : 14 },
      ),
      authorizedOperations: version >= 3 ? x.int32() : AUTHORIZED_OPERATIONS_OMITTED,
    }),
    { max: DESCRIBE_GROUPS_LIMITS.maxGroups, minBytes: version >= 3 ? 18 : 14 },
  );
  return { throttleTimeMs, groups };
}
