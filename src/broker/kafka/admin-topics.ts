/**
 * CreateTopics, DeleteTopics and CreatePartitions on the broker's topic store, with Kafka's errors for a
 * single-broker cluster:
 *
 * - CreateTopics: `num_partitions` -1 is the broker's default (`--partitions`); `replication_factor` must be 1
 *   or -1 (anything else: INVALID_REPLICATION_FACTOR, there is one broker); manual `assignments` are taken
 *   when partitions 0..n-1 each name exactly this broker (INVALID_REPLICA_ASSIGNMENT otherwise). A name Kafka
 *   forbids is INVALID_TOPIC_EXCEPTION, an existing topic TOPIC_ALREADY_EXISTS, a count below 1 or past the
 *   limit INVALID_PARTITIONS, a name twice in one request INVALID_REQUEST (as Kafka). Configs: every topic
 *   config Kafka knows is accepted and ignored (evq's retention and limits are the broker's, which
 *   DescribeConfigs reports), except values evq cannot honour (`cleanup.policy` other than `delete`,
 *   `message.timestamp.type` other than `CreateTime`); a name Kafka does not know, or a null value, is
 *   INVALID_CONFIG, as Kafka answers. kafkajs sends no configs unless `configEntries` are given; kcat creates
 *   no topics.
 * - DeleteTopics: the topic, its groups' offsets and caches go (the same `removeTopic` as HTTP DELETE);
 *   a missing one is UNKNOWN_TOPIC_OR_PARTITION.
 * - CreatePartitions: grows a topic to `count` partitions; as many or fewer is INVALID_PARTITIONS (Kafka's
 *   rule: a topic only grows), manual assignments as for CreateTopics.
 *
 * `validate_only` checks everything and changes nothing. Each result's error message (v1+) is one line.
 */
import {
  readCreatePartitionsRequest,
  writeCreatePartitionsResponse,
  type CreatePartitionsResult,
} from '../../protocol/kafka/create-partitions.js';
import {
  readCreateTopicsRequest,
  writeCreateTopicsResponse,
  type CreateTopicsTopic,
  type CreateTopicsTopicResult,
} from '../../protocol/kafka/create-topics.js';
import { readDeleteTopicsRequest, writeDeleteTopicsResponse } from '../../protocol/kafka/delete-topics.js';
import { KAFKA_ERROR, type KafkaErrorName } from '../../protocol/kafka/error-codes.js';
import { validateTopicName } from '../../protocol/validate.js';
import { removeTopic } from '../topic-removal.js';
import type { KafkaContext } from './context.js';
import { kafkaErrorName } from './errors.js';
import type { KafkaAnswer, KafkaRequest } from './request.js';

/** A refusal of one topic of a request: the Kafka error and its one-line message. */
class TopicRefusal extends Error {
  constructor(
    readonly kafkaError: KafkaErrorName,
    message: string,
  ) {
    super(message);
  }
}

function refuse(kafkaError: KafkaErrorName, message: string): never {
  throw new TopicRefusal(kafkaError, message);
}

