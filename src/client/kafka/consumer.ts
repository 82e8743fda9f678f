/**
 * `consume` over Kafka. Without a group: the partitions are read at positions kept here (partition-reader.ts),
 * nothing committed, to the end of each (the high watermark) unless `follow`. With a `group`: a kafkajs
 * consumer group member (JoinGroup, SyncGroup, heartbeats: the cluster assigns the partitions). Its records
 * are handed out one at a time; a batch's offsets are committed once the caller has taken every record of it
 * (after `beforeCommit`, so what is committed was printed: at least once), and the last record taken when the
 * caller stops is committed too. Without `follow` the read ends once every partition assigned to this member
 * is at its end (the group's lag there is 0) — which kcat -G never does. The filter runs in the client;
 * records it skips are committed too.
 */

import { compileFilter } from '../../core/filter/index.js';
import type { Filter } from '../../core/filter/index.js';
import { EvqError } from '../../errors.js';
import { sleep } from '../backoff.js';
import { CommitError, TopicGoneError } from '../errors.js';
import type { ConsumeSettings } from '../options.js';
import type { ConsumeOptions, EvqRecord } from '../types.js';
import { kafkaErrorType, notOverKafka } from './errors.js';
import type { Admin, InternalCluster, KafkaClient } from './library.js';
import { PartitionReader, startPositions, topicOffsets } from './partition-reader.js';
import { toEvqRecord } from './records.js';

export interface ConsumerContext {
  kafka: KafkaClient;
  cluster: InternalCluster;
  admin: Admin;
  timeoutMs: number;
  toError: (error: unknown) => EvqError;
}

/** How often a read with `allowMissing` looks again for a topic that does not exist yet. */
const MISSING_POLL_MS = 250;
/** Longest wait of one fetch when not following (the end is known from the start's offsets). */
const END_WAIT_MS = 500;

/** Whether the topic exists; waits for it with `allowMissing` (false: aborted meanwhile). */
async function awaitTopic(ctx: ConsumerContext, topic: string, options: ConsumeOptions, allowMissing: boolean): Promise<boolean> {
  let told = false;
  for (;;) {
    const { topics } = await ctx.admin.fetchTopicMetadata({ topics: [] });
    if (topics.some((t) => t.name === topic)) return true;
    if (!allowMissing) throw new TopicGoneError(topic, false);
    if (!told) {
      told = true;
      options.onWaiting?.(topic);
    }
    if (!(await sleep(MISSING_POLL_MS, options.signal))) return false;
  }
}

export async function* consumeKafka(
  ctx: ConsumerContext,
  topic: string,
  options: ConsumeOptions,
  settings: ConsumeSettings,
): AsyncGenerator<EvqRecord> {
  if (settings.limit === 0) return;
  try {
    if (!(await awaitTopic(ctx, topic, options, settings.allowMissing))) return;
  } catch (error) {
    throw error instanceof EvqError ? error : ctx.toError(error);
  }
  const filter = options.filter !== undefined && options.filter.trim() !== '' ? compileFilter(options.filter) : null;
  if (options.group !== undefined) {
    yield* consumeGroup(ctx, topic, options.group, options, settings, filter);
    return;
  }
  let reader: PartitionReader;
  try {
    await ctx.cluster.addTargetTopic(topic);
    const start = await startPositions(ctx.admin, topic, options.from ?? 'earliest', options.partition);
    if (options.partition !== undefined && !start.has(options.partition)) {
      throw new EvqError('EVQ_ERR_NOT_FOUND', `topic "${topic}" has no partition ${options.partition}`);
    }
    reader = new PartitionReader(ctx.cluster, ctx.admin, topic, start, {
      maxWaitMs: settings.follow ? Math.min(settings.waitMs, 5000) : END_WAIT_MS,
      partition: options.partition,
    });
    reader.knowEnds(await topicOffsets(ctx.admin, topic));
  } catch (error) {
    throw ctx.toError(error);
  }
  let taken = 0;
  const aborted = (): boolean => options.signal?.aborted === true;
  while (taken < settings.limit && !aborted()) {
    if (!settings.follow && reader.atEnd()) return;
    let records: EvqRecord[];
    try {
      records = await reader.fetch();
    } catch (error) {
      throw ctx.toError(error);
    }
    for (const record of records) {
      if (filter !== null && !filter(record)) continue;
      taken++;
      yield record;
      if (taken >= settings.limit || aborted()) return;
    }
  }
}

interface Handed {
  record: EvqRecord;
  /** Resolved once the caller has taken it (asked for the next record, or stopped after it). */
  taken: () => void;
}

/**
 * A bounded hand-over from kafkajs's batch callback to the generator: the callback puts a batch's records
 * and waits until the generator took the last one.
 */
class Handover {
  readonly #items: Handed[] = [];
  #wake: (() => void) | undefined;
  error: unknown;
  ended = false;

  put(item: Handed): void {
    this.#items.push(item);
    this.#notify();
  }

  end(error?: unknown): void {
    if (error !== undefined && this.error === undefined) this.error = error;
    this.ended = true;
    this.#notify();
  }

  /** The next item, or undefined after `ms` (or at the end). */
  async take(ms: number): Promise<Handed | undefined> {
    if (this.#items.length === 0 && !this.ended) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#wake = undefined;
          resolve();
        }, ms);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
    return this.#items.shift();
  }

  #notify(): void {
    this.#wake?.();
  }
}

