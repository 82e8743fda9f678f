/**
 * The produce side of one WebSocket connection: binary produce frames out, JSON acks and errors in, matched
 * by request id. It keeps every batch until it is acknowledged, so that after a lost connection (or an ack
 * that does not come within the timeout) it can reconnect with backoff and send the unacknowledged batches
 * again, in their order — but only when every one of them is retryable (carries an idempotency key, so the
 * broker recognises a batch it already has). Otherwise each of them fails with an error that says the ack
 * was lost, and nothing is sent twice.
 */

import { CLOSE_CODES } from '../../protocol/ws-frames.js';
import type { BrokerControl } from '../../protocol/ws-control.js';
import type { PartitionAppendReply } from '../../protocol/http.js';
import { EvqConnectionError, EvqError, errorFromWire } from '../../errors.js';
import { Backoff, sleep } from '../backoff.js';
import type { BackoffOptions } from '../backoff.js';
import { connectionLostError, timeoutError } from '../errors.js';
import type { Endpoint } from './endpoint.js';
import type { PooledBytes } from './frame-writer.js';
import { unauthorizedError } from './http.js';
import { WsConnection, brokeProtocol } from './ws-connection.js';

export interface ChannelOptions {
  endpoint: Endpoint;
  token?: string | undefined;
  /** Longest wait for a connection and for each ack, ms. */
  timeoutMs: number;
  /** Reconnect attempts after a lost connection or a timeout before giving up. */
  retries: number;
  backoff?: BackoffOptions;
}

/**
 * The broker's answer to one batch: `partition`, `baseOffset` and `lastOffset` are its first part's; when keyed
 * messages went to several partitions, `parts` has every part and `placement` each message's partition.
 */
export interface BatchAck {
  partition: number;
  baseOffset: number;
  lastOffset: number;
  delayed: boolean;
  duplicate: boolean;
  parts?: PartitionAppendReply[] | undefined;
  placement?: number[] | undefined;
}

interface Pending {
  req: number;
  frame: PooledBytes;
  retryable: boolean;
  resolve: (ack: BatchAck) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  /** ws writes of this frame not yet completed (the pooled buffer is released only at 0, once settled). */
  writing: number;
  settled: boolean;
}

export interface ChannelStats {
  /** Batches given to `send`. */
  batches: number;
  /** Batches sent and awaiting their ack now, and the most at once so far. */
  inFlight: number;
  maxInFlight: number;
  /** Frames sent (first sends and resends) and their bytes. */
  framesSent: number;
  wireBytes: number;
  /** Batches sent again after a reconnect. */
  resent: number;
  reconnects: number;
}

export class ProduceChannel {
  readonly #options: ChannelOptions;
  readonly #backoff: Backoff;
  #conn: WsConnection | undefined;
  #connecting: Promise<WsConnection> | undefined;
  #pending = new Map<number, Pending>();
  /** Batches waiting for a connection, in order. */
  #waiting: Pending[] = [];
  #everConnected = false;
  #nextReq = 1;
  #closed = false;
  /** Aborted by `close()`: ends a backoff wait. */
  readonly #closing = new AbortController();
  /** Set by `stopSending`: no more batches go out. */
  #stopped: EvqError | undefined;
  /** Why the current connection is being dropped (a timeout), to report instead of "connection lost". */
  #dropReason: EvqError | undefined;
  #recovering = false;
  #stats: ChannelStats = { batches: 0, inFlight: 0, maxInFlight: 0, framesSent: 0, wireBytes: 0, resent: 0, reconnects: 0 };

  constructor(options: ChannelOptions) {
    this.#options = options;
    this.#backoff = new Backoff(options.backoff);
  }

  stats(): ChannelStats {
    return { ...this.#stats, inFlight: this.#pending.size };
  }

  /** Opens the connection now (so an unreachable broker is reported before any input is read). */
  async open(): Promise<void> {
    await this.#connection();
  }

  /**
   * Sends a frame; resolves with the broker's ack, rejects with its error (or the connection's). The channel
   * owns `frame` from now on and releases it once settled and written.
   */
  send(frame: PooledBytes, retryable: boolean): Promise<BatchAck> {
    if (this.#closed || this.#stopped !== undefined) {
      frame.release();
      return Promise.reject(this.#stopped ?? new EvqError('EVQ_ERR_CLOSED', 'the producer is closed'));
    }
    return new Promise<BatchAck>((resolve, reject) => {
      this.#dispatch({ req: 0, frame, retryable, resolve, reject, timer: undefined, writing: 0, settled: false });
    });
  }

  /**
   * Takes no more batches: later `send`s, and batches still waiting for a connection (never sent), fail with
   * `error`. Batches already sent still get their acks.
   */
  stopSending(error: EvqError): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = error;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const pending of waiting) this.#settle(pending, error, undefined);
  }

