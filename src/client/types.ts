/**
 * The client library's API: what `connect(url)` returns, whatever the transport behind the URL (evq's own
 * broker over HTTP + WebSocket today; NATS JetStream later, behind the same interface). The CLI uses only
 * these types, so it has no transport-specific branches.
 */

import type { GroupDescription, GroupInfo, GroupReset, GroupResetTo, TopicChange, TopicDescription, TopicInfo } from '../protocol/http.js';
import type { EvqRecord } from '../protocol/record.js';

export type { EvqRecord } from '../protocol/record.js';
// the JSON shapes of the topic and group routes, defined with the rest of the wire format
export type {
  GroupDescription,
  GroupInfo,
  GroupMemberInfo,
  GroupPartitionOffsets,
  GroupReset,
  GroupResetTo,
  PartitionOffsets,
  TopicChange,
  TopicDescription,
  TopicInfo,
} from '../protocol/http.js';

export interface ConnectOptions {
  /** Access token (`Authorization: Bearer`), default `EVQ_TOKEN` is read by the CLI, not here. */
  token?: string | undefined;
  /** Give up connecting / waiting for an answer after this long (ms). Default 10,000. */
  timeoutMs?: number;
}

/** One message to produce. Strings are sent as UTF-8. */
export interface ProduceMessage {
  value: Buffer | string;
  key?: string | null;
  headers?: Record<string, string> | null;
  /** The record's time (ms since the epoch); absent, the broker stamps it on arrival. */
  timestamp?: number;
}

export interface ProduceOptions {
  /** Messages per batch (default 1,000, at most 1,000). */
  batchSize?: number;
  /** Bytes per batch (default 1 MiB). */
  batchBytes?: number;
  /** Longest wait before a partial batch is sent, ms (default 5). */
  lingerMs?: number;
  /** Batches awaiting acknowledgement at once (default 16). */
  maxInFlight?: number;
  /** Deliver after this delay (ms) / at this time (ms since the epoch). */
  delayMs?: number;
  at?: number;
  /** Send each batch with an idempotency key so a retried batch is never appended twice. */
  idempotent?: boolean;
  /** Compress batches on the wire (snappy, lz4 and zstd over kafka:// only; zstd is decoded by evq, not encoded). */
  compression?: 'gzip' | 'snappy' | 'lz4' | 'zstd' | 'none';
  /**
   * Over kafka://: which acknowledgement a batch waits for — `all` (every in-sync replica, the default), `1` (the
   * leader) or `0` (none: a message is counted once sent, its offset unknown, -1). Other transports take `all` only.
   */
  acks?: 'all' | 1 | 0;
  /**
   * Append every message to this partition (from 0). Absent, the broker places each message: a keyed one by
   * `toPositive(murmur2(key)) % partitions` (Kafka's default partitioner), the unkeyed ones of a batch together.
   */
  partition?: number;
  /** Retries of a batch after a retryable failure (connection lost, timeout), with backoff. Default 5. */
  retries?: number;
  /**
   * Called once per acknowledged message, in input order. The offset of a delayed message is -1 when the
   * broker holds it (evq), its real offset when this process held it (NATS, see `onHold`).
   */
  onAck?: (ack: MessageAck) => void;
  /**
   * Called for a message the broker rejected for good (too large, invalid): it is not retried and does not
   * fail the whole produce. Without this option such a rejection fails the produce.
   */
  onReject?: (rejection: MessageRejection) => void;
  /** Aborts the produce: what was acknowledged stays acknowledged. */
  signal?: AbortSignal;
  /**
   * Told once when this process holds delayed messages until their delivery time because the broker has no
   * delayed delivery (NATS JetStream): the produce then resolves only once they were sent and acknowledged,
   * so the process must stay up until then.
   */
  onHold?: (hold: { until: number }) => void;
  /**
   * Largest message value the broker takes (its `--max-message-bytes`): messages are checked against it (and
   * the other default limits) before they are sent. Default 1 MiB, the broker's default.
   */
  maxMessageBytes?: number;
}

export interface MessageAck {
  /** Position of the message in the input, from 0. */
  index: number;
  /** The partition it was appended to (0 for a topic of one partition; 0 too for a delayed message the broker holds). */
  partition: number;
  offset: number;
  delayed: boolean;
}

export interface MessageRejection {
  index: number;
  message: ProduceMessage;
  code: string;
  reason: string;
}

