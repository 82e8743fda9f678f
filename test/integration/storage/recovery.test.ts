import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileIO } from '../../../src/broker/storage/file-io.js';
import { TopicLog } from '../../../src/broker/storage/topic-log.js';
import { CorruptLogError } from '../../../src/broker/storage/storage-errors.js';
import { readBatchHeader } from '../../../src/protocol/record-codec.js';
import { messages, tempDir } from './fault-file-io.js';
import type { CorruptionReport } from '../../../src/broker/storage/log.js';
import type { TopicLogOptions } from '../../../src/broker/storage/topic-log.js';

let dir: string;
let topicDir: string;
let remove: () => Promise<void>;
const open: TopicLog[] = [];

beforeEach(async () => {
  ({ dir, remove } = await tempDir());
  topicDir = join(dir, 't');
});
afterEach(async () => {
  for (const log of open.splice(0)) await log.close().catch(() => undefined);
  await remove();
});

async function openLog(options: TopicLogOptions = {}): Promise<TopicLog> {
  const log = await TopicLog.open(nodeFileIO, topicDir, 't', { fsync: 'never', ...options });
  open.push(log);
  return log;
}

async function closeAll(): Promise<void> {
  for (const log of open.splice(0)) await log.close();
}

const seg = (base: number, ext = 'log'): string => join(topicDir, `${String(base).padStart(20, '0')}.${ext}`);

interface FrameInfo {
  position: number;
  bytes: number;
  baseOffset: number;
  lastOffset: number;
}

/** The frames of a segment file, read by hand. */
function framesOf(buf: Buffer): FrameInfo[] {
  const frames: FrameInfo[] = [];
  let pos = 0;
  while (pos + 12 <= buf.length) {
    const length = buf.readUInt32BE(pos + 4);
    const header = readBatchHeader(buf.subarray(pos + 12, pos + 12 + length));
    frames.push({ position: pos, bytes: 12 + length, baseOffset: header.baseOffset, lastOffset: header.lastOffset });
    pos += 12 + length;
  }
  return frames;
}

const values = async (log: TopicLog, from = 0): Promise<string[]> =>
  (await log.read(from, { maxRecords: 10_000 })).map((r) => r.value.toString());
const expected = (n: number, from = 0): string[] => Array.from({ length: n - from }, (_, i) => `m-${from + i}`);

/** One segment of `batches` batches of 3 messages, closed; the index of the active segment removed (a crash). */
async function crashedLog(batches: number): Promise<Buffer> {
  const log = await openLog();
  for (let b = 0; b < batches; b++) await log.append(messages(3, 'm', b * 3));
  await closeAll();
  await rm(seg(0, 'index'), { force: true });
  return readFile(seg(0));
}

describe('recovery of the active segment', () => {
  it('cuts a torn last batch at every byte position, keeps the prefix and gives its offsets again', async () => {
    const original = await crashedLog(5);
    const frames = framesOf(original);
    const last = frames[frames.length - 1] as FrameInfo;
    expect(last.baseOffset).toBe(12);
    for (let cut = last.position + 1; cut < original.length; cut += cut < last.position + 60 ? 1 : 7) {
      await writeFile(seg(0), original.subarray(0, cut));
      await rm(seg(0, 'index'), { force: true });
      const log = await openLog();
      expect(log.recovery.truncations).toEqual([
        {
          topic: 't',
          file: seg(0),
          position: last.position,
          bytesDropped: cut - last.position,
          firstOffsetDropped: 12,
          lastOffsetDropped: null,
          reason: expect.any(String) as string,
        },
      ]);
      expect(log.endOffset).toBe(12);
      expect(await values(log)).toEqual(expected(12));
      expect(await log.append(messages(1, 'next'))).toEqual({ baseOffset: 12, lastOffset: 12 });
      await closeAll();
    }
  });

  it('a cut exactly between two batches is no damage', async () => {
    const original = await crashedLog(3);
    const frames = framesOf(original);
    await writeFile(seg(0), original.subarray(0, (frames[2] as FrameInfo).position));
    const log = await openLog();
    expect(log.recovery.truncations).toEqual([]);
    expect(log.endOffset).toBe(6);
  });

  it('cuts garbage appended after the last batch', async () => {
    const original = await crashedLog(4);
    for (const garbage of [Buffer.alloc(1), Buffer.alloc(5000), Buffer.from('EVQ1 not really a frame'), Buffer.alloc(64, 0xff)]) {
      await writeFile(seg(0), Buffer.concat([original, garbage]));
      await rm(seg(0, 'index'), { force: true });
      const log = await openLog();
      expect(log.recovery.truncations).toHaveLength(1);
      expect(log.recovery.truncations[0]).toMatchObject({
        position: original.length,
        bytesDropped: garbage.length,
        firstOffsetDropped: 12,
      });
      expect(await values(log)).toEqual(expected(12));
      expect((await log.append(messages(1))).baseOffset).toBe(12);
      await closeAll();
      expect((await stat(seg(0))).size).toBeGreaterThan(original.length);
    }
  });

  it('cuts from the first damaged batch, and says which offsets a readable batch after it held', async () => {
    const original = await crashedLog(5);
    const frames = framesOf(original);
    const bad = Buffer.from(original);
    const at = (frames[2] as FrameInfo).position + 40; // inside the payload of batch 2
    bad[at] = (bad[at] as number) ^ 0x01;
    await writeFile(seg(0), bad);
    const log = await openLog();
    expect(log.recovery.truncations[0]).toMatchObject({
      position: (frames[2] as FrameInfo).position,
      firstOffsetDropped: 6,
      lastOffsetDropped: 14,
      reason: 'checksum mismatch',
    });
    expect(await values(log)).toEqual(expected(6));
  });

  it('after a clean close, opens without scanning and trusts the index; a later crash scans only the tail', async () => {
    const log = await openLog();
    await log.append(messages(3));
    await closeAll();
    const reopened = await openLog();
    await reopened.append(messages(3, 'm', 3));
    const sizeAfter = (await stat(seg(0))).size;
    // crash: the index still describes the first 3 records; add a torn tail
    await writeFile(seg(0), Buffer.concat([await readFile(seg(0)), Buffer.from([0x45, 0x56])]));
    const third = await TopicLog.open(nodeFileIO, topicDir, 't');
    open.push(third);
    expect(third.recovery.truncations[0]).toMatchObject({ position: sizeAfter, bytesDropped: 2, firstOffsetDropped: 6 });
    expect(await values(third)).toEqual(expected(6));
  });
});

