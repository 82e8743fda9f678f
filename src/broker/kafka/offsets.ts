/**
 * OffsetCommit and OffsetFetch on the broker's one offset store, shared with evq's own groups (`evq groups`
 * shows a Kafka group's offsets and lag). A commit is fenced by the classic protocol (member and generation)
 * and durable before it is answered; it may move an offset backwards (a consumer that seeks back commits
 * where it is, as Kafka allows). The committed metadata string comes back as it was committed.
 */
import { KAFKA_ERROR } from '../../protocol/kafka/error-codes.js';
import {
  readOffsetCommitRequest,
  readOffsetFetchRequest,
  writeOffsetCommitResponse,
  writeOffsetFetchResponse,
  type OffsetFetchPartition,
} from '../../protocol/kafka/offset-commit.js';
import { isValidGroupName } from '../../protocol/validate.js';
import type { OffsetCommit } from '../groups/offset-store.js';
import type { KafkaContext } from './context.js';
import { kafkaErrorCode } from './errors.js';
import type { KafkaAnswer, KafkaRequest } from './request.js';

/** The longest committed metadata string kept (Kafka's offset.metadata.max.bytes default). */
export const MAX_OFFSET_METADATA_CHARS = 4096;

export async function handleOffsetCommit(ctx: KafkaContext, { header, body }: KafkaRequest): Promise<KafkaAnswer> {
  const version = header.apiVersion;
  const request = readOffsetCommitRequest(body, version);
  const { groupId } = request;
  const fenced = !isValidGroupName(groupId)
    ? KAFKA_ERROR.INVALID_GROUP_ID
    : ctx.broker.coordinator.memberCount(groupId) > 0
      ? KAFKA_ERROR.INCONSISTENT_GROUP_PROTOCOL
      : KAFKA_ERROR[ctx.broker.kafkaGroups.checkCommit(groupId, request.memberId, request.generationId)];
  const codes = new Map<string, number>();
  const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
  const accepted: OffsetCommit[] = [];
  for (const t of request.topics) {
    const topic = ctx.broker.store.get(t.name);
    for (const p of t.partitions) {
      let code: number = fenced;
      if (code === KAFKA_ERROR.NONE) {
        if (topic?.partition(p.partitionIndex) === undefined) code = KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION;
        else if ((p.committedMetadata?.length ?? 0) > MAX_OFFSET_METADATA_CHARS) code = KAFKA_ERROR.OFFSET_METADATA_TOO_LARGE;
        else if (!Number.isSafeInteger(p.committedOffset) || p.committedOffset < 0) code = KAFKA_ERROR.INVALID_COMMIT_OFFSET_SIZE;
        else accepted.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata ?? '' });
      }
      codes.set(key(t.name, p.partitionIndex), code);
    }
  }
  if (accepted.length > 0) {
    try {
      await ctx.broker.groups.commitMany(groupId, accepted, ctx.broker.clock.now(), true);
    } catch (error) {
      const code = kafkaErrorCode(error);
      for (const c of accepted) codes.set(key(c.topic, c.partition), code);
    }
  }
  const topics = request.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes.get(key(t.name, p.partitionIndex)) ?? 0 })),
  }));
  return (w) => writeOffsetCommitResponse(w, version, { throttleTimeMs: 0, topics });
}

export function handleOffsetFetch(ctx: KafkaContext, { header, body }: KafkaRequest): KafkaAnswer {
  const version = header.apiVersion;
  const request = readOffsetFetchRequest(body, version);
  const { groups } = ctx.broker;
  const none = (partitionIndex: number, errorCode: number = KAFKA_ERROR.NONE): OffsetFetchPartition => ({
    partitionIndex,
    committedOffset: -1,
    metadata: '',
    errorCode,
  });
  let topics: { name: string; partitions: OffsetFetchPartition[] }[];
  if (!isValidGroupName(request.groupId)) {
    const errorCode = KAFKA_ERROR.INVALID_GROUP_ID;
    topics = (request.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => none(p, errorCode)) }));
    return (w) => writeOffsetFetchResponse(w, version, { throttleTimeMs: 0, topics, errorCode });
  }
  if (request.topics === null) {
    const byTopic = new Map<string, OffsetFetchPartition[]>();
    for (const state of groups.ofGroup(request.groupId)) {
      let list = byTopic.get(state.topic);
      if (list === undefined) byTopic.set(state.topic, (list = []));
      list.push({
        partitionIndex: state.partition,
        committedOffset: state.committed,
        metadata: state.metadata ?? '',
        errorCode: KAFKA_ERROR.NONE,
      });
    }
    topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
  } else {
    topics = request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p) => {
        const state = groups.get(t.name, request.groupId, p);
        return state === undefined
          ? none(p)
          : { partitionIndex: p, committedOffset: state.committed, metadata: state.metadata ?? '', errorCode: KAFKA_ERROR.NONE };
      }),
    }));
  }
  return (w) => writeOffsetFetchResponse(w, version, { throttleTimeMs: 0, topics, errorCode: KAFKA_ERROR.NONE });
}
