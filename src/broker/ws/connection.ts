import type { WebSocket } from 'ws';
import { EvqError } from '../../errors.js';
import { LIMITS } from '../../core/limits.js';
import { compileFilter } from '../../core/filter/index.js';
import { checkStartPosition } from '../../protocol/positions.js';
import type { StartPosition } from '../../protocol/http.js';
import { validateTopicName } from '../../protocol/validate.js';
import { controlIds, decodeClientControl, encodeControl, parseControlJson } from '../../protocol/ws-control.js';
import type { BrokerControl, ClientControl, ControlIds, PartitionStart, SubscribeControl } from '../../protocol/ws-control.js';
import { CLOSE_CODES, encodeDeliverHeader, encodeSparseHeader } from '../../protocol/ws-frames.js';
import type { BrokerContext } from '../context.js';
import { toEvqError } from '../http/replies.js';
import { Outbound } from './outbound.js';
import { ProduceRequests } from './produce-requests.js';
import { resolvePosition } from '../reader.js';
import type { DeliveryFormat, SubscriberSink } from './subscription.js';
import { TopicSubscription, type FeedRegistry } from './topic-subscription.js';

export type { FeedRegistry } from './topic-subscription.js';

export interface ConnectionOptions {
  format: DeliveryFormat;
  softLimitBytes: number;
  hardLimitBytes: number;
  maxSubscriptions: number;
  memory: boolean;
}

/**
 * One WebSocket connection: its subscriptions and the frames that arrive on it. What it sends, and the bytes
 * still queued, are kept by {@link Outbound} (past the soft limit its subscriptions stop taking live data,
 * past the hard limit the connection is closed); its produce requests by {@link ProduceRequests}. Every
 * refused frame or request is answered by {@link Connection.#replyError}.
 */
export class Connection implements SubscriberSink {
  readonly subscriptions = new Map<number, TopicSubscription>();
  readonly #out: Outbound;
  readonly #produce: ProduceRequests;
  #closed = false;
  alive = true;

