/**
 * The Kafka transport behind `EvqClient` (`kafka://host:9092[,host2:9092…]`), on kafkajs 2.2.4 (library.ts).
 * A topic is a Kafka topic, its partitions and offsets Kafka's; `--token` is the password of SASL/PLAIN (any
 * user name: the URL's, else `evq`), as evq serve's Kafka listener takes it; `timeoutMs` bounds the connection,
 * each request and the whole connect. Produce: producer.ts; subscribe and group-less consume: a fetch loop
 * without a consumer group (partition-reader.ts); consume with a group: a kafkajs consumer (consumer.ts);
 * topics: kafkajs's admin.
 */

import type { Admin, Consumer, ITopicConfig, Producer } from 'kafkajs';
import { Scheduler } from '../../core/scheduler.js';
import { EvqError, EvqUsageError } from '../../errors.js';
import { validateTopicName } from '../../protocol/validate.js';
import { consumeSettings } from '../options.js';
import type {
  ConnectOptions,
  ConsumeOptions,
  EvqClient,
  EvqRecord,
  GroupDescription,
  GroupInfo,
  GroupReset,
  GroupResetTo,
  ProduceMessage,
  ProduceOptions,
  ProduceResult,
  SubscribeOptions,
  Subscription,
  TopicChange,
  TopicDescription,
  TopicInfo,
  TopicSettings,
} from '../types.js';
import { consumeKafka } from './consumer.js';
import { kafkaError, kafkaErrorType } from './errors.js';
import { describeKafkaGroup, listKafkaGroups, resetKafkaGroup } from './groups.js';
import { createCluster, Kafka, logLevel, Partitioners, registerCodecs } from './library.js';
import type { InternalCluster, KafkaClient } from './library.js';
import { topicOffsets } from './partition-reader.js';
import type { PartitionOffsets } from './partition-reader.js';
import { probeBrokers } from './probe.js';
import { produceKafka } from './producer.js';
import type { SendingProducer } from './producer.js';
import { KafkaSubscription } from './subscription.js';

export class KafkaTransport implements EvqClient {
  readonly url: string;
  readonly #kafka: KafkaClient;
  readonly #admin: Admin;
  readonly #timeoutMs: number;
  readonly #placed = new WeakMap<object, number>();
  readonly #producers = new Map<boolean, Promise<Producer>>();
  readonly #known = new Map<string, Promise<void>>();
  readonly #subscriptions = new Set<Subscription>();
  readonly #consumers = new Set<Consumer>();
  #cluster: Promise<InternalCluster> | undefined;
  #scheduler: Scheduler<() => void> | undefined;

  constructor(url: string, kafka: KafkaClient, admin: Admin, timeoutMs: number) {
    this.url = url;
    this.#kafka = kafka;
    this.#admin = admin;
    this.#timeoutMs = timeoutMs;
  }

  #error = (error: unknown, what?: string): EvqError => kafkaError(error, this.url, this.#timeoutMs, what);

