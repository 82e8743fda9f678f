import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { EvqError } from '../../errors.js';
import { LIMITS } from '../../core/limits.js';
import { compileFilter } from '../../core/filter/index.js';
import { TRUSTED_CODEC_LIMITS, decodeBatch } from '../../protocol/record-codec.js';
import type { MessageInput } from '../../protocol/record.js';
import { checkStartPosition } from '../../protocol/positions.js';
import { validateTopicName } from '../../protocol/validate.js';
import {
  CLOSE_CODES,
  FRAME,
  decodeProduceFrame,
  encodeDeliverHeader,
  encodeSparseHeader,
  type BrokerControl,
} from '../../protocol/ws-frames.js';
import { checkHeaders } from '../../protocol/ndjson.js';
import type { BrokerContext } from '../context.js';
import { toEvqError } from '../http/replies.js';
import type { ProduceOptions, ProduceResult } from '../ingest.js';
import { Subscription, type DeliveryFormat, type SubscriberSink } from './subscription.js';
import type { TopicFeed } from './topic-feed.js';

const gunzipAsync = promisify(gunzip);

interface Prepared {
  topic: string;
  messages: MessageInput[];
  options: ProduceOptions;
}

export interface ConnectionOptions {
  format: DeliveryFormat;
  softLimitBytes: number;
  hardLimitBytes: number;
  maxSubscriptions: number;
  memory: boolean;
}

/** What a connection needs of the hub. */
export interface FeedRegistry {
  feed(topic: string): TopicFeed;
  release(topic: string): void;
}

/**
 * One WebSocket connection: its subscriptions, its produce requests, and the bytes it has queued. The
 * queue is measured by ws's send callbacks (bytes handed to ws and not yet written to the socket); past the
 * soft limit its subscriptions stop taking live data, past the hard limit the connection is closed.
 */
export class Connection implements SubscriberSink {
  readonly subscriptions = new Map<number, Subscription>();
  #queued = 0;
  #drainWaiters: (() => void)[] = [];
  #closed = false;
  #flushed = 0;
  #flushedAtLastPing = 0;
  /** Settles when every request admitted so far has been prepared (see #admit). */
  #admission: Promise<unknown> = Promise.resolve();
  /** Requests admitted whose preparation has not finished. */
  #preparing = 0;
  /** The socket corked until the end of the tick (see #cork). */
  #corked: Duplex | null = null;
  alive = true;

