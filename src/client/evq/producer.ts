/**
 * `produce` over evq's WebSocket fast path: messages (an array or a stream, read with backpressure) are
 * checked one by one, batched by the core `Batcher` (count, bytes, linger) with at most `maxInFlight` batches
 * awaiting acks, encoded into pooled buffers (optionally gzipped) and sent as binary produce frames.
 * Acknowledgements come back in input order (`onAck`). A batch the broker refuses for good is split so that
 * only the messages that are bad themselves are reported (`onReject`); without `onReject` the produce fails.
 * A batch is sent again after a lost connection only when it carries an idempotency key (`idempotent`).
 */

import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Batcher } from '../../core/batcher.js';
import { LIMITS } from '../../core/limits.js';
import type { BatchInfo } from '../../core/batcher.js';
import type { BufferPool } from '../../core/buffer-pool.js';
import { EvqError } from '../../errors.js';
import { checkPartition } from '../options.js';
import { validateMessage, validateTopicName } from '../../protocol/validate.js';
import { encodeProduceFrame } from '../../protocol/ws-frames.js';
import type { ProduceFrame } from '../../protocol/ws-frames.js';
import { ClientLimitError, ownRefusal, produceFailure, toEvqError } from '../errors.js';
import { produceInto } from '../feed.js';
import type { EvqProduceError } from '../errors.js';
import type { ProduceMessage, ProduceOptions, ProduceResult } from '../types.js';
import type { Endpoint } from './endpoint.js';
import { encodedRecordBytes, writeBatch, writeProduceFrame } from './frame-writer.js';
import type { PooledBytes } from './frame-writer.js';
import { ackOutcomes, ackRange } from './ack-offsets.js';
import { HttpProduceChannel } from './http-produce-channel.js';
import type { HttpApi } from './http.js';
import { ProduceChannel } from './produce-channel.js';
import type { BatchAck } from './produce-channel.js';
import { settingsOf } from '../produce-settings.js';
import type { Settings } from '../produce-settings.js';
import { ProduceStop } from '../produce-stop.js';
import { ProduceTally } from '../produce-tally.js';
import type { BatchOutcome, Outcome } from '../produce-tally.js';

const gzipAsync = promisify(gzip);

/** Broker error codes that refuse a message for good: retrying it can never work. */
const PERMANENT = new Set<string>([
  'EVQ_ERR_MESSAGE_TOO_LARGE',
  'EVQ_ERR_BATCH_TOO_LARGE',
  'EVQ_ERR_MALFORMED',
  'EVQ_ERR_INVALID_ARGUMENT',
  'EVQ_ERR_INVALID_TOPIC',
  'EVQ_ERR_INVALID_FILTER',
  'EVQ_ERR_INVALID_OFFSET',
]);

export interface ProducerContext {
  endpoint: Endpoint;
  token: string | undefined;
  timeoutMs: number;
  pool: BufferPool;
  /** The client's HTTP side: a short list of messages is sent over it (see {@link overHttp}). */
  http?: HttpApi;
}

/** The outcomes every message of a batch may share (the tally only reads them). */
const FAILED: Outcome = { kind: 'failed' };
const DELAYED: Outcome = { kind: 'ack', offset: -1, delayed: true };
const BATCH_FAILED: BatchOutcome = { kind: 'failed' };
const BATCH_DELAYED: BatchOutcome = { kind: 'delayed' };

interface Item {
  index: number;
  message: ProduceMessage;
  /** Bytes of its record in a batch (0 for a message refused before sending). */
  bytes: number;
  /** Refused before sending (checked against the limits), with `onReject`. */
  refused?: { code: string; reason: string };
}

export async function produce(
  ctx: ProducerContext,
  topic: string,
  messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage>,
  options: ProduceOptions = {},
): Promise<ProduceResult> {
  validateTopicName(topic);
  checkPartition(options.partition);
  const settings = settingsOf(options);
  const run = new ProduceRun(ctx, topic, settings, options, overHttp(ctx, messages, settings));
  return run.run(messages);
}

/**
 * Whether a produce goes over HTTP rather than a WebSocket: an array of at most a few messages
 * (`evq produce t a b c`), uncompressed — one request on the connection the client already has, where a
 * WebSocket would cost a second connection, an upgrade and loading `ws`. A stream, or a longer list, takes the
 * WebSocket (pipelined binary frames).
 */
