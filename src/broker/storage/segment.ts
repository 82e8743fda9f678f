/**
 * A segment: one `<20-digit base offset>.log` file of a topic's log, its `.index` (offset index) and
 * `.timeindex` (time index), and what is known about it in memory (sizes, offsets, timestamps, indexes,
 * damaged ranges, open file handles). The last segment of a log is the
 * active one, written to; the others are sealed and only read.
 */
import { join } from 'node:path';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import type { FileHandleIO, FileIO } from './file-io.js';
import type { SegmentSummary } from './offset-index.js';
import type { TimeIndexSummary } from './time-index.js';

const NAME_DIGITS = 20;
const SEGMENT_FILE_NAME = /^(\d{20})\.(log|index|timeindex)$/;

/** The files of a segment: the records, the offset index, the time index. */
export type SegmentFileExt = 'log' | 'index' | 'timeindex';

/** `00000000000000000042.log` for base offset 42. */
export function segmentFileName(baseOffset: number, ext: SegmentFileExt): string {
  return `${String(baseOffset).padStart(NAME_DIGITS, '0')}.${ext}`;
}

/** The base offset named by a segment or index file name; `null` for any other name. */
export function parseSegmentFileName(name: string): { baseOffset: number; ext: SegmentFileExt } | null {
  const match = SEGMENT_FILE_NAME.exec(name);
  if (match === null) return null;
  const baseOffset = Number(match[1]);
  if (!Number.isSafeInteger(baseOffset)) return null;
  return { baseOffset, ext: match[2] as SegmentFileExt };
}

/** A damaged range of a segment: bytes `[position, endPosition)` hold offsets `[fromOffset, toOffset]`. */
export interface DamagedRange {
  position: number;
  /** Where the next good frame starts (or the end of the segment). */
  endPosition: number;
  fromOffset: number;
  toOffset: number;
  reason: string;
}

/**
 * An open file shared by the writer and the readers of a segment. It is closed when it was retired (the
 * segment was sealed, deleted, or its writer reopened the file) and its last user released it.
 */
export class SharedHandle {
  private users = 1;
  private retired = false;

  constructor(
    readonly file: FileHandleIO,
    private readonly onClosed: (handle: SharedHandle) => void,
  ) {}

  retain(): void {
    this.users++;
  }

  /** Gives up one use; closes the file when it was retired and this was the last. */
  async release(): Promise<void> {
    this.users--;
    if (this.users === 0 && this.retired) {
      this.onClosed(this);
      await this.file.close().catch(() => undefined);
    }
  }

  /** No new user will get this handle; the creator's use is given up. */
  async retire(): Promise<void> {
    if (this.retired) return;
    this.retired = true;
    await this.release();
  }
}

export class Segment {
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  /** Bytes of whole frames written (the writer's view; past `visibleSize` while appends await their fsync). */
  size = 0;
  /** The offset after the last written record. */
  endOffset: number;
  /** Bytes readers may read: whole frames of acknowledged appends. */
  visibleSize = 0;
  /** The offset after the last acknowledged record. */
  visibleEnd: number;
  /** Timestamp of the first record and largest timestamp; -1 while empty. */
  firstTimestamp = -1;
  maxTimestamp = -1;
  index: OffsetIndex;
  timeIndex: TimeIndex;
  readonly damaged: DamagedRange[] = [];
  sealed = false;
  deleted = false;
  private handle: SharedHandle | null = null;
  private opening: Promise<SharedHandle> | null = null;

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    indexIntervalBytes?: number,
  ) {
    this.logPath = join(dir, segmentFileName(baseOffset, 'log'));
    this.indexPath = join(dir, segmentFileName(baseOffset, 'index'));
    this.timeIndexPath = join(dir, segmentFileName(baseOffset, 'timeindex'));
    this.endOffset = baseOffset;
    this.visibleEnd = baseOffset;
    this.index = new OffsetIndex(baseOffset, indexIntervalBytes);
    this.timeIndex = new TimeIndex(baseOffset);
  }

  /** Bytes of the segment file (for retention and sizes). */
  get sizeBytes(): number {
    return this.size;
  }

  /** Sets everything written so far as visible (after recovery, or once appends are acknowledged). */
  publishAll(): void {
    this.visibleSize = this.size;
    this.visibleEnd = this.endOffset;
  }

  /** Notes a frame appended or scanned at `position`. */
  noteFrame(position: number, frameBytes: number, baseOffset: number, count: number, firstTs: number, maxTs: number): void {
    this.size = position + frameBytes;
    this.endOffset = baseOffset + count;
    if (this.firstTimestamp < 0) this.firstTimestamp = firstTs;
    if (maxTs > this.maxTimestamp) this.maxTimestamp = maxTs;
    if (this.index.add(baseOffset, position)) this.timeIndex.add(baseOffset, this.maxTimestamp);
  }

  /** What the index file of this segment records. */
  summary(): SegmentSummary {
    return {
      baseOffset: this.baseOffset,
      nextOffset: this.endOffset,
      logBytes: this.size,
      firstTimestamp: this.firstTimestamp,
      maxTimestamp: this.maxTimestamp,
    };
  }

  /** What the time index file of this segment records. */
  timeSummary(): TimeIndexSummary {
    return { baseOffset: this.baseOffset, nextOffset: this.endOffset, logBytes: this.size, maxTimestamp: this.maxTimestamp };
  }

  /** The damaged range that starts at `position`, if one is known. */
  damageAt(position: number): DamagedRange | undefined {
    return this.damaged.length === 0 ? undefined : this.damaged.find((d) => d.position === position);
  }

  /** The damaged range holding `offset`, if one is known. */
  damageHolding(offset: number): DamagedRange | undefined {
    return this.damaged.length === 0 ? undefined : this.damaged.find((d) => d.fromOffset <= offset && offset <= d.toOffset);
  }

  /** Makes `file` the writer's handle (readers share it); the previous one is retired. */
  async setWriter(file: FileHandleIO): Promise<void> {
    const previous = this.handle;
    this.handle = new SharedHandle(file, (h) => this.forget(h));
    if (previous !== null) await previous.retire();
  }

  /** The writer's handle; throws when the segment has none (sealed segments). */
  writer(): FileHandleIO {
    if (this.handle === null || this.sealed) throw new Error(`segment ${this.logPath} has no writer`);
    return this.handle.file;
  }

  /**
   * A handle to read the segment with: the writer's when there is one, else a read-only one opened on
   * demand and closed when its last reader releases it. Pair with `release`.
   */
  async acquire(io: FileIO): Promise<SharedHandle> {
    if (this.handle !== null) {
      this.handle.retain();
      return this.handle;
    }
    if (this.opening === null) {
      this.opening = io
        .open(this.logPath, 'read')
        .then((file) => {
          const handle = new SharedHandle(file, (h) => this.forget(h));
          this.handle = handle;
          return handle;
        })
        .finally(() => {
          this.opening = null;
        });
      // the creator's use is given up at once (after taking the reader's), so the handle closes with its
      // last reader
      const handle = await this.opening;
      handle.retain();
      await handle.retire();
      return handle;
    }
    const handle = await this.opening;
    handle.retain();
    return handle;
  }

  /** Retires the writer's handle (when sealing or deleting); it closes once readers are done. */
  async retireHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle !== null) await handle.retire();
  }

  private forget(handle: SharedHandle): void {
    if (this.handle === handle) this.handle = null;
  }
}
