/**
 * The HTTP side of the wire contract: header names, query parameters and route paths that the broker
 * serves and the client calls. docs/PROTOCOL.md describes each with curl examples.
 */

import type { ErrorDetails } from '../errors.js';

export const HEADERS = {
  /** Sent by the web console on every request it makes: under `evq serve --ui-read-only` the broker refuses its mutating ones. */
  console: 'evq-console',
  /** The key of a message produced with a single-message POST. */
  key: 'evq-key',
  /** Prefix of a message header in a single-message POST: `evq-header-type: deposit` sets header `type`. */
  headerPrefix: 'evq-header-',
  /** Deliver the message after this delay (`5s`, `250ms`, or milliseconds). */
  delay: 'evq-delay',
  /** Deliver the message at this time (ISO 8601 or milliseconds since the epoch). */
  at: 'evq-at',
  /** Idempotency key: a repeat within the window is acknowledged with the first offset, not appended again. */
  idempotencyKey: 'evq-idempotency-key',
  /** On reads: the offset to ask for next. */
  nextOffset: 'evq-next-offset',
  /** On reads: records the read looked at (matched by its filter or not), and their value bytes. */
  scanned: 'evq-scanned',
  scannedBytes: 'evq-scanned-bytes',
  /** On reads: the topic's end offset (lower than before only when the topic was deleted and created again, or the broker lost its unsynced tail). */
  endOffset: 'evq-end-offset',
  /** On group reads: the group's committed offset after the read. */
  committedOffset: 'evq-committed-offset',
  /** On group reads: records retention removed between the group's committed offset and the log's start. */
  groupMissed: 'evq-group-missed',
  /** On member reads of a group: the group's generation the read was served in. */
  generation: 'evq-generation',
  /**
   * On member reads of a group: per partition read, the offset to commit once every record of the page was
   * taken (past records the filter skipped): JSON `{"<topic>": {"<partition>": next}}`.
   */
  nextOffsets: 'evq-next-offsets',
  /** On produce: the partition to append to (else the broker places each message by its key). */
  partition: 'evq-partition',
  /** Header kept on a delayed message: when it was produced (ms since the epoch). */
  producedAt: 'evq-produced-at',
} as const;

export const CONTENT_TYPES = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  octetStream: 'application/octet-stream',
  /** A member read's binary body (protocol/member-batches.ts), sent when the request's Accept names it. */
  batches: 'application/vnd.evq.batches',
} as const;

/**
 * The media types (Content-Type without its parameters, lower case) of request bodies. Each route that takes
 * a body accepts only its own (docs/PROTOCOL.md, "Browsers"): a form or `text/plain` body, which any web page
 * can send without asking, never produces.
 */
export const MEDIA_TYPES = {
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  octetStream: 'application/octet-stream',
  /** `Accept` of a member read that wants the binary body (protocol/member-batches.ts) instead of NDJSON. */
  batches: 'application/vnd.evq.batches',
  /** curl's default for `-d`: accepted by the seed route `POST /produce/{topic}` only, and only without `Origin`. */
  form: 'application/x-www-form-urlencoded',
} as const;

/** What each body-taking route accepts. A request without `Origin` may also leave Content-Type out. */
export const ROUTE_BODY_TYPES = {
  /** POST /topics/{topic}/messages: the body is the message as it is. */
  message: [MEDIA_TYPES.octetStream, MEDIA_TYPES.json],
  /** POST /produce/{topic}: the same, plus curl's default form type without `Origin`. */
  seedProduce: [MEDIA_TYPES.octetStream, MEDIA_TYPES.json],
  /** POST /topics/{topic}/batch: NDJSON. */
  batch: [MEDIA_TYPES.ndjson, 'application/ndjson'],
  /** PUT /topics/{topic} (`{"partitions": N}`, or no body) and PATCH /topics/{topic} (`{"partitions": N}`). */
  topic: [MEDIA_TYPES.json],
  /** POST /topics/{topic}/groups/{group}/commit: a small JSON object. */
  commit: [MEDIA_TYPES.json],
  /** POST /topics/{topic}/groups/{group}/reset: a small JSON object. */
  reset: [MEDIA_TYPES.json],
  /** POST /groups/{group}/members: `{"topics": [...], "sessionTimeoutMs"?: N, "clientId"?: "…"}`. */
  join: [MEDIA_TYPES.json],
  /** POST /groups/{group}/members/{member}/commit: `{"generation": G, "offsets": [{topic, partition, offset}]}`. */
  memberCommit: [MEDIA_TYPES.json],
  /** POST /bench/runs/{id}: a running `evq bench` reports its progress (`BenchRunUpdate`). */
  benchRun: [MEDIA_TYPES.json],
} as const satisfies Record<string, readonly string[]>;

