/**
 * The contract of a topic log, kept by both implementations: {@link TopicLog} (segments on disk) and
 * {@link MemoryTopicLog} (memory only, bounded by retention). The HTTP and WebSocket layers depend on this
 * interface only.
 */
import type { PartitionOffsets } from '../../protocol/http.js';
import type { EvqRecord, MessageInput } from '../../protocol/record.js';

/**
 * When appended data reaches the disk. `always`: an append is acknowledged after an fsync that covers it
 * (fsyncs are shared by every append waiting for them: group commit). `interval`: acknowledged after the
 * write; fsynced at most `fsyncIntervalMs` later. `never`: acknowledged after the write; the OS decides.
 */
export type FsyncMode = 'always' | 'interval' | 'never';

/** Offsets given to an appended batch: `baseOffset` to `lastOffset`, both included, no gaps. */
export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
}

export interface ReadOptions {
  /** Most records to return (default `LIMITS.defaultReadLimit`, capped at `LIMITS.maxReadLimit`). */
  maxRecords?: number;
  /** Stop once the values returned reach this many bytes (default 1 MiB). At least one record is returned. */
  maxBytes?: number;
}

/** Raw stored batches, as {@link Log.readBatches} returns them. */
export interface ReadBatchesResult {
  /**
   * Encoded batches (the record-codec batch format) in offset order, exactly as stored. The first one may
   * start below `fromOffset`: skip its records below it (`forEachRecord(…, { fromOffset })`, or
   * `sliceBatch(batch, fromOffset)` to re-frame it). Empty at the end of the log.
   */
  batches: Buffer[];
  /** The offset the read started at: the one asked for, or `startOffset` when that one was already deleted. */
  fromOffset: number;
  /** The offset to read from next. */
  nextOffset: number;
}

/** Sent to `onAppend` listeners when an append is acknowledged, in offset order. */
export interface AppendEvent {
  topic: string;
  partition: number;
  baseOffset: number;
  lastOffset: number;
  /** The encoded batch as stored (record-codec format): send it to subscribers as it is. Do not modify it. */
  batch: Buffer;
}

/** A damaged range of a sealed segment: these records cannot be read; the others can. */
export interface CorruptionReport {
  topic: string;
  /** The segment file. */
  file: string;
  /** Byte position in `file` where the damage starts. */
  position: number;
  /** First and last offset that cannot be read. */
  fromOffset: number;
  toOffset: number;
  reason: string;
}

/** A torn or damaged tail cut off the last segment at open (an interrupted write). */
export interface TailTruncation {
  topic: string;
  file: string;
  /** The file was cut to this many bytes. */
  position: number;
  bytesDropped: number;
  /** The first offset that was dropped (the next append gets it). */
  firstOffsetDropped: number;
  /** The last dropped offset, when a readable record after the damage said so; `null` when unknown. */
  lastOffsetDropped: number | null;
  reason: string;
}

/** What opening a log found and repaired. Empty arrays when the log was closed cleanly. */
export interface RecoveryReport {
  topic: string;
  truncations: TailTruncation[];
  /** Damage found in sealed segments (kept as it is; reads of these ranges fail with `EVQ_ERR_CORRUPT_LOG`). */
  corruptions: CorruptionReport[];
  /**
   * Index files that were missing, stale or damaged and were rebuilt by scanning their segment: offset
   * indexes (`.index`) and time indexes (`.timeindex`; a missing one is not listed: a data directory written
   * before the time index existed has none).
   */
  rebuiltIndexes: string[];
  /** Leftovers that were removed: temporary files, indexes without a segment. */
  removedFiles: string[];
}

/** What a retention pass deleted. */
export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
  /** The log's first offset after the pass. */
  startOffset: number;
}

/** A partition log's offsets and size. */
export interface LogInfo extends PartitionOffsets {
  topic: string;
}

/** Retention limits of a log; whole segments (or, in memory, whole batches) are deleted, oldest first. */
export interface RetentionOptions {
  /** Delete the oldest segments while the log is larger than this (the newest segment is always kept). */
  retentionBytes?: number | null;
  /** Delete the oldest segments whose newest record is older than this (the newest segment is always kept). */
  retentionAgeMs?: number | null;
}

