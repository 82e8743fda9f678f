/**
 * Opening a topic's directory: finds the segments, loads or rebuilds their indexes, cuts a torn tail off
 * the last segment, and records damage in sealed ones. It reports what it did; it never prints.
 *
 * How much is verified at open:
 * - the last (active) segment: every frame past what its index file covers (all of it after a crash; nothing
 *   after a clean close, which writes the index). The first bad frame and everything after it is cut off
 *   (a torn or damaged tail: those appends were never acknowledged under `fsync: always`).
 * - sealed segments: nothing when their index file is good and matches the file's size (opening stays fast
 *   however much data there is); a full scan, which rebuilds the index, when the index is missing, damaged
 *   or stale, or with `verifyOnOpen`. Damage found in a sealed segment is never cut: it is recorded (file,
 *   byte position, offsets) and reads of that range fail with `EVQ_ERR_CORRUPT_LOG`. Damage in a sealed
 *   segment that was not scanned is found by the first read that reaches it (every read checks checksums).
 */
import { dirname } from 'node:path';
import { removeStrayTempFiles, writeFileAtomic } from './atomic-file.js';
import { readWholeFile } from './file-io.js';
import { findNextFrame, walkFrames } from './frame-scanner.js';
import { OffsetIndex } from './offset-index.js';
import { Segment, parseSegmentFileName } from './segment.js';
import { storageFailure } from './storage-errors.js';
import type { FileHandleIO, FileIO } from './file-io.js';
import type { CorruptionReport, RecoveryReport } from './log.js';
import type { DamagedRange } from './segment.js';

export interface RecoveryOptions {
  topic: string;
  indexIntervalBytes?: number;
  /** Scan every sealed segment at open, even with a good index (slow on large logs). Default `false`. */
  verifyOnOpen?: boolean;
  chunkBytes?: number;
}

export interface RecoveredLog {
  /** In offset order; the last one is active and has its writer handle open. */
  segments: Segment[];
  report: RecoveryReport;
}

/** Turns a damaged range into the report users read. */
export function corruptionReport(topic: string, segment: Segment, range: DamagedRange): CorruptionReport {
  return {
    topic,
    file: segment.logPath,
    position: range.position,
    fromOffset: range.fromOffset,
    toOffset: range.toOffset,
    reason: range.reason,
  };
}

/**
 * Finds where reading can resume after the bad frame at `position` of `segment` (which should have started
 * at `offset`), and returns the damaged range in between. `limit` is the end of the readable bytes and
 * `endOffset` the offset after the segment's last record.
 */
export async function locateDamage(
  file: FileHandleIO,
  position: number,
  offset: number,
  limit: number,
  endOffset: number,
  reason: string,
): Promise<DamagedRange> {
  const next = await findNextFrame(file, position + 1, limit, offset);
  if (next === null) return { position, endPosition: limit, fromOffset: offset, toOffset: endOffset - 1, reason };
  return { position, endPosition: next.position, fromOffset: offset, toOffset: next.header.baseOffset - 1, reason };
}

/** Opens (creating it when needed) the segments of the log in `dir`. */
export async function recoverSegments(io: FileIO, dir: string, options: RecoveryOptions): Promise<RecoveredLog> {
  const { topic } = options;
  const report: RecoveryReport = { topic, truncations: [], corruptions: [], rebuiltIndexes: [], removedFiles: [] };
  await io.mkdirp(dir);
  report.removedFiles.push(...(await removeStrayTempFiles(io, dir)));
  const logs: number[] = [];
  const indexes: number[] = [];
  for (const name of await io.readdir(dir)) {
    const parsed = parseSegmentFileName(name);
    if (parsed !== null) (parsed.ext === 'log' ? logs : indexes).push(parsed.baseOffset);
  }
  logs.sort((a, b) => a - b);
  const logSet = new Set(logs);
  for (const base of indexes) {
    if (logSet.has(base)) continue;
    const orphan = new Segment(dir, base).indexPath;
    await io.unlink(orphan);
    report.removedFiles.push(orphan);
  }
  const indexSet = new Set(indexes);

  const created = logs.length === 0;
  if (created) logs.push(0);
  const segments: Segment[] = [];
  for (let i = 0; i < logs.length; i++) {
    const base = logs[i] as number;
    const nextBase = logs[i + 1];
    const segment = new Segment(dir, base, options.indexIntervalBytes);
    const last = nextBase === undefined;
    let file: FileHandleIO;
    try {
      file = await io.open(segment.logPath, last ? 'write' : 'read');
    } catch (cause) {
      throw storageFailure(topic, 'open', segment.logPath, cause);
    }
    try {
      if (last) await recoverActive(io, file, segment, indexSet.has(base), options, report);
      else await recoverSealed(io, file, segment, nextBase, indexSet.has(base), options, report);
    } catch (cause) {
      await file.close().catch(() => undefined);
      throw storageFailure(topic, 'recover', segment.logPath, cause);
    }
    if (last) await segment.setWriter(file);
    else await file.close();
    segment.publishAll();
    segments.push(segment);
  }
  if (created) {
    // the new segment file and the (maybe new) directory itself must survive a power loss
    await io.fsyncDir(dir);
    await io.fsyncDir(dirname(dir));
  }
  return { segments, report };
}

