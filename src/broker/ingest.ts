import { EventEmitter } from 'node:events';
import { EvqError, EvqUsageError } from '../errors.js';
import type { Clock } from '../core/clock.js';
import { HEADERS } from '../protocol/http.js';
import type { EvqRecord, MessageInput } from '../protocol/record.js';
import { validateEncodedBatch } from '../protocol/encoded-batch.js';
import type { EncodedBatchInfo } from '../protocol/encoded-batch.js';
import { decodeBatch, TRUSTED_CODEC_LIMITS } from '../protocol/record-codec.js';
import { validateBatch, validateTopicName, type BatchLimits } from '../protocol/validate.js';
import type { BrokerMetrics } from './metrics.js';
import type { IdempotencyIndex } from './idempotency.js';
import { partitionForKey, StickyPartitioner } from '../core/partitioner.js';
import type { AppendEvent, Log } from './storage/log.js';
import type { Topic } from './storage/topic.js';
import type { TopicStore } from './storage/topic-store.js';

/** The limits every produce is checked against: the batch limits, and how far ahead a message may be delayed. */
export type IngestLimits = BatchLimits & { maxDelayMs: number };

export interface ProduceOptions {
  /** Deliver at this time (ms since the epoch); absent or past = now. */
  dueAt?: number | undefined;
  idempotencyKey?: string | null | undefined;
  /** Append every message to this partition (else: keyed by murmur2 of the key, unkeyed sticky per batch). */
  partition?: number | null | undefined;
}

/** The part of a produce that went to one partition: its messages got `baseOffset` to `lastOffset` there. */
export interface PartitionAppend {
  partition: number;
  baseOffset: number;
  lastOffset: number;
  count: number;
}

export type ProduceResult =
  | {
      topic: string;
      delayed: false;
      /** The first part's partition and offsets (the only part, unless keyed messages went to several). */
      partition: number;
      baseOffset: number;
      lastOffset: number;
      count: number;
      duplicate: boolean;
      /** One per partition the batch went to, in the order of the partitions' first message in the batch. */
      parts: PartitionAppend[];
      /** With more than one part: the partition of each message, in batch order (its offset follows from its part). */
      placement: number[] | null;
    }
  | { topic: string; delayed: true; dueAt: number; count: number };

/** Where delayed messages wait (durably) until they are due. */
export interface DelaySink {
  /** Keeps the messages (durably) until `dueAt`; the idempotency key is kept with them. */
  add(topic: string, messages: MessageInput[], dueAt: number, idempotencyKey?: string | null): Promise<void>;
}

export type { AppendEvent } from './storage/log.js';

/**
 * The one way messages enter the broker, whatever the transport (HTTP, WebSocket, the delay queue): checks
 * every message against the limits, deduplicates by idempotency key, sends delayed messages to the delay
 * queue, appends the rest, counts them, and re-emits each log's `append` events (offsets and the stored
 * batch bytes, once acknowledged) for the live subscribers and the long-polling readers.
 */
export class Ingest extends EventEmitter<{ append: [AppendEvent] }> {
  readonly #inFlight = new Map<string, Promise<ProduceResult>>();
  readonly #watched = new WeakSet<Log>();
  readonly #sticky = new StickyPartitioner();
  #delays: DelaySink | null = null;

  constructor(
    private readonly store: TopicStore,
    private readonly dedup: IdempotencyIndex,
    private readonly metrics: BrokerMetrics,
    private readonly limits: IngestLimits,
    private readonly clock: Clock,
  ) {
    super();
    this.setMaxListeners(0); // one per long-polling reader
  }

  set delays(sink: DelaySink) {
    this.#delays = sink;
  }

  /** Checks a whole batch against the limits; throws the first problem, before anything is written. */
  check(topic: string, messages: readonly MessageInput[]): void {
    validateTopicName(topic);
    validateBatch(messages, this.limits);
  }