  constructor(
    readonly socket: WebSocket,
    private readonly ctx: BrokerContext,
    private readonly feeds: FeedRegistry,
    private readonly options: ConnectionOptions,
  ) {
    this.#out = new Outbound(socket, options, () => {
      this.ctx.metrics.slowSubscriber.add({ action: 'disconnect' }, 1);
      this.close(CLOSE_CODES.slowConsumer, 'subscriber too slow: more than the hard limit of bytes queued');
    });
    this.#produce = new ProduceRequests(ctx, {
      ack: (frame) => this.sendControl(frame),
      reject: (err, ids) => this.#replyError(err, ids),
    });
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
    return this.#out.congested;
  }

  get queuedBytes(): number {
    return this.#out.queuedBytes;
  }

  /** Whether the peer took any of our data since the last ping (see {@link Outbound.progressedSinceLastPing}). */
  progressedSinceLastPing(): boolean {
    return this.#out.progressedSinceLastPing();
  }

  drained(): Promise<void> {
    return this.#out.drained();
  }

  sendDeliver(sub: number, partition: number, batch: Buffer): void {
    this.#out.sendFragments(encodeDeliverHeader(sub, partition), batch);
  }

  sendSparse(sub: number, partition: number, offsets: number[], batch: Buffer): void {
    this.#out.sendFragments(encodeSparseHeader(sub, offsets, partition), batch);
  }

  sendText(text: string): void {
    this.#out.sendText(text);
  }

  sendControl(message: BrokerControl): void {
    this.#out.sendText(encodeControl(message));
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

  /**
   * Starts a subscription (also used for the tutorial route, which subscribes on connect with the `from` and
   * `filter` of its URL): of one partition, or of every partition of the topic. `from` is checked here: a
   * position as JSON or as URL text. The request is checked at once (a bad one throws, in frame order); the
   * promise returned settles once it is subscribed (positions by time are found in the log first).
   */
  subscribe(request: Omit<SubscribeControl, 'op' | 'from'> & { from?: unknown }): Promise<void> {
    const { sub, topic, partition, offsets } = request;
    validateTopicName(topic);
    if (this.subscriptions.has(sub)) throw new EvqError('EVQ_ERR_CONFLICT', `subscription ${sub} already exists on this connection`);
    if (this.subscriptions.size >= this.options.maxSubscriptions) {
      throw new EvqError('EVQ_ERR_LIMIT_EXCEEDED', `a connection holds at most ${this.options.maxSubscriptions} subscriptions`);
    }
    const filter =
      request.filter !== undefined && request.filter.trim() !== ''
        ? compileFilter(request.filter, { maxLength: this.ctx.limits.maxFilterLength })
        : null;
    const from =
      typeof request.from === 'object' && request.from !== null ? (request.from as StartPosition) : checkStartPosition(request.from);
    const t = this.ctx.store.get(topic);
    const count = t?.partitionCount ?? 1;
    if (partition !== undefined && partition >= count) {
      throw new EvqError(
        'EVQ_ERR_INVALID_ARGUMENT',
        `topic "${topic}" has ${count} partition${count === 1 ? '' : 's'} (0 to ${count - 1}): there is no partition ${partition}`,
      );
    }
    if (partition === undefined && typeof from === 'number' && count > 1) {
      throw new EvqError('EVQ_ERR_INVALID_ARGUMENT', `topic "${topic}" has ${count} partitions: an offset to start from needs a partition`);
    }
    const subscription = new TopicSubscription(
      sub,
      topic,
      partition === undefined,
      filter,
      this.options.format,
      this.feeds,
      this.ctx.store,
      this,
      this.options.memory,
    );
    this.subscriptions.set(sub, subscription);
    const partitions = partition !== undefined ? [partition] : Array.from({ length: count }, (_, p) => p);
    return this.#start(subscription, partitions, from, offsets, count);
  }

  async #start(
    subscription: TopicSubscription,
    partitions: number[],
    from: StartPosition,
    offsets: Record<string, number> | undefined,
    count: number,
  ): Promise<void> {
    const { id: sub, topic } = subscription;
    const starts: PartitionStart[] = [];
    try {
      for (const p of partitions) {
        const position = offsets?.[String(p)] ?? from;
        const log = this.ctx.store.get(topic)?.partition(p);
        // `latest` is the live feed's end (taken last, after any wait below); the others are found in the log
        const offset = position === 'latest' || log === undefined ? -1 : await resolvePosition(log, position);
        starts.push({ partition: p, offset });
      }
    } catch (error) {
      if (this.subscriptions.get(sub) === subscription) this.subscriptions.delete(sub);
      subscription.close();
      throw error;
    }
    if (subscription.closed) return; // unsubscribed, or the connection closed, while positions were found
    for (const start of starts) {
      if (start.offset === -1) start.offset = typeof from === 'number' ? from : this.feeds.feed(topic, start.partition).end;
    }
    if (this.options.format !== 'raw') {
      // a subscription of partition 0 alone (every one of a topic of one partition) is answered as before partitions
      const alone = starts.length === 1 && starts[0]?.partition === 0;
      this.sendControl({ op: 'subscribed', sub, topic, offset: starts[0]?.offset ?? 0, ...(alone ? {} : { partitions: starts }) });
    }
    for (const start of starts) subscription.add(start.partition, start.offset);
    // partitions the topic got while positions were found
    subscription.grown(this.ctx.store.get(topic)?.partitionCount ?? count);
  }

  #drop(subscription: TopicSubscription): void {
    subscription.close();
    this.subscriptions.delete(subscription.id);
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const subscription of [...this.subscriptions.values()]) this.#drop(subscription);
    this.#out.close();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.#produce.produceFrame(data);
      return;
    }
    let ids: ControlIds = {};
    try {
      const raw = parseControlJson(data.toString('utf8'));
      ids = controlIds(raw);
      this.#dispatch(decodeClientControl(raw));
    } catch (err) {
      this.#replyError(err, ids);
    }
  }

  #dispatch(frame: ClientControl): void {
    switch (frame.op) {
      case 'subscribe':
        // a bad request throws here, in frame order; a failure while positions are found is answered later
        this.subscribe(frame).catch((err: unknown) => this.#replyError(err, { sub: frame.sub }));
        return;
      case 'unsubscribe': {
        const subscription = this.subscriptions.get(frame.sub);
        if (subscription === undefined) throw new EvqError('EVQ_ERR_NOT_FOUND', `no subscription ${frame.sub} on this connection`);
        this.#drop(subscription);
        this.sendControl({ op: 'unsubscribed', sub: subscription.id });
        return;
      }
      case 'produce':
        this.#produce.produceJson(frame);
        return;
    }
  }

  /** The one error reply: an `error` frame naming the request or subscription refused, counted as rejected. */
  #replyError(err: unknown, ids: ControlIds): void {
    const evq = toEvqError(err);
    this.ctx.metrics.rejected.add({ reason: evq.code }, 1);
    this.sendControl({ op: 'error', ...ids, code: evq.code, message: evq.message });
  }
}