export type BodyRoute = keyof typeof ROUTE_BODY_TYPES;

/** Builds the paths of the routes, so client and broker agree on them. */
export const PATHS = {
  topics: () => '/topics',
  topic: (topic: string) => `/topics/${encodeURIComponent(topic)}`,
  messages: (topic: string) => `/topics/${encodeURIComponent(topic)}/messages`,
  batch: (topic: string) => `/topics/${encodeURIComponent(topic)}/batch`,
  offsets: (topic: string) => `/topics/${encodeURIComponent(topic)}/offsets`,
  groupMessages: (topic: string, group: string) => `/topics/${encodeURIComponent(topic)}/groups/${encodeURIComponent(group)}/messages`,
  groupCommit: (topic: string, group: string) => `/topics/${encodeURIComponent(topic)}/groups/${encodeURIComponent(group)}/commit`,
  groupReset: (topic: string, group: string) => `/topics/${encodeURIComponent(topic)}/groups/${encodeURIComponent(group)}/reset`,
  group: (topic: string, group: string) => `/topics/${encodeURIComponent(topic)}/groups/${encodeURIComponent(group)}`,
  groups: () => '/groups',
  /** GET: the whole group (members, assignments, offsets and lag per partition); DELETE: forget a group without members. */
  groupDescription: (group: string) => `/groups/${encodeURIComponent(group)}`,
  /** POST: join the group (201 with the member id, generation and assignment). */
  groupMembers: (group: string) => `/groups/${encodeURIComponent(group)}/members`,
  /** DELETE: leave the group (its partitions go to the others at once). */
  groupMember: (group: string, member: string) => `/groups/${encodeURIComponent(group)}/members/${encodeURIComponent(member)}`,
  /** POST: heartbeat; answers the generation and the member's assignment. */
  memberHeartbeat: (group: string, member: string) =>
    `/groups/${encodeURIComponent(group)}/members/${encodeURIComponent(member)}/heartbeat`,
  /** GET: NDJSON records of the member's partitions from their committed offsets (a heartbeat too). */
  memberMessages: (group: string, member: string) => `/groups/${encodeURIComponent(group)}/members/${encodeURIComponent(member)}/messages`,
  /** POST: commit the member's offsets, fenced by its generation. */
  memberCommit: (group: string, member: string) => `/groups/${encodeURIComponent(group)}/members/${encodeURIComponent(member)}/commit`,
  /** GET: the `evq bench` runs that reported to this broker, newest first (`BenchRunList`). */
  benchRuns: () => '/bench/runs',
  /** GET: one run with its per-second points (`BenchRunInfo`); POST: a running bench's update (`BenchRunUpdate`). */
  benchRun: (id: string) => `/bench/runs/${encodeURIComponent(id)}`,
  ws: () => '/ws',
  healthz: () => '/healthz',
  metrics: () => '/metrics',
  // the routes of the classic broker tutorial
  legacyProduce: (topic: string) => `/produce/${encodeURIComponent(topic)}`,
  legacyConsume: (topic: string) => `/consume/${encodeURIComponent(topic)}`,
  legacySubscribe: (topic: string) => `/subscribe/${encodeURIComponent(topic)}`,
} as const;

/**
 * Where a read starts in each partition: the first retained record, the end of the log, an offset, the last N
 * records (`{last: N}`), or the first record stamped at or after a time (`{time: MS}`, ms since the epoch).
 */
export type StartPosition = 'earliest' | 'latest' | number | { last: number } | { time: number };

/** A record as JSON on the wire (NDJSON reads, JSON text frames): value as text, or base64 when not UTF-8. */
export interface WireRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  headers: Record<string, string> | null;
  value?: string;
  valueBase64?: string;
}

