/**
 * A topic's durable log: a directory of segment files (`<20-digit base offset>.log`, each batch framed with
 * a CRC, see `frame.ts`), sealed segments with a sparse offset index (`offset-index.ts`) and time index
 * (`time-index.ts`, searched by `time-search.ts`), group commit
 * (`log-writer.ts`, its fsync policy and group commit in `fsync-policy.ts`), recovery at open (`recovery.ts`) and retention (`retention.ts`).
 */
import { LIMITS } from '../../core/limits.js';
import { EvqUsageError } from '../../errors.js';
import { TRUSTED_CODEC_LIMITS, forEachRecord } from '../../protocol/record-codec.js';
import { validateBatch, validateTopicName } from '../../protocol/validate.js';
import { writeFileAtomic } from './atomic-file.js';
import { LogWriter } from './log-writer.js';
import { scanBatches } from './log-reader.js';
import { recoverSegments } from './recovery.js';
import { checkRetentionOptions, expiredUnitCount } from './retention.js';
import { Segment } from './segment.js';
import { logClosed, storageFailure } from './storage-errors.js';
import { DEFAULT_CHUNK_BYTES } from './frame-scanner.js';
import { takeEncoded, timestamped } from './append-input.js';
import { ListenerSet } from './listener-set.js';
import { SegmentTimes, offsetForTime } from './time-search.js';
import { checkReadOffset, readLimits } from './read-bounds.js';
import type { EvqRecord, MessageInput } from '../../protocol/record.js';
import type { BatchLimits } from '../../protocol/validate.js';
import type { FileIO } from './file-io.js';
import type {
  AppendEvent,
  AppendResult,
  CorruptionReport,
  FsyncMode,
  Log,
  ReadBatchesResult,
  ReadOptions,
  RecoveryReport,
  RetentionOptions,
  RetentionResult,
  LogInfo,
} from './log.js';
import type { WrittenAppend } from './log-writer.js';

/** Smallest and largest segment size accepted (file positions in the index are 32-bit). */
export const MIN_SEGMENT_BYTES = 1024;

export interface TopicLogOptions extends RetentionOptions {
  /** The partition of its topic this log holds (default 0). */
  partition?: number;
  /** Default `'always'`. */
  fsync?: FsyncMode;
  /** Default `LIMITS.fsyncIntervalMs`. */
  fsyncIntervalMs?: number;
  /** Size at which the active segment is sealed (default `LIMITS.segmentBytes`; 1 KiB to 1 GiB). */
  segmentBytes?: number;
  /** Log bytes between two index entries (default 4096). */
  indexIntervalBytes?: number;
  /** Limits appends are checked against (default `LIMITS`). */
  limits?: BatchLimits;
  /** Scan every sealed segment at open (default `false`: see `recovery.ts`). */
  verifyOnOpen?: boolean;
  /** The clock for timestamps and retention by age (default `Date.now`). */
  now?: () => number;
  /** Called with the duration in seconds of every successful fsync of a segment file (metrics). */
  onFsync?: (seconds: number) => void;
}