  /**
   * Appends a batch that arrived encoded (a binary produce frame without delay, idempotency key or gzip)
   * and stores its bytes as they are: checked in one pass against the structure and the limits (the same
   * errors as {@link Ingest.produce} gives the decoded messages), stamped where it says "stamp on arrival",
   * never decoded into objects. Takes `batch` over (see `Log.appendEncoded`): it must be the caller's to
   * give and must not be modified afterwards.
   */
  produceEncoded(topic: string, batch: Buffer, partition: number | null = null): Promise<ProduceResult> {
    let info: EncodedBatchInfo;
    try {
      try {
        validateTopicName(topic);
      } catch (error) {
        // on the decode path the batch is decoded before the topic is looked at: malformed bytes win
        validateEncodedBatch(batch, TRUSTED_CODEC_LIMITS);
        throw error;
      }
      info = validateEncodedBatch(batch, this.limits);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.#appendEncoded(topic, batch, info, partition);
  }

  #appendEncoded(topic: string, batch: Buffer, info: EncodedBatchInfo, explicit: number | null): Promise<ProduceResult> {
    const t = this.store.get(topic);
    if (t === undefined) return this.store.getOrCreate(topic).then(() => this.#appendEncoded(topic, batch, info, explicit));
    let partition: number;
    try {
      partition = checkPartition(t, explicit);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (explicit === null && t.partitionCount > 1) {
      // keyed records go where their keys say: decode them and place each (rare: evq's own producer sends
      // keyed batches of a partitioned topic decoded); an unkeyed batch goes whole to the sticky partition
      if (info.keyed > 0) return this.produce(topic, decodeBatch(batch, topic, TRUSTED_CODEC_LIMITS).map(toInput));
      partition = this.#sticky.next(topic, t.partitionCount);
    }
    const log = this.#watch(t.partition(partition) as Log);
    return this.#acknowledged(topic, null, info.valueBytes, [
      log.appendEncoded(batch, info.count).then((r) => ({ partition, ...r, count: info.count })),
    ]);
  }

  /** The log, watched for appends (its events re-emitted as this one's `append`). */
  #watch(log: Log): Log {
    if (!this.#watched.has(log)) {
      this.#watched.add(log);
      log.onAppend((event) => this.emit('append', event));
    }
    return log;
  }

  async produce(topic: string, messages: MessageInput[], options: ProduceOptions = {}): Promise<ProduceResult> {
    this.check(topic, messages);
    const now = this.clock.now();
    const dueAt = options.dueAt !== undefined && options.dueAt > now ? options.dueAt : undefined;
    if (dueAt !== undefined && dueAt - now > this.limits.maxDelayMs) {
      throw new EvqError(
        'EVQ_ERR_INVALID_ARGUMENT',
        `a message can be delayed by at most ${Math.round(this.limits.maxDelayMs / 86_400_000)} days`,
      );
    }
    const key = options.idempotencyKey ?? null;
    const partition = options.partition ?? null;
    if (partition !== null && dueAt !== undefined) {
      throw new EvqUsageError(
        'EVQ_ERR_INVALID_ARGUMENT',
        'a delayed message cannot name a partition: it is placed by its key when it falls due',
      );
    }
    if (key === null)
      return dueAt === undefined ? this.#append(topic, messages, null, partition) : this.#delay(topic, messages, dueAt, null, now);
    const inFlightKey = `${topic}\u0000${key}`;
    const running = this.#inFlight.get(inFlightKey);
    if (running !== undefined) return running.then((r) => (r.delayed ? r : { ...r, duplicate: true }));
    const seen = this.dedup.lookup(topic, key, now);
    if (seen !== undefined) {
      if (seen.dueAt !== undefined) return { topic, delayed: true, dueAt: seen.dueAt, count: seen.count ?? messages.length };
      const parts = seen.parts.map((p) => ({ ...p, count: p.lastOffset - p.baseOffset + 1 }));
      return { ...summary(topic, parts, null), duplicate: true };
    }
    const promise = dueAt === undefined ? this.#append(topic, messages, key, partition) : this.#delay(topic, messages, dueAt, key, now);
    this.#inFlight.set(inFlightKey, promise);
    try {
      return await promise;
    } finally {
      this.#inFlight.delete(inFlightKey);
    }
  }

  /**
   * Remembers the idempotency key of a delayed request (also when the delay queue replays its journal at
   * start), so a repeat within the window is not scheduled twice.
   */
  rememberDelayed(topic: string, key: string, dueAt: number, count: number, at: number): void {
    this.dedup.remember(topic, key, 0, -1, -1, at, { dueAt, count });
  }

  async #delay(topic: string, messages: MessageInput[], dueAt: number, key: string | null, now: number): Promise<ProduceResult> {
    if (this.#delays === null) throw new EvqError('EVQ_ERR_UNAVAILABLE', 'delayed delivery is not available');
    // the topic exists from the produce on, so that readers can wait for its delayed messages (a read of a
    // topic that does not exist is 404)
    if (!this.store.has(topic)) await this.store.getOrCreate(topic);
    await this.#delays.add(
      topic,
      messages.map((m) => withProducedAt(m, now)),
      dueAt,
      key,
    );
    if (key !== null) this.rememberDelayed(topic, key, dueAt, messages.length, now);
    return { topic, delayed: true, dueAt, count: messages.length };
  }

  /** Appends now, without delay handling: what the delay queue calls when messages fall due. */
  async appendDue(topic: string, messages: MessageInput[]): Promise<ProduceResult> {
    return this.#append(topic, messages, null, null);
  }

  #append(topic: string, messages: MessageInput[], key: string | null, explicit: number | null): Promise<ProduceResult> {
    const t = this.store.get(topic);
    if (t === undefined) return this.store.getOrCreate(topic).then(() => this.#append(topic, messages, key, explicit));
    const input = key === null ? messages : messages.map((m) => withHeader(m, HEADERS.idempotencyKey, key));
    let bytes = 0;
    for (const m of messages) bytes += typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length;
    let placement: number[] | number;
    try {
      placement = this.#place(t, input, explicit);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    // the wait for the write (and the fsync) happens in another frame that holds no decoded message: with
    // many batches in flight they would otherwise outlive the young generation, and GC gets costly
    if (typeof placement === 'number') {
      const log = this.#watch(t.partition(placement) as Log);
      const p = placement;
      return this.#acknowledged(topic, key, bytes, [log.append(input).then((r) => ({ partition: p, ...r, count: input.length }))]);
    }
    const groups = new Map<number, MessageInput[]>();
    for (let i = 0; i < input.length; i++) {
      const p = placement[i] as number;
      let group = groups.get(p);
      if (group === undefined) groups.set(p, (group = []));
      group.push(input[i] as MessageInput);
    }
    const appends = [...groups].map(([p, group]) =>
      this.#watch(t.partition(p) as Log)
        .append(group)
        .then((r) => ({ partition: p, ...r, count: group.length })),
    );
    return this.#acknowledged(topic, key, bytes, appends, placement);
  }

  /** The partition of every message (a number when they all go to one): explicit, else by key, else sticky. */
  #place(t: Topic, messages: readonly MessageInput[], explicit: number | null): number[] | number {
    const single = checkPartition(t, explicit);
    if (explicit !== null || t.partitionCount === 1) return single;
    const count = t.partitionCount;
    const placement = new Array<number>(messages.length);
    let sticky = -1;
    let same = true;
    for (let i = 0; i < messages.length; i++) {
      const key = (messages[i] as MessageInput).key;
      let p: number;
      if (key === null || key === undefined) {
        if (sticky < 0) sticky = this.#sticky.next(t.name, count);
        p = sticky;
      } else p = partitionForKey(key, count);
      placement[i] = p;
      if (p !== placement[0]) same = false;
    }
    return same ? (placement[0] ?? 0) : placement;
  }

  async #acknowledged(
    topic: string,
    key: string | null,
    bytes: number,
    appending: Promise<PartitionAppend>[],
    placement: number[] | null = null,
  ): Promise<ProduceResult> {
    const settled = await Promise.allSettled(appending);
    const parts: PartitionAppend[] = [];
    for (const r of settled) if (r.status === 'fulfilled') parts.push(r.value);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    let count = 0;
    for (const part of parts) count += part.count;
    this.metrics.messagesIn.add({ topic }, count);
    // a request of which a part failed is not remembered: its retry appends every part again (the parts that
    // made it are then there twice: at least once), rather than be answered "duplicate" without the lost part
    if (failed !== undefined) throw failed.reason;
    if (key !== null) {
      for (const part of parts) this.dedup.remember(topic, key, part.partition, part.baseOffset, part.lastOffset, this.clock.now());
    }
    this.metrics.bytesIn.add({ topic }, bytes);
    return { ...summary(topic, parts, placement), duplicate: false };
  }
}