/** One partition's offsets and size. */
export interface PartitionOffsets {
  partition: number;
  /** First offset still retained. */
  startOffset: number;
  /** The offset the next record gets. */
  endOffset: number;
  messageCount: number;
  sizeBytes: number;
}

/**
 * A topic's offsets and size, as the broker keeps them and `GET /topics` lists them (with `subscribers`). For a
 * topic of one partition the offsets are its partition's; for more, `startOffset` and `endOffset` are sums over
 * the partitions (`endOffset - startOffset` is still the message count) and `partitions` has each one's.
 */
export interface TopicOffsets {
  topic: string;
  /** First offset still retained (the sum over partitions of a topic of more than one). */
  startOffset: number;
  /** The offset the next record gets (the sum over partitions of a topic of more than one). */
  endOffset: number;
  messageCount: number;
  sizeBytes: number;
  /** Every partition's offsets, by partition number (one entry for a topic of one partition). */
  partitions: PartitionOffsets[];
}

/** The part of a produce that went to one partition. */
export interface PartitionAppendReply {
  partition: number;
  baseOffset: number;
  lastOffset: number;
  count: number;
}

/**
 * The body of an acknowledged produce (`POST /topics/{topic}/messages` and `/batch`; the WebSocket `ack` has the
 * same fields). `partition`, `offset`, `baseOffset` and `lastOffset` are the first part's; `partitions` has one
 * part per partition the batch went to; when there are several, `placement` has the partition of each message in
 * batch order (message i's offset is its part's `baseOffset` plus the number of earlier messages of that part).
 */
export interface ProduceReply {
  topic: string;
  partition: number;
  offset: number;
  baseOffset: number;
  lastOffset: number;
  count: number;
  duplicate: boolean;
  partitions: PartitionAppendReply[];
  placement?: number[];
}

/** The body of `PUT /topics/{topic}` (201 created, 200 it existed) and `PATCH /topics/{topic}`. */
export interface TopicChange {
  topic: string;
  /** The partition count now. */
  partitions: number;
  /** PUT: whether it was created. */
  created?: boolean;
  /** PATCH: the count before. */
  previous?: number;
}

/** The body of `GET /topics/{topic}/offsets?time=T`: per partition, the first offset stamped at or after T (the end offset when none is). */
export interface TopicTimeOffsets {
  topic: string;
  time: number;
  partitions: Array<{ partition: number; offset: number; timestamp: number | null }>;
}

/** The body of an error reply (HTTP) and of an error frame (WebSocket). */
export interface WireError {
  /** `details`: what a program may branch on besides the code (see ErrorDetails in src/errors.ts), when there is any. */
  error: { code: string; message: string; details?: ErrorDetails };
}

/** A topic as `GET /topics` lists it (and the client's `topics()` returns it): its offsets and size, and its live subscribers. */
export interface TopicInfo extends TopicOffsets {
  subscribers: number;
}

/** The body of `GET /topics`. */
export interface TopicList {
  topics: TopicInfo[];
}

/** The body of `GET /topics/{topic}`: the topic and the groups with a committed offset on it. */
export interface TopicDescription extends TopicInfo {
  groups: Array<{ group: string; committed: number; lag: number }>;
}

/** A consumer group on one topic, as `GET /groups` and `GET /topics/{topic}/groups/{group}` answer. */
export interface GroupInfo {
  group: string;
  topic: string;
  /** The next offset the group reads. */
  committed: number;
  endOffset: number;
  /** Records from the committed offset (or the log's start) to the end. */
  lag: number;
  /** Records retention removed before the group read them. */
  missed: number;
  /** Consumers of the group reading now. */
  members: number;
  /** When the offset was last committed (ms since the epoch). */
  updatedAt: number;
  /**
   * On a topic of more than one partition only: each partition's figures (the fields above are their sums; a
   * partition without a commit counts from the log's start). A topic of one partition answers without it.
   */
  partitions?: GroupInfoPartition[];
}

/** A group's offsets on one partition of a topic, in `GroupInfo.partitions`. */
export interface GroupInfoPartition {
  partition: number;
  /** The next offset the group reads (null: nothing committed on this partition). */
  committed: number | null;
  endOffset: number;
  lag: number;
  missed: number;
}

/** The body of `GET /groups`. */
export interface GroupList {
  groups: GroupInfo[];
}

