import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { EvqError } from '../../errors.js';
import { CLOSE_CODES, SUBPROTOCOL_BINARY } from '../../protocol/ws-frames.js';
import type { TokenAuth } from '../auth.js';
import type { BrokerContext } from '../context.js';
import type { RequestGuard } from '../request-guard.js';
import { pathSegments, requestUrl } from '../http/router.js';
import { errorResponse } from '../http/connection-guard.js';
import { toEvqError } from '../http/replies.js';
import { Connection, type FeedRegistry } from './connection.js';
import { parseOffset } from '../../protocol/positions.js';
import type { DeliveryFormat } from './subscription.js';
import { TopicFeed } from './topic-feed.js';

export interface HubOptions {
  maxPayloadBytes: number;
  pingIntervalMs: number;
  softLimitBytes: number;
  hardLimitBytes: number;
  maxSubscriptionsPerConnection: number;
  maxConnections: number;
  /** Most fragments of one message (ws closes the connection with 1008 past it). */
  maxFragments: number;
  memory: boolean;
}

/**
 * The WebSocket side of the broker: upgrades at `/ws` (evq's protocol: many subscriptions and produce
 * requests per connection; binary batches when the client asks for the `evq.binary.v1` subprotocol, JSON
 * text frames otherwise) and at `/subscribe/{topic}` (the tutorial route: one live subscription, one JSON
 * record per text frame, `?format=raw` for the bare values). Pings every `pingIntervalMs`; a connection
 * that neither answered the last ping nor took any data since is terminated.
 */