/** The produce result of acknowledged parts. */
function summary(topic: string, parts: PartitionAppend[], placement: number[] | null): Extract<ProduceResult, { delayed: false }> {
  const first = parts[0] as PartitionAppend;
  let count = 0;
  for (const part of parts) count += part.count;
  return {
    topic,
    delayed: false,
    partition: first.partition,
    baseOffset: first.baseOffset,
    lastOffset: first.lastOffset,
    count,
    duplicate: false,
    parts,
    placement: parts.length > 1 ? placement : null,
  };
}

/** The explicit partition when it exists, 0 without one; `EVQ_ERR_INVALID_ARGUMENT` for a partition the topic does not have. */
function checkPartition(t: Topic, explicit: number | null): number {
  if (explicit === null) return 0;
  if (!Number.isSafeInteger(explicit) || explicit < 0 || explicit >= t.partitionCount) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `topic "${t.name}" has ${t.partitionCount} partition${t.partitionCount === 1 ? '' : 's'} (0 to ${t.partitionCount - 1}): there is no partition ${explicit}`,
    );
  }
  return explicit;
}

function toInput(record: EvqRecord): MessageInput {
  // a zero timestamp says "stamp it on arrival"
  const input: MessageInput = { value: Buffer.from(record.value), key: record.key, headers: record.headers };
  if (record.timestamp !== 0) input.timestamp = record.timestamp;
  return input;
}

function withHeader(message: MessageInput, name: string, value: string): MessageInput {
  const headers = Object.assign(Object.create(null) as Record<string, string>, message.headers ?? {}, { [name]: value });
  return { ...message, headers };
}

function withProducedAt(message: MessageInput, now: number): MessageInput {
  return withHeader(message, HEADERS.producedAt, String(now));
}
