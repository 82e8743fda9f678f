/**
 * ListGroups, DescribeGroups, DeleteGroups over every group the broker knows: Kafka groups with members
 * (their state, protocol and members as the classic protocol has them), and groups that have only
 * committed offsets — evq's own groups, or Kafka groups whose members are gone — which Kafka calls Empty.
 * A group whose members came through evq's HTTP API is listed with protocol type `evq` (its members'
 * metadata is not Kafka's consumer protocol). A group not known at all is Dead, as Kafka describes it.
 */
import { KAFKA_ERROR } from '../../protocol/kafka/error-codes.js';
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  readDescribeGroupsRequest,
  writeDescribeGroupsResponse,
  type DescribeGroupsGroup,
} from '../../protocol/kafka/describe-groups.js';
import { readDeleteGroupsRequest, writeDeleteGroupsResponse } from '../../protocol/kafka/delete-groups.js';
import { readListGroupsRequest, writeListGroupsResponse } from '../../protocol/kafka/list-groups.js';
import { isValidGroupName } from '../../protocol/validate.js';
import type { KafkaContext } from './context.js';
import { kafkaErrorCode } from './errors.js';
import type { KafkaAnswer, KafkaRequest } from './request.js';

/** The groups known: with Kafka members, with evq members, with commits; each once, with its protocol type. */
function knownGroups(ctx: KafkaContext): Map<string, string> {
  const { kafkaGroups, groups } = ctx.broker;
  const out = new Map<string, string>();
  for (const id of kafkaGroups.groupIds()) out.set(id, kafkaGroups.describe(id)?.protocolType ?? 'consumer');
  for (const state of groups.list()) {
    if (!out.has(state.group)) out.set(state.group, ctx.broker.coordinator.memberCount(state.group) > 0 ? 'evq' : 'consumer');
  }
  return out;
}

export function handleListGroups(ctx: KafkaContext, { header, body }: KafkaRequest): KafkaAnswer {
  const version = header.apiVersion;
  readListGroupsRequest(body, version);
  const groups = [...knownGroups(ctx)].map(([groupId, protocolType]) => ({ groupId, protocolType }));
  return (w) => writeListGroupsResponse(w, version, { throttleTimeMs: 0, errorCode: KAFKA_ERROR.NONE, groups });
}

export function handleDescribeGroups(ctx: KafkaContext, { header, body }: KafkaRequest): KafkaAnswer {
  const version = header.apiVersion;
  const request = readDescribeGroupsRequest(body, version);
  const groups = request.groups.map((groupId) => describe(ctx, groupId));
  return (w) => writeDescribeGroupsResponse(w, version, { throttleTimeMs: 0, groups });
}

function describe(ctx: KafkaContext, groupId: string): DescribeGroupsGroup {
  const base = {
    errorCode: KAFKA_ERROR.NONE,
    groupId,
    protocolType: '',
    protocolData: '',
    members: [],
    authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
  const info = ctx.broker.kafkaGroups.describe(groupId);
  if (info !== null) {
    return {
      ...base,
      groupState: info.state,
      protocolType: info.protocolType,
      protocolData: info.protocol,
      members: info.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.metadata,
        memberAssignment: m.assignment,
      })),
    };
  }
  if (ctx.broker.coordinator.memberCount(groupId) > 0) return { ...base, groupState: 'Stable', protocolType: 'evq' };
  if (ctx.broker.groups.ofGroup(groupId).length > 0) return { ...base, groupState: 'Empty', protocolType: 'consumer' };
  return { ...base, groupState: 'Dead' };
}

export async function handleDeleteGroups(ctx: KafkaContext, { header, body }: KafkaRequest): Promise<KafkaAnswer> {
  const version = header.apiVersion;
  const request = readDeleteGroupsRequest(body, version);
  const results: { groupId: string; errorCode: number }[] = [];
  for (const groupId of request.groupsNames) results.push({ groupId, errorCode: await deleteGroup(ctx, groupId) });
  return (w) => writeDeleteGroupsResponse(w, version, { throttleTimeMs: 0, results });
}

async function deleteGroup(ctx: KafkaContext, groupId: string): Promise<number> {
  if (!isValidGroupName(groupId)) return KAFKA_ERROR.INVALID_GROUP_ID;
  if (ctx.broker.kafkaGroups.has(groupId) || ctx.broker.coordinator.memberCount(groupId) > 0) return KAFKA_ERROR.NON_EMPTY_GROUP;
  try {
    return (await ctx.broker.groups.forgetGroup(groupId)) ? KAFKA_ERROR.NONE : KAFKA_ERROR.GROUP_ID_NOT_FOUND;
  } catch (error) {
    return kafkaErrorCode(error);
  }
}