export interface ProduceResult {
  /** Messages acknowledged (appended, or accepted for delayed delivery). */
  acknowledged: number;
  rejected: number;
  /** First and last offset acknowledged (null when none, or all delayed); of every partition mixed: see `partitions`. */
  firstOffset: number | null;
  lastOffset: number | null;
  /** Per partition that got messages, in partition order: how many and their first and last offset (delayed ones not counted). */
  partitions?: PartitionAcks[];
  elapsedMs: number;
  /** Bytes sent on the wire (after compression). */
  wireBytes: number;
  /** Of the acknowledged messages, those accepted for delayed delivery. */
  delayed?: number;
  /** Batches sent (not counting resends). */
  batches?: number;
  /** Most batches that awaited their acknowledgement at once (never above `maxInFlight`). */
  maxInFlight?: number;
  /** Batches sent again after a lost connection (idempotent produce only). */
  resent?: number;
}

/** The acknowledged messages of one partition in a produce. */
export interface PartitionAcks {
  partition: number;
  count: number;
  firstOffset: number;
  lastOffset: number;
}

/**
 * Where a read or subscription starts; `{ last: N }` is the last N records (of each partition), `{ time: MS }`
 * the first record stamped at or after MS (of each partition; past the end means the end).
 */
export type From = 'earliest' | 'latest' | number | { last: number } | { time: number };

export interface SubscribeOptions {
  /**
   * Where to start in each partition (default `latest`). An offset needs `partition` on a topic of more than one
   * partition; `{ last: N }` and `{ time: MS }` apply to each partition.
   */
  from?: From;
  /** Read only this partition; absent, every partition of the topic (and those it gets later), each in order. */
  partition?: number;
  /** A filter expression; it runs on the broker (docs/FILTERS.md). */
  filter?: string;
  /** Reconnect with backoff after a lost connection, resuming after the last record seen. Default true. */
  reconnect?: boolean;
  /** Ends the subscription (as `close()`). */
  signal?: AbortSignal;
  /** Reconnect attempts in a row before the subscription fails (default unlimited). */
  maxReconnectAttempts?: number;
  /** Told when the connection is lost and when it is back (for a "reconnecting…" line on stderr). */
  onStatus?: (status: SubscriptionStatus) => void;
  /** Records buffered before the socket is paused (default 1,000; also at most 8 MiB of values). */
  highWaterMark?: number;
}

export type SubscriptionStatus =
  | { type: 'disconnected'; error: Error; lastOffset: number | null; positions?: PartitionPosition[] }
  | { type: 'reconnecting'; attempt: number; delayMs: number }
  | { type: 'reconnected'; from: number; positions?: PartitionPosition[] };

/**
 * Where a subscription stands in one partition: the next offset it delivers. `positions` of the statuses (and
 * `Subscription.positions()`) list every partition read; on a topic of one partition `lastOffset`/`from` say it.
 */
export interface PartitionPosition {
  partition: number;
  next: number;
}

/**
 * A live subscription: an async iterable of records, in offset order within each partition, with no gaps or
 * repeats (a subscription of every partition has no order across partitions).
 */
export interface Subscription extends AsyncIterable<EvqRecord> {
  readonly topic: string;
  /** Stops the subscription; the iteration ends. */
  close(): Promise<void>;
  /** Resolves when the subscription has ended: with null when closed by the caller, else with the error. */
  readonly closed: Promise<Error | null>;
  [Symbol.asyncDispose](): Promise<void>;
  /**
   * Resolves with the offset the subscription starts at once the broker has confirmed it (records produced
   * after that are delivered); rejects when it could not start (the same error the iteration throws).
   */
  readonly ready?: Promise<number>;
  /** The next offset of each partition read so far (empty before the broker confirmed), in partition order. */
  positions?(): PartitionPosition[];
  /**
   * Instead of iterating: every record queued now (at most `max`; with none queued, the next ones to arrive),
   * one promise per batch of records rather than one per record. Resolves with an empty array once the
   * subscription has ended; rejects with what ended it, as the iteration throws. Not to be mixed with the
   * iteration.
   */
  nextBatch?(max?: number): Promise<EvqRecord[]>;
}

