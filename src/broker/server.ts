import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { EvqUsageError } from '../errors.js';
import { SystemClock, systemClock, type Clock } from '../core/clock.js';
import { LIMITS } from '../core/limits.js';
import { TokenAuth, isLoopback } from './auth.js';
import { ClassicGroups } from './groups/classic-groups.js';
import { GroupCoordinator, type CoordinatorLimits } from './groups/coordinator.js';
import { OffsetStore, topicGroupLag } from './groups/offset-store.js';
import type { BrokerContext, BrokerLimits } from './context.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { startKafkaListener, type KafkaListener } from './kafka/listener.js';
import { listen } from './listen.js';
import { DelayQueue } from './delay-queue.js';
import { DEFAULT_MEMORY_RETENTION_BYTES } from './storage/memory-topic-log.js';
import { ConnectionGuard } from './http/connection-guard.js';
import { createRequestHandler } from './http/router.js';
import { IdempotencyIndex } from './idempotency.js';
import { brokerInfo, RateSampler } from './info.js';
import { Ingest } from './ingest.js';
import { rebuildIdempotency } from './idempotency-rebuild.js';
import { openJournalStore } from './journal-store.js';
import { BrokerMetrics } from './metrics.js';
import { Reader } from './reader.js';
import { RequestGuard } from './request-guard.js';
import { nodeFileIO, type FileIO } from './storage/file-io.js';
import type { CorruptionReport, FsyncMode, RecoveryReport } from './storage/log.js';
import { TopicStore } from './storage/topic-store.js';
import { ConsoleFiles } from './ui/console.js';
import { WsHub } from './ws/hub.js';
import { BenchBoard } from './bench-board.js';

export interface BrokerOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  /** Keep topics in memory only (nothing on disk). */
  memory?: boolean;
  fsync?: FsyncMode;
  token?: string | undefined;
  /** More names the broker answers to in the Host header (`--allow-host`), besides its address. */
  allowHosts?: readonly string[] | undefined;
  /** Origins of web pages trusted to use the broker (`--allow-origin`), besides its own. */
  allowOrigins?: readonly string[] | undefined;
  maxMessageBytes?: number;
  retentionBytes?: number | undefined;
  retentionAgeMs?: number | undefined;
  segmentBytes?: number;
  /** Partitions of a topic created by a first produce (default 1). */
  defaultPartitions?: number;
  maxConnections?: number;
  /** Bytes queued for a subscriber before it stops getting live data and catches up from the log. */
  subscriberSoftLimitBytes?: number;
  subscriberHardLimitBytes?: number;
  pingIntervalMs?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** The file system of the storage (tests inject faults through it). */
  io?: FileIO;
  clock?: Clock;
  /** Limits of consumer groups (members per group, groups, session timeouts); defaults from LIMITS. */
  groupLimits?: Partial<CoordinatorLimits>;
  /** Open a Kafka listener on this port beside the HTTP one (0 picks a free port); absent: none. */
  kafkaPort?: number | undefined;
  /** The host Kafka Metadata names (default: the bind address). */
  kafkaAdvertisedHost?: string | undefined;
  /** Serve the web console under /ui/ (default true; `--no-ui` turns it off). */
  ui?: boolean;
  /** `--ui-read-only`: the console hides its mutating actions and the broker refuses them when they come from it. */
  uiReadOnly?: boolean;
  /** Told why the Kafka listener closed a connection (a request it does not take). */
  onKafkaConnectionError?: (message: string) => void;
}

/** A running broker. */
export interface Broker {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The Kafka listener's address (`kafka://host:port`, the advertised host), or null without `kafkaPort`. */
  readonly kafkaUrl: string | null;
  readonly kafkaPort: number | null;
  /** `http://host:port/ui/`, the web console's address, or null with `ui: false`. */
  readonly consoleUrl: string | null;
  /** What opening the topic logs repaired or found damaged (for the start-up report). */
  readonly recovery: RecoveryReport[];
  /** Calls `listener` when a read finds damage in a sealed segment not known at start. Returns the unsubscribe function. */
  onCorruption(listener: (report: CorruptionReport) => void): () => void;
  /** In-memory state, for tests and metrics: open connections, subscriptions, and HTTP long polls waiting for records. */
  stats(): { connections: number; subscriptions: number; feeds: number; delayedPending: number; longPolls: number };
  /** Stops accepting, finishes appends in flight, fsyncs, closes subscribers with 1001. */
  close(): Promise<void>;
}