export class WsHub implements FeedRegistry {
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<Connection>();
  /** The live feed of each partition subscribed to, by `topic\0partition`. */
  readonly #feeds = new Map<string, TopicFeed>();
  /** Subscriptions per topic (a subscription of every partition counts once). */
  readonly #subscribers = new Map<string, number>();
  readonly #ping: NodeJS.Timeout;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly auth: TokenAuth,
    private readonly guard: RequestGuard,
    private readonly options: HubOptions,
  ) {
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayloadBytes,
      maxFragments: options.maxFragments,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL_BINARY) ? SUBPROTOCOL_BINARY : false),
    });
    ctx.ingest.on('append', (event) => this.#feeds.get(feedKey(event.topic, event.partition))?.appended(event));
    // subscriptions of every partition of a topic start reading the partitions it gets
    ctx.store.onTopic((event) => {
      if (event.type === 'deleted' || event.partitions === undefined) return;
      for (const connection of this.#connections) {
        for (const subscription of connection.subscriptions.values()) {
          if (subscription.topic === event.topic) subscription.grown(event.partitions);
        }
      }
    });
    this.#ping = setInterval(() => this.#pingAll(), options.pingIntervalMs);
    this.#ping.unref();
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  subscriberCount(topic: string): number {
    return this.#subscribers.get(topic) ?? 0;
  }

  /** Subscriptions held in memory, across all topics (0 after every client has gone). */
  get subscriptionCount(): number {
    let n = 0;
    for (const count of this.#subscribers.values()) n += count;
    return n;
  }

  counted(topic: string, delta: 1 | -1): void {
    const n = (this.#subscribers.get(topic) ?? 0) + delta;
    if (n <= 0) this.#subscribers.delete(topic);
    else this.#subscribers.set(topic, n);
  }

  get feedCount(): number {
    return this.#feeds.size;
  }

  /** Topics with a live feed: those subscribed to now, also when they have no log yet. */
  feedTopics(): string[] {
    return [...this.#subscribers.keys()];
  }

  feed(topic: string, partition: number): TopicFeed {
    const key = feedKey(topic, partition);
    let feed = this.#feeds.get(key);
    if (feed === undefined) {
      feed = new TopicFeed(topic, partition, this.ctx.store);
      this.#feeds.set(key, feed);
    }
    return feed;
  }

  release(topic: string, partition: number): void {
    const key = feedKey(topic, partition);
    const feed = this.#feeds.get(key);
    if (feed !== undefined && feed.subscriptions <= 0) this.#feeds.delete(key);
  }

  /** Ends every subscription of a deleted topic. */
  topicDeleted(topic: string): void {
    for (const connection of this.#connections) {
      for (const subscription of connection.subscriptions.values()) {
        if (subscription.topic === topic) {
          connection.failed(subscription.id, new EvqError('EVQ_ERR_NOT_FOUND', `topic "${topic}" was deleted`));
        }
      }
    }
    for (const [key, feed] of this.#feeds) if (feed.topic === topic) this.#feeds.delete(key);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    let url: URL;
    let route: { kind: 'ws' } | { kind: 'subscribe'; topic: string };
    try {
      // a page of another site (Origin) or a rebound DNS name (Host) never gets its 101: no frame is sent
      const refusal = this.guard.check(req);
      if (refusal !== null) throw refusal;
      url = requestUrl(req);
      if (!this.auth.check(req, url)) throw new EvqError('EVQ_ERR_UNAUTHORIZED', 'missing or wrong token');
      const segments = pathSegments(url.pathname);
      if (segments.length === 1 && segments[0] === 'ws') route = { kind: 'ws' };
      else if (segments.length === 2 && segments[0] === 'subscribe') route = { kind: 'subscribe', topic: segments[1] as string };
      else throw new EvqError('EVQ_ERR_NOT_FOUND', 'no WebSocket at this path: use /ws or /subscribe/{topic}');
      if (this.#connections.size >= this.options.maxConnections) {
        throw new EvqError('EVQ_ERR_UNAVAILABLE', 'too many connections');
      }
    } catch (err) {
      const evq = toEvqError(err);
      this.ctx.metrics.rejected.add({ reason: evq.code }, 1);
      rejectUpgrade(socket, evq);
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, url, route));
  }

  /** Refuses an upgrade with the status of `err` (a connection past the broker's limit gets 503). */
  refuse(socket: Duplex, err: EvqError): void {
    rejectUpgrade(socket, err);
  }

  #accept(ws: WebSocket, url: URL, route: { kind: 'ws' } | { kind: 'subscribe'; topic: string }): void {
    const format: DeliveryFormat =
      ws.protocol === SUBPROTOCOL_BINARY
        ? 'binary'
        : route.kind === 'subscribe' && url.searchParams.get('format') === 'raw'
          ? 'raw'
          : 'json';
    const connection = new Connection(ws, this.ctx, this, {
      format,
      softLimitBytes: this.options.softLimitBytes,
      hardLimitBytes: this.options.hardLimitBytes,
      maxSubscriptions: this.options.maxSubscriptionsPerConnection,
      memory: this.options.memory,
    });
    this.#connections.add(connection);
    this.ctx.metrics.connections.set({}, this.#connections.size);
    ws.on('close', () => {
      this.#connections.delete(connection);
      this.ctx.metrics.connections.set({}, this.#connections.size);
    });
    if (route.kind === 'subscribe') {
      const refuse = (err: unknown): void => {
        const evq = toEvqError(err);
        connection.close(CLOSE_CODES.policyViolation, `${evq.code}: ${evq.message}`);
      };
      try {
        const filter = url.searchParams.get('filter') ?? undefined;
        const partition = url.searchParams.get('partition');
        connection
          .subscribe({
            sub: 0,
            topic: route.topic,
            from: url.searchParams.get('from') ?? 'latest',
            ...(filter === undefined ? {} : { filter }),
            ...(partition === null ? {} : { partition: parseOffset(partition, 'partition') }),
          })
          .catch(refuse);
      } catch (err) {
        refuse(err);
      }
    }
  }

  #pingAll(): void {
    for (const connection of this.#connections) {
      const progressed = connection.progressedSinceLastPing();
      if (!connection.alive && !progressed) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }

  /** Closes every connection with 1001 (going away). */
  async close(): Promise<void> {
    clearInterval(this.#ping);
    const closing = [...this.#connections].map(
      (connection) =>
        new Promise<void>((resolve) => {
          connection.socket.once('close', () => resolve());
          connection.close(CLOSE_CODES.goingAway, 'the broker is shutting down');
          setTimeout(() => {
            connection.socket.terminate();
            resolve();
          }, 1000).unref();
        }),
    );
    await Promise.all(closing);
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}

function feedKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Answers a refused upgrade with a plain HTTP status line and closes the socket. */
function rejectUpgrade(socket: Duplex, err: EvqError): void {
  const extra = (err.status === 401 ? 'WWW-Authenticate: Bearer realm="evq"\r\n' : '') + (err.status === 503 ? 'Retry-After: 1\r\n' : '');
  socket.end(errorResponse(err.status, err.code, err.message, extra));
}
