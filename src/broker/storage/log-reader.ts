/**
 * Reading a topic log on disk: binary search over the segments, then over the segment's offset index, then
 * a bounded scan of frames from there. Every frame read is checked (CRC, header); the first damage met in
 * a segment is located (where reading can resume), remembered and reported, so later reads skip it or fail
 * fast. Only acknowledged bytes (`visibleSize`) are read.
 */
import { corruptionReport, locateDamage } from './recovery.js';
import { EvqError } from '../../errors.js';
import { CorruptLogError, storageFailure } from './storage-errors.js';
import { walkFrames } from './frame-scanner.js';
import type { BatchHeader } from '../../protocol/record-codec.js';
import type { FileIO } from './file-io.js';
import type { CorruptionReport } from './log.js';
import type { DamagedRange, Segment, SharedHandle } from './segment.js';

export interface ReadContext {
  io: FileIO;
  topic: string;
  /** Called once per newly found damaged range. */
  onDamage: (report: CorruptionReport) => void;
}

/** Index of the segment holding `offset`: the last one whose base offset is at or below it (0 when none is). */
export function findSegment(segments: readonly Segment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((segments[mid] as Segment).baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Calls `onBatch` with each stored batch holding offsets at or above `fromOffset`, in order, until it
 * returns `false` or the acknowledged end of the log. The first batch may start below `fromOffset`.
 * `chunkBytes` sizes the file reads. Throws `CorruptLogError` when the first batch wanted lies in a damaged
 * range; returns quietly when damage is met after some batches were delivered.
 */
export async function scanBatches(
  ctx: ReadContext,
  segments: readonly Segment[],
  fromOffset: number,
  chunkBytes: number,
  onBatch: (payload: Buffer, header: BatchHeader) => boolean,
): Promise<void> {
  let target = fromOffset;
  let delivered = false;
  for (let i = findSegment(segments, target); i < segments.length; i++) {
    const segment = segments[i] as Segment;
    const limit = segment.visibleSize;
    // retention deleted it meanwhile: a read never skips records in its middle, so it ends here (the next
    // one starts at the log's new start, a jump the reader sees at the start of a read)
    if (segment.deleted) {
      if (delivered) return;
      continue;
    }
    if (limit === 0 || target >= segment.visibleEnd) continue;
    const known = segment.damageHolding(target);
    if (known !== undefined) {
      if (delivered) return;
      throw new CorruptLogError(corruptionReport(ctx.topic, segment, known));
    }
    let handle: SharedHandle;
    try {
      handle = await segment.acquire(ctx.io);
    } catch (error) {
      if (!segment.deleted) throw storageFailure(ctx.topic, 'open', segment.logPath, error);
      if (delivered) return;
      continue;
    }
    try {
      const entry = segment.index.lookup(target);
      let position = entry.position;
      let offset = entry.offset;
      for (;;) {
        let more = true;
        const walk = await walkFrames(
          handle.file,
          position,
          offset,
          limit,
          (frame) => {
            if (frame.header.lastOffset < target) return true;
            delivered = true;
            target = frame.header.lastOffset + 1;
            more = onBatch(frame.payload, frame.header);
            return more;
          },
          { chunkBytes, isDamaged: segment.damaged.length > 0 ? (p) => segment.damageAt(p) !== undefined : undefined },
        );
        if (walk.stopped && !more) return;
        if (walk.bad === null) break;
        const range =
          segment.damageAt(walk.bad.position) ??
          (await discover(ctx, segment, handle, walk.bad.position, walk.nextOffset, limit, walk.bad.reason));
        if (range.toOffset >= target) {
          if (delivered) return;
          throw new CorruptLogError(corruptionReport(ctx.topic, segment, range));
        }
        if (range.endPosition >= limit) break;
        position = range.endPosition;
        offset = range.toOffset + 1;
      }
    } catch (error) {
      if (error instanceof EvqError) throw error;
      throw storageFailure(ctx.topic, 'read', segment.logPath, error);
    } finally {
      await handle.release();
    }
  }
}

/** Locates newly met damage, remembers it on the segment and reports it (once, even with concurrent readers). */
async function discover(
  ctx: ReadContext,
  segment: Segment,
  handle: SharedHandle,
  position: number,
  offset: number,
  limit: number,
  reason: string,
): Promise<DamagedRange> {
  const endOffset = segment.sealed ? segment.endOffset : segment.visibleEnd;
  const range = await locateDamage(handle.file, position, offset, limit, endOffset, reason);
  const again = segment.damageAt(position);
  if (again !== undefined) return again;
  segment.damaged.push(range);
  segment.damaged.sort((a, b) => a.position - b.position);
  ctx.onDamage(corruptionReport(ctx.topic, segment, range));
  return range;
}