  /** Closes the connection; batches still awaiting an ack fail with EVQ_ERR_CLOSED. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    const error = new EvqError('EVQ_ERR_CLOSED', 'the producer was closed before the broker acknowledged the batch');
    for (const pending of [...this.#waiting, ...this.#pending.values()]) this.#settle(pending, error, undefined);
    this.#waiting = [];
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn !== undefined) {
      conn.close(CLOSE_CODES.normal, 'done');
      await conn.closed();
    }
  }

  /** Sends now when connected and nothing waits before it; else queues it for the connection, in order. */
  #dispatch(pending: Pending): void {
    this.#stats.batches++;
    if (this.#waiting.length === 0) {
      if (this.#recovering) {
        this.#track(pending); // sent with the batches the reconnect sends again, after them
        return;
      }
      const conn = this.#conn;
      if (conn?.isOpen === true) {
        this.#track(pending);
        this.#write(conn, pending);
        return;
      }
    }
    this.#waiting.push(pending);
    if (this.#waiting.length === 1) this.#sendWaitingWhenConnected();
  }

  #sendWaitingWhenConnected(): void {
    this.#connection().then(
      (conn) => {
        if (!conn.isOpen && !this.#recovering) {
          this.#sendWaitingWhenConnected(); // it closed in between: connect again
          return;
        }
        const waiting = this.#waiting;
        this.#waiting = [];
        for (const pending of waiting) {
          if (pending.settled) continue;
          this.#track(pending);
          if (!this.#recovering) this.#write(conn, pending);
        }
      },
      (error: unknown) => {
        const waiting = this.#waiting;
        this.#waiting = [];
        for (const pending of waiting) this.#settle(pending, error, undefined);
      },
    );
  }

  #track(pending: Pending): void {
    pending.req = this.#nextReq;
    this.#nextReq = (this.#nextReq % 0xffffffff) + 1;
    this.#pending.set(pending.req, pending);
    if (this.#pending.size > this.#stats.maxInFlight) this.#stats.maxInFlight = this.#pending.size;
  }

  #write(conn: WsConnection, pending: Pending): void {
    const bytes = pending.frame.bytes;
    // the request id sits right after the frame kind: patch it in place (a resend gets a new one)
    bytes.writeUInt32BE(pending.req, 1);
    pending.writing++;
    this.#stats.framesSent++;
    this.#stats.wireBytes += bytes.length;
    pending.timer ??= setTimeout(() => this.#onTimeout(conn), this.#options.timeoutMs);
    conn.sendBinary(bytes, () => {
      pending.writing--;
      if (pending.settled && pending.writing === 0) pending.frame.release();
    });
  }

  #settle(pending: Pending, error: unknown, ack: BatchAck | undefined): void {
    if (pending.settled) return;
    pending.settled = true;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if (this.#pending.get(pending.req) === pending) this.#pending.delete(pending.req);
    if (pending.writing === 0) pending.frame.release();
    if (ack !== undefined) pending.resolve(ack);
    else pending.reject(error);
  }

  #connection(): Promise<WsConnection> {
    const conn = this.#conn;
    if (conn?.isOpen === true) return Promise.resolve(conn);
    // closing: once its close is handled (which may start a recovery), ask again
    if (conn !== undefined) return conn.closed().then(() => this.#connection());
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /**
   * Connects. A first connection that fails is reported at once (the broker is not there); a later one, when
   * the connection was lost between batches, is retried with backoff (nothing was sent on it yet: safe).
   */
  async #connect(): Promise<WsConnection> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#openConnection();
      } catch (error) {
        const code = (error as EvqError).code;
        const retryable = code === 'EVQ_ERR_UNREACHABLE' || code === 'EVQ_ERR_TIMEOUT';
        if (!this.#everConnected || !retryable || attempt >= this.#options.retries || this.#closed) throw error;
        if (this.#stopped !== undefined) throw this.#stopped;
        await sleep(this.#backoff.next(), this.#closing.signal);
      }
    }
  }

  async #openConnection(): Promise<WsConnection> {
    const conn = await WsConnection.open(this.#options.endpoint, { token: this.#options.token, timeoutMs: this.#options.timeoutMs });
    if (this.#closed) {
      conn.terminate();
      throw new EvqError('EVQ_ERR_CLOSED', 'the producer is closed');
    }
    conn.handlers = {
      control: (message) => this.#onControl(message),
      close: (code, reason, error) => this.#onClose(conn, code, reason, error),
    };
    this.#conn = conn;
    this.#everConnected = true;
    return conn;
  }

  #onControl(message: BrokerControl): void {
    if (message.op === 'ack') {
      const pending = this.#pending.get(message.req);
      if (pending === undefined) return;
      this.#backoff.reset();
      const delayed = message.delayed === true;
      this.#settle(pending, undefined, {
        partition: message.partition ?? 0,
        baseOffset: delayed ? -1 : message.baseOffset,
        lastOffset: delayed ? -1 : message.lastOffset,
        delayed,
        duplicate: message.duplicate === true,
        parts: message.partitions,
        placement: message.placement,
      });
    } else if (message.op === 'error' && message.req !== undefined) {
      const pending = this.#pending.get(message.req);
      if (pending !== undefined) this.#settle(pending, errorFromWire(message.code, message.message), undefined);
    }
  }

  #onTimeout(conn: WsConnection): void {
    if (this.#conn !== conn || !conn.isOpen) return;
    this.#dropReason = timeoutError(this.#options.endpoint.display, 'acknowledge a batch', this.#options.timeoutMs);
    conn.terminate();
  }

  #onClose(conn: WsConnection, code: number, reason: string, error: Error | undefined): void {
    if (this.#conn === conn) this.#conn = undefined;
    const dropReason = this.#dropReason;
    this.#dropReason = undefined;
    if (this.#closed) return;
    if (brokeProtocol(error)) {
      // the broker speaks garbage: no reconnect, every batch sent or to come fails with what it sent
      this.stopSending(error);
      for (const pending of [...this.#pending.values()]) this.#settle(pending, error, undefined);
      return;
    }
    if (this.#pending.size === 0) return;
    const lost = dropReason ?? closeError(this.#options.endpoint.display, code, reason, error);
    const all = [...this.#pending.values()];
    for (const pending of all) {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.timer = undefined;
    }
    const fatal = lost.code === 'EVQ_ERR_UNAUTHORIZED' || lost.code === 'EVQ_ERR_BATCH_TOO_LARGE';
    if (fatal || !all.every((p) => p.retryable)) {
      for (const pending of all) this.#settle(pending, lost, undefined);
      return;
    }
    this.#recovering = true;
    const recovery = this.#recover(lost).finally(() => {
      this.#recovering = false;
      if (this.#connecting === recovery) this.#connecting = undefined;
    });
    recovery.catch(() => undefined); // its failure is told to every pending batch
    this.#connecting = recovery;
  }

  /**
   * Reconnects with backoff and sends every unacknowledged batch again, in the order they were first sent.
   * Gives up (failing every pending batch) after `retries` attempts.
   */
  async #recover(lost: EvqError): Promise<WsConnection> {
    let last: unknown = lost;
    for (;;) {
      if (this.#closed) throw new EvqError('EVQ_ERR_CLOSED', 'the producer is closed');
      if (this.#backoff.attempts >= this.#options.retries) {
        const error = new EvqConnectionError(
          lost.code === 'EVQ_ERR_TIMEOUT' ? 'EVQ_ERR_TIMEOUT' : 'EVQ_ERR_CLOSED',
          `${(last as Error).message} (gave up after ${this.#options.retries} retries)`,
          { cause: last },
        );
        for (const pending of [...this.#pending.values()]) this.#settle(pending, error, undefined);
        throw error;
      }
      await sleep(this.#backoff.next(), this.#closing.signal);
      if (this.#closed) throw new EvqError('EVQ_ERR_CLOSED', 'the producer is closed');
      this.#stats.reconnects++;
      let conn: WsConnection;
      try {
        conn = await this.#openConnection();
      } catch (error) {
        last = error;
        if ((error as EvqError).code === 'EVQ_ERR_UNAUTHORIZED') {
          for (const pending of [...this.#pending.values()]) this.#settle(pending, error, undefined);
          throw error;
        }
        continue;
      }
      const again = [...this.#pending.values()];
      this.#pending = new Map();
      this.#recovering = false;
      for (const pending of again) {
        this.#track(pending);
        this.#stats.resent++;
        this.#write(conn, pending);
      }
      return conn;
    }
  }
}

/** The error for a connection that closed while batches awaited their acks. */
function closeError(url: string, code: number, reason: string, error: Error | undefined): EvqError {
  if (code === CLOSE_CODES.unauthorized) return unauthorizedError(url);
  if (code === CLOSE_CODES.messageTooBig) {
    return new EvqError(
      'EVQ_ERR_BATCH_TOO_LARGE',
      `the broker at ${url} closed the connection: a batch was larger than its frame limit (lower --batch-bytes)`,
    );
  }
  const detail = error !== undefined ? error.message : `code ${code}${reason === '' ? '' : `: ${reason}`}`;
  return connectionLostError(url, detail, error);
}