/** The body of `POST /topics/{topic}/groups/{group}/commit`. */
export interface GroupCommit {
  topic: string;
  group: string;
  committed: number;
  lag: number;
}

/** Where `POST …/groups/{group}/reset` moves a group (`{"to": …}`): the start or end of the log, an offset, or the first record at or after a time. */
export type GroupResetTo = 'earliest' | 'latest' | number | { time: number };

/** The body of `POST /topics/{topic}/groups/{group}/reset`. */
export interface GroupReset {
  topic: string;
  group: string;
  /** The committed offset before (null: the group had none on the topic). */
  previous: number | null;
  /** The committed offset after (with `dryRun`: what it would be). */
  committed: number;
  lag: number;
  dryRun: boolean;
  /** On a topic of more than one partition only: each partition's move (the fields above are their sums). */
  partitions?: Array<{ partition: number; previous: number | null; committed: number; lag: number }>;
}

/**
 * A reset's reply from each partition's move: on a topic of one partition its figures, on a topic of more
 * (`many`) their sums (`previous` over the partitions that had a commit; null when none had) and `partitions`.
 */
export function groupResetOf(
  topic: string,
  group: string,
  parts: NonNullable<GroupReset['partitions']>,
  dryRun: boolean,
  many: boolean,
): GroupReset {
  const known = parts.filter((p) => p.previous !== null);
  const reply: GroupReset = {
    topic,
    group,
    previous: known.length === 0 ? null : known.reduce((n, p) => n + (p.previous as number), 0),
    committed: parts.reduce((n, p) => n + p.committed, 0),
    lag: parts.reduce((n, p) => n + p.lag, 0),
    dryRun,
  };
  return many ? { ...reply, partitions: parts } : reply;
}

/** A partition of a topic that a group member owns. */
export interface GroupPartition {
  topic: string;
  partition: number;
}

/** The body of `POST /groups/{group}/members`. */
export interface GroupJoinRequest {
  topics: string[];
  /** A member that sends no heartbeat (or read) for this long loses its partitions. Default 10 s. */
  sessionTimeoutMs?: number;
  /** A name for people reading `GET /groups/{group}` (`evq-consume`, `kcat`, …). */
  clientId?: string;
}

/** The reply of a join (201) and of a heartbeat (200): who the member is and what it owns in this generation. */
export interface GroupMembership {
  group: string;
  memberId: string;
  /** Goes up by one at every rebalance; commits name the generation they were read in. */
  generation: number;
  sessionTimeoutMs: number;
  assignment: GroupPartition[];
}

/** The body of `POST /groups/{group}/members/{member}/commit`. */
export interface MemberCommitRequest {
  generation: number;
  /** `offset` is the next offset to read of the partition. */
  offsets: Array<GroupPartition & { offset: number }>;
}

/** The reply of a member commit. */
export interface MemberCommit {
  group: string;
  committed: Array<GroupPartition & { committed: number }>;
}

/** A member as `GET /groups/{group}` shows it. */
export interface GroupMemberInfo {
  memberId: string;
  clientId: string;
  /** Which door it came through: `http` (evq's own API) or, later, `kafka`. */
  protocol: string;
  joinedAt: number;
  lastSeenAt: number;
  sessionTimeoutMs: number;
  assignment: GroupPartition[];
}

/** A partition's offsets in a group, as `GET /groups/{group}` shows them. */
export interface GroupPartitionOffsets extends GroupPartition {
  /** The next offset the group reads (null: nothing committed yet). */
  committed: number | null;
  endOffset: number;
  lag: number;
  missed: number;
  /** The member that owns the partition now (null: none). */
  owner: string | null;
  /**
   * The lag in time: when the oldest record the group has not read was stamped (ms since the epoch); null
   * with no lag (or past the first partitions looked up: LIMITS.maxGroupAgeReads). Absent in what other
   * brokers answer (a Kafka cluster's groups).
   */
  oldestUnreadAt?: number | null;
}

/** The body of `GET /groups/{group}`. */
export interface GroupDescription {
  group: string;
  generation: number;
  /** `stable` with members, `empty` without. */
  state: 'stable' | 'empty';
  members: GroupMemberInfo[];
  /** Every partition of the group's topics (subscribed by a member or with a commit), in topic then partition order. */
  partitions: GroupPartitionOffsets[];
}
