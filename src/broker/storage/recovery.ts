/**
 * Opening a topic's directory: finds the segments, loads or rebuilds their indexes (offset and time), cuts a
 * torn tail off the last segment, and records damage in sealed ones. It reports what it did; it never prints.
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
 * - the time index (`.timeindex`) of a segment is loaded when it is good and describes the same bytes as the
 *   offset index (sealed: the whole file); otherwise the segment is scanned from its start, which rebuilds
 *   it. A damaged or stale time index is reported in `rebuiltIndexes` like an offset index; a missing one is
 *   not (segments written before the time index existed have none: it is built at their first open and
 *   written next to them).
 */
import { dirname } from 'node:path';
import { removeStrayTempFiles, writeFileAtomic } from './atomic-file.js';
import { readWholeFile } from './file-io.js';
import { findNextFrame, walkFrames } from './frame-scanner.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
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
  const timeIndexes: number[] = [];
  for (const name of await io.readdir(dir)) {
    const parsed = parseSegmentFileName(name);
    if (parsed !== null) (parsed.ext === 'log' ? logs : parsed.ext === 'index' ? indexes : timeIndexes).push(parsed.baseOffset);
  }
  logs.sort((a, b) => a - b);
  const logSet = new Set(logs);
  for (const [bases, pathOf] of [
    [indexes, (s: Segment) => s.indexPath],
    [timeIndexes, (s: Segment) => s.timeIndexPath],
  ] as const) {
    for (const base of bases) {
      if (logSet.has(base)) continue;
      const orphan = pathOf(new Segment(dir, base));
      await io.unlink(orphan);
      report.removedFiles.push(orphan);
    }
  }
  const indexSet = new Set(indexes);
  const timeIndexSet = new Set(timeIndexes);

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
    const has = { index: indexSet.has(base), timeIndex: timeIndexSet.has(base) };
    try {
      if (last) await recoverActive(io, file, segment, has, options, report);
      else await recoverSealed(io, file, segment, nextBase, has, options, report);
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

/** Which index files of a segment are there. */
interface IndexFiles {
  index: boolean;
  timeIndex: boolean;
}

/** What became of a segment's time index file: loaded, absent, or there but damaged or stale. */
type TimeIndexState = 'loaded' | 'missing' | 'bad';

/**
 * Loads the time index file of `segment` when it is good and describes `logBytes` bytes up to `nextOffset`
 * (and, when given, a largest timestamp of `maxTimestamp`).
 */
async function loadTimeIndex(
  io: FileIO,
  segment: Segment,
  present: boolean,
  expected: { logBytes: number; nextOffset: number; maxTimestamp?: number },
): Promise<TimeIndexState> {
  if (!present) return 'missing';
  const bytes = await readWholeFile(io, segment.timeIndexPath);
  if (bytes === null) return 'missing';
  const parsed = TimeIndex.parse(bytes, segment.baseOffset);
  if (parsed === null) return 'bad';
  const { summary } = parsed;
  if (summary.logBytes !== expected.logBytes || summary.nextOffset !== expected.nextOffset) return 'bad';
  if (expected.maxTimestamp !== undefined && summary.maxTimestamp !== expected.maxTimestamp) return 'bad';
  segment.timeIndex = parsed.index;
  return 'loaded';
}

function resetSegment(segment: Segment, intervalBytes?: number): void {
  segment.index = new OffsetIndex(segment.baseOffset, intervalBytes);
  segment.timeIndex = new TimeIndex(segment.baseOffset);
  segment.size = 0;
  segment.endOffset = segment.baseOffset;
  segment.firstTimestamp = -1;
  segment.maxTimestamp = -1;
}

async function recoverActive(
  io: FileIO,
  file: FileHandleIO,
  segment: Segment,
  has: IndexFiles,
  options: RecoveryOptions,
  report: RecoveryReport,
): Promise<void> {
  const fileSize = await file.size();
  const loaded = has.index && (await loadIndex(io, segment, fileSize, options.indexIntervalBytes));
  if (!loaded) {
    if (has.index) report.rebuiltIndexes.push(segment.indexPath);
    resetSegment(segment, options.indexIntervalBytes);
  }
  // the time index must describe what the offset index does; else both are rebuilt by scanning from the start
  const expected = { logBytes: segment.size, nextOffset: segment.endOffset, maxTimestamp: segment.maxTimestamp };
  const time = loaded ? await loadTimeIndex(io, segment, has.timeIndex, expected) : 'missing';
  if (time === 'bad') report.rebuiltIndexes.push(segment.timeIndexPath);
  if (time !== 'loaded') resetSegment(segment, options.indexIntervalBytes);
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
  has: IndexFiles,
  options: RecoveryOptions,
  report: RecoveryReport,
): Promise<void> {
  const fileSize = await file.size();
  const loaded = has.index && !options.verifyOnOpen && (await loadIndex(io, segment, fileSize, options.indexIntervalBytes));
  const upToDate = loaded && segment.size === fileSize && segment.endOffset === nextBase;
  const time = await loadTimeIndex(io, segment, has.timeIndex, {
    logBytes: fileSize,
    nextOffset: nextBase,
    ...(upToDate ? { maxTimestamp: segment.maxTimestamp } : {}),
  });
  if (time === 'bad') report.rebuiltIndexes.push(segment.timeIndexPath);
  if (!upToDate || time !== 'loaded') {
    const keptTime = time === 'loaded' ? segment.timeIndex : null;
    // the time index is built from the segment's first frame on: without a good one, scan all of the segment
    if (!loaded || keptTime === null) resetSegment(segment, options.indexIntervalBytes);
    if (keptTime !== null) segment.timeIndex = new TimeIndex(segment.baseOffset);
    if (!upToDate && !(options.verifyOnOpen && has.index)) report.rebuiltIndexes.push(segment.indexPath);
    await scanSealed(file, segment, fileSize, nextBase, options);
    for (const range of segment.damaged) report.corruptions.push(corruptionReport(options.topic, segment, range));
    const summary = { ...segment.summary(), logBytes: fileSize, nextOffset: nextBase };
    // the indexes are caches: one that could not be written is rebuilt at the next open
    if (!upToDate) await writeFileAtomic(io, segment.indexPath, segment.index.serialize(summary)).catch(() => undefined);
    if (keptTime !== null) segment.timeIndex = keptTime;
    else await writeFileAtomic(io, segment.timeIndexPath, segment.timeIndex.serialize(summary)).catch(() => undefined);
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
