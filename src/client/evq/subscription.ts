/**
 * A push subscription over its own WebSocket connection (binary subprotocol): deliver and sparse frames are
 * decoded into records and queued in a bounded `QueuedIterator`; when the consumer falls behind, the socket
 * is paused, so TCP backpressure reaches the broker (which then serves the subscriber from its log instead
 * of buffering). It reads one partition (`partition`) or every partition of the topic, and keeps the next
 * offset of each. After a lost connection it reconnects with backoff and subscribes again from there, each
 * partition from the offset after the last record it received of it (`offsets`): nothing is missed or repeated.
 */

import { LIMITS } from '../../core/limits.js';
import { CLOSE_CODES, decodeDeliveryFrame } from '../../protocol/ws-frames.js';
import type { BrokerControl } from '../../protocol/ws-control.js';
import { TRUSTED_CODEC_LIMITS, forEachRecord } from '../../protocol/record-codec.js';
import type { StartPosition } from '../../protocol/http.js';
import { validateTopicName } from '../../protocol/validate.js';
import { EvqError, errorFromWire } from '../../errors.js';
import { Backoff, sleep } from '../backoff.js';
import { connectionLostError, timeoutError } from '../errors.js';
import { QueuedIterator } from '../queued-iterator.js';
import type { QueuedIteratorStats } from '../queued-iterator.js';
import type { EvqRecord, PartitionPosition, SubscribeOptions, Subscription } from '../types.js';
import type { Endpoint } from './endpoint.js';
import type { HttpApi } from './http.js';
import { unauthorizedError } from './http.js';
import { checkFrom, checkPartition } from '../options.js';
import { WsConnection, brokeProtocol } from './ws-connection.js';

export interface SubscriptionContext {
  endpoint: Endpoint;
  token: string | undefined;
  timeoutMs: number;
  http: HttpApi;
}

const SUB = 1;
const RETRYABLE = new Set(['EVQ_ERR_UNREACHABLE', 'EVQ_ERR_TIMEOUT', 'EVQ_ERR_CLOSED', 'EVQ_ERR_UNAVAILABLE']);

export class EvqSubscription implements Subscription {
  readonly topic: string;
  readonly closed: Promise<Error | null>;
  readonly ready: Promise<number>;
  readonly #ctx: SubscriptionContext;
  readonly #options: SubscribeOptions;
  readonly #queue: QueuedIterator<EvqRecord>;
  readonly #backoff = new Backoff();
  readonly #stop = new AbortController();
  #conn: WsConnection | undefined;
  /** Next offset to deliver per partition: known once the broker confirmed the first subscription. */
  readonly #next = new Map<number, number>();
  #confirmed = false;
  #ended = false;
  #reconnects = 0;
  #reconnecting = false;
  /** Times the socket was paused because the consumer fell behind. */
  #pauses = 0;
  #resolveClosed!: (error: Error | null) => void;
  #resolveReady!: (offset: number) => void;
  #rejectReady!: (error: unknown) => void;
  /** Settles the wait for the broker's answer to a subscribe. */
  #onAnswer: ((error: EvqError | null) => void) | undefined;