/** The error code and message of a failure: a refusal as it is, evq's errors by their code's Kafka error. */
function outcome(error: unknown): { errorCode: number; errorMessage: string } {
  const name = error instanceof TopicRefusal ? error.kafkaError : kafkaErrorName(error);
  const message = error instanceof Error ? error.message : String(error);
  return { errorCode: KAFKA_ERROR[name], errorMessage: oneLine(message) };
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

/**
 * The topic configs Kafka defines (a name outside them is INVALID_CONFIG, as Kafka answers). evq has one set
 * of settings for every topic: these are accepted and not applied; `VALUE_RULES` refuses the values it would
 * have to break.
 */
export const KAFKA_TOPIC_CONFIGS: ReadonlySet<string> = new Set([
  'cleanup.policy',
  'compression.type',
  'delete.retention.ms',
  'file.delete.delay.ms',
  'flush.messages',
  'flush.ms',
  'follower.replication.throttled.replicas',
  'index.interval.bytes',
  'leader.replication.throttled.replicas',
  'local.retention.bytes',
  'local.retention.ms',
  'max.compaction.lag.ms',
  'max.message.bytes',
  'message.downconversion.enable',
  'message.format.version',
  'message.timestamp.after.max.ms',
  'message.timestamp.before.max.ms',
  'message.timestamp.difference.max.ms',
  'message.timestamp.type',
  'min.cleanable.dirty.ratio',
  'min.compaction.lag.ms',
  'min.insync.replicas',
  'preallocate',
  'remote.storage.enable',
  'retention.bytes',
  'retention.ms',
  'segment.bytes',
  'segment.index.bytes',
  'segment.jitter.ms',
  'segment.ms',
  'unclean.leader.election.enable',
]);

const VALUE_RULES: Readonly<Record<string, { allowed: readonly string[]; why: string }>> = {
  'cleanup.policy': { allowed: ['delete'], why: 'evq deletes old segments by retention and never compacts' },
  'message.timestamp.type': { allowed: ['CreateTime'], why: "evq keeps the producer's timestamps" },
  'min.insync.replicas': { allowed: ['1'], why: 'there is one broker' },
};

function checkConfigs(topic: CreateTopicsTopic): void {
  for (const { name, value } of topic.configs) {
    if (!KAFKA_TOPIC_CONFIGS.has(name)) refuse('INVALID_CONFIG', `unknown topic config "${name.slice(0, 100)}"`);
    if (value === null) refuse('INVALID_CONFIG', `topic config "${name}" has a null value`);
    const rule = VALUE_RULES[name];
    if (rule !== undefined && !rule.allowed.includes(value)) {
      refuse('INVALID_CONFIG', `${name}=${value.slice(0, 100)} is not supported: ${rule.why} (use ${rule.allowed.join(' or ')})`);
    }
  }
}

function checkName(name: string): void {
  try {
    validateTopicName(name);
  } catch (error) {
    refuse('INVALID_TOPIC_EXCEPTION', (error as Error).message);
  }
}

function checkCount(ctx: KafkaContext, topic: string, count: number): void {
  const max = ctx.broker.store.settings.maxPartitions;
  if (count < 1 || count > max) {
    refuse('INVALID_PARTITIONS', `invalid partition count ${count} for "${topic}": expected 1 to ${max} (the broker's limit)`);
  }
}

/** Replica lists of partitions (in partition order): each must be exactly this broker. */
function checkReplicas(ctx: KafkaContext, topic: string, lists: readonly (readonly number[])[], firstPartition: number): void {
  const nodeId = ctx.config.nodeId;
  lists.forEach((ids, i) => {
    if (ids.length !== 1 || ids[0] !== nodeId) {
      refuse(
        'INVALID_REPLICA_ASSIGNMENT',
        `partition ${firstPartition + i} of "${topic}" is assigned to [${ids.slice(0, 10).join(',')}]: this cluster has one broker, give [${nodeId}]`,
      );
    }
  });
}

/** The partition count a CreateTopics entry asks for, after Kafka's checks. */
function partitionsToCreate(ctx: KafkaContext, t: CreateTopicsTopic): number {
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      refuse('INVALID_REQUEST', `"${t.name}": give either num_partitions and replication_factor or assignments, not both`);
    }
    const sorted = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
    sorted.forEach((a, i) => {
      if (a.partitionIndex !== i) {
        refuse('INVALID_REPLICA_ASSIGNMENT', `the assignments of "${t.name}" must name partitions 0 to ${sorted.length - 1}, each once`);
      }
    });
    checkReplicas(
      ctx,
      t.name,
      sorted.map((a) => a.brokerIds),
      0,
    );
    checkCount(ctx, t.name, sorted.length);
    return sorted.length;
  }
  if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
    refuse(
      'INVALID_REPLICATION_FACTOR',
      t.replicationFactor < 1
        ? 'replication factor must be larger than 0, or -1 to use the default value'
        : `replication factor ${t.replicationFactor} is larger than the available brokers: 1 (evq is a single broker: use 1 or -1)`,
    );
  }
  if (t.numPartitions === -1) return ctx.broker.store.settings.defaultPartitions;
  if (t.numPartitions < 1) refuse('INVALID_PARTITIONS', 'number of partitions must be larger than 0, or -1 to use the default value');
  checkCount(ctx, t.name, t.numPartitions);
  return t.numPartitions;
}