  constructor(
    readonly socket: WebSocket,
    private readonly ctx: BrokerContext,
    private readonly feeds: FeedRegistry,
    private readonly options: ConnectionOptions,
  ) {
    socket.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.on('close', () => this.#onClose());
    // a protocol error (a frame too large, too many fragments, bad UTF-8) makes ws send its close frame (1008,
    // 1009, 1007) and discard what the client sends after; the close frame gets a moment to leave before the
    // socket goes (ws itself would wait 30 s for the client's close frame)
    socket.on('error', () => {
      if (socket.readyState !== socket.CLOSING) socket.terminate();
      else setTimeout(() => socket.terminate(), LIMITS.wsCloseGraceMs).unref();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get congested(): boolean {
    return this.#queued > this.options.softLimitBytes;
  }

  get queuedBytes(): number {
    return this.#queued;
  }

  /**
   * Whether the peer took any of our data since the last ping. A reader that is slow but reading may not
   * get to a ping's pong in time (the ping waits behind its backlog), so progress counts as a sign of life.
   */
  progressedSinceLastPing(): boolean {
    const progressed = this.#flushed !== this.#flushedAtLastPing;
    this.#flushedAtLastPing = this.#flushed;
    return progressed;
  }

  drained(): Promise<void> {
    if (!this.congested || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #sent = (bytes: number) => () => {
    this.#queued -= bytes;
    this.#flushed += bytes;
    if (this.#drainWaiters.length > 0 && this.#queued <= this.options.softLimitBytes / 4) this.#wake();
  };

  #wake(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }

  #account(bytes: number): boolean {
    if (this.#closed) return false;
    this.#queued += bytes;
    if (this.#queued > this.options.hardLimitBytes) {
      this.ctx.metrics.slowSubscriber.add({ action: 'disconnect' }, 1);
      this.close(CLOSE_CODES.slowConsumer, 'subscriber too slow: more than the hard limit of bytes queued');
      return false;
    }
    return true;
  }

  sendDeliver(sub: number, batch: Buffer): void {
    this.#sendFragments(encodeDeliverHeader(sub), batch);
  }

  sendSparse(sub: number, offsets: number[], batch: Buffer): void {
    this.#sendFragments(encodeSparseHeader(sub, offsets), batch);
  }

  /** A header and a batch as two fragments of one message: the batch bytes are sent as they are, not copied. */
  #sendFragments(header: Buffer, batch: Buffer): void {
    if (!this.#account(header.length + batch.length)) return;
    this.#cork();
    this.socket.send(header, { binary: true, fin: false });
    this.socket.send(batch, { binary: true, fin: true }, this.#sent(header.length + batch.length));
  }

  sendText(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (!this.#account(bytes)) return;
    this.#cork();
    this.socket.send(text, { binary: false }, this.#sent(bytes));
  }

  /**
   * Holds the socket's writes until the end of this tick, so that what is sent together (the two fragments
   * of a deliver frame, the acks of one fsync, the batches of several subscriptions) leaves in one write.
   */
  #cork(): void {
    if (this.#corked !== null) return;
    const raw = (this.socket as unknown as { _socket?: Duplex })._socket;
    if (raw === undefined || raw.destroyed) return;
    raw.cork();
    this.#corked = raw;
    process.nextTick(this.#uncork);
  }

  #uncork = (): void => {
    const raw = this.#corked;
    this.#corked = null;
    raw?.uncork();
  };

  sendControl(message: BrokerControl): void {
    this.sendText(JSON.stringify(message));
  }

  fellBehind(topic: string): void {
    this.ctx.metrics.slowSubscriber.add({ topic, action: 'catch-up' }, 1);
  }

  tooSlow(topic: string): void {
    this.ctx.metrics.slowSubscriber.add({ topic, action: 'disconnect' }, 1);
    this.close(CLOSE_CODES.slowConsumer, `subscriber too slow for in-memory topic "${topic}": reconnect from your last offset`);
  }

  counted(topic: string, records: number, bytes: number): void {
    this.ctx.metrics.messagesOut.add({ topic }, records);
    this.ctx.metrics.bytesOut.add({ topic }, bytes);
  }

  failed(sub: number, err: unknown): void {
    const evq = toEvqError(err);
    const subscription = this.subscriptions.get(sub);
    if (subscription !== undefined) this.#drop(subscription);
    if (this.options.format === 'binary' || this.options.format === 'json') {
      this.sendControl({ op: 'closed', sub, code: evq.code, message: evq.message });
    } else {
      this.close(CLOSE_CODES.internalError, evq.message.slice(0, 120));
    }
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.socket.close(code, reason.slice(0, 120));
    this.#onClose();
  }

  /** Starts a subscription (also used for the tutorial route, which subscribes on connect). */
  subscribe(sub: number, topic: string, fromValue: unknown, filterText: unknown): void {
    validateTopicName(topic);
    if (this.subscriptions.has(sub)) throw new EvqError('EVQ_ERR_CONFLICT', `subscription ${sub} already exists on this connection`);
    if (this.subscriptions.size >= this.options.maxSubscriptions) {
      throw new EvqError('EVQ_ERR_LIMIT_EXCEEDED', `a connection holds at most ${this.options.maxSubscriptions} subscriptions`);
    }
    if (filterText !== undefined && filterText !== null && typeof filterText !== 'string') {
      throw new EvqError('EVQ_ERR_INVALID_FILTER', 'the filter must be a string');
    }
    const filter =
      typeof filterText === 'string' && filterText.trim() !== ''
        ? compileFilter(filterText, { maxLength: this.ctx.limits.maxFilterLength })
        : null;
    const from = checkStartPosition(fromValue);
    const feed = this.feeds.feed(topic);
    const start = this.ctx.reader.resolve(topic, from === 'latest' ? feed.end : from);
    const subscription = new Subscription(sub, topic, start, filter, this.options.format, feed, this.ctx.store, this, this.options.memory);
    this.subscriptions.set(sub, subscription);
    feed.subscriptions++;
    if (this.options.format !== 'raw') this.sendControl({ op: 'subscribed', sub, topic, offset: start });
    subscription.start();
  }

  #drop(subscription: Subscription): void {
    subscription.close();
    if (this.subscriptions.delete(subscription.id)) {
      this.feeds.feed(subscription.topic).subscriptions--;
      this.feeds.release(subscription.topic);
    }
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const subscription of [...this.subscriptions.values()]) this.#drop(subscription);
    this.#wake();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.#onProduceFrame(data);
      return;
    }
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(data.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      message = parsed as Record<string, unknown>;
    } catch {
      this.sendControl({ op: 'error', code: 'EVQ_ERR_MALFORMED', message: 'a text frame must be a JSON object with an "op"' });
      return;
    }
    const sub = typeof message.sub === 'number' ? message.sub : undefined;
    const req = typeof message.req === 'number' ? message.req : undefined;
    try {
      switch (message.op) {
        case 'subscribe':
          if (sub === undefined || !Number.isSafeInteger(sub) || sub < 0 || sub > 0xffffffff) {
            throw new EvqError('EVQ_ERR_MALFORMED', 'subscribe needs "sub": a whole number id');
          }
          if (typeof message.topic !== 'string') throw new EvqError('EVQ_ERR_MALFORMED', 'subscribe needs "topic"');
          this.subscribe(sub, message.topic, message.from, message.filter);
          return;
        case 'unsubscribe': {
          const subscription = sub === undefined ? undefined : this.subscriptions.get(sub);
          if (subscription === undefined) throw new EvqError('EVQ_ERR_NOT_FOUND', `no subscription ${String(sub)} on this connection`);
          this.#drop(subscription);
          this.sendControl({ op: 'unsubscribed', sub: subscription.id });
          return;
        }
        case 'produce':
          this.#onProduceJson(message, req);
          return;
        default:
          throw new EvqError('EVQ_ERR_MALFORMED', 'unknown op: use subscribe, unsubscribe or produce');
      }
    } catch (err) {
      const evq = toEvqError(err);
      this.ctx.metrics.rejected.add({ reason: evq.code }, 1);
      this.sendControl({
        op: 'error',
        ...(sub !== undefined ? { sub } : {}),
        ...(req !== undefined ? { req } : {}),
        code: evq.code,
        message: evq.message,
      });
    }
  }

  #onProduceJson(message: Record<string, unknown>, req: number | undefined): void {
    if (req === undefined) throw new EvqError('EVQ_ERR_MALFORMED', 'produce needs "req": a request id');
    const topic = message.topic;
    if (typeof topic !== 'string') throw new EvqError('EVQ_ERR_MALFORMED', 'produce needs "topic"');
    if (!Array.isArray(message.messages)) throw new EvqError('EVQ_ERR_MALFORMED', 'produce needs "messages": an array');
    const fail = (what: string): never => {
      throw new EvqError('EVQ_ERR_MALFORMED', `malformed produce: ${what}`);
    };
    const messages: MessageInput[] = message.messages.map((m: unknown) => {
      if (typeof m !== 'object' || m === null) return fail('each message is an object with "value"');
      const { value, key } = m as Record<string, unknown>;
      if (typeof value !== 'string') return fail('"value" must be a string');
      if (key !== undefined && key !== null && typeof key !== 'string') return fail('"key" must be a string');
      return {
        value,
        key: (key as string | null | undefined) ?? null,
        headers: checkHeaders((m as Record<string, unknown>).headers, fail),
      };
    });
    const now = this.ctx.clock.now();
    const dueAt =
      typeof message.dueAt === 'number' ? message.dueAt : typeof message.delayMs === 'number' ? now + message.delayMs : undefined;
    const idempotencyKey = typeof message.idempotencyKey === 'string' ? message.idempotencyKey : null;
    this.#admitPrepared(req, () => ({ topic, messages, options: { dueAt, idempotencyKey } }));
  }

  #onProduceFrame(data: Buffer): void {
    let req: number | undefined;
    try {
      if (data.length === 0 || data[0] !== FRAME.produce) throw new EvqError('EVQ_ERR_MALFORMED', 'unknown binary frame');
      const frame = decodeProduceFrame(data);
      req = frame.req;
      if (!frame.gzip && frame.idempotencyKey === null && frame.dueAt === 0) {
        // the fast path: the batch is checked in one pass and stored as the bytes that arrived (the frame is
        // ours once ws handed it over; the log stamps and numbers the batch in place and shares it)
        const { topic, batch } = frame;
        this.#admit(frame.req, () => this.ctx.ingest.produceEncoded(topic, batch));
        return;
      }
      const decode = async (): Promise<MessageInput[]> => {
        const batch = frame.gzip ? await inflate(frame.batch, this.ctx.limits.maxBatchBytes * 2) : frame.batch;
        // the frame is bounded by maxPayload; the limits are checked by Ingest, with their own error codes
        return decodeBatch(batch, frame.topic, TRUSTED_CODEC_LIMITS).map((r) => ({
          value: r.value,
          key: r.key,
          headers: r.headers,
          timestamp: r.timestamp === 0 ? undefined : r.timestamp,
        }));
      };
      const idem = frame.idempotencyKey;
      const dueAt = frame.dueAt === 0 ? undefined : frame.dueAt;
      this.#admitPrepared(frame.req, async () => ({
        topic: frame.topic,
        messages: await decode(),
        options: { dueAt, idempotencyKey: idem },
      }));
    } catch (err) {
      const evq = toEvqError(err);
      this.ctx.metrics.rejected.add({ reason: evq.code }, 1);
      this.sendControl({ op: 'error', ...(req !== undefined ? { req } : {}), code: evq.code, message: evq.message });
    }
  }

  /** Admits a request whose messages are prepared (decoded, inflated) first; see {@link Connection.#admit}. */
  #admitPrepared(req: number, prepare: () => Prepared | Promise<Prepared>): void {
    this.#preparing++;
    const prepared = this.#admission.then(prepare);
    this.#admission = prepared.then(
      () => this.#prepared(),
      () => this.#prepared(),
    );
    this.#answer(
      req,
      prepared.then(({ topic, messages, options }) => ({ result: this.ctx.ingest.produce(topic, messages, options) })),
    );
  }

  #prepared(): void {
    this.#preparing--;
  }

  /**
   * Produce requests of one connection are handed to the log in arrival order (so their offsets follow the
   * order the client sent them) and complete concurrently; each is answered with an ack or an error. A
   * request that needs preparing (decoding, inflating) holds back the ones after it until it is prepared;
   * when none is being prepared, a request starts at once.
   */
  #admit(req: number, start: () => Promise<ProduceResult>): void {
    if (this.#preparing === 0) {
      this.#answer(req, Promise.resolve({ result: start() }));
      return;
    }
    this.#answer(
      req,
      this.#admission.then(() => ({ result: start() })),
    );
  }

  #answer(req: number, started: Promise<{ result: Promise<ProduceResult> }>): void {
    started
      .then(({ result }) => result)
      .then(
        (r) => {
          if (r.delayed) this.sendControl({ op: 'ack', req, baseOffset: -1, lastOffset: -1, delayed: true });
          else this.sendControl({ op: 'ack', req, baseOffset: r.baseOffset, lastOffset: r.lastOffset, duplicate: r.duplicate });
        },
        (err: unknown) => {
          const evq = toEvqError(err);
          this.ctx.metrics.rejected.add({ reason: evq.code }, 1);
          this.sendControl({ op: 'error', req, code: evq.code, message: evq.message });
        },
      );
  }
}

async function inflate(data: Buffer, limit: number): Promise<Buffer> {
  try {
    return await gunzipAsync(data, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new EvqError('EVQ_ERR_BATCH_TOO_LARGE', `the inflated batch is larger than ${limit} bytes`);
    }
    throw new EvqError('EVQ_ERR_MALFORMED', 'the gzip batch does not inflate', { cause: err });
  }
}
