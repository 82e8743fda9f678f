/**
 * The sparse offset index of a segment: (relative offset, file position) of a frame every
 * `intervalBytes` (~4 KiB) of log. A lookup finds the last indexed frame at or below an offset; the read
 * scans forward from there. The active segment's index lives in memory; a sealed segment's is written next
 * to it as `<20-digit base offset>.index`:
 *
 * ```text
 *   off size field
 *   0   4    magic         u32 0x45565158 ("EVQX")
 *   4   2    version       u16 = 1
 *   6   2    reserved      = 0
 *   8   8    baseOffset    f64, the segment's base offset
 *   16  8    nextOffset    f64, offset after the segment's last record
 *   24  8    logBytes      f64, size of the .log file the index describes
 *   32  8    firstTimestamp f64, -1 when the segment is empty
 *   40  8    maxTimestamp  f64, -1 when the segment is empty
 *   48  4    entryCount    u32
 *   52  4    crc           u32, CRC-32 of bytes 0..52 followed by the entries
 *   56  8×n  entries       (u32 offset - baseOffset, u32 file position), both increasing
 * ```
 *
 * An index whose CRC, base offset or sizes do not match its segment is ignored and rebuilt by scanning.
 */
import { crc32 } from 'node:zlib';

export const INDEX_MAGIC = 0x45565158;
export const INDEX_VERSION = 1;
export const INDEX_HEADER_BYTES = 56;
/** Default distance in log bytes between two index entries. */
export const DEFAULT_INDEX_INTERVAL_BYTES = 4096;

/** What an index file says about its segment besides the entries. */
export interface SegmentSummary {
  baseOffset: number;
  nextOffset: number;
  logBytes: number;
  firstTimestamp: number;
  maxTimestamp: number;
}

/** A place to start reading: a frame's first offset and its file position. */
export interface IndexEntry {
  offset: number;
  position: number;
}

export class OffsetIndex {
  private readonly relOffsets: number[] = [];
  private readonly positions: number[] = [];
  private lastPosition = Number.NEGATIVE_INFINITY;

  constructor(
    readonly baseOffset: number,
    readonly intervalBytes: number = DEFAULT_INDEX_INTERVAL_BYTES,
  ) {}

  get length(): number {
    return this.positions.length;
  }

  /**
   * Notes a frame starting at `offset` and `position`; indexed when `intervalBytes` have passed since the
   * last entry (returns whether it was: the time index takes an entry at the same frames). Frames come in order.
   */
  add(offset: number, position: number): boolean {
    if (position - this.lastPosition < this.intervalBytes) return false;
    this.relOffsets.push(offset - this.baseOffset);
    this.positions.push(position);
    this.lastPosition = position;
    return true;
  }

  /** The last indexed frame starting at or below `offset`; the segment start when there is none. */
  lookup(offset: number): IndexEntry {
    const rel = offset - this.baseOffset;
    let lo = 0;
    let hi = this.relOffsets.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.relOffsets[mid] as number) <= rel) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + (this.relOffsets[found] as number), position: this.positions[found] as number };
  }

  /** Forgets the entries at or past `position` (after the segment was cut there). */
  truncate(position: number): void {
    while (this.positions.length > 0 && (this.positions[this.positions.length - 1] as number) >= position) {
      this.positions.pop();
      this.relOffsets.pop();
    }
    this.lastPosition = this.positions.length > 0 ? (this.positions[this.positions.length - 1] as number) : Number.NEGATIVE_INFINITY;
  }

  /** The index file's bytes. */
  serialize(summary: SegmentSummary): Buffer {
    const n = this.positions.length;
    const buf = Buffer.alloc(INDEX_HEADER_BYTES + 8 * n);
    buf.writeUInt32BE(INDEX_MAGIC, 0);
    buf.writeUInt16BE(INDEX_VERSION, 4);
    buf.writeDoubleBE(summary.baseOffset, 8);
    buf.writeDoubleBE(summary.nextOffset, 16);
    buf.writeDoubleBE(summary.logBytes, 24);
    buf.writeDoubleBE(summary.firstTimestamp, 32);
    buf.writeDoubleBE(summary.maxTimestamp, 40);
    buf.writeUInt32BE(n, 48);
    for (let i = 0; i < n; i++) {
      buf.writeUInt32BE(this.relOffsets[i] as number, INDEX_HEADER_BYTES + 8 * i);
      buf.writeUInt32BE(this.positions[i] as number, INDEX_HEADER_BYTES + 8 * i + 4);
    }
    buf.writeUInt32BE(indexChecksum(buf), 52);
    return buf;
  }

  /**
   * Reads an index file. Returns `null` when it is damaged or belongs to another segment: bad magic,
   * version or checksum, another base offset, inconsistent sizes, entries out of order.
   */
  static parse(buf: Buffer, baseOffset: number, intervalBytes?: number): { index: OffsetIndex; summary: SegmentSummary } | null {
    if (buf.length < INDEX_HEADER_BYTES) return null;
    if (buf.readUInt32BE(0) !== INDEX_MAGIC || buf.readUInt16BE(4) !== INDEX_VERSION) return null;
    const n = buf.readUInt32BE(48);
    if (buf.length !== INDEX_HEADER_BYTES + 8 * n) return null;
    if (indexChecksum(buf) !== buf.readUInt32BE(52)) return null;
    const summary: SegmentSummary = {
      baseOffset: buf.readDoubleBE(8),
      nextOffset: buf.readDoubleBE(16),
      logBytes: buf.readDoubleBE(24),
      firstTimestamp: buf.readDoubleBE(32),
      maxTimestamp: buf.readDoubleBE(40),
    };
    if (summary.baseOffset !== baseOffset) return null;
    if (!Number.isSafeInteger(summary.nextOffset) || summary.nextOffset < baseOffset) return null;
    if (!Number.isSafeInteger(summary.logBytes) || summary.logBytes < 0) return null;
    const index = new OffsetIndex(baseOffset, intervalBytes);
    let lastRel = -1;
    let lastPos = -1;
    for (let i = 0; i < n; i++) {
      const rel = buf.readUInt32BE(INDEX_HEADER_BYTES + 8 * i);
      const pos = buf.readUInt32BE(INDEX_HEADER_BYTES + 8 * i + 4);
      if (rel <= lastRel && i > 0) return null;
      if (pos <= lastPos || pos >= summary.logBytes || baseOffset + rel >= summary.nextOffset) return null;
      index.relOffsets.push(rel);
      index.positions.push(pos);
      lastRel = rel;
      lastPos = pos;
    }
    index.lastPosition = lastPos >= 0 ? lastPos : Number.NEGATIVE_INFINITY;
    return { index, summary };
  }
}

function indexChecksum(buf: Buffer): number {
  return crc32(buf.subarray(INDEX_HEADER_BYTES), crc32(buf.subarray(0, 52)));
}
