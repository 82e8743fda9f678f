/**
 * The time index at open: rebuilt when deleted, cut short or damaged (and the file whole again afterwards),
 * kept consistent when a torn tail is cut off, and built for a data directory of format v1, which has none.
 */
import { cp, mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileIO } from '../../../../src/broker/storage/file-io.js';
import { TimeIndex } from '../../../../src/broker/storage/time-index.js';
import { TopicLog } from '../../../../src/broker/storage/topic-log.js';
import { tempDir } from '../../../integration/storage/fault-file-io.js';
import { batchesWithTimes, disagreements } from './time-search-helpers.js';
import type { TopicLogOptions } from '../../../../src/broker/storage/topic-log.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/data-dir-v1/', import.meta.url));
const OPTIONS: TopicLogOptions = { segmentBytes: 1024, indexIntervalBytes: 128, fsync: 'never' };

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

async function openLog(path = topicDir, topic = 't'): Promise<TopicLog> {
  const log = await TopicLog.open(nodeFileIO, path, topic, OPTIONS);
  open.push(log);
  return log;
}

async function closeAll(): Promise<void> {
  for (const log of open.splice(0)) await log.close();
}

/** The time index files of a topic directory and their bytes. */
async function timeIndexes(path = topicDir): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of (await readdir(path)).filter((n) => n.endsWith('.timeindex')).sort()) out.set(name, await readFile(join(path, name)));
  return out;
}

/** A closed log of many segments (each with its .timeindex); returns the index files' bytes. */
async function written(): Promise<Map<string, Buffer>> {
  const log = await openLog();
  for (const batch of batchesWithTimes(21, 200)) await log.append(batch);
  await closeAll();
  const files = await timeIndexes();
  expect(files.size).toBeGreaterThan(8);
  return files;
}