async function* consumeGroup(
  ctx: ConsumerContext,
  topic: string,
  group: string,
  options: ConsumeOptions,
  settings: ConsumeSettings,
  filter: Filter | null,
): AsyncGenerator<EvqRecord> {
  const from = options.from ?? 'earliest';
  if (from !== 'earliest' && from !== 'latest') {
    throw notOverKafka('--from with an offset or a time for a group', 'a group starts at earliest or latest (kafkajs fromBeginning)');
  }
  const sessionTimeout = options.sessionTimeoutMs ?? 10_000;
  const consumer = ctx.kafka.consumer({
    groupId: group,
    sessionTimeout,
    rebalanceTimeout: Math.max(sessionTimeout, 5000),
    heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 3)),
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: settings.follow ? Math.min(settings.waitMs, 5000) : END_WAIT_MS,
  });
  const handover = new Handover();
  let assigned: number[] | undefined;
  const printed = new Map<number, number>();
  let stopping = false;
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    assigned = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
  });
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) handover.end(event.payload.error);
  });
  const beforeCommit = async (): Promise<void> => {
    const written = options.beforeCommit?.();
    if (written !== undefined) await written;
  };
  const commit = async (partitions: Map<number, number>): Promise<void> => {
    if (!settings.commit || partitions.size === 0) return;
    await beforeCommit();
    const list = [...partitions].map(([partition, next]) => ({ topic, partition, offset: String(next) }));
    try {
      await consumer.commitOffsets(list);
    } catch (error) {
      const at = list.map((p) => `partition ${p.partition} offset ${p.offset}`).join(', ');
      throw new CommitError(topic, group, Number(list[0]?.offset ?? 0), ctx.toError(error), at);
    }
  };

  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: from === 'earliest' });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isStale }) => {
        let last: Promise<void> | undefined;
        for (const message of batch.messages) {
          if (stopping) return;
          let taken!: () => void;
          last = new Promise<void>((resolve) => (taken = resolve));
          handover.put({ record: toEvqRecord(topic, batch.partition, message), taken });
        }
        if (last === undefined) return;
        // wait for the caller to take the batch, heartbeating so that a slow stdout keeps the partitions
        let done = false;
        void last.then(() => (done = true));
        while (!done && !stopping) {
          await Promise.race([last, sleep(Math.max(100, Math.floor(sessionTimeout / 3)))]);
          if (!done && !stopping) await heartbeat().catch(() => undefined);
        }
        if (stopping || isStale()) return;
        const lastOffset = batch.messages[batch.messages.length - 1]?.offset as string;
        resolveOffset(lastOffset);
        await commit(new Map([[batch.partition, Number(lastOffset) + 1]]));
      },
    });
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw ctx.toError(error);
  }

  let taken = 0;
  let current: Handed | undefined;
  let failed = false;
  const aborted = (): boolean => options.signal?.aborted === true;
  try {
    while (taken < settings.limit && !aborted()) {
      const item = await handover.take(END_WAIT_MS);
      if (item === undefined) {
        if (handover.error !== undefined) throw ctx.toError(handover.error);
        if (handover.ended) return;
        if (!settings.follow && assigned !== undefined && (await caughtUp(ctx, topic, group, assigned, printed, from))) return;
        continue;
      }
      current = item;
      const record = item.record;
      if (filter === null || filter(record)) {
        taken++;
        yield record;
      }
      printed.set(record.partition, record.offset + 1);
      item.taken();
      current = undefined;
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    stopping = true;
    // the caller stopped after `current` (a limit, a break): it was handed out, so it is committed too
    if (current !== undefined && !failed) printed.set(current.record.partition, current.record.offset + 1);
    const final = failed ? undefined : commit(printed);
    current?.taken();
    try {
      if (final !== undefined) await final;
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }
}

/** Whether this member's partitions are all at their end: its position (printed or committed) at the high watermark. */
async function caughtUp(
  ctx: ConsumerContext,
  topic: string,
  group: string,
  assigned: number[],
  printed: Map<number, number>,
  from: 'earliest' | 'latest',
): Promise<boolean> {
  if (assigned.length === 0) return true;
  try {
    const [ends, committed] = await Promise.all([
      topicOffsets(ctx.admin, topic),
      ctx.admin.fetchOffsets({ groupId: group, topics: [topic] }),
    ]);
    const committedOf = new Map<number, number>();
    for (const t of committed) for (const p of t.partitions) committedOf.set(p.partition, Number(p.offset));
    for (const partition of assigned) {
      const end = ends.find((e) => e.partition === partition);
      if (end === undefined) return false;
      const position = Math.max(printed.get(partition) ?? -1, committedOf.get(partition) ?? -1);
      // nothing committed yet: from latest the member is at the end; from earliest only an empty log is
      if (position < 0 ? from === 'earliest' && end.high > end.low : position < end.high) return false;
    }
    return true;
  } catch (error) {
    if (kafkaErrorType(error) === 'UNKNOWN_TOPIC_OR_PARTITION') throw new TopicGoneError(topic, true, undefined, { cause: error });
    throw ctx.toError(error);
  }
}