function overHttp(
  ctx: ProducerContext,
  messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage>,
  settings: Settings,
): HttpApi | undefined {
  if (ctx.http === undefined || settings.gzip || !Array.isArray(messages) || messages.length > LIMITS.httpProduceMaxMessages)
    return undefined;
  let bytes = 0;
  for (const message of messages as ProduceMessage[]) {
    bytes += typeof message?.value === 'string' ? message.value.length * 3 : (message?.value?.length ?? 0);
    if (bytes > LIMITS.httpProduceMaxBytes) return undefined;
  }
  return ctx.http;
}

class ProduceRun {
  readonly #ctx: ProducerContext;
  readonly #topic: string;
  readonly #settings: Settings;
  readonly #options: ProduceOptions;
  readonly #channel: ProduceChannel | HttpProduceChannel;
  readonly #tally: ProduceTally;
  /** Prefix of this run's idempotency keys: a random producer id (made at the first, with `idempotent`). */
  #producerId: string | undefined;
  readonly #started = Date.now();
  /** Resolves when the latest batch so far has been handed to the connection. */
  #dispatched: Promise<void> = Promise.resolve();
  readonly #stop: ProduceStop;

  constructor(ctx: ProducerContext, topic: string, settings: Settings, options: ProduceOptions, http: HttpApi | undefined) {
    this.#ctx = ctx;
    this.#topic = topic;
    this.#settings = settings;
    this.#options = options;
    this.#channel =
      http === undefined
        ? new ProduceChannel({ endpoint: ctx.endpoint, token: ctx.token, timeoutMs: ctx.timeoutMs, retries: settings.retries })
        : new HttpProduceChannel({ http, retries: settings.retries });
    this.#tally = new ProduceTally({ onAck: options.onAck, onReject: options.onReject });
    this.#stop = new ProduceStop(this.#tally, (error) => this.#channel.stopSending(error));
  }

