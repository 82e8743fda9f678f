/**
 * "The first offset whose record is stamped at or after T" in a topic log on disk, in O(log n) reads:
 * 1. the segment: the first one whose largest timestamp is at or above T — a binary search over the running
 *    maximum of the segments' largest timestamps (kept in memory; no I/O);
 * 2. inside it, the time index (time-index.ts, in memory): the last entry stamped below T says where every
 *    earlier record is below T;
 * 3. a scan of frames from there (through the offset index, as reads do), skipping whole frames whose largest
 *    timestamp is below T (their header says so) and decoding the first one that is not.
 *
 * Timestamps need not grow with offsets (producers give them): the answer is, as in Kafka, the first offset in
 * offset order whose record is stamped at or after T, which is where the running maximum of timestamps first
 * reaches T. A time past every record gives the end offset; one at or before the first retained record, the
 * start offset. Damage met before the answer fails the lookup with `EVQ_ERR_CORRUPT_LOG`, as a read would.
 */
import { TRUSTED_CODEC_LIMITS, forEachRecord } from '../../protocol/record-codec.js';
import { scanBatches } from './log-reader.js';
import type { ReadContext } from './log-reader.js';
import type { Segment } from './segment.js';

/** Size of the file reads of the scan: a few index intervals. */
const TIME_SCAN_CHUNK_BYTES = 16 * 1024;

/** Where the search runs: the log's segments (oldest first, the last one active) and its offsets. */
export interface TimeSearchTarget extends ReadContext {
  segments: readonly Segment[];
  partition: number;
  startOffset: () => number;
  endOffset: () => number;
}

/**
 * The running maximum of the largest timestamps of a log's sealed segments, computed once per list of
 * segments (the list is replaced by every roll and retention pass; sealed segments never change).
 */
export class SegmentTimes {
  private segments: readonly Segment[] | null = null;
  private runningMax: number[] = [];

  /** Index in `segments` of the first segment holding a record stamped at or after `time`; `segments.length` when none does. */
  firstReaching(segments: readonly Segment[], time: number): number {
    if (segments !== this.segments) {
      this.segments = segments;
      this.runningMax = [];
      let max = -1;
      for (let i = 0; i < segments.length - 1; i++) {
        max = Math.max(max, (segments[i] as Segment).maxTimestamp);
        this.runningMax.push(max);
      }
    }
    let lo = 0;
    let hi = this.runningMax.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.runningMax[mid] as number) >= time) {
        found = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    if (found >= 0) return found;
    const active = segments[segments.length - 1];
    return active !== undefined && active.maxTimestamp >= time ? segments.length - 1 : segments.length;
  }
}

/** The first offset of `target` whose record is stamped at or after `time` (see the top of this file). */
export async function offsetForTime(target: TimeSearchTarget, times: SegmentTimes, time: number): Promise<number> {
  const { segments } = target;
  if (time <= 0) return target.startOffset(); // every timestamp is >= 0
  const first = times.firstReaching(segments, time);
  const segment = segments[first];
  if (segment === undefined) return target.endOffset();
  let from = Math.max(segment.timeIndex.lookup(time), target.startOffset());
  // the scan can stop early (damage after some batches, a segment deleted by retention meanwhile): go on from
  // where it stopped; a scan that delivers nothing has reached the end
  for (;;) {
    let found = -1;
    let next = from;
    const start = from;
    await scanBatches(target, segments, start, TIME_SCAN_CHUNK_BYTES, (payload, header) => {
      next = header.lastOffset + 1;
      if (header.maxTimestamp < time) return true;
      forEachRecord(
        payload,
        target.topic,
        (record) => {
          if (record.timestamp < time) return true;
          found = record.offset;
          return false;
        },
        { fromOffset: start, limits: TRUSTED_CODEC_LIMITS, partition: target.partition },
      );
      return found < 0;
    });
    if (found >= 0) return found;
    if (next <= from) return target.endOffset();
    from = next;
  }
}