describe('damage in sealed segments', () => {
  /** A log of several sealed segments; returns the frames of segment 0. */
  async function sealedLog(): Promise<FrameInfo[]> {
    const log = await openLog({ segmentBytes: 1024 });
    for (let b = 0; b < 40; b++) await log.append(messages(3, 'm', b * 3));
    expect(log.segmentCount).toBeGreaterThan(3);
    await closeAll();
    return framesOf(await readFile(seg(0)));
  }

  async function flip(path: string, position: number): Promise<void> {
    const bytes = await readFile(path);
    bytes[position] = (bytes[position] as number) ^ 0x10;
    await writeFile(path, bytes);
  }

  it('is found by the read that reaches it, reported with file, byte and offsets, never cut; other ranges stay readable', async () => {
    const frames = await sealedLog();
    const victim = frames[2] as FrameInfo;
    await flip(seg(0), victim.position + 30);
    const sizeBefore = (await stat(seg(0))).size;
    const log = await openLog({ segmentBytes: 1024 });
    expect(log.recovery.corruptions).toEqual([]); // the index was good: not scanned at open
    const reports: CorruptionReport[] = [];
    log.onCorruption((r) => reports.push(r));

    // a read that reaches the damage after some records returns those records
    expect(await values(log, 0)).toEqual(expected(victim.baseOffset));
    const expectedReport = {
      topic: 't',
      file: seg(0),
      position: victim.position,
      fromOffset: victim.baseOffset,
      toOffset: victim.lastOffset,
      reason: 'checksum mismatch',
    };
    expect(reports).toEqual([expectedReport]);

    // reads of the damaged range fail, naming it
    for (let offset = victim.baseOffset; offset <= victim.lastOffset; offset++) {
      const error = await log.read(offset).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptLogError);
      expect((error as CorruptLogError).code).toBe('EVQ_ERR_CORRUPT_LOG');
      expect((error as CorruptLogError).report).toEqual(expectedReport);
      expect((error as Error).message).toContain(seg(0));
      expect((error as Error).message).toContain(`offsets ${victim.baseOffset}-${victim.lastOffset}`);
      expect((error as Error).message).toContain(`byte ${victim.position}`);
    }
    await expect(log.readBatches(victim.baseOffset)).rejects.toBeInstanceOf(CorruptLogError);
    expect(reports).toHaveLength(1);

    // everything else reads
    const after = victim.lastOffset + 1;
    expect(await values(log, after)).toEqual(expected(120, after));
    expect((await log.read(0, { maxRecords: 2 })).map((r) => r.offset)).toEqual([0, 1]);
    expect(await log.append(messages(1, 'm', 120))).toEqual({ baseOffset: 120, lastOffset: 120 });
    expect((await stat(seg(0))).size).toBe(sizeBefore);
    expect(log.corruptions).toEqual([expectedReport]);
  });

  it('is found at open with verifyOnOpen, or when the index must be rebuilt', async () => {
    const frames = await sealedLog();
    const victim = frames[1] as FrameInfo;
    await flip(seg(0), victim.position + 50);
    const verified = await openLog({ segmentBytes: 1024, verifyOnOpen: true });
    expect(verified.recovery.corruptions).toEqual([
      {
        topic: 't',
        file: seg(0),
        position: victim.position,
        fromOffset: victim.baseOffset,
        toOffset: victim.lastOffset,
        reason: 'checksum mismatch',
      },
    ]);
    expect(verified.recovery.truncations).toEqual([]);
    await expect(verified.read(victim.baseOffset)).rejects.toMatchObject({ code: 'EVQ_ERR_CORRUPT_LOG' });
    expect(await values(verified, victim.lastOffset + 1)).toEqual(expected(120, victim.lastOffset + 1));
    await closeAll();

    await rm(seg(0, 'index'));
    const rebuilt = await openLog({ segmentBytes: 1024 });
    expect(rebuilt.recovery.rebuiltIndexes).toEqual([seg(0, 'index')]);
    expect(rebuilt.recovery.corruptions).toHaveLength(1);
    expect(rebuilt.recovery.corruptions[0]).toMatchObject({ position: victim.position, fromOffset: victim.baseOffset });
  });

  it('damage to a frame header (magic, length) is skipped by finding the next frame', async () => {
    const frames = await sealedLog();
    const victim = frames[3] as FrameInfo;
    await flip(seg(0), victim.position + 5); // the length field
    const log = await openLog({ segmentBytes: 1024, verifyOnOpen: true });
    expect(log.recovery.corruptions[0]).toMatchObject({
      position: victim.position,
      fromOffset: victim.baseOffset,
      toOffset: victim.lastOffset,
    });
    expect(await values(log, victim.lastOffset + 1)).toEqual(expected(120, victim.lastOffset + 1));
    await expect(log.read(victim.lastOffset)).rejects.toMatchObject({ code: 'EVQ_ERR_CORRUPT_LOG' });
  });

  it('damage in the last batch of a sealed segment covers offsets up to the next segment', async () => {
    const frames = await sealedLog();
    const victim = frames[frames.length - 1] as FrameInfo;
    await flip(seg(0), victim.position + 20);
    const log = await openLog({ segmentBytes: 1024 });
    await expect(log.read(victim.baseOffset)).rejects.toMatchObject({
      report: { fromOffset: victim.baseOffset, toOffset: victim.lastOffset },
    });
    expect(await values(log, victim.lastOffset + 1)).toEqual(expected(120, victim.lastOffset + 1));
  });
});