export class TopicLog implements Log {
  readonly durable = true;
  readonly partition: number;
  private segments: Segment[];
  private readonly writer: LogWriter;
  private readonly appendListeners = new ListenerSet<AppendEvent>();
  private readonly corruptionListeners = new ListenerSet<CorruptionReport>();
  private readonly limits: BatchLimits;
  private readonly now: () => number;
  private readonly segmentTimes = new SegmentTimes();
  private retention: Promise<RetentionResult> | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly io: FileIO,
    readonly dir: string,
    readonly topic: string,
    segments: Segment[],
    readonly recovery: RecoveryReport,
    private readonly options: TopicLogOptions,
  ) {
    this.segments = segments;
    this.partition = options.partition ?? 0;
    this.limits = options.limits ?? LIMITS;
    this.now = options.now ?? Date.now;
    this.writer = new LogWriter(segments[segments.length - 1] as Segment, {
      topic,
      io,
      fsync: options.fsync ?? 'always',
      fsyncIntervalMs: options.fsyncIntervalMs ?? LIMITS.fsyncIntervalMs,
      segmentBytes: options.segmentBytes ?? LIMITS.segmentBytes,
      onFsync: options.onFsync,
      roll: (segment) => this.roll(segment),
      acknowledge: (append) => this.publish(append),
    });
  }

  /**
   * Opens the log of `topic` in `dir` (created when missing), recovering it (see `recovery.ts`): what was
   * repaired or found damaged is in `log.recovery`. Rejects with `EVQ_ERR_STORAGE` when the files cannot be
   * opened, `EVQ_ERR_INVALID_TOPIC` / `EVQ_ERR_INVALID_ARGUMENT` for bad arguments.
   */
  static async open(io: FileIO, dir: string, topic: string, options: TopicLogOptions = {}): Promise<TopicLog> {
    validateTopicName(topic);
    checkRetentionOptions(options);
    const segmentBytes = options.segmentBytes ?? LIMITS.segmentBytes;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < MIN_SEGMENT_BYTES || segmentBytes > LIMITS.maxSegmentBytes) {
      throw new EvqUsageError(
        'EVQ_ERR_INVALID_ARGUMENT',
        `segmentBytes must be between ${MIN_SEGMENT_BYTES} and ${LIMITS.maxSegmentBytes}`,
      );
    }
    const interval = options.fsyncIntervalMs ?? LIMITS.fsyncIntervalMs;
    if (!Number.isSafeInteger(interval) || interval <= 0) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', 'fsyncIntervalMs must be a positive whole number');
    }
    let recovered: Awaited<ReturnType<typeof recoverSegments>>;
    try {
      recovered = await recoverSegments(io, dir, {
        topic,
        indexIntervalBytes: options.indexIntervalBytes,
        verifyOnOpen: options.verifyOnOpen,
      });
    } catch (cause) {
      throw storageFailure(topic, 'open', dir, cause);
    }
    const log = new TopicLog(io, dir, topic, recovered.segments, recovered.report, options);
    // a failed deletion is tried again by the next pass; it must not keep the log from opening
    await log.enforceRetention().catch(() => undefined);
    return log;
  }

  get startOffset(): number {
    for (const segment of this.segments) {
      if (segment.visibleEnd > segment.baseOffset) return segment.baseOffset;
    }
    return this.endOffset;
  }

  get endOffset(): number {
    return (this.segments[this.segments.length - 1] as Segment).visibleEnd;
  }

  get messageCount(): number {
    return this.endOffset - this.startOffset;
  }

  get sizeBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.size;
    return total;
  }

  /** Number of segment files. */
  get segmentCount(): number {
    return this.segments.length;
  }

  /** Number of fsyncs of segment files since open (for tests and metrics). */
  get syncCount(): number {
    return this.writer.syncCount;
  }

  /** Damage known in this log's segments (found at open or by reads). */
  get corruptions(): CorruptionReport[] {
    const reports: CorruptionReport[] = [];
    for (const segment of this.segments) {
      for (const d of segment.damaged) {
        reports.push({
          topic: this.topic,
          file: segment.logPath,
          position: d.position,
          fromOffset: d.fromOffset,
          toOffset: d.toOffset,
          reason: d.reason,
        });
      }
    }
    return reports;
  }

  info(): LogInfo {
    const startOffset = this.startOffset;
    const endOffset = this.endOffset;
    return {
      topic: this.topic,
      partition: this.partition,
      startOffset,
      endOffset,
      messageCount: endOffset - startOffset,
      sizeBytes: this.sizeBytes,
    };
  }

  append(messages: readonly MessageInput[]): Promise<AppendResult> {
    if (this.closing !== null) return Promise.reject(logClosed(this.topic));
    try {
      validateBatch(messages, this.limits);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.writer.append(timestamped(messages, this.now()));
  }

  appendEncoded(batch: Buffer, count: number): Promise<AppendResult> {
    if (this.closing !== null) return Promise.reject(logClosed(this.topic));
    try {
      takeEncoded(batch, count, this.now());
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.writer.appendEncoded(batch, count);
  }

  async offsetForTime(timestamp: number): Promise<number> {
    if (this.closing !== null) throw logClosed(this.topic);
    const target = {
      ...this.readContext(),
      segments: this.segments,
      partition: this.partition,
      startOffset: () => this.startOffset,
      endOffset: () => this.endOffset,
    };
    return offsetForTime(target, this.segmentTimes, timestamp);
  }

  async read(fromOffset: number, options: ReadOptions = {}): Promise<EvqRecord[]> {
    const { maxRecords, maxBytes } = readLimits(options);
    const from = this.startReading(fromOffset);
    const records: EvqRecord[] = [];
    if (from >= this.endOffset) return records;
    let bytes = 0;
    await scanBatches(this.readContext(), this.segments, from, chunkFor(maxBytes), (payload) => {
      forEachRecord(
        payload,
        this.topic,
        (record) => {
          records.push(record);
          bytes += record.value.length;
          return records.length < maxRecords && bytes < maxBytes;
        },
        { fromOffset: from, limits: TRUSTED_CODEC_LIMITS, partition: this.partition },
      );
      return records.length < maxRecords && bytes < maxBytes;
    });
    return records;
  }

  async readBatches(fromOffset: number, maxBytes: number = LIMITS.readStepBytes): Promise<ReadBatchesResult> {
    const from = this.startReading(fromOffset);
    const batches: Buffer[] = [];
    let nextOffset = from;
    if (from >= this.endOffset) return { batches, fromOffset: from, nextOffset };
    let bytes = 0;
    await scanBatches(this.readContext(), this.segments, from, chunkFor(maxBytes), (payload, header) => {
      batches.push(payload);
      nextOffset = header.lastOffset + 1;
      bytes += payload.length;
      return bytes < maxBytes;
    });
    return { batches, fromOffset: from, nextOffset };
  }

  onAppend(listener: (event: AppendEvent) => void): () => void {
    return this.appendListeners.add(listener);
  }

  onCorruption(listener: (report: CorruptionReport) => void): () => void {
    return this.corruptionListeners.add(listener);
  }

  async enforceRetention(now: number = this.now()): Promise<RetentionResult> {
    while (this.retention !== null) await this.retention.catch(() => undefined);
    this.retention = this.deleteExpired(now).finally(() => {
      this.retention = null;
    });
    return this.retention;
  }

  async close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    let failure: unknown = null;
    try {
      await this.writer.close();
    } catch (error) {
      failure = error;
    }
    while (this.retention !== null) await this.retention.catch(() => undefined);
    const active = this.writer.active;
    if (failure === null) {
      // a clean close records the active segment's indexes, so the next open does not scan it
      await this.writeIndexes(active);
    }
    for (const segment of this.segments) await segment.retireHandle();
    if (failure !== null) throw failure;
  }

  private startReading(fromOffset: number): number {
    if (this.closing !== null) throw logClosed(this.topic);
    return checkReadOffset(this.topic, fromOffset, this.startOffset, this.endOffset);
  }

  private readContext(): { io: FileIO; topic: string; onDamage: (report: CorruptionReport) => void } {
    return { io: this.io, topic: this.topic, onDamage: (report) => this.corruptionListeners.emit(report) };
  }

  private publish(append: WrittenAppend): void {
    const segment = append.segment;
    segment.visibleSize = append.end;
    segment.visibleEnd = append.lastOffset + 1;
    this.appendListeners.emit({
      topic: this.topic,
      partition: this.partition,
      baseOffset: append.baseOffset,
      lastOffset: append.lastOffset,
      batch: append.batch,
    });
  }

  private async roll(segment: Segment): Promise<Segment> {
    const next = new Segment(this.dir, segment.endOffset, this.options.indexIntervalBytes);
    const file = await this.io.open(next.logPath, 'replace');
    try {
      await this.io.fsyncDir(this.dir);
    } catch (cause) {
      await file.close().catch(() => undefined);
      await this.io.unlink(next.logPath).catch(() => undefined);
      throw cause;
    }
    await next.setWriter(file);
    segment.sealed = true;
    this.segments = [...this.segments, next];
    await segment.retireHandle();
    await this.writeIndexes(segment);
    void this.enforceRetention().catch(() => undefined);
    return next;
  }

  /** Writes the offset and time indexes of `segment`; they are caches: one that cannot be written is rebuilt at the next open. */
  private async writeIndexes(segment: Segment): Promise<void> {
    await writeFileAtomic(this.io, segment.indexPath, segment.index.serialize(segment.summary())).catch(() => undefined);
    await writeFileAtomic(this.io, segment.timeIndexPath, segment.timeIndex.serialize(segment.timeSummary())).catch(() => undefined);
  }

  private async deleteExpired(now: number): Promise<RetentionResult> {
    const segments = this.segments;
    const count = expiredUnitCount(segments, this.sizeBytes, this.options, now);
    let deletedBytes = 0;
    if (count > 0) {
      const expired = segments.slice(0, count);
      this.segments = segments.slice(count);
      for (const segment of expired) {
        segment.deleted = true;
        deletedBytes += segment.size;
        await segment.retireHandle();
      }
      try {
        for (const segment of expired) {
          await this.io.unlink(segment.logPath);
          await this.io.unlink(segment.indexPath);
          await this.io.unlink(segment.timeIndexPath);
        }
      } catch (cause) {
        // the files come back at the next open, where retention deletes them again
        throw storageFailure(this.topic, 'delete', expired[0]?.logPath ?? this.dir, cause);
      }
    }
    return { deletedSegments: count, deletedBytes, startOffset: this.startOffset };
  }
}

/** Size of the file reads of a scan for a read of about `maxBytes`. */
function chunkFor(maxBytes: number): number {
  return Math.min(Math.max(maxBytes + 64 * 1024, 64 * 1024), DEFAULT_CHUNK_BYTES * 8);
}