  constructor(ctx: SubscriptionContext, topic: string, options: SubscribeOptions = {}) {
    validateTopicName(topic);
    checkFrom(options.from ?? 'latest');
    checkPartition(options.partition);
    this.topic = topic;
    this.#ctx = ctx;
    this.#options = options;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => undefined); // told through the iteration too: not an unhandled rejection
    this.#queue = new QueuedIterator<EvqRecord>({
      highWaterMark: options.highWaterMark ?? LIMITS.clientQueueMessages,
      highWaterBytes: LIMITS.clientQueueBytes,
      sizeOf: (record) => record.value.length,
      onDrain: () => this.#conn?.resume(),
      onReturn: () => void this.close(),
    });
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) queueMicrotask(() => void this.close());
      else signal.addEventListener('abort', () => void this.close(), { once: true, signal: this.#stop.signal });
    }
    void this.#start();
  }

  [Symbol.asyncIterator](): AsyncIterator<EvqRecord> {
    return this.#queue;
  }

  nextBatch(max?: number): Promise<EvqRecord[]> {
    return this.#queue.nextBatch(max);
  }

  /** Queue counters and reconnects (tests and progress displays). */
  stats(): QueuedIteratorStats & { reconnects: number; pauses: number; next: number | null } {
    return { ...this.#queue.stats(), reconnects: this.#reconnects, pauses: this.#pauses, next: this.#mainNext() };
  }

  /** The next offset of each partition read so far, in partition order. */
  positions(): PartitionPosition[] {
    return [...this.#next].map(([partition, next]) => ({ partition, next })).sort((a, b) => a.partition - b.partition);
  }

  /** The next offset of the partition asked for (partition 0 without one): what a topic of one partition reports. */
  #mainNext(): number | null {
    return this.#next.get(this.#options.partition ?? 0) ?? null;
  }

  async close(): Promise<void> {
    if (!this.#ended) this.#end(null, true);
    const conn = this.#conn;
    if (conn !== undefined) await conn.closed();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #start(): Promise<void> {
    try {
      await this.#subscribe(this.#options.from ?? 'latest', undefined);
    } catch (error) {
      if (!this.#ended) this.#end(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Opens a connection and subscribes from `from` (in each partition, but those `offsets` names); resolves once
   * the broker has confirmed.
   */
  async #subscribe(from: StartPosition, offsets: Record<string, number> | undefined): Promise<void> {
    const conn = await WsConnection.open(this.#ctx.endpoint, {
      token: this.#ctx.token,
      timeoutMs: this.#ctx.timeoutMs,
      signal: this.#stop.signal,
    });
    if (this.#ended) {
      conn.terminate();
      return;
    }
    this.#conn = conn;
    conn.handlers = {
      control: (message) => this.#onControl(message),
      delivery: (frame) => this.#onDelivery(frame),
      close: (code, reason, error) => this.#onClose(conn, code, reason, error),
    };
    const answered = new Promise<EvqError | null>((resolve) => {
      this.#onAnswer = resolve;
    });
    const timer = setTimeout(
      () => this.#onAnswer?.(timeoutError(this.#ctx.endpoint.display, 'confirm the subscription', this.#ctx.timeoutMs)),
      this.#ctx.timeoutMs,
    );
    const filter = this.#options.filter;
    const partition = this.#options.partition;
    conn.sendControl({
      op: 'subscribe',
      sub: SUB,
      topic: this.topic,
      from,
      ...(filter !== undefined && filter.trim() !== '' ? { filter } : {}),
      ...(partition === undefined ? {} : { partition }),
      ...(offsets === undefined ? {} : { offsets }),
    });
    const error = await answered;
    clearTimeout(timer);
    this.#onAnswer = undefined;
    if (error !== null) {
      if (this.#conn === conn) this.#conn = undefined; // given up: its close is not a loss to recover from
      conn.terminate();
      throw error;
    }
    // a consumer still behind keeps the new socket paused too (only now: the answer had to be read first)
    if (this.#queue.stats().paused) this.#pause();
  }

  #onControl(message: BrokerControl): void {
    if (message.op === 'subscribed' && message.sub === SUB) {
      if (!this.#confirmed) this.#resolveReady(message.offset);
      this.#confirmed = true;
      const starts = message.partitions ?? [{ partition: this.#options.partition ?? 0, offset: message.offset }];
      for (const start of starts) this.#next.set(start.partition, Math.max(this.#next.get(start.partition) ?? 0, start.offset));
      this.#backoff.reset();
      this.#onAnswer?.(null);
    } else if ((message.op === 'error' || message.op === 'closed') && (message.sub === SUB || message.sub === undefined)) {
      const error = errorFromWire(message.code, message.message);
      if (this.#onAnswer !== undefined) this.#onAnswer(error);
      else this.#end(error);
    }
  }

  #onDelivery(data: Buffer): void {
    if (this.#ended) return;
    try {
      const frame = decodeDeliveryFrame(data);
      if (frame.sub !== SUB) return;
      const offsets = frame.offsets;
      const partition = frame.partition;
      // a partition the topic got after the subscription started is read from its start
      let next = this.#next.get(partition) ?? null;
      let i = 0;
      let full = false;
      const visit = (record: EvqRecord): void => {
        if (offsets !== null) record.offset = offsets[i++] as number;
        if (next !== null && record.offset < next) return; // already delivered (a resent batch)
        next = record.offset + 1;
        if (!this.#queue.push(record)) full = true;
      };
      const fromOffset = offsets === null && next !== null ? next : 0;
      forEachRecord(frame.batch, this.topic, visit, { fromOffset, limits: TRUSTED_CODEC_LIMITS, partition });
      if (next !== null) this.#next.set(partition, next);
      if (full) this.#pause();
    } catch (error) {
      this.#end(error instanceof EvqError ? error : new EvqError('EVQ_ERR_MALFORMED', String(error), { cause: error }));
    }
  }

  #onClose(conn: WsConnection, code: number, reason: string, error: Error | undefined): void {
    if (this.#conn !== conn) return; // a connection already given up
    this.#conn = undefined;
    if (this.#ended) return;
    if (brokeProtocol(error)) {
      // the broker speaks garbage: it would answer a new subscription the same way
      if (this.#onAnswer !== undefined) this.#onAnswer(error);
      else this.#end(error);
      return;
    }
    if (this.#onAnswer !== undefined) {
      this.#onAnswer(connectionLostError(this.#ctx.endpoint.display, reason || `code ${code}`, error));
      return;
    }
    if (code === CLOSE_CODES.slowConsumer) {
      const positions = this.positions();
      const why = reason || 'too far behind';
      if (positions.length > 1) {
        const each = positions.map((p) => `${p.partition} at ${p.next}`).join(', ');
        this.#end(
          new EvqError(
            'EVQ_ERR_SLOW_CONSUMER',
            `the broker dropped the subscription to "${this.topic}" as a slow consumer (${why}): resume each partition with --partition P --from N (${each})`,
          ),
        );
        return;
      }
      const next = this.#mainNext();
      const last = next === null ? null : next - 1;
      const after = last === null || last < 0 ? 'before any record arrived' : `after offset ${last}`;
      this.#end(
        new EvqError(
          'EVQ_ERR_SLOW_CONSUMER',
          `the broker dropped the subscription to "${this.topic}" as a slow consumer ${after} (${why}): resume with --from ${next ?? 0}`,
        ),
      );
      return;
    }
    if (code === CLOSE_CODES.unauthorized) {
      this.#end(unauthorizedError(this.#ctx.endpoint.display));
      return;
    }
    const lost = connectionLostError(
      this.#ctx.endpoint.display,
      error?.message ?? (reason === '' ? `code ${code}` : `${reason}, code ${code}`),
      error,
    );
    if (this.#options.reconnect === false) {
      this.#end(lost);
      return;
    }
    if (!this.#reconnecting) void this.#reconnect(lost);
  }

  /** Stops reading the socket until the consumer has caught up (`onDrain` resumes it). */
  #pause(): void {
    const conn = this.#conn;
    if (conn === undefined || conn.isPaused) return;
    this.#pauses++;
    conn.pause();
  }

  /** Subscribes again, with backoff, from the offset after the last record received. */
  async #reconnect(lost: EvqError): Promise<void> {
    this.#reconnecting = true;
    try {
      await this.#reconnectLoop(lost);
    } finally {
      this.#reconnecting = false;
    }
  }

  async #reconnectLoop(lost: EvqError): Promise<void> {
    const next = this.#mainNext();
    this.#notify({ type: 'disconnected', error: lost, lastOffset: next === null ? null : next - 1, positions: this.positions() });
    const max = this.#options.maxReconnectAttempts ?? Number.POSITIVE_INFINITY;
    let last: unknown = lost;
    for (let attempt = 1; !this.#ended; attempt++) {
      if (attempt > max) {
        this.#end(
          new EvqError(
            (last as EvqError).code ?? 'EVQ_ERR_CLOSED',
            `${(last as Error).message} (gave up after ${max} reconnect attempts)`,
            { cause: last },
          ),
        );
        return;
      }
      const delayMs = this.#backoff.next();
      this.#notify({ type: 'reconnecting', attempt, delayMs });
      if (!(await sleep(delayMs, this.#stop.signal)) || this.#ended) return;
      try {
        await this.#resubscribe();
        this.#reconnects++;
        this.#notify({ type: 'reconnected', from: this.#mainNext() ?? 0, positions: this.positions() });
        return;
      } catch (error) {
        if (this.#ended) return;
        last = error;
        if (!(error instanceof EvqError) || !RETRYABLE.has(error.code)) {
          this.#end(error instanceof Error ? error : new Error(String(error)));
          return;
        }
      }
    }
  }

  /**
   * Subscribes again where each partition stopped: one partition from its next offset; every partition with
   * `offsets` (partitions the topic got meanwhile start at their beginning). Before any confirmation, as asked.
   */
  #resubscribe(): Promise<void> {
    if (!this.#confirmed) return this.#subscribe(this.#options.from ?? 'latest', undefined);
    if (this.#options.partition !== undefined) return this.#subscribe(this.#mainNext() ?? 'latest', undefined);
    const offsets: Record<string, number> = {};
    for (const [partition, next] of this.#next) offsets[String(partition)] = next;
    return this.#subscribe('earliest', offsets);
  }

  #notify(status: Parameters<NonNullable<SubscribeOptions['onStatus']>>[0]): void {
    try {
      this.#options.onStatus?.(status);
    } catch {
      // a status listener's failure must not end the subscription
    }
  }

  /** Ends the subscription: by the caller (`error` null, queued records dropped) or with an error. */
  #end(error: Error | null, byCaller = false): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#stop.abort();
    this.#rejectReady(error ?? new EvqError('EVQ_ERR_CLOSED', 'the subscription was closed before it started'));
    if (byCaller) this.#queue.stop(null);
    else this.#queue.end(error);
    const answer = this.#onAnswer;
    this.#onAnswer = undefined;
    answer?.(new EvqError('EVQ_ERR_CLOSED', 'the subscription was closed'));
    const conn = this.#conn;
    if (conn !== undefined) {
      conn.resume(); // a paused socket could not read the broker's side of the closing handshake
      conn.close(CLOSE_CODES.normal, 'unsubscribed');
    }
    this.#resolveClosed(error);
  }
}