describe('rebuilding the time index at open', () => {
  it('rebuilds deleted, cut short and damaged .timeindex files (sealed and active), which are then whole again', async () => {
    const before = await written();
    const names = [...before.keys()];
    const [deleted, cut, flipped, misplaced] = names;
    const active = names[names.length - 1] as string;
    await rm(join(topicDir, deleted as string));
    await truncate(join(topicDir, cut as string), 30);
    const bytes = Buffer.from(before.get(flipped as string) as Buffer);
    bytes[bytes.length - 4] = (bytes[bytes.length - 4] as number) ^ 0x10;
    await writeFile(join(topicDir, flipped as string), bytes);
    await writeFile(join(topicDir, misplaced as string), before.get(names[5] as string) as Buffer);
    await writeFile(join(topicDir, active), (before.get(active) as Buffer).subarray(0, 50));

    const log = await openLog();
    // a missing time index is built without a word (as in a data directory written before it existed);
    // a damaged one is reported as the offset index's rebuilds are
    expect(log.recovery.rebuiltIndexes).toEqual([cut, flipped, misplaced, active].map((n) => join(topicDir, n as string)));
    expect(log.recovery.corruptions).toEqual([]);
    expect((await disagreements(log)).wrong).toEqual([]);
    await closeAll();
    const after = await timeIndexes();
    expect([...after.keys()]).toEqual(names);
    for (const [name, content] of after) {
      expect(TimeIndex.parse(content, Number(name.slice(0, 20))), name).not.toBeNull();
      expect(content.equals(before.get(name) as Buffer), `${name} is as it was written first`).toBe(true);
    }
    const again = await openLog();
    expect(again.recovery.rebuiltIndexes).toEqual([]);
  });

  it('rebuilds a good time index that describes other bytes than its segment holds (stale)', async () => {
    const before = await written();
    const first = [...before.keys()][0] as string;
    const parsed = TimeIndex.parse(before.get(first) as Buffer, 0);
    if (parsed === null) throw new Error('the index just written does not parse');
    // checksum and order are good, but it describes a shorter segment file than the one there
    await writeFile(join(topicDir, first), parsed.index.serialize({ ...parsed.summary, logBytes: parsed.summary.logBytes - 1 }));
    const log = await openLog();
    expect(log.recovery.rebuiltIndexes).toEqual([join(topicDir, first)]);
    expect((await disagreements(log)).wrong).toEqual([]);
    await closeAll();
    expect((await readFile(join(topicDir, first))).equals(before.get(first) as Buffer)).toBe(true);
  });

  it('removes a .timeindex without a segment', async () => {
    await written();
    const orphan = join(topicDir, `${String(999_999).padStart(20, '0')}.timeindex`);
    await writeFile(orphan, 'no segment');
    const log = await openLog();
    expect(log.recovery.removedFiles).toEqual([orphan]);
    expect((await readdir(topicDir)).includes('00000000000000999999.timeindex')).toBe(false);
  });

  it('keeps the index consistent when a torn tail is cut off the active segment, and after appending again', async () => {
    await written();
    const logs = (await readdir(topicDir)).filter((n) => n.endsWith('.log')).sort();
    const last = join(topicDir, logs[logs.length - 1] as string);
    const size = (await stat(last)).size;
    // a half-written frame after what the clean close indexed: a crash in the middle of an append
    const log1 = await openLog();
    await log1.append([{ value: 'after the close', timestamp: 9_000_000_000 }]);
    await closeAll();
    await truncate(last, (await stat(last)).size - 5);
    const log2 = await openLog();
    expect(log2.recovery.truncations).toHaveLength(1);
    expect(log2.recovery.truncations[0]?.position).toBe(size);
    expect(await log2.offsetForTime(9_000_000_000)).toBe(log2.endOffset);
    expect((await disagreements(log2)).wrong).toEqual([]);
    // a tail torn inside what the index files describe: both are stale and rebuilt from the frames left
    await closeAll();
    await truncate(last, size - 7);
    const log3 = await openLog();
    expect(log3.recovery.truncations).toHaveLength(1);
    expect((await disagreements(log3)).wrong).toEqual([]);
    for (const batch of batchesWithTimes(22, 60, 2_000_000)) await log3.append(batch);
    expect((await disagreements(log3)).wrong).toEqual([]);
    await closeAll();
    const log4 = await openLog();
    expect(log4.recovery.rebuiltIndexes).toEqual([]);
    expect((await disagreements(log4)).wrong).toEqual([]);
  });
});

describe('a data directory of format v1 (no .timeindex files)', () => {
  it('opens without reported repairs, answers offsetForTime, and writes the time indexes', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'evq-v1-time-'));
    try {
      await cp(FIXTURE, copy, { recursive: true });
      const orders = join(copy, 'topics', 'orders');
      expect((await readdir(orders)).some((n) => n.endsWith('.timeindex'))).toBe(false);
      const log = await openLog(orders, 'orders');
      expect(log.recovery).toMatchObject({ truncations: [], corruptions: [], rebuiltIndexes: [], removedFiles: [] });
      // the fixture's timestamps (see test/integration/storage/data-dir-v1.test.ts)
      expect(await log.offsetForTime(1796179898601)).toBe(0);
      expect(await log.offsetForTime(1796179898602)).toBe(4);
      expect(await log.offsetForTime(1796179898614)).toBe(5);
      expect(await log.offsetForTime(1796179898627)).toBe(10);
      expect(await log.offsetForTime(1796179898648)).toBe(12);
      expect((await disagreements(log)).wrong).toEqual([]);
      await closeAll();
      const files = await timeIndexes(orders);
      expect([...files.keys()]).toEqual([
        '00000000000000000000.timeindex',
        '00000000000000000005.timeindex',
        '00000000000000000010.timeindex',
      ]);
      const reopened = await openLog(orders, 'orders');
      expect(reopened.recovery.rebuiltIndexes).toEqual([]);
      expect(await reopened.offsetForTime(1796179898614)).toBe(5);
    } finally {
      await closeAll();
      await rm(copy, { recursive: true, force: true });
    }
  });
});
