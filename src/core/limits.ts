/**
 * Every default limit of evq in one place. Each is an option somewhere (a flag of `evq serve`, an option of
 * the client or of a core component) and is checked at the boundary where data enters.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

export const LIMITS = {
  // messages and batches
  /** Largest message value accepted by the broker (HTTP 413 / WebSocket close 1009 past it). */
  maxMessageBytes: 1 * MiB,
  /** Largest `--max-message-bytes` of `evq serve` (a request body is twice that at most, and a message is held whole). */
  maxServeMessageBytes: 512 * MiB,
  /** Largest batch of messages, in bytes of values, keys and headers together. */
  maxBatchBytes: 8 * MiB,
  /** Largest batch of messages, in messages. */
  maxBatchCount: 1000,
  /** Largest key of a message. */
  maxKeyBytes: 16 * KiB,
  /** Most headers on one message. */
  maxHeaderCount: 64,
  /** Largest total size of the header names and values of one message. */
  maxHeaderBytes: 16 * KiB,
  /** Longest idempotency key. */
  maxIdempotencyKeyLength: 256,
  /** Longest input line of `evq produce` (a batch is at most 8 MiB of messages; a JSON line carries some overhead). */
  maxInputLineBytes: 16 * MiB,

  // names
  /** Longest topic name (as Kafka). */
  maxTopicNameLength: 249,
  /** Longest consumer group name. */
  maxGroupNameLength: 249,

  // filters
  /** Longest filter expression, in characters. */
  maxFilterLength: 1 * KiB,
  /** Deepest nesting of a filter expression (parentheses, operators, arrays). */
  maxFilterDepth: 32,
  /** Most syntax nodes in one filter expression. */
  maxFilterNodes: 512,
  /** Longest field path (`value.a.b.c…`) in a filter. */
  maxFilterPathSegments: 16,
  /** Most elements in an array literal of a filter. */
  maxFilterArrayElements: 256,
  /** Deepest JSON nesting a filter will parse in a message value (deeper values are treated as text). */
  maxFilterJsonDepth: 64,

  // batching (client side defaults)
  /** Default number of messages per produce batch. */
  defaultBatchCount: 1000,
  /** Default bytes per produce batch. */
  defaultBatchBytes: 1 * MiB,
  /** Default linger before a partial batch is sent, in ms. */
  defaultLingerMs: 5,
  /** Default number of batches in flight (awaiting acknowledgement) per producer. */
  defaultMaxInFlight: 16,
  /**
   * Batches `evq produce` keeps in flight. Fewer than the library's default: piping 5,000,000 lines into
   * `evq serve --fsync always` took 884 k msgs/s at 4 (peak RSS 101 MB) against 696 k at 16 (123 MB) — the
   * messages of 16 batches outlive the young generation and the GC pays for them.
   */
  cliProduceMaxInFlight: 4,
  /**
   * A produce of an array of at most this many messages, and of at most httpProduceMaxBytes of values, goes over
   * HTTP (one POST per batch on the client's connection) instead of a WebSocket: `evq produce t x` then costs
   * one round trip, not a second connection, an upgrade and loading `ws` (most of its start-up).
   */
  httpProduceMaxMessages: 100,
  /** At most 1 MiB of values: their NDJSON (escaped, or base64) stays well under maxHttpBodyBytes. */
  httpProduceMaxBytes: 1 * MiB,
  /**
   * Most JetStream publish acks a producer awaits at once (nats://): more adds ack latency, not throughput
   * (measured against nats-server 2.9: 16,000 pending gave the same rate as 1,000 with 20× the ack p50).
   */
  natsMaxPendingAcks: 1000,
  /**
   * kafka://: most bytes a fetch asks the cluster for (all partitions), and per partition. A record batch the
   * cluster sends compressed is inflated to at most `kafkaMaxInflatedBytes` (a larger one fails the read).
   */
  kafkaFetchMaxBytes: 8 * MiB,
  kafkaFetchPartitionMaxBytes: 1 * MiB,
  kafkaMaxInflatedBytes: 64 * MiB,

  // client: time
  /** Default time the client waits for the broker to answer (connect, each ack, each request): `--timeout`. */
  defaultTimeoutMs: 10_000,
  /** Default long-poll wait of each read of a consumer (`consume` with follow). */
  defaultConsumeWaitMs: 30_000,

  // client: receive queues
  /** Default messages a subscription buffers before it pauses its feed (`highWaterMark`); it resumes at half. */
  clientQueueMessages: 1000,
  /** Bytes of values a subscription buffers before it pauses its feed; it resumes at half. */
  clientQueueBytes: 8 * MiB,

  // buffer pool
  /** Smallest size class of the buffer pool. */
  bufferPoolMinSize: 4 * KiB,
  /** Largest buffer the pool keeps; larger ones are allocated and dropped. */
  bufferPoolMaxSize: 16 * MiB,
  /** Most free buffers kept per size class. */
  bufferPoolMaxFreePerClass: 32,
  /** Most bytes the pool's free lists hold in all (32 free 16 MiB buffers alone would pin 512 MiB). */
  bufferPoolMaxBytesHeld: 64 * MiB,

  // scheduler and delayed delivery
  /** Most pending items in one scheduler (delayed messages waiting in the broker, paced sends in bench). */
  maxScheduledItems: 10_000_000,
  /** Longest delay a message may be produced with. */
  maxDelayMs: 30 * 24 * 3600 * 1000,

  // broker: storage
  /** Size at which a topic's segment file is sealed and a new one started. */
  segmentBytes: 64 * MiB,
  /** Largest segment size accepted (file positions in the offset index are 32-bit). */
  maxSegmentBytes: 1024 * MiB,
  /** Largest coalesced write of the appends queued for a topic log. */
  maxWriteBytes: 16 * MiB,
  /**
   * With `--fsync interval`: past this many acknowledged bytes not yet fsynced, an fsync starts without waiting
   * for the timer and new appends wait for it (at most this plus one write is kept for the rewrite after a failed fsync).
   */
  maxUnsyncedAckedBytes: 16 * MiB,
  /** Bytes a topic of `--memory` keeps before it drops its oldest records. */
  memoryRetentionBytes: 256 * MiB,
  /** Size past which the delay queue's journal is compacted (when most of it is done). */
  delayJournalCompactBytes: 64 * MiB,
  /** Segment size of the delay queue's journal. */
  delayJournalSegmentBytes: 16 * MiB,
  /** Room a delay journal record has beyond one full batch (its request's headers and framing). */
  delayJournalRecordHeadroomBytes: 1 * MiB,
  /** Most delayed messages waiting in the broker at once (past it a delayed produce is refused). */
  maxDelayedPending: 1_000_000,
  /** Default and largest page of `GET /delayed` (waiting messages listed). */
  defaultDelayedListLimit: 100,
  maxDelayedListLimit: 1000,
  /** Most buckets of `GET /delayed/histogram`. */
  maxDelayedHistogramBuckets: 200,
  /** Bytes around a damaged spot searched per step for the next good frame (resynchronisation of a segment). */
  resyncWindowBytes: 1 * MiB,
  /** With `--fsync interval`, the longest time an acknowledged write may wait for its fsync. */
  fsyncIntervalMs: 1000,
  /** Window in which a repeated idempotency key is recognised. */
  idempotencyWindowMs: 2 * 60 * 1000,
  /** Most idempotency keys remembered per topic within the window. */
  maxIdempotencyKeys: 1_000_000,
  /** Bytes read per step when the idempotency index is rebuilt from the end of a log at start. */
  idempotencyRebuildReadBytes: 16 * MiB,
  /** Most records of one topic looked at when the idempotency index is rebuilt at start. */
  maxIdempotencyRebuildRecords: 2_000_000,
  /** Idempotent Kafka producers remembered per partition (the least recently seen is forgotten past it). */
  maxKafkaProducersPerPartition: 10_000,
  /** Most records of one partition read back (from its end) to rebuild its Kafka producers' sequences. */
  maxKafkaProducerRebuildRecords: 2_000_000,
  /** Default interval between two retention checks of the topics. */
  retentionCheckIntervalMs: 60_000,
  /** Most topics one broker serves. */
  maxTopics: 10_000,
  /** Most partitions of one topic (each is a log with open files). */
  maxPartitions: 1_024,
  /** Most partitions of all topics together (the open files they need). */
  maxTotalPartitions: 20_000,
  /** Partitions of a topic created by a first produce (`evq serve --default-partitions`). */
  defaultPartitions: 1,

  // broker: consumer groups
  /** Most committed offsets kept, one per (group, topic, partition). */
  maxGroupOffsets: 1_000_000,
  /** Most groups with members at once. */
  maxGroups: 10_000,
  /** Most members of one group at once. */
  maxGroupMembers: 1_000,
  /** Default session timeout of a group member: without a heartbeat (or read) for this long it loses its partitions. */
  defaultSessionTimeoutMs: 10_000,
  /** Shortest session timeout a member may ask for (tests use short ones). */
  minSessionTimeoutMs: 100,
  /** Longest session timeout a member may ask for. */
  maxSessionTimeoutMs: 5 * 60_000,
  /** Most topics one member subscribes to. */
  maxMemberTopics: 64,
  /** Largest JSON body of a group request (join, an anonymous commit, reset). */
  maxGroupBodyBytes: 4 * KiB,
  /** Partitions of a group whose oldest unread record GET /groups/{group} looks up (one small log read each), at most. */
  maxGroupAgeReads: 256,
  /** Largest JSON body of a member's commit (one offset per partition it owns: about 60 bytes each). */
  maxMemberCommitBytes: 256 * KiB,

  // broker: reads
  /** Bytes read from a log per step of a read (pull reads, a subscriber's catch-up, the live feed, default of a log read). */
  readStepBytes: 1 * MiB,
  /** Most records one filtered read looks at before it returns what it has (and where to go on). */
  maxScanRecords: 100_000,
  /** Most value bytes one filtered read looks at before it returns what it has (and where to go on). */
  maxScanBytes: 64 * MiB,
  /** Longest time one filtered read scans before it returns what it has (and where to go on). */
  maxScanMs: 2000,
  /** Most records one read returns. */
  maxReadLimit: 10_000,
  /** Default number of records one read returns. */
  defaultReadLimit: 1000,
  /** Longest long-poll wait of a read. */
  maxLongPollMs: 60_000,

  // broker: connections
  /** Most open connections (HTTP and WebSocket); past it a new connection's first request gets 503. */
  maxConnections: 1024,
  /** Connections past `maxConnections` that still get a 503 reply; past these, new connections are dropped at once. */
  connectionRefusalHeadroom: 64,
  /** Time a client has to send its request headers (slow-header clients are closed with 408 then). */
  headersTimeoutMs: 10_000,
  /** Longest interval between two checks of the headers and request timeouts. */
  connectionsCheckingIntervalMs: 1000,
  /** Largest request head (request line and headers); past it the reply is 431. */
  maxHttpHeaderBytes: 16 * KiB,
  /** Headers of a request that are read; the ones after are ignored. */
  maxHttpHeaderCount: 100,
  /** Longest request URL; past it the reply is 400. */
  maxUrlLength: 16 * KiB,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  /** Largest WebSocket frame accepted (ws `maxPayload`): one full batch plus framing. */
  maxWsPayloadBytes: 8 * MiB + 64 * KiB,
  /** Most fragments of one WebSocket message (evq's client sends two; a flood of 1-byte fragments is closed with 1008). */
  maxWsFragments: 1024,
  /** How long a WebSocket closed for a protocol error has to take its close frame before the socket is destroyed. */
  wsCloseGraceMs: 1000,
  /** Largest HTTP request body (a full NDJSON batch, which carries some JSON overhead). */
  maxHttpBodyBytes: 12 * MiB,
  /** Interval of WebSocket pings; a connection that misses two pongs is closed. */
  pingIntervalMs: 30_000,
  /** Most subscriptions on one WebSocket connection. */
  maxSubscriptionsPerConnection: 256,
  /** Bytes queued for a subscriber before it stops getting live data and catches up from the log. */
  subscriberSoftLimitBytes: 4 * MiB,
  /** Bytes queued for a subscriber past which it is disconnected (memory topics, or a socket that never drains). */
  subscriberHardLimitBytes: 64 * MiB,
} as const;

export type Limits = typeof LIMITS;
