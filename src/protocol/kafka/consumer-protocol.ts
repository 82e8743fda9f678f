/**
 * The consumer protocol carried opaquely by JoinGroup (a member's subscription, in its protocol metadata)
 * and SyncGroup (its assignment), as Kafka's ConsumerProtocol writes them. The broker reads them only to
 * show a group (which member owns which partitions); a newer version is read as far as this one knows
 * (Kafka's rule: fields are only ever added at the end).
 *
 * ```text
 * subscription: version INT16, topics ARRAY(STRING), user_data NULLABLE_BYTES,
 *               owned_partitions ARRAY(topic STRING, partitions ARRAY(INT32)) v1+
 * assignment:   version INT16, assigned_partitions ARRAY(topic STRING, partitions ARRAY(INT32)),
 *               user_data NULLABLE_BYTES
 * ```
 * Pure.
 */
import { KafkaReader } from './reader.js';
import { KafkaWriter } from './writer.js';

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ConsumerSubscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  /** v1+; [] below. */
  ownedPartitions: TopicPartitions[];
}

export interface ConsumerAssignment {
  version: number;
  assigned: TopicPartitions[];
  userData: Buffer | null;
}

export const CONSUMER_PROTOCOL_LIMITS = { maxTopics: 10_000, maxPartitions: 100_000 } as const;

function readTopicPartitions(r: KafkaReader): TopicPartitions[] {
  return r.array(
    (x) => ({ topic: x.string(), partitions: x.array((y) => y.int32(), { max: CONSUMER_PROTOCOL_LIMITS.maxPartitions, minBytes: 4 }) }),
    { max: CONSUMER_PROTOCOL_LIMITS.maxTopics, minBytes: 6 },
  );
}

function writeTopicPartitions(w: KafkaWriter, list: readonly TopicPartitions[]): void {
  w.array(list, (x, t) => {
    x.string(t.topic);
    x.array(t.partitions, (y, p) => y.int32(p));
  });
}

/** Reads a member's subscription; throws KafkaCodecError (INVALID_REQUEST) when it does not parse. */
export function readConsumerSubscription(bytes: Buffer): ConsumerSubscription {
  const r = new KafkaReader(bytes);
  const version = r.int16();
  const topics = r.array((x) => x.string(), { max: CONSUMER_PROTOCOL_LIMITS.maxTopics, minBytes: 2 });
  const userData = r.nullableBytes();
  const ownedPartitions = version >= 1 && r.remaining > 0 ? readTopicPartitions(r) : [];
  return { version, topics, userData, ownedPartitions };
}

export function writeConsumerSubscription(subscription: ConsumerSubscription): Buffer {
  const w = new KafkaWriter(64);
  w.int16(subscription.version);
  w.array(subscription.topics, (x, t) => x.string(t));
  w.nullableBytes(subscription.userData);
  if (subscription.version >= 1) writeTopicPartitions(w, subscription.ownedPartitions);
  return w.finish();
}

/** Reads an assignment (an empty buffer is no assignment: nothing owned). */
export function readConsumerAssignment(bytes: Buffer): ConsumerAssignment {
  if (bytes.length === 0) return { version: 0, assigned: [], userData: null };
  const r = new KafkaReader(bytes);
  const version = r.int16();
  const assigned = readTopicPartitions(r);
  const userData = r.remaining > 0 ? r.nullableBytes() : null;
  return { version, assigned, userData };
}

export function writeConsumerAssignment(assignment: ConsumerAssignment): Buffer {
  const w = new KafkaWriter(64);
  w.int16(assignment.version);
  writeTopicPartitions(w, assignment.assigned);
  w.nullableBytes(assignment.userData);
  return w.finish();
}
