/**
 * The classic consumer-group protocol over Kafka: FindCoordinator (this broker, for every group),
 * JoinGroup, SyncGroup, Heartbeat and LeaveGroup, on the broker's ClassicGroups. Assignors run in the
 * clients (range, roundrobin, sticky, cooperative-sticky: whatever the members have in common); two
 * members with none in common get INCONSISTENT_GROUP_PROTOCOL. A group whose members came through evq's
 * HTTP API cannot be joined from Kafka at the same time (INCONSISTENT_GROUP_PROTOCOL too). Transactions are
 * not supported: a transaction coordinator is never found (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 */
import { KAFKA_ERROR } from '../../protocol/kafka/error-codes.js';
import { COORDINATOR_KEY_TYPE, readFindCoordinatorRequest, writeFindCoordinatorResponse } from '../../protocol/kafka/find-coordinator.js';
import { readHeartbeatRequest, readLeaveGroupRequest, writeGroupErrorResponse } from '../../protocol/kafka/heartbeat.js';
import { readJoinGroupRequest, writeJoinGroupResponse } from '../../protocol/kafka/join-group.js';
import { readSyncGroupRequest, writeSyncGroupResponse } from '../../protocol/kafka/sync-group.js';
import { isValidGroupName } from '../../protocol/validate.js';
import type { KafkaContext } from './context.js';
import type { KafkaAnswer, KafkaRequest } from './request.js';

export function handleFindCoordinator(ctx: KafkaContext, { header, body }: KafkaRequest): KafkaAnswer {
  const version = header.apiVersion;
  const request = readFindCoordinatorRequest(body, version);
  const { nodeId, advertisedHost, advertisedPort } = ctx.config;
  const group = request.keyType === COORDINATOR_KEY_TYPE.group;
  const valid = !group || isValidGroupName(request.key);
  const errorCode = !group ? KAFKA_ERROR.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : valid ? KAFKA_ERROR.NONE : KAFKA_ERROR.INVALID_GROUP_ID;
  const errorMessage = !group
    ? 'evq has no transactions: use a producer without transactional.id'
    : valid
      ? null
      : `group id "${request.key.slice(0, 100)}" is not valid here: use letters, digits, '.', '_' and '-' (1 to 249)`;
  return (w) =>
    writeFindCoordinatorResponse(w, version, {
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      nodeId: errorCode === KAFKA_ERROR.NONE ? nodeId : -1,
      host: errorCode === KAFKA_ERROR.NONE ? advertisedHost : '',
      port: errorCode === KAFKA_ERROR.NONE ? advertisedPort : -1,
    });
}

export async function handleJoinGroup(ctx: KafkaContext, { header, body, session }: KafkaRequest): Promise<KafkaAnswer> {
  const version = header.apiVersion;
  const request = readJoinGroupRequest(body, version);
  const answer = (errorCode: number, result?: Awaited<ReturnType<KafkaContext['broker']['kafkaGroups']['join']>>): KafkaAnswer => {
    return (w) =>
      writeJoinGroupResponse(w, version, {
        throttleTimeMs: 0,
        errorCode,
        generationId: result?.generationId ?? -1,
        protocolName: result?.protocolName ?? '',
        leader: result?.leader ?? '',
        memberId: result?.memberId ?? request.memberId,
        members: result?.members ?? [],
      });
  };
  if (!isValidGroupName(request.groupId)) return answer(KAFKA_ERROR.INVALID_GROUP_ID);
  if (ctx.broker.coordinator.memberCount(request.groupId) > 0) return answer(KAFKA_ERROR.INCONSISTENT_GROUP_PROTOCOL);
  const result = await ctx.broker.kafkaGroups.join(request.groupId, {
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
    clientId: header.clientId ?? '',
    clientHost: `/${session.remote.replace(/:\d+$/, '')}`,
    sessionTimeoutMs: request.sessionTimeoutMs,
    rebalanceTimeoutMs: request.rebalanceTimeoutMs,
    protocolType: request.protocolType,
    protocols: request.protocols,
  });
  return answer(KAFKA_ERROR[result.error], result);
}

export async function handleSyncGroup(ctx: KafkaContext, { header, body }: KafkaRequest): Promise<KafkaAnswer> {
  const version = header.apiVersion;
  const request = readSyncGroupRequest(body, version);
  const assignments = new Map(request.assignments.map((a) => [a.memberId, a.assignment]));
  const result = await ctx.broker.kafkaGroups.sync(request.groupId, request.memberId, request.generationId, assignments);
  return (w) =>
    writeSyncGroupResponse(w, version, { throttleTimeMs: 0, errorCode: KAFKA_ERROR[result.error], assignment: result.assignment });
}

export function handleHeartbeat(ctx: KafkaContext, { header, body }: KafkaRequest): KafkaAnswer {
  const version = header.apiVersion;
  const request = readHeartbeatRequest(body, version);
  const error = ctx.broker.kafkaGroups.heartbeat(request.groupId, request.memberId, request.generationId);
  return (w) => writeGroupErrorResponse(w, version, { throttleTimeMs: 0, errorCode: KAFKA_ERROR[error] });
}

export function handleLeaveGroup(ctx: KafkaContext, { header, body }: KafkaRequest): KafkaAnswer {
  const version = header.apiVersion;
  const request = readLeaveGroupRequest(body, version);
  const error = ctx.broker.kafkaGroups.leave(request.groupId, request.memberId);
  return (w) => writeGroupErrorResponse(w, version, { throttleTimeMs: 0, errorCode: KAFKA_ERROR[error] });
}
