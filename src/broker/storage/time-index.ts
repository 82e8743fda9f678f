/**
 * The sparse time index of a segment, as Kafka's: at each frame the offset index indexes (every
 * `intervalBytes`, ~4 KiB of log), the largest record timestamp so far in the segment → that frame's first
 * offset. It answers "where to start scanning for the first record stamped at or after T": every record
 * before the end of an entry's frame is stamped at or below the entry's timestamp, so the scan may start at
 * the last entry stamped below T (the segment start when there is none) and skips everything before it.
 *
 * Timestamps may go backwards (producers give them): the index holds the maximum so far, which only grows,
 * so it can be binary-searched. Entries are strictly increasing in both fields: a frame whose maximum so
 * far equals the last entry's moves that entry forward (a later place to start from for the same bound),
 * so a scan never runs much more than one interval past the place it starts, however long the timestamps
 * stall. The active segment's index lives in memory; a sealed segment's is written next to it as
 * `<20-digit base offset>.timeindex` (with the offset index, the same way: `writeFileAtomic`):
 *
 * ```text
 *   off size field
 *   0   4    magic         u32 0x45565154 ("EVQT")
 *   4   2    version       u16 = 1
 *   6   2    reserved      = 0
 *   8   8    baseOffset    f64, the segment's base offset
 *   16  8    nextOffset    f64, offset after the segment's last record
 *   24  8    logBytes      f64, size of the .log file the index describes
 *   32  8    maxTimestamp  f64, largest timestamp of the segment, -1 when it is empty
 *   40  4    entryCount    u32
 *   44  4    crc           u32, CRC-32 of bytes 0..44 followed by the entries
 *   48  12×n entries       (f64 largest timestamp so far, u32 offset - baseOffset), both strictly increasing
 * ```
 *
 * An index whose CRC, base offset, sizes or order are wrong, or that does not match its segment, is ignored
 * and rebuilt by scanning the segment (recovery.ts). Pure: no I/O.
 */
import { crc32 } from 'node:zlib';
import { isTimestamp } from '../../protocol/batch-layout.js';

const TIME_INDEX_MAGIC = 0x45565154;
const TIME_INDEX_VERSION = 1;
export const TIME_INDEX_HEADER_BYTES = 48;
export const TIME_INDEX_ENTRY_BYTES = 12;

/** What a time index file says about its segment besides the entries. */
export interface TimeIndexSummary {
  baseOffset: number;
  nextOffset: number;
  logBytes: number;
  maxTimestamp: number;
}

export class TimeIndex {
  private readonly timestamps: number[] = [];
  private readonly relOffsets: number[] = [];

  constructor(readonly baseOffset: number) {}

  get length(): number {
    return this.timestamps.length;
  }

  /** The last entry's timestamp; -1 when there is none. */
  get lastTimestamp(): number {
    return this.timestamps.length > 0 ? (this.timestamps[this.timestamps.length - 1] as number) : -1;
  }

  /**
   * Notes that the frame starting at `offset` was indexed by the offset index and that `maxSoFar` is the
   * largest timestamp of the segment up to the end of that frame. Frames come in order; `maxSoFar` never
   * goes down.
   */
  add(offset: number, maxSoFar: number): void {
    const n = this.timestamps.length;
    const rel = offset - this.baseOffset;
    if (n > 0) {
      const last = this.timestamps[n - 1] as number;
      if (maxSoFar < last || rel <= (this.relOffsets[n - 1] as number)) return;
      if (maxSoFar === last) {
        this.relOffsets[n - 1] = rel;
        return;
      }
    }
    this.timestamps.push(maxSoFar);
    this.relOffsets.push(rel);
  }