export async function handleCreateTopics(ctx: KafkaContext, { header, body }: KafkaRequest): Promise<KafkaAnswer> {
  const version = header.apiVersion;
  const request = readCreateTopicsRequest(body, version);
  const { store } = ctx.broker;
  const seen = new Map<string, number>();
  for (const t of request.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
  const topics: CreateTopicsTopicResult[] = [];
  for (const t of request.topics) {
    try {
      if ((seen.get(t.name) ?? 0) > 1) refuse('INVALID_REQUEST', `topic "${t.name}" is named more than once in the request`);
      checkName(t.name);
      const count = partitionsToCreate(ctx, t);
      checkConfigs(t);
      if (store.get(t.name) !== undefined) refuse('TOPIC_ALREADY_EXISTS', `topic "${t.name}" already exists`);
      // no await since the check above: only a creation already in flight (a first produce) can come between
      if (!request.validateOnly) await store.getOrCreate(t.name, count);
      topics.push({ name: t.name, errorCode: KAFKA_ERROR.NONE, errorMessage: null });
    } catch (error) {
      topics.push({ name: t.name, ...outcome(error) });
    }
  }
  return (w) => writeCreateTopicsResponse(w, version, { throttleTimeMs: 0, topics });
}

export async function handleDeleteTopics(ctx: KafkaContext, { header, body }: KafkaRequest): Promise<KafkaAnswer> {
  const version = header.apiVersion;
  const request = readDeleteTopicsRequest(body, version);
  const responses: { name: string; errorCode: number }[] = [];
  for (const name of request.topicNames) {
    try {
      checkName(name);
      if (!(await removeTopic(ctx.broker, name))) refuse('UNKNOWN_TOPIC_OR_PARTITION', `topic "${name}" does not exist`);
      responses.push({ name, errorCode: KAFKA_ERROR.NONE });
    } catch (error) {
      responses.push({ name, errorCode: outcome(error).errorCode });
    }
  }
  return (w) => writeDeleteTopicsResponse(w, version, { throttleTimeMs: 0, responses });
}

export async function handleCreatePartitions(ctx: KafkaContext, { header, body }: KafkaRequest): Promise<KafkaAnswer> {
  const version = header.apiVersion;
  const request = readCreatePartitionsRequest(body, version);
  const { store } = ctx.broker;
  const seen = new Map<string, number>();
  for (const t of request.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
  const results: CreatePartitionsResult[] = [];
  for (const t of request.topics) {
    try {
      if ((seen.get(t.name) ?? 0) > 1) refuse('INVALID_REQUEST', `topic "${t.name}" is named more than once in the request`);
      checkName(t.name);
      const existing = store.get(t.name);
      if (existing === undefined) refuse('UNKNOWN_TOPIC_OR_PARTITION', `topic "${t.name}" does not exist`);
      const from = existing.partitionCount;
      if (t.count <= from) {
        refuse(
          'INVALID_PARTITIONS',
          t.count === from
            ? `topic "${t.name}" already has ${from} partition${from === 1 ? '' : 's'}`
            : `topic "${t.name}" has ${from} partitions: a topic can get more partitions, never fewer (asked for ${t.count})`,
        );
      }
      checkCount(ctx, t.name, t.count);
      if (t.assignments !== null) {
        if (t.assignments.length !== t.count - from) {
          refuse(
            'INVALID_REPLICA_ASSIGNMENT',
            `"${t.name}": ${t.assignments.length} assignments for ${t.count - from} new partitions (give one per new partition)`,
          );
        }
        checkReplicas(ctx, t.name, t.assignments, from);
      }
      if (!request.validateOnly) await store.grow(t.name, t.count);
      results.push({ name: t.name, errorCode: KAFKA_ERROR.NONE, errorMessage: null });
    } catch (error) {
      results.push({ name: t.name, ...outcome(error) });
    }
  }
  return (w) => writeCreatePartitionsResponse(w, version, { throttleTimeMs: 0, results });
}
