/**
 * The two repairs of a topic log's active segment after a failure, both through a fresh file descriptor (one
 * that saw no failed write or fsync), each ending with an fsync:
 * - after a failed fsync with `always` (or a write whose cut-back failed): the file is cut back to the last
 *   acknowledged position, and the offsets of the rejected appends are given again;
 * - after a failed background fsync with `interval`: the appends acknowledged since the last good fsync are
 *   written again at their positions from memory.
 * Each throws a storage error while it fails; the writer rejects appends until one succeeds.
 */
import type { AppendEntry } from './append-entry.js';
import { storageFailure } from './storage-errors.js';
import type { FileHandleIO, FileIO } from './file-io.js';
import type { Segment } from './segment.js';

/**
 * Opens the segment's file with a fresh descriptor, lets `prepare` write or cut it, fsyncs, and makes it the
 * segment's writer. Throws a storage error naming `what` failed.
 */
async function reopen(
  io: FileIO,
  topic: string,
  segment: Segment,
  what: string,
  prepare: (file: FileHandleIO) => Promise<void>,
): Promise<void> {
  try {
    const file = await io.open(segment.logPath, 'write');
    try {
      await prepare(file);
      await file.sync();
    } catch (error) {
      await file.close().catch(() => undefined);
      throw error;
    }
    await segment.setWriter(file);
  } catch (cause) {
    throw storageFailure(topic, what, segment.logPath, cause);
  }
}

/** Cuts `segment` back to its acknowledged end (file, size, offsets, indexes) and reopens it. */
export async function cutBackToAcknowledged(io: FileIO, topic: string, segment: Segment): Promise<void> {
  await reopen(io, topic, segment, 'repair', (file) => file.truncate(segment.visibleSize));
  segment.size = segment.visibleSize;
  segment.endOffset = segment.visibleEnd;
  segment.index.truncate(segment.visibleSize);
  segment.timeIndex.truncate(segment.visibleEnd);
}

/** Reopens `segment` and writes `entries` (acknowledged appends a failed fsync covered) again at their positions. */
export async function writeAgain(io: FileIO, topic: string, segment: Segment, entries: readonly AppendEntry[]): Promise<void> {
  await reopen(io, topic, segment, 'write again what a failed fsync covered in', async (file) => {
    for (const entry of entries) await file.write([entry.header as Buffer, entry.batch], entry.position);
  });
}