  async run(messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage>): Promise<ProduceResult> {
    const signal = this.#options.signal;
    const onAbort = (): void => this.#stop.fail(new EvqError('EVQ_ERR_CLOSED', 'the produce was aborted', { cause: signal?.reason }));
    const batcher = new Batcher<Item, unknown>({
      flush: (items, info) => this.#flush(items, info),
      maxCount: this.#settings.batchSize,
      maxBytes: this.#settings.batchBytes,
      sizeOf: (item) => item.bytes,
      lingerMs: this.#settings.lingerMs,
      // nothing waits for the linger while the window has room: low latency at low rates, full batches under load
      eager: true,
      maxInFlight: this.#settings.maxInFlight,
    });
    this.#stop.batcher = batcher;
    try {
      await produceInto(messages, {
        batcher,
        check: (index, message) => this.#check(index, message),
        failed: () => this.#stop.failed,
        fail: (error) => this.#stop.fail(toEvqError(error)),
        watch: (iterator) => this.#stop.watch(iterator),
        signal,
        onAbort,
        open: () => this.#channel.open(), // an absent broker is told before any input is read
      });
    } finally {
      await this.#channel.close();
    }
    if (this.#tally.callbackError !== undefined) throw this.#tally.callbackError.error;
    const result = this.#result();
    if (this.#stop.error !== undefined) throw this.#produceError(this.#stop.error, result);
    return result;
  }

  /** Checks a message against the limits; a refused one fails the produce, or is kept for `onReject`. */
  #check(index: number, message: ProduceMessage): Item | undefined {
    if (this.#stop.failed) return undefined;
    try {
      const payload = validateMessage(message, this.#settings.limits);
      const headerCount = message.headers === null || message.headers === undefined ? 0 : Object.keys(message.headers).length;
      return { index, message, bytes: encodedRecordBytes(payload, headerCount) };
    } catch (error) {
      const evq = ownRefusal(toEvqError(error), this.#settings.limits.maxMessageBytes);
      if (this.#options.onReject === undefined) {
        const what = evq instanceof ClientLimitError ? 'was not sent' : 'was refused';
        this.#stop.fail(new EvqError(evq.code, `message ${index + 1} of the input ${what}: ${evq.message}`, { cause: evq }), index, true);
        return undefined;
      }
      return { index, message, bytes: 0, refused: { code: evq.code, reason: evq.message } };
    }
  }

  /** The Batcher's flush: sends a batch and hands its outcomes to the tally. Never rejects. */
  #flush(items: Item[], info: BatchInfo): Promise<readonly unknown[]> {
    return this.#options.onReject === undefined ? this.#flushEncoded(items, info) : this.#flushKept(items, info);
  }

  /**
   * A batch none of whose messages can be rejected (no `onReject`; a refused one has failed the produce): it is
   * encoded now and its messages are let go of at once — only the frame waits for the ack, not an object per
   * message (ten million lines from a pipe then never outlive the young generation).
   */
  #flushEncoded(items: Item[], info: BatchInfo): Promise<readonly unknown[]> {
    const first = (items[0] as Item).index;
    const count = items.length;
    let sent: Promise<BatchAck> | undefined;
    try {
      if (this.#sendable(items)) sent = this.#send(items, this.#keyOf(info.seq));
    } catch (error) {
      sent = Promise.reject(error); // still told to the tally, in its turn
    }
    return this.#settleEncoded(sent, info.seq, first, count);
  }

  async #settleEncoded(sent: Promise<BatchAck> | undefined, seq: number, first: number, count: number): Promise<readonly unknown[]> {
    let outcome = BATCH_FAILED;
    try {
      if (sent !== undefined) {
        const ack = await sent;
        outcome = ack.delayed ? BATCH_DELAYED : ackRange(ack, count);
      }
    } catch (error) {
      this.#stop.fail(toEvqError(error), first);
    } finally {
      this.#tally.completeRange(seq, first, count, outcome);
      if (this.#tally.callbackError !== undefined) this.#stop.fail(toEvqError(this.#tally.callbackError.error));
    }
    return new Array<undefined>(count);
  }

  /** A batch whose messages are kept until its ack: a refused one is sent again alone, or reported (`onReject`). */
  async #flushKept(items: Item[], info: BatchInfo): Promise<Item[]> {
    // per message, at most the outcome itself: no copy of the batch unless some of it was refused before sending
    let refused = 0;
    for (let i = 0; i < items.length; i++) if ((items[i] as Item).refused !== undefined) refused++;
    let outcomes: readonly Outcome[] = items.map((item) => (item.refused === undefined ? FAILED : { kind: 'rejected', ...item.refused }));
    try {
      const toSend = refused === 0 ? items : items.filter((item) => item.refused === undefined);
      if (toSend.length > 0 && this.#sendable(toSend)) {
        const key = this.#keyOf(info.seq);
        let sent: Outcome[];
        try {
          sent = await this.#sendAll(toSend, key);
        } catch (error) {
          const evq = toEvqError(error);
          if (!PERMANENT.has(evq.code) || this.#options.onReject === undefined) throw evq;
          sent = await this.#sendOneByOne(toSend, key, evq);
        }
        if (refused === 0) outcomes = sent;
        else {
          const merged = outcomes.slice();
          let j = 0;
          for (let i = 0; i < items.length; i++) if ((items[i] as Item).refused === undefined) merged[i] = sent[j++] as Outcome;
          outcomes = merged;
        }
      }
    } catch (error) {
      const first = items.find((item) => item.refused === undefined);
      this.#stop.fail(toEvqError(error), first?.index);
    } finally {
      this.#tally.complete(info.seq, items, outcomes);
      if (this.#tally.callbackError !== undefined) this.#stop.fail(toEvqError(this.#tally.callbackError.error));
    }
    return items;
  }

  /** Sends the items as one batch; one outcome per item. */
  async #sendAll(items: readonly Item[], key: string | null): Promise<Outcome[]> {
    const ack = await this.#send(items, key);
    if (ack.delayed) return new Array<Outcome>(items.length).fill(DELAYED);
    return ackOutcomes(ack, items.length);
  }

  /** After a batch was refused for good: each message alone, so only the bad ones are rejected. */
  async #sendOneByOne(items: readonly Item[], key: string | null, batchError: EvqError): Promise<Outcome[]> {
    if (items.length === 1) return [{ kind: 'rejected', code: batchError.code, reason: batchError.message }];
    const outcomes: Outcome[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Item;
      if (!this.#sendable([item])) {
        outcomes.push({ kind: 'failed' });
        continue;
      }
      try {
        outcomes.push(...(await this.#sendAll([item], key === null ? null : `${key}.${i}`)));
      } catch (error) {
        const evq = toEvqError(error);
        if (!PERMANENT.has(evq.code)) throw evq;
        outcomes.push({ kind: 'rejected', code: evq.code, reason: evq.message });
      }
    }
    return outcomes;
  }

  /** The idempotency key of batch `seq` (null without `idempotent`): the producer id is made at the first. */
  #keyOf(seq: number): string | null {
    if (!this.#settings.idempotent) return null;
    this.#producerId ??= randomBytes(9).toString('base64url');
    return `${this.#producerId}-${seq}`;
  }

  /** Whether these items may still be sent (no failure, or they all come before a refused message). */
  #sendable(items: readonly Item[]): boolean {
    return this.#stop.sendable((items[items.length - 1] as Item).index);
  }

  #send(items: readonly Item[], key: string | null): Promise<BatchAck> {
    // the broker ignores idempotency keys of delayed messages: a delayed batch sent twice would be delivered twice
    const retryable = key !== null && this.#settings.dueAt === 0;
    const channel = this.#channel;
    if (channel instanceof HttpProduceChannel) return channel.send(this.#meta(key), this.#messagesOf(items), retryable);
    if (this.#settings.gzip) return this.#sendGzipped(items, key, retryable);
    // encoded and handed to the connection at once (batches are flushed in order): the socket has the frame
    // before the caller reads its next message
    let frame: PooledBytes;
    try {
      frame = writeProduceFrame(this.#ctx.pool, this.#meta(key), this.#messagesOf(items), this.#recordBytes(items));
    } catch (error) {
      return Promise.reject(error);
    }
    return channel.send(frame, retryable);
  }

  async #sendGzipped(items: readonly Item[], key: string | null, retryable: boolean): Promise<BatchAck> {
    // frames are gzipped concurrently but handed to the connection in batch order
    const turn = this.#dispatched;
    let myTurnDone!: () => void;
    this.#dispatched = new Promise((resolve) => {
      myTurnDone = resolve;
    });
    try {
      const raw = writeBatch(this.#ctx.pool, this.#messagesOf(items), this.#recordBytes(items));
      let compressed: Buffer;
      try {
        compressed = await gzipAsync(raw.bytes, { level: 6 });
      } finally {
        raw.release(); // zlib has finished reading it
      }
      const frame: PooledBytes = { bytes: encodeProduceFrame(this.#meta(key), compressed), release: () => undefined };
      await turn;
      return (this.#channel as ProduceChannel).send(frame, retryable);
    } finally {
      myTurnDone();
    }
  }

  #meta(key: string | null): Omit<ProduceFrame, 'batch'> {
    const partition = this.#options.partition;
    return {
      req: 0,
      topic: this.#topic,
      gzip: this.#settings.gzip,
      dueAt: this.#settings.dueAt,
      idempotencyKey: key,
      ...(partition === undefined ? {} : { partition }),
    };
  }

  #messagesOf(items: readonly Item[]): ProduceMessage[] {
    const messages = new Array<ProduceMessage>(items.length);
    for (let i = 0; i < items.length; i++) messages[i] = (items[i] as Item).message;
    return messages;
  }

  #recordBytes(items: readonly Item[]): number {
    let bytes = 0;
    for (let i = 0; i < items.length; i++) bytes += (items[i] as Item).bytes;
    return bytes;
  }

  #result(): ProduceResult {
    const channel = this.#channel.stats();
    return {
      ...this.#tally.result(Date.now() - this.#started, channel.wireBytes),
      delayed: this.#tally.delayed,
      batches: channel.batches,
      maxInFlight: channel.maxInFlight,
      resent: channel.resent,
    };
  }

  #produceError(cause: EvqError, result: ProduceResult): EvqProduceError {
    return produceFailure(this.#topic, cause, result, this.#tally.firstUnacknowledged, this.#settings.idempotent);
  }
}