/** The log of one partition of a topic: append-only, offsets from 0 without gaps. */
export interface Log {
  readonly topic: string;
  /** The partition of the topic (0 for a topic of one partition). */
  readonly partition: number;
  /** `true` for logs on disk. */
  readonly durable: boolean;
  /** The first offset that can be read (it grows as retention deletes old data). */
  readonly startOffset: number;
  /** The offset after the last acknowledged record: the next offset to be assigned when no append is in flight. */
  readonly endOffset: number;
  /** `endOffset - startOffset`. */
  readonly messageCount: number;
  /** Bytes the log occupies (segment files on disk; encoded batches in memory). */
  readonly sizeBytes: number;
  /** What opening the log repaired or found damaged. */
  readonly recovery: RecoveryReport;

  /**
   * Appends a batch whole or not at all and resolves with its offsets once it is acknowledged (see
   * {@link FsyncMode}). Messages without a timestamp get the broker's clock. Appends are applied in call
   * order. Rejects with `EVQ_ERR_MESSAGE_TOO_LARGE` / `EVQ_ERR_BATCH_TOO_LARGE` / `EVQ_ERR_INVALID_ARGUMENT` /
   * `EVQ_ERR_MALFORMED` for a bad batch, `EvqStorageError('EVQ_ERR_STORAGE')` when the write or the fsync
   * failed (nothing of the batch is kept or readable), `EVQ_ERR_UNAVAILABLE` once the log is closed.
   */
  append(messages: readonly MessageInput[]): Promise<AppendResult>;
  /**
   * Appends a batch that arrived encoded (record-codec format), storing its bytes as they are: the fast path
   * of binary produce frames. The caller has checked the batch (`validateEncodedBatch`: structure and
   * limits) and says how many records it holds; the log checks only its header and rejects a batch whose
   * header disagrees with `EVQ_ERR_MALFORMED`. Records whose timestamp is 0 get the broker's clock; the base
   * offset is set when the batch is written, in call order with every other append. The log takes `batch`
   * over: it modifies it in place and hands it to the append listeners (the subscribers), so the caller must
   * neither modify nor reuse it afterwards. Resolves and rejects as {@link Log.append}.
   */
  appendEncoded(batch: Buffer, count: number): Promise<AppendResult>;
  /**
   * Records from `fromOffset` on (from `startOffset` when `fromOffset` was deleted by retention), at most
   * `maxRecords`, stopping past `maxBytes`; `[]` at `endOffset`. Rejects with `EVQ_ERR_INVALID_OFFSET` for
   * a negative or fractional offset or one past `endOffset`, and with `EVQ_ERR_CORRUPT_LOG` (a
   * {@link CorruptionReport} in the message) when the first record asked for lies in a damaged range; a read
   * that reaches a damaged range after some records returns those records.
   */
  read(fromOffset: number, options?: ReadOptions): Promise<EvqRecord[]>;
  /** Like {@link Log.read}, but raw stored batches up to about `maxBytes` (default 1 MiB; at least one batch). */
  readBatches(fromOffset: number, maxBytes?: number): Promise<ReadBatchesResult>;
  /**
   * The first offset whose record is stamped at or after `timestamp` (ms since the epoch): `endOffset` when
   * there is none, `startOffset` when the time is at or before the first retained record. Timestamps may go
   * backwards (producers give them): as in Kafka, the answer is the first such offset in offset order. Found
   * with the time index in O(log n) reads (time-search.ts; the memory log: memory-time-index.ts). Rejects
   * with `EVQ_ERR_CORRUPT_LOG` when damage lies before that record.
   */
  offsetForTime(timestamp: number): Promise<number>;
  /** Calls `listener` for every acknowledged append, in offset order. Listeners must not throw. Returns the unsubscribe function. */
  onAppend(listener: (event: AppendEvent) => void): () => void;
  /** Calls `listener` when a read finds damage not known before. Returns the unsubscribe function. */
  onCorruption(listener: (report: CorruptionReport) => void): () => void;
  /** Deletes what retention no longer keeps (also done after each segment roll; call it periodically for age). */
  enforceRetention(now?: number): Promise<RetentionResult>;
  /** `{topic, partition, startOffset, endOffset, messageCount, sizeBytes}`. */
  info(): LogInfo;
  /** Waits for appends in flight, fsyncs and closes the files. Later appends and reads reject. */
  close(): Promise<void>;
}