export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token === '' ? undefined : options.token;
  if (!isLoopback(host) && token === undefined) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `refusing to listen on ${host} without a token: anyone who can reach it could read and write every topic; set --token (or EVQ_TOKEN), or bind to 127.0.0.1`,
    );
  }
  // checked before anything is opened: a bad --allow-origin is a usage error, not a half-started broker
  const requestGuard = new RequestGuard({ bindHost: host, allowHosts: options.allowHosts, allowOrigins: options.allowOrigins });
  const memory = options.memory === true;
  const io = memory ? null : (options.io ?? nodeFileIO);
  const dataDir = resolve(options.dataDir ?? './evq-data');
  const clock = options.clock ?? systemClock;
  const limits: BrokerLimits = {
    maxMessageBytes: options.maxMessageBytes ?? LIMITS.maxMessageBytes,
    maxKeyBytes: LIMITS.maxKeyBytes,
    maxHeaderCount: LIMITS.maxHeaderCount,
    maxHeaderBytes: LIMITS.maxHeaderBytes,
    maxBatchBytes: Math.max(LIMITS.maxBatchBytes, options.maxMessageBytes ?? 0),
    maxBatchCount: LIMITS.maxBatchCount,
    maxDelayMs: LIMITS.maxDelayMs,
    maxHttpBodyBytes: Math.max(LIMITS.maxHttpBodyBytes, (options.maxMessageBytes ?? 0) * 2),
    maxReadLimit: LIMITS.maxReadLimit,
    defaultReadLimit: LIMITS.defaultReadLimit,
    maxLongPollMs: LIMITS.maxLongPollMs,
    maxFilterLength: LIMITS.maxFilterLength,
  };

  const metrics = new BrokerMetrics();
  let lock: DataDirLock | null = null;
  if (io !== null) {
    await mkdir(dataDir, { recursive: true });
    lock = await lockDataDir(dataDir);
  }
  let opened: Awaited<ReturnType<typeof openState>>;
  try {
    opened = await openState(io, dataDir, options, limits, metrics, clock, memory);
  } catch (err) {
    await lock?.release();
    throw err;
  }
  const { store, dedup, groups, ingest, reader, delays, damageFound } = opened;

  // member expiry timers must not keep a process alive that has nothing else to do
  const coordinator = new GroupCoordinator(store, options.clock ?? new SystemClock({ unref: true }), {
    maxGroups: LIMITS.maxGroups,
    maxGroupMembers: LIMITS.maxGroupMembers,
    minSessionTimeoutMs: LIMITS.minSessionTimeoutMs,
    maxSessionTimeoutMs: LIMITS.maxSessionTimeoutMs,
    defaultSessionTimeoutMs: LIMITS.defaultSessionTimeoutMs,
    ...options.groupLimits,
  });
  const kafkaGroups = new ClassicGroups(options.clock ?? new SystemClock({ unref: true }), {
    minSessionTimeoutMs: LIMITS.minSessionTimeoutMs,
    maxSessionTimeoutMs: LIMITS.maxSessionTimeoutMs,
    maxGroupMembers: options.groupLimits?.maxGroupMembers ?? LIMITS.maxGroupMembers,
    maxGroups: options.groupLimits?.maxGroups ?? LIMITS.maxGroups,
  });
  let hub: WsHub | undefined;
  const ctx: BrokerContext = {
    store,
    ingest,
    reader,
    delays,
    groups,
    coordinator,
    kafkaGroups,
    metrics,
    benchRuns: new BenchBoard(() => clock.now()),
    limits,
    clock,
    subscriberCount: (topic) => hub?.subscriberCount(topic) ?? 0,
    topicDeleted: (topic) => {
      dedup.forgetTopic(topic);
      hub?.topicDeleted(topic);
    },
  };
  const auth = new TokenAuth(token);
  hub = new WsHub(ctx, auth, requestGuard, {
    maxPayloadBytes: Math.max(LIMITS.maxWsPayloadBytes, limits.maxBatchBytes + 64 * 1024),
    pingIntervalMs: options.pingIntervalMs ?? LIMITS.pingIntervalMs,
    softLimitBytes: options.subscriberSoftLimitBytes ?? LIMITS.subscriberSoftLimitBytes,
    hardLimitBytes: options.subscriberHardLimitBytes ?? LIMITS.subscriberHardLimitBytes,
    maxSubscriptionsPerConnection: LIMITS.maxSubscriptionsPerConnection,
    maxConnections: options.maxConnections ?? LIMITS.maxConnections,
    maxFragments: LIMITS.maxWsFragments,
    memory,
  });
  const wsHub = hub;
  metrics.collect(() => {
    // every topic's subscribers, also of a topic subscribed to before it exists (none kept for a deleted one)
    metrics.subscribers.values.clear();
    for (const topic of new Set([...store.list().map((info) => info.topic), ...wsHub.feedTopics()])) {
      metrics.subscribers.set({ topic }, wsHub.subscriberCount(topic));
    }
    for (const g of groups.groupsOf()) {
      // the same figure as GET /groups: every partition, one without a commit from its log's start
      metrics.groupLag.set({ topic: g.topic, group: g.group }, topicGroupLag(store.get(g.topic)?.partitions ?? [], g.partitions));
    }
  });

  const headersTimeout = options.headersTimeoutMs ?? LIMITS.headersTimeoutMs;
  const server = createServer({
    headersTimeout,
    requestTimeout: Math.max(options.requestTimeoutMs ?? LIMITS.requestTimeoutMs, headersTimeout),
    // Node checks the two timeouts above only this often (its default, 30 s, would let a slow-header
    // client hold its connection for up to 30 s past the headers timeout)
    connectionsCheckingInterval: Math.max(100, Math.min(LIMITS.connectionsCheckingIntervalMs, Math.floor(headersTimeout / 4))),
    keepAliveTimeout: LIMITS.keepAliveTimeoutMs,
    maxHeaderSize: LIMITS.maxHttpHeaderBytes,
  });
  server.maxHeadersCount = LIMITS.maxHttpHeaderCount;
  const guard = new ConnectionGuard(options.maxConnections ?? LIMITS.maxConnections, metrics);
  guard.attach(server, LIMITS.connectionRefusalHeadroom);
  const consoleFiles = options.ui === false ? null : new ConsoleFiles({ readOnly: options.uiReadOnly === true });
  const sampler = new RateSampler(metrics, clock);
  const startedAt = clock.now();
  // the listeners are known once they listen (below): GET /info reads them at each request
  let listeners = { http: '', kafka: null as string | null, console: null as string | null };
  let kafka: KafkaListener | null = null;
  const info = () =>
    brokerInfo(
      ctx,
      {
        startedAt,
        dataDir: memory ? null : dataDir,
        fsync: options.fsync ?? 'always',
        retention: {
          bytesPerPartition: options.retentionBytes ?? (memory ? DEFAULT_MEMORY_RETENTION_BYTES : null),
          ageMs: options.retentionAgeMs ?? null,
        },
        listeners: () => listeners,
        connections: () => ({ http: guard.open, websocket: wsHub.connectionCount, kafka: kafka?.connectionCount ?? 0 }),
        subscribers: () => wsHub.subscriptionCount,
        delayedPending: () => delays.pending,
      },
      sampler,
    );
  const handleRequest = createRequestHandler(ctx, auth, requestGuard, consoleFiles, info);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!guard.refuseRequest(req, res)) handleRequest(req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const refusal = guard.refusal(socket);
    if (refusal !== null) wsHub.refuse(socket, refusal);
    else wsHub.handleUpgrade(req, socket, head);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const retentionTimer = setInterval(() => void store.enforceRetention(clock.now()).catch(() => undefined), 60_000);
  retentionTimer.unref();

  try {
    await listen(server, host, options.port ?? 7070);
    if (options.kafkaPort !== undefined) {
      kafka = await startKafkaListener(ctx, {
        host,
        port: options.kafkaPort,
        advertisedHost: options.kafkaAdvertisedHost,
        maxConnections: options.maxConnections ?? LIMITS.maxConnections,
        token: token ?? null,
        onConnectionError: options.onKafkaConnectionError,
      });
    }
  } catch (err) {
    server.close();
    clearInterval(retentionTimer);
    coordinator.close();
    kafkaGroups.close();
    await delays.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await lock?.release();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | null = null;
  listeners = {
    http: `http://${urlHost}:${address.port}`,
    kafka: kafka === null ? null : `kafka://${kafka.advertised}`,
    console: consoleFiles === null ? null : `http://${urlHost}:${address.port}/ui/`,
  };
  sampler.start();

  return {
    url: `http://${urlHost}:${address.port}`,
    host: address.address,
    port: address.port,
    kafkaUrl: kafka === null ? null : `kafka://${kafka.advertised}`,
    kafkaPort: kafka?.port ?? null,
    consoleUrl: consoleFiles === null ? null : `http://${urlHost}:${address.port}/ui/`,
    recovery: [...store.recovery, delays.recovery],
    onCorruption: (listener) => {
      // damage met while starting (the idempotency scan reads the tail of each log) is told first
      for (const report of damageFound) listener(report);
      return store.onCorruption(listener);
    },
    stats: () => ({
      connections: wsHub.connectionCount,
      subscriptions: wsHub.subscriptionCount,
      feeds: wsHub.feedCount,
      delayedPending: delays.pending,
      longPolls: reader.pendingLongPolls,
    }),
    close: () => {
      closing ??= (async () => {
        clearInterval(retentionTimer);
        sampler.stop();
        const stopped = new Promise<void>((done) => server.close(() => done()));
        server.closeIdleConnections();
        await kafka?.close();
        await wsHub.close();
        // requests in flight get a moment to finish; then their sockets go
        const grace = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, 2000);
        await stopped;
        clearTimeout(grace);
        await delays.close();
        coordinator.close();
        kafkaGroups.close();
        await groups.close();
        await store.close();
        await lock?.release();
      })();
      return closing;
    },
  };
}

