/**
 * A topic log kept in memory only (`evq serve --memory`): the same {@link Log} contract as the disk log,
 * nothing on disk, lost when the broker stops. It holds encoded batches (the same bytes the disk log
 * stores and subscribers receive) and is bounded by retention: `retentionBytes` defaults to
 * {@link DEFAULT_MEMORY_RETENTION_BYTES} (256 MiB) per topic when none is given; whole batches are dropped,
 * oldest first, never the newest one. "The first offset stamped at or after T" is found with a time index over
 * the batches' largest timestamps (memory-time-index.ts), without scanning.
 */
import { LIMITS } from '../../core/limits.js';
import { TRUSTED_CODEC_LIMITS, forEachRecord } from '../../protocol/record-codec.js';
import { encodeBatch } from '../../protocol/batch-encode.js';
import { validateBatch, validateTopicName } from '../../protocol/validate.js';
import { takeEncoded, timestamped } from './append-input.js';
import { ListenerSet } from './listener-set.js';
import { MemoryTimeIndex } from './memory-time-index.js';
import { checkReadOffset, readLimits } from './read-bounds.js';
import { checkRetentionOptions, expiredUnitCount } from './retention.js';
import { logClosed } from './storage-errors.js';
import type { EvqRecord, MessageInput } from '../../protocol/record.js';
import type { BatchLimits } from '../../protocol/validate.js';
import type {
  AppendEvent,
  AppendResult,
  CorruptionReport,
  Log,
  ReadBatchesResult,
  ReadOptions,
  RecoveryReport,
  RetentionOptions,
  RetentionResult,
  LogInfo,
} from './log.js';

/** Retention by bytes of a memory topic when none is given: 256 MiB. */
export const DEFAULT_MEMORY_RETENTION_BYTES: number = LIMITS.memoryRetentionBytes;

export interface MemoryTopicLogOptions extends RetentionOptions {
  /** The partition of its topic this log holds (default 0). */
  partition?: number;
  limits?: BatchLimits;
  now?: () => number;
}

const EMPTY = Buffer.alloc(0);

/** Bytes a kept batch may leave unused in the memory it is a view of (a produce frame's own header fits). */
const MAX_SLACK_BYTES = 1024;

/**
 * `batch`, or an exact-size copy of it when it is a view into much more memory (a slice of a network read
 * holding other frames too): a kept batch must not pin memory it does not use.
 */
function ownBytes(batch: Buffer): Buffer {
  const slack = batch.buffer.byteLength - batch.length;
  if (slack <= MAX_SLACK_BYTES || slack <= batch.length >>> 4) return batch;
  const copy = Buffer.allocUnsafeSlow(batch.length);
  batch.copy(copy);
  return copy;
}

interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  bytes: Buffer;
  sizeBytes: number;
  maxTimestamp: number;
}

export class MemoryTopicLog implements Log {
  readonly durable = false;
  readonly partition: number;
  readonly recovery: RecoveryReport;
  private batches: StoredBatch[] = [];
  private head = 0;
  private next = 0;
  private size = 0;
  private closed = false;
  private readonly retentionOptions: RetentionOptions;
  private readonly limits: BatchLimits;
  private readonly now: () => number;
  private readonly appendListeners = new ListenerSet<AppendEvent>();
  private readonly times = new MemoryTimeIndex((i) => (this.batches[i] as StoredBatch).maxTimestamp);

  constructor(
    readonly topic: string,
    options: MemoryTopicLogOptions = {},
  ) {
    validateTopicName(topic);
    checkRetentionOptions(options);
    this.partition = options.partition ?? 0;
    this.retentionOptions = {
      retentionBytes: options.retentionBytes ?? DEFAULT_MEMORY_RETENTION_BYTES,
      retentionAgeMs: options.retentionAgeMs ?? null,
    };
    this.limits = options.limits ?? LIMITS;
    this.now = options.now ?? Date.now;
    this.recovery = { topic, truncations: [], corruptions: [], rebuiltIndexes: [], removedFiles: [] };
  }

  get startOffset(): number {
    return this.batches[this.head]?.baseOffset ?? this.next;
  }

  get endOffset(): number {
    return this.next;
  }

  get messageCount(): number {
    return this.next - this.startOffset;
  }

  get sizeBytes(): number {
    return this.size;
  }

  info(): LogInfo {
    const startOffset = this.startOffset;
    return {
      topic: this.topic,
      partition: this.partition,
      startOffset,
      endOffset: this.next,
      messageCount: this.next - startOffset,
      sizeBytes: this.size,
    };
  }