/** Loads the index file of `segment` when it is good and describes at most `fileSize` bytes. */
async function loadIndex(io: FileIO, segment: Segment, fileSize: number, intervalBytes?: number): Promise<boolean> {
  const bytes = await readWholeFile(io, segment.indexPath);
  if (bytes === null) return false;
  const parsed = OffsetIndex.parse(bytes, segment.baseOffset, intervalBytes);
  if (parsed === null || parsed.summary.logBytes > fileSize) return false;
  segment.index = parsed.index;
  segment.size = parsed.summary.logBytes;
  segment.endOffset = parsed.summary.nextOffset;
  segment.firstTimestamp = parsed.summary.firstTimestamp;
  segment.maxTimestamp = parsed.summary.maxTimestamp;
  return true;
}

function resetSegment(segment: Segment, intervalBytes?: number): void {
  segment.index = new OffsetIndex(segment.baseOffset, intervalBytes);
  segment.size = 0;
  segment.endOffset = segment.baseOffset;
  segment.firstTimestamp = -1;
  segment.maxTimestamp = -1;
}

async function recoverActive(
  io: FileIO,
  file: FileHandleIO,
  segment: Segment,
  hasIndex: boolean,
  options: RecoveryOptions,
  report: RecoveryReport,
): Promise<void> {
  const fileSize = await file.size();
  if (!(hasIndex && (await loadIndex(io, segment, fileSize, options.indexIntervalBytes)))) {
    if (hasIndex) report.rebuiltIndexes.push(segment.indexPath);
    resetSegment(segment, options.indexIntervalBytes);
  }
  if (segment.size === fileSize) return;
  const walk = await walkFrames(
    file,
    segment.size,
    segment.endOffset,
    fileSize,
    (f) => segment.noteFrame(f.position, f.frameBytes, f.header.baseOffset, f.header.count, f.header.firstTimestamp, f.header.maxTimestamp),
    { chunkBytes: options.chunkBytes },
  );
  if (walk.bad === null) return;
  // a torn or damaged tail: what follows the last good frame was never acknowledged (or cannot be trusted)
  let lastOffsetDropped: number | null = null;
  let from = walk.bad.position + 1;
  for (;;) {
    const next = await findNextFrame(file, from, fileSize, walk.nextOffset);
    if (next === null) break;
    lastOffsetDropped = next.header.lastOffset;
    from = next.position + 1;
  }
  await file.truncate(walk.bad.position);
  await file.sync();
  report.truncations.push({
    topic: options.topic,
    file: segment.logPath,
    position: walk.bad.position,
    bytesDropped: fileSize - walk.bad.position,
    firstOffsetDropped: walk.nextOffset,
    lastOffsetDropped,
    reason: walk.bad.reason,
  });
}

async function recoverSealed(
  io: FileIO,
  file: FileHandleIO,
  segment: Segment,
  nextBase: number,
  hasIndex: boolean,
  options: RecoveryOptions,
  report: RecoveryReport,
): Promise<void> {
  const fileSize = await file.size();
  const loaded = hasIndex && !options.verifyOnOpen && (await loadIndex(io, segment, fileSize, options.indexIntervalBytes));
  const upToDate = loaded && segment.size === fileSize && segment.endOffset === nextBase;
  if (!upToDate) {
    if (!loaded) resetSegment(segment, options.indexIntervalBytes);
    if (!(options.verifyOnOpen && hasIndex)) report.rebuiltIndexes.push(segment.indexPath);
    await scanSealed(file, segment, fileSize, nextBase, options);
    for (const range of segment.damaged) report.corruptions.push(corruptionReport(options.topic, segment, range));
    await writeFileAtomic(
      io,
      segment.indexPath,
      segment.index.serialize({ ...segment.summary(), logBytes: fileSize, nextOffset: nextBase }),
    ).catch(
      () => undefined, // the index is a cache: it is rebuilt at the next open when it could not be written
    );
  }
  segment.size = fileSize;
  segment.endOffset = nextBase;
  segment.sealed = true;
}

/** Scans a sealed segment from `segment.size`, recording damaged ranges instead of stopping at them. */
async function scanSealed(
  file: FileHandleIO,
  segment: Segment,
  fileSize: number,
  nextBase: number,
  options: RecoveryOptions,
): Promise<void> {
  let position = segment.size;
  let offset = segment.endOffset;
  while (position < fileSize) {
    const walk = await walkFrames(
      file,
      position,
      offset,
      fileSize,
      (f) =>
        segment.noteFrame(f.position, f.frameBytes, f.header.baseOffset, f.header.count, f.header.firstTimestamp, f.header.maxTimestamp),
      { chunkBytes: options.chunkBytes },
    );
    if (walk.bad === null) {
      offset = walk.nextOffset;
      break;
    }
    const range = await locateDamage(file, walk.bad.position, walk.nextOffset, fileSize, nextBase, walk.bad.reason);
    segment.damaged.push(range);
    position = range.endPosition;
    offset = range.toOffset + 1;
    segment.endOffset = offset;
  }
  if (offset < nextBase && segment.damaged.every((d) => d.toOffset < offset)) {
    segment.damaged.push({
      position: fileSize,
      endPosition: fileSize,
      fromOffset: offset,
      toOffset: nextBase - 1,
      reason: 'records missing at the end of the segment',
    });
  }
}