/** Opens what the broker keeps: topic logs, idempotency keys, group offsets and the delay queue. */
async function openState(
  io: FileIO | null,
  dataDir: string,
  options: BrokerOptions,
  limits: BrokerLimits,
  metrics: BrokerMetrics,
  clock: Clock,
  memory: boolean,
) {
  const store = await TopicStore.open(io, dataDir, {
    fsync: options.fsync ?? 'always',
    segmentBytes: options.segmentBytes ?? LIMITS.segmentBytes,
    retentionBytes: options.retentionBytes ?? (memory ? DEFAULT_MEMORY_RETENTION_BYTES : null),
    retentionAgeMs: options.retentionAgeMs ?? null,
    defaultPartitions: options.defaultPartitions ?? LIMITS.defaultPartitions,
    limits,
    onFsync: (seconds: number) => metrics.observeFsync(seconds),
  });
  const damageFound: CorruptionReport[] = [];
  const stopCollecting = store.onCorruption((report) => damageFound.push(report));
  try {
    const dedup = new IdempotencyIndex();
    await rebuildIdempotency(store, dedup, clock.now());
    const groups = await OffsetStore.open(io, dataDir);
    const ingest = new Ingest(store, dedup, metrics, limits, clock);
    const reader = new Reader(store, ingest, metrics);
    const journal = openJournalStore(io, join(dataDir, 'delayed'), options.fsync ?? 'always');
    const delays = await DelayQueue.open(journal, ingest, clock, metrics);
    ingest.delays = delays;
    stopCollecting();
    return { store, dedup, groups, ingest, reader, delays, damageFound };
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}