  /** The Cluster for reads without a group (one per client, connected on first use). */
  #readCluster(): Promise<InternalCluster> {
    this.#cluster ??= (async () => {
      const cluster = createCluster(this.#kafka);
      try {
        await cluster.connect();
      } catch (error) {
        // a failed connect is not kept: the next read tries again with a fresh cluster
        this.#cluster = undefined;
        await cluster.disconnect().catch(() => undefined);
        throw error;
      }
      return cluster;
    })();
    return this.#cluster;
  }

  /** kafkajs's producer, connected: its DefaultPartitioner (murmur2) places the messages and says where here. */
  #producer(idempotent: boolean): Promise<Producer> {
    let pending = this.#producers.get(idempotent);
    if (pending === undefined) {
      pending = (async () => {
        const placed = this.#placed;
        const producer = this.#kafka.producer({
          createPartitioner: () => {
            const partitioner = Partitioners.DefaultPartitioner();
            return (args) => {
              const partition = partitioner(args);
              placed.set(args.message, partition);
              return partition;
            };
          },
          idempotent,
          ...(idempotent ? { maxInFlightRequests: 1 } : {}),
          allowAutoTopicCreation: false,
        });
        await producer.connect();
        return producer;
      })();
      pending.catch(() => this.#producers.delete(idempotent));
      this.#producers.set(idempotent, pending);
    }
    return pending;
  }

  /** Creates `topic` with the cluster's default partitions when it does not exist (once per topic and client). */
  #ensureTopic(topic: string): Promise<void> {
    let pending = this.#known.get(topic);
    if (pending === undefined) {
      pending = (async () => {
        const { topics } = await this.#admin.fetchTopicMetadata({ topics: [] });
        if (topics.some((t) => t.name === topic)) return;
        await this.#admin.createTopics({ topics: [{ topic }], waitForLeaders: true, timeout: this.#timeoutMs });
      })();
      pending.catch(() => this.#known.delete(topic));
      this.#known.set(topic, pending);
    }
    return pending;
  }

  async produce(
    topic: string,
    messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage>,
    options: ProduceOptions = {},
  ): Promise<ProduceResult> {
    validateTopicName(topic);
    this.#scheduler ??= new Scheduler<() => void>({ onDue: (release) => release() });
    const ctx = {
      producer: async (idempotent: boolean): Promise<SendingProducer> => {
        try {
          await this.#ensureTopic(topic);
          return (await this.#producer(idempotent)) as unknown as SendingProducer;
        } catch (error) {
          throw this.#error(error);
        }
      },
      placed: this.#placed,
      scheduler: this.#scheduler,
      timeoutMs: this.#timeoutMs,
      toError: this.#error,
    };
    return produceKafka(ctx, topic, messages, options);
  }

  subscribe(topic: string, options: SubscribeOptions = {}): Subscription {
    validateTopicName(topic);
    const ctx = {
      cluster: undefined as unknown as InternalCluster,
      admin: this.#admin,
      ensureTopic: async (t: string) => {
        await this.#ensureTopic(t);
        ctx.cluster = await this.#readCluster();
      },
      toError: (error: unknown) => this.#error(error),
    };
    const sub = new KafkaSubscription(ctx, topic, options);
    this.#subscriptions.add(sub);
    void sub.closed.then(() => this.#subscriptions.delete(sub));
    return sub;
  }

  consume(topic: string, options: ConsumeOptions = {}): AsyncIterable<EvqRecord> {
    const settings = consumeSettings(topic, options); // bad options fail here, not at the first iteration
    const kafka = this.#kafka;
    const consumers = this.#consumers;
    const ctx = {
      kafka: {
        consumer: (config: Parameters<KafkaClient['consumer']>[0]) => {
          const consumer = kafka.consumer(config);
          consumers.add(consumer);
          consumer.on(consumer.events.DISCONNECT, () => consumers.delete(consumer));
          return consumer;
        },
      } as KafkaClient,
      cluster: undefined as unknown as InternalCluster,
      admin: this.#admin,
      timeoutMs: this.#timeoutMs,
      toError: (error: unknown) => this.#error(error),
    };
    const readCluster = (): Promise<InternalCluster> => this.#readCluster();
    return {
      async *[Symbol.asyncIterator]() {
        if (options.group === undefined) ctx.cluster = await readCluster().catch((e: unknown) => Promise.reject(ctx.toError(e)));
        yield* consumeKafka(ctx, topic, options, settings);
      },
    };
  }

  async topics(): Promise<TopicInfo[]> {
    try {
      const { topics } = await this.#admin.fetchTopicMetadata({ topics: [] });
      const names = topics.map((t) => t.name).sort();
      const out: TopicInfo[] = [];
      for (const name of names) out.push(topicInfo(name, await topicOffsets(this.#admin, name)));
      return out;
    } catch (error) {
      throw this.#error(error);
    }
  }

  async describeTopic(topic: string): Promise<TopicDescription | null> {
    validateTopicName(topic);
    try {
      const { topics } = await this.#admin.fetchTopicMetadata({ topics: [] });
      if (!topics.some((t) => t.name === topic)) return null;
      return { ...topicInfo(topic, await topicOffsets(this.#admin, topic)), groups: [] };
    } catch (error) {
      if (kafkaErrorType(error) === 'UNKNOWN_TOPIC_OR_PARTITION') return null;
      throw this.#error(error);
    }
  }

  async createTopic(topic: string, settings: TopicSettings = {}): Promise<boolean> {
    validateTopicName(topic);
    const configEntries: { name: string; value: string }[] = [];
    if (settings.retentionBytes !== undefined) configEntries.push({ name: 'retention.bytes', value: String(settings.retentionBytes) });
    if (settings.retentionAgeMs !== undefined) configEntries.push({ name: 'retention.ms', value: String(settings.retentionAgeMs) });
    const config: ITopicConfig = { topic, configEntries };
    if (settings.partitions !== undefined) config.numPartitions = settings.partitions;
    if (settings.replicationFactor !== undefined) config.replicationFactor = settings.replicationFactor;
    try {
      const created = await this.#admin.createTopics({ topics: [config], waitForLeaders: true, timeout: this.#timeoutMs });
      if (!created && settings.partitions !== undefined) {
        const info = await this.describeTopic(topic);
        const count = info?.partitions.length;
        if (count !== undefined && count !== settings.partitions) {
          throw new EvqError(
            'EVQ_ERR_CONFLICT',
            `topic "${topic}" exists with ${count} partitions, not ${settings.partitions}: grow it with \`evq topics alter ${topic} --partitions N\``,
          );
        }
      }
      this.#known.set(topic, Promise.resolve());
      return created;
    } catch (error) {
      throw this.#error(error);
    }
  }

  async alterTopic(topic: string, settings: { partitions: number }): Promise<TopicChange> {
    validateTopicName(topic);
    const info = await this.describeTopic(topic);
    if (info === null) throw new EvqError('EVQ_ERR_NOT_FOUND', `topic "${topic}" does not exist at ${this.url}`);
    const previous = info.partitions.length;
    if (settings.partitions === previous) return { topic, partitions: previous, previous };
    if (settings.partitions < previous) {
      throw new EvqUsageError(
        'EVQ_ERR_INVALID_ARGUMENT',
        `topic "${topic}" has ${previous} partitions: a Kafka topic can grow, never shrink (give --partitions above ${previous})`,
      );
    }
    try {
      await this.#admin.createPartitions({ topicPartitions: [{ topic, count: settings.partitions }], timeout: this.#timeoutMs });
    } catch (error) {
      throw this.#error(error);
    }
    return { topic, partitions: settings.partitions, previous };
  }

  async deleteTopic(topic: string): Promise<void> {
    validateTopicName(topic);
    try {
      await this.#admin.deleteTopics({ topics: [topic], timeout: this.#timeoutMs });
    } catch (error) {
      if (kafkaErrorType(error) === 'UNKNOWN_TOPIC_OR_PARTITION') {
        throw new EvqError('EVQ_ERR_NOT_FOUND', `topic "${topic}" does not exist at ${this.url}`, { cause: error });
      }
      throw this.#error(error);
    } finally {
      this.#known.delete(topic);
    }
  }

  async groups(): Promise<GroupInfo[]> {
    try {
      return await listKafkaGroups(this.#admin);
    } catch (error) {
      throw this.#error(error);
    }
  }

  async describeGroup(group: string): Promise<GroupDescription> {
    try {
      return await describeKafkaGroup(this.#admin, group);
    } catch (error) {
      throw this.#error(error);
    }
  }

  async resetGroup(topic: string, group: string, to: GroupResetTo, options: { dryRun?: boolean } = {}): Promise<GroupReset> {
    validateTopicName(topic);
    try {
      return await resetKafkaGroup(this.#admin, topic, group, to, options.dryRun === true);
    } catch (error) {
      throw this.#error(error);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    this.#scheduler?.drainDue(Number.POSITIVE_INFINITY);
    this.#scheduler?.close();
    const quiet = (p: Promise<unknown> | undefined): Promise<unknown> => (p ?? Promise.resolve()).catch(() => undefined);
    await Promise.all([
      ...[...this.#consumers].map((c) => quiet(c.disconnect())),
      ...[...this.#producers.values()].map((p) => quiet(p.then((producer) => producer.disconnect()))),
      quiet(this.#cluster?.then((cluster) => cluster.disconnect())),
    ]);
    await quiet(this.#admin.disconnect());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A topic's offsets as evq lists them: per partition, and their sums (sizes are not known over Kafka: 0). */
function topicInfo(topic: string, offsets: PartitionOffsets[]): TopicInfo {
  const partitions = offsets.map((o) => ({
    partition: o.partition,
    startOffset: o.low,
    endOffset: o.high,
    messageCount: o.high - o.low,
    sizeBytes: 0,
  }));
  const sum = (f: (p: (typeof partitions)[number]) => number): number => partitions.reduce((n, p) => n + f(p), 0);
  return {
    topic,
    startOffset: sum((p) => p.startOffset),
    endOffset: sum((p) => p.endOffset),
    messageCount: sum((p) => p.messageCount),
    sizeBytes: 0,
    subscribers: 0,
    partitions,
  };
}

/** The `host:port` list of a `kafka://host:port[,host2:port…]` URL (port 9092 when left out). */
export function kafkaBrokers(url: string): string[] {
  const match = /^kafka:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/i.exec(url.trim());
  if (match === null) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `invalid Kafka URL ${JSON.stringify(url.slice(0, 100))}: expected kafka://host:9092[,host2:9092]`,
    );
  }
  const hosts = (match[2] as string).split(',').map((h) => h.trim());
  if (hosts.length > 100 || hosts.some((h) => !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(h))) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `invalid Kafka URL ${JSON.stringify(url.slice(0, 100))}: expected kafka://host:9092[,host2:9092]`,
    );
  }
  return hosts.map((h) => (/:\d{1,5}$/.test(h) && !h.endsWith(']') ? h : `${h}:9092`));
}

/** Rejects with a timeout after `ms` unless `work` settles first. */
function deadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`timed out after ${ms} ms`), { name: 'KafkaJSRequestTimeoutError' })), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Connects to the Kafka cluster at `url` (its admin client: one Metadata round trip) and checks that it answers. */
export async function connectKafka(url: string, options: ConnectOptions & { timeoutMs: number }): Promise<EvqClient> {
  const brokers = kafkaBrokers(url);
  const name = `kafka://${brokers.join(',')}`;
  const user = /^kafka:\/\/([^:@/]+)(?::[^@/]*)?@/i.exec(url)?.[1];
  registerCodecs();
  const timeoutMs = options.timeoutMs;
  const kafka = new Kafka({
    clientId: 'evq',
    brokers,
    connectionTimeout: timeoutMs,
    authenticationTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: Math.min(timeoutMs, 5000) },
    logLevel: logLevel.NOTHING,
    ...(options.token !== undefined
      ? { sasl: { mechanism: 'plain' as const, username: user === undefined ? 'evq' : userName(user), password: options.token } }
      : {}),
  });
  try {
    await probeBrokers(brokers, timeoutMs);
  } catch (error) {
    throw kafkaError(error, name, timeoutMs, 'answer');
  }
  const admin = kafka.admin();
  try {
    await deadline(
      (async () => {
        await admin.connect();
        await admin.fetchTopicMetadata({ topics: [] });
      })(),
      timeoutMs,
    );
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    throw kafkaError(error, name, timeoutMs, 'answer');
  }
  return new KafkaTransport(name, kafka, admin, timeoutMs);
}

/** The user name of a `kafka://user@host` URL, %-decoded; a malformed escape is a usage error. */
function userName(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `the user name in the kafka:// URL has a malformed %-escape: ${user.slice(0, 100)}`,
    );
  }
}
