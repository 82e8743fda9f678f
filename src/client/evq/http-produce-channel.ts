/**
 * The produce side over plain HTTP, for a short list of messages (`evq produce t a b c`): each batch is one
 * `POST /topics/{topic}/batch` (NDJSON) on the client's keep-alive agent — the connection the client's ping
 * already opened — instead of a WebSocket opened for it (a second connection, an upgrade and the `ws` package
 * to load: most of such a command's time). Same contract as the WebSocket ProduceChannel: batches go out one
 * at a time, in order; a broker's refusal rejects with its EvqError; a batch whose connection failed is sent
 * again (with backoff, up to `retries` times) only when it carries an idempotency key.
 */

import { EvqConnectionError, EvqError } from '../../errors.js';
import { HEADERS, MEDIA_TYPES, PATHS } from '../../protocol/http.js';
import type { ProduceReply } from '../../protocol/http.js';
import { valueFields } from '../../protocol/wire-record.js';
import type { ProduceFrame } from '../../protocol/ws-frames.js';
import { Backoff, sleep } from '../backoff.js';
import type { BackoffOptions } from '../backoff.js';
import type { ProduceMessage } from '../types.js';
import type { HttpApi } from './http.js';
import type { BatchAck, ChannelStats } from './produce-channel.js';

export interface HttpChannelOptions {
  http: HttpApi;
  /** Resends of a retryable batch after a failed connection before giving up. */
  retries: number;
  backoff?: BackoffOptions;
}

/** The reply to a delayed batch (202). */
interface DelayedReply {
  delayed: true;
}

export class HttpProduceChannel {
  readonly #options: HttpChannelOptions;
  readonly #backoff: Backoff;
  /** Settles when the batch sent last has (batches go out one after the other, so they are appended in order). */
  #previous: Promise<unknown> = Promise.resolve();
  #inFlight = 0;
  #closed = false;
  readonly #closing = new AbortController();
  #stopped: EvqError | undefined;
  #stats: ChannelStats = { batches: 0, inFlight: 0, maxInFlight: 0, framesSent: 0, wireBytes: 0, resent: 0, reconnects: 0 };

  constructor(options: HttpChannelOptions) {
    this.#options = options;
    this.#backoff = new Backoff(options.backoff);
  }

  stats(): ChannelStats {
    return { ...this.#stats, inFlight: this.#inFlight };
  }

  /** Nothing to open: the client checked the broker when it connected, and HTTP connects per request. */
  async open(): Promise<void> {}

  /** Sends a batch after the batches before it; resolves with the broker's ack, rejects with its error. */
  send(meta: Omit<ProduceFrame, 'batch'>, messages: readonly ProduceMessage[], retryable: boolean): Promise<BatchAck> {
    if (this.#closed || this.#stopped !== undefined) {
      return Promise.reject(this.#stopped ?? new EvqError('EVQ_ERR_CLOSED', 'the producer is closed'));
    }
    this.#stats.batches++;
    const body = ndjsonBatch(messages);
    const headers: Record<string, string> = { 'content-type': MEDIA_TYPES.ndjson };
    if (meta.partition !== undefined) headers[HEADERS.partition] = String(meta.partition);
    if (meta.dueAt > 0) headers[HEADERS.at] = String(meta.dueAt);
    if (meta.idempotencyKey !== null) headers[HEADERS.idempotencyKey] = meta.idempotencyKey;
    const turn = this.#previous;
    const sent = turn.then(() => this.#post(meta.topic, body, headers, retryable));
    this.#previous = sent.catch(() => undefined);
    return sent;
  }

  /** Takes no more batches: later `send`s, and batches not sent yet, fail with `error`. */
  stopSending(error: EvqError): void {
    this.#stopped ??= error;
  }

  /** Takes no more batches; one in flight or waiting for a retry fails with EVQ_ERR_CLOSED. The client owns the agent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort(new EvqError('EVQ_ERR_CLOSED', 'the producer was closed before the broker acknowledged the batch'));
    await this.#previous;
  }

  async #post(topic: string, body: Buffer, headers: Record<string, string>, retryable: boolean): Promise<BatchAck> {
    for (;;) {
      if (this.#closing.signal.aborted) throw this.#closing.signal.reason;
      if (this.#stopped !== undefined) throw this.#stopped;
      this.#inFlight++;
      this.#stats.maxInFlight = Math.max(this.#stats.maxInFlight, this.#inFlight);
      this.#stats.framesSent++;
      this.#stats.wireBytes += body.length;
      try {
        const reply = await this.#options.http.json<ProduceReply | DelayedReply>({
          method: 'POST',
          path: PATHS.batch(topic),
          body,
          headers,
          signal: this.#closing.signal,
        });
        this.#backoff.reset();
        return ackOf(reply);
      } catch (error) {
        // a refusal of the broker, or a failed connection of a batch that must not be sent twice, is final
        if (!(error instanceof EvqConnectionError) || !retryable || this.#backoff.attempts >= this.#options.retries) throw error;
      } finally {
        this.#inFlight--;
      }
      this.#stats.resent++;
      this.#stats.reconnects++;
      await sleep(this.#backoff.next(), this.#closing.signal);
    }
  }
}

/** The batch as the NDJSON of POST /topics/{topic}/batch: a value that is not UTF-8 goes as `valueBase64`. */
export function ndjsonBatch(messages: readonly ProduceMessage[]): Buffer {
  const lines: string[] = [];
  for (const message of messages) {
    const line: Record<string, unknown> = valueFields(message.value);
    if (message.key !== undefined && message.key !== null) line.key = message.key;
    if (message.headers !== undefined && message.headers !== null) line.headers = message.headers;
    if (message.timestamp !== undefined && message.timestamp !== 0) line.timestamp = message.timestamp;
    lines.push(JSON.stringify(line));
  }
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

function ackOf(reply: ProduceReply | DelayedReply): BatchAck {
  if ('delayed' in reply && reply.delayed) return { partition: 0, baseOffset: -1, lastOffset: -1, delayed: true, duplicate: false };
  const ack = reply as ProduceReply;
  if (!Number.isSafeInteger(ack.baseOffset) || !Number.isSafeInteger(ack.lastOffset) || !Number.isSafeInteger(ack.partition)) {
    throw new EvqError('EVQ_ERR_MALFORMED', 'the broker acknowledged a batch without its offsets');
  }
  return {
    partition: ack.partition,
    baseOffset: ack.baseOffset,
    lastOffset: ack.lastOffset,
    delayed: false,
    duplicate: ack.duplicate === true,
    parts: ack.partitions,
    placement: ack.placement,
  };
}