export interface ConsumeOptions {
  /**
   * Read as a member of this consumer group: the broker gives each member of the group its own partitions of
   * the topic (a 1-partition topic: one member reads, the others wait), the read resumes from and commits
   * the group's offsets, at least once.
   */
  group?: string;
  /**
   * With a group: a member that the broker hears nothing from (no read, commit or heartbeat) for this long (ms)
   * loses its partitions to the others. The client heartbeats every third of it. Default: the broker's (10 s).
   */
  sessionTimeoutMs?: number;
  /** Without a group: read only this partition (default every partition; one partition each in turn). */
  partition?: number;
  /**
   * Where the read starts in each partition (default earliest); an offset needs `partition` on a topic of
   * several. For a group, only places partitions that have no committed offset yet.
   */
  from?: From;
  /**
   * With a group: awaited before the client commits records it has handed out. A caller that buffers what it
   * does with them (the CLI's stdout) writes them out here, so nothing is committed that a kill would lose.
   */
  beforeCommit?: () => Promise<void> | undefined;
  /** Most records in all. */
  limit?: number;
  filter?: string;
  /** Wait for new records at the end of the log instead of ending there. */
  follow?: boolean;
  /**
   * Wait for a topic that does not exist (yet) to be created instead of failing with EVQ_ERR_NOT_FOUND
   * ({@link TopicGoneError}). Default false.
   */
  allowMissing?: boolean;
  /** With `allowMissing`: told once, when the read finds the topic missing and starts waiting for it. */
  onWaiting?: (topic: string) => void;
  /** Commit each page's next offset (groups). Default true with a group. */
  commit?: boolean;
  /** Ends the iteration. */
  signal?: AbortSignal;
  /** Records asked for per request (default 1,000, at most 10,000). */
  pageSize?: number;
  /** With `follow`, how long one request waits for new records, ms (default 30,000, at most 60,000). */
  waitMs?: number;
  /**
   * With a group: told once when retention removed records the group had not read yet (its committed offset
   * was below the log's start): the read goes on at the log's start, `missed` records later.
   */
  onMissed?: (missed: GroupMissed) => void;
}

export interface GroupMissed {
  topic: string;
  group: string;
  /** Records removed by retention before the group read them. */
  missed: number;
}

/** How a topic is made (`evq topics create`); absent: the broker's default. */
export interface TopicSettings {
  /** Partitions of the topic (default 1, or the broker's `--default-partitions`); over nats:// a stream is one. */
  partitions?: number;
  /** Copies of each partition (kafka:// only; absent: the cluster's default). */
  replicationFactor?: number;
  /** Oldest messages are dropped past this many bytes. */
  retentionBytes?: number;
  /** Messages older than this (ms) are dropped. */
  retentionAgeMs?: number;
}

/** A connection to a broker. */
export interface EvqClient {
  readonly url: string;
  /** Produces messages (an array or a stream): batched, windowed acknowledgements in order. */
  produce(
    topic: string,
    messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage>,
    options?: ProduceOptions,
  ): Promise<ProduceResult>;
  subscribe(topic: string, options?: SubscribeOptions): Subscription;
  /** Pulls records; the iteration ends at the end of the log unless `follow`. */
  consume(topic: string, options?: ConsumeOptions): AsyncIterable<EvqRecord>;
  topics(): Promise<TopicInfo[]>;
  /**
   * Creates a topic; resolves with false when it existed already (it is then left as it is). With `partitions`,
   * a topic that exists with another count is `EVQ_ERR_CONFLICT`.
   */
  createTopic(topic: string, settings?: TopicSettings): Promise<boolean>;
  /** Grows a topic to `partitions` partitions (never fewer: `EVQ_ERR_INVALID_ARGUMENT`); resolves with the counts before and after. */
  alterTopic(topic: string, settings: { partitions: number }): Promise<TopicChange>;
  /** One topic with its partitions and groups; null when it does not exist. */
  describeTopic(topic: string): Promise<TopicDescription | null>;
  deleteTopic(topic: string): Promise<void>;
  /** Every consumer group, per topic, with its lag and members. */
  groups(): Promise<GroupInfo[]>;
  /** One group: its members, what each owns, and per partition the committed offset, end and lag. */
  describeGroup(group: string): Promise<GroupDescription>;
  /** Moves a group's committed offset on a topic (backwards too); with `dryRun` only says what it would do. */
  resetGroup(topic: string, group: string, to: GroupResetTo, options?: { dryRun?: boolean }): Promise<GroupReset>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