  /**
   * Where to scan from for the first record stamped at or after `timestamp`: the first offset of the frame
   * of the last entry stamped below it (every record before that frame's end is), or the segment start when
   * there is none.
   */
  lookup(timestamp: number): number {
    let lo = 0;
    let hi = this.timestamps.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.timestamps[mid] as number) < timestamp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? this.baseOffset : this.baseOffset + (this.relOffsets[found] as number);
  }

  /** Forgets the entries of frames at or past `offset` (after the segment was cut there). */
  truncate(offset: number): void {
    const rel = offset - this.baseOffset;
    while (this.relOffsets.length > 0 && (this.relOffsets[this.relOffsets.length - 1] as number) >= rel) {
      this.relOffsets.pop();
      this.timestamps.pop();
    }
  }

  /** The index file's bytes. */
  serialize(summary: TimeIndexSummary): Buffer {
    const n = this.timestamps.length;
    const buf = Buffer.alloc(TIME_INDEX_HEADER_BYTES + TIME_INDEX_ENTRY_BYTES * n);
    buf.writeUInt32BE(TIME_INDEX_MAGIC, 0);
    buf.writeUInt16BE(TIME_INDEX_VERSION, 4);
    buf.writeDoubleBE(summary.baseOffset, 8);
    buf.writeDoubleBE(summary.nextOffset, 16);
    buf.writeDoubleBE(summary.logBytes, 24);
    buf.writeDoubleBE(summary.maxTimestamp, 32);
    buf.writeUInt32BE(n, 40);
    for (let i = 0; i < n; i++) {
      const at = TIME_INDEX_HEADER_BYTES + TIME_INDEX_ENTRY_BYTES * i;
      buf.writeDoubleBE(this.timestamps[i] as number, at);
      buf.writeUInt32BE(this.relOffsets[i] as number, at + 8);
    }
    buf.writeUInt32BE(timeIndexChecksum(buf), 44);
    return buf;
  }

  /**
   * Reads a time index file. Returns `null` when it is damaged or belongs to another segment: bad magic,
   * version or checksum, another base offset, inconsistent sizes, entries out of order or past the
   * segment's end or its largest timestamp.
   */
  static parse(buf: Buffer, baseOffset: number): { index: TimeIndex; summary: TimeIndexSummary } | null {
    if (buf.length < TIME_INDEX_HEADER_BYTES) return null;
    if (buf.readUInt32BE(0) !== TIME_INDEX_MAGIC || buf.readUInt16BE(4) !== TIME_INDEX_VERSION) return null;
    const n = buf.readUInt32BE(40);
    if (buf.length !== TIME_INDEX_HEADER_BYTES + TIME_INDEX_ENTRY_BYTES * n) return null;
    if (timeIndexChecksum(buf) !== buf.readUInt32BE(44)) return null;
    const summary: TimeIndexSummary = {
      baseOffset: buf.readDoubleBE(8),
      nextOffset: buf.readDoubleBE(16),
      logBytes: buf.readDoubleBE(24),
      maxTimestamp: buf.readDoubleBE(32),
    };
    if (summary.baseOffset !== baseOffset) return null;
    if (!Number.isSafeInteger(summary.nextOffset) || summary.nextOffset < baseOffset) return null;
    if (!Number.isSafeInteger(summary.logBytes) || summary.logBytes < 0) return null;
    if (summary.maxTimestamp !== -1 && !isTimestamp(summary.maxTimestamp)) return null;
    const index = new TimeIndex(baseOffset);
    let lastTs = -1;
    let lastRel = -1;
    for (let i = 0; i < n; i++) {
      const at = TIME_INDEX_HEADER_BYTES + TIME_INDEX_ENTRY_BYTES * i;
      const ts = buf.readDoubleBE(at);
      const rel = buf.readUInt32BE(at + 8);
      if (!isTimestamp(ts) || ts <= lastTs || ts > summary.maxTimestamp) return null;
      if (rel <= lastRel || baseOffset + rel >= summary.nextOffset) return null;
      index.timestamps.push(ts);
      index.relOffsets.push(rel);
      lastTs = ts;
      lastRel = rel;
    }
    return { index, summary };
  }
}

function timeIndexChecksum(buf: Buffer): number {
  return crc32(buf.subarray(TIME_INDEX_HEADER_BYTES), crc32(buf.subarray(0, 44)));
}