  append(messages: readonly MessageInput[]): Promise<AppendResult> {
    if (this.closed) return Promise.reject(logClosed(this.topic));
    let bytes: Buffer;
    try {
      validateBatch(messages, this.limits);
      bytes = encodeBatch(this.next, timestamped(messages, this.now()));
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return Promise.resolve(this.store(bytes, messages.length));
  }

  appendEncoded(batch: Buffer, count: number): Promise<AppendResult> {
    if (this.closed) return Promise.reject(logClosed(this.topic));
    let bytes: Buffer;
    try {
      takeEncoded(batch, count, this.now());
      batch.writeDoubleBE(this.next, 16);
      bytes = ownBytes(batch);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return Promise.resolve(this.store(bytes, count));
  }

  /** Keeps an encoded batch whose base offset is `next`, and publishes it. */
  private store(bytes: Buffer, count: number): AppendResult {
    const baseOffset = this.next;
    const lastOffset = baseOffset + count - 1;
    const maxTimestamp = bytes.readDoubleBE(32);
    this.batches.push({ baseOffset, lastOffset, bytes, sizeBytes: bytes.length, maxTimestamp });
    this.times.push(maxTimestamp);
    this.size += bytes.length;
    this.next = lastOffset + 1;
    this.dropExpired(this.now());
    this.appendListeners.emit({ topic: this.topic, partition: this.partition, baseOffset, lastOffset, batch: bytes });
    return { baseOffset, lastOffset };
  }

  /** As the disk log (time-search.ts): the first offset, in offset order, stamped at or after `timestamp`. */
  offsetForTime(timestamp: number): Promise<number> {
    try {
      if (this.closed) throw logClosed(this.topic);
      if (timestamp <= 0) return Promise.resolve(this.startOffset); // every timestamp is >= 0
      const i = this.times.firstAtLeast(this.head, timestamp);
      const batch = this.batches[i];
      if (i < 0 || batch === undefined) return Promise.resolve(this.next);
      let found = batch.lastOffset;
      forEachRecord(
        batch.bytes,
        this.topic,
        (record) => {
          if (record.timestamp < timestamp) return true;
          found = record.offset;
          return false;
        },
        { limits: TRUSTED_CODEC_LIMITS, partition: this.partition },
      );
      return Promise.resolve(found);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  read(fromOffset: number, options: ReadOptions = {}): Promise<EvqRecord[]> {
    try {
      const { maxRecords, maxBytes } = readLimits(options);
      const from = this.startReading(fromOffset);
      const records: EvqRecord[] = [];
      let bytes = 0;
      for (let i = this.find(from); i < this.batches.length; i++) {
        forEachRecord(
          (this.batches[i] as StoredBatch).bytes,
          this.topic,
          (record) => {
            records.push(record);
            bytes += record.value.length;
            return records.length < maxRecords && bytes < maxBytes;
          },
          { fromOffset: from, limits: TRUSTED_CODEC_LIMITS, partition: this.partition },
        );
        if (records.length >= maxRecords || bytes >= maxBytes) break;
      }
      return Promise.resolve(records);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  readBatches(fromOffset: number, maxBytes: number = LIMITS.readStepBytes): Promise<ReadBatchesResult> {
    try {
      const from = this.startReading(fromOffset);
      const batches: Buffer[] = [];
      let nextOffset = from;
      let bytes = 0;
      for (let i = this.find(from); i < this.batches.length && bytes < maxBytes; i++) {
        const batch = this.batches[i] as StoredBatch;
        batches.push(batch.bytes);
        bytes += batch.sizeBytes;
        nextOffset = batch.lastOffset + 1;
      }
      return Promise.resolve({ batches, fromOffset: from, nextOffset });
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  onAppend(listener: (event: AppendEvent) => void): () => void {
    return this.appendListeners.add(listener);
  }

  /** A memory log never finds damage; the listener is never called. */
  onCorruption(_listener: (report: CorruptionReport) => void): () => void {
    return () => undefined;
  }

  enforceRetention(now: number = this.now()): Promise<RetentionResult> {
    return Promise.resolve(this.dropExpired(now));
  }

  close(): Promise<void> {
    this.closed = true;
    this.batches = [];
    this.head = 0;
    this.size = 0;
    this.times.rebuild(0);
    return Promise.resolve();
  }

  private startReading(fromOffset: number): number {
    if (this.closed) throw logClosed(this.topic);
    return checkReadOffset(this.topic, fromOffset, this.startOffset, this.next);
  }

  /** Index of the batch holding `offset` (the end of the list when past the end). */
  private find(offset: number): number {
    let lo = this.head;
    let hi = this.batches.length - 1;
    let found = this.batches.length;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.batches[mid] as StoredBatch).lastOffset >= offset) {
        found = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return found;
  }

  private dropExpired(now: number): RetentionResult {
    const count = expiredUnitCount(this.batches, this.size, this.retentionOptions, now, this.head);
    let deletedBytes = 0;
    for (let i = this.head; i < this.head + count; i++) {
      const batch = this.batches[i] as StoredBatch;
      deletedBytes += batch.sizeBytes;
      batch.bytes = EMPTY; // let the memory go before the list is compacted
    }
    this.head += count;
    this.size -= deletedBytes;
    if (this.head > 64 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
      this.times.rebuild(this.batches.length);
    }
    return { deletedSegments: count, deletedBytes, startOffset: this.startOffset };
  }
}