describe('indexes', () => {
  async function severalSegments(): Promise<string[]> {
    const log = await openLog({ segmentBytes: 1024, indexIntervalBytes: 128 });
    for (let b = 0; b < 40; b++) await log.append(messages(3, 'm', b * 3));
    await closeAll();
    return (await readdir(topicDir)).filter((f) => f.endsWith('.index')).sort();
  }

  async function readsEverything(log: TopicLog): Promise<void> {
    for (let from = 0; from < 120; from += 7) expect(await values(log, from)).toEqual(expected(120, from));
  }

  it('rebuilds deleted index files by scanning', async () => {
    const indexes = await severalSegments();
    for (const name of indexes) await rm(join(topicDir, name));
    const log = await openLog({ segmentBytes: 1024, indexIntervalBytes: 128 });
    expect(log.recovery.rebuiltIndexes).toHaveLength(indexes.length - 1); // the active one is scanned anyway
    expect(log.recovery.corruptions).toEqual([]);
    await readsEverything(log);
    expect((await readdir(topicDir)).filter((f) => f.endsWith('.index')).length).toBeGreaterThanOrEqual(indexes.length - 1);
  });

  it('rebuilds damaged, truncated or misplaced index files', async () => {
    const indexes = await severalSegments();
    const first = join(topicDir, indexes[0] as string);
    const second = join(topicDir, indexes[1] as string);
    const bytes = await readFile(first);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff;
    await writeFile(first, bytes);
    await writeFile(second, (await readFile(second)).subarray(0, 30));
    const third = join(topicDir, indexes[2] as string);
    await writeFile(third, await readFile(join(topicDir, indexes[3] as string)));
    const log = await openLog({ segmentBytes: 1024, indexIntervalBytes: 128 });
    expect(log.recovery.rebuiltIndexes).toEqual([first, second, third]);
    await readsEverything(log);
  });

  it('removes temporary files and indexes without a segment', async () => {
    await severalSegments();
    const stray = join(topicDir, '00000000000000000000.index.0a1b2c3d4e5f.tmp');
    const orphan = seg(999_999, 'index');
    await writeFile(stray, 'half written');
    await writeFile(orphan, 'no segment');
    const log = await openLog({ segmentBytes: 1024 });
    expect(log.recovery.removedFiles.sort()).toEqual([orphan, stray].sort());
    expect((await readdir(topicDir)).some((f) => f.endsWith('.tmp') || f.startsWith('0000000000000099'))).toBe(false);
    await readsEverything(log);
  });
});
