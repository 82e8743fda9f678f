import { EventEmitter } from 'node:events';
import { EvqError } from '../errors.js';
import type { Clock } from '../core/clock.js';
import { HEADERS } from '../protocol/http.js';
import type { MessageInput } from '../protocol/record.js';
import { validateEncodedBatch } from '../protocol/encoded-batch.js';
import type { EncodedBatchInfo } from '../protocol/encoded-batch.js';
import { TRUSTED_CODEC_LIMITS } from '../protocol/record-codec.js';
import { validateBatch, validateTopicName, type BatchLimits } from '../protocol/validate.js';
import type { BrokerMetrics } from './metrics.js';
import type { IdempotencyIndex } from './idempotency.js';
import type { AppendEvent, AppendResult, Log } from './storage/log.js';
import type { TopicStore } from './storage/topic-store.js';

/** The limits every produce is checked against: the batch limits, and how far ahead a message may be delayed. */
export type IngestLimits = BatchLimits & { maxDelayMs: number };

export interface ProduceOptions {
  /** Deliver at this time (ms since the epoch); absent or past = now. */
  dueAt?: number | undefined;
  idempotencyKey?: string | null | undefined;
}

export type ProduceResult =
  | { topic: string; delayed: false; baseOffset: number; lastOffset: number; count: number; duplicate: boolean }
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
  produceEncoded(topic: string, batch: Buffer): Promise<ProduceResult> {
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
    return this.#appendEncoded(topic, batch, info);
  }

  #appendEncoded(topic: string, batch: Buffer, info: EncodedBatchInfo): Promise<ProduceResult> {
    const log = this.#log(topic);
    if (log === undefined) return this.store.getOrCreate(topic).then(() => this.#appendEncoded(topic, batch, info));
    return this.#acknowledged(topic, null, info.count, info.valueBytes, log.appendEncoded(batch, info.count));
  }

  /** The topic's log when it is open (watched for appends), `undefined` while it still has to be created. */
  #log(topic: string): Log | undefined {
    const log = this.store.get(topic);
    if (log !== undefined && !this.#watched.has(log)) {
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
    if (key === null) return dueAt === undefined ? this.#append(topic, messages, null) : this.#delay(topic, messages, dueAt, null, now);
    const inFlightKey = `${topic}\u0000${key}`;
    const running = this.#inFlight.get(inFlightKey);
    if (running !== undefined) return running.then((r) => (r.delayed ? r : { ...r, duplicate: true }));
    const seen = this.dedup.lookup(topic, key, now);
    if (seen !== undefined) {
      if (seen.dueAt !== undefined) return { topic, delayed: true, dueAt: seen.dueAt, count: seen.count ?? messages.length };
      return {
        topic,
        delayed: false,
        baseOffset: seen.baseOffset,
        lastOffset: seen.lastOffset,
        count: seen.lastOffset - seen.baseOffset + 1,
        duplicate: true,
      };
    }
    const promise = dueAt === undefined ? this.#append(topic, messages, key) : this.#delay(topic, messages, dueAt, key, now);
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
    this.dedup.remember(topic, key, -1, -1, at, { dueAt, count });
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
    return this.#append(topic, messages, null);
  }

  #append(topic: string, messages: MessageInput[], key: string | null): Promise<ProduceResult> {
    const log = this.#log(topic);
    if (log === undefined) return this.store.getOrCreate(topic).then(() => this.#append(topic, messages, key));
    const input = key === null ? messages : messages.map((m) => withHeader(m, HEADERS.idempotencyKey, key));
    let bytes = 0;
    for (const m of messages) bytes += typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length;
    // the wait for the write (and the fsync) happens in another frame that holds no decoded message: with
    // many batches in flight they would otherwise outlive the young generation, and GC gets costly
    return this.#acknowledged(topic, key, messages.length, bytes, log.append(input));
  }

  async #acknowledged(
    topic: string,
    key: string | null,
    count: number,
    bytes: number,
    appending: Promise<AppendResult>,
  ): Promise<ProduceResult> {
    const { baseOffset, lastOffset } = await appending;
    if (key !== null) this.dedup.remember(topic, key, baseOffset, lastOffset, this.clock.now());
    this.metrics.messagesIn.add({ topic }, count);
    this.metrics.bytesIn.add({ topic }, bytes);
    return { topic, delayed: false, baseOffset, lastOffset, count, duplicate: false };
  }
}

function withHeader(message: MessageInput, name: string, value: string): MessageInput {
  const headers = Object.assign(Object.create(null) as Record<string, string>, message.headers ?? {}, { [name]: value });
  return { ...message, headers };
}

function withProducedAt(message: MessageInput, now: number): MessageInput {
  return withHeader(message, HEADERS.producedAt, String(now));
}
