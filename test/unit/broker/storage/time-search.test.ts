/**
 * offsetForTime on real logs (segments on disk, and in memory) against a full read: many small segments,
 * timestamps that go backwards, an empty log, times before and after everything, retention, and how little
 * a search reads.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileIO } from '../../../../src/broker/storage/file-io.js';
import { MemoryTopicLog } from '../../../../src/broker/storage/memory-topic-log.js';
import { TopicLog } from '../../../../src/broker/storage/topic-log.js';
import { FaultFileIO, tempDir } from '../../../integration/storage/fault-file-io.js';
import { batchesWithTimes, disagreements } from './time-search-helpers.js';
import type { FileIO } from '../../../../src/broker/storage/file-io.js';
import type { TopicLogOptions } from '../../../../src/broker/storage/topic-log.js';

let dir: string;
let remove: () => Promise<void>;
const open: Array<TopicLog | MemoryTopicLog> = [];

beforeEach(async () => {
  ({ dir, remove } = await tempDir());
});
afterEach(async () => {
  for (const log of open.splice(0)) await log.close().catch(() => undefined);
  await remove();
});

const SMALL: TopicLogOptions = { segmentBytes: 1024, indexIntervalBytes: 128, fsync: 'never' };

async function openLog(options: TopicLogOptions = SMALL, io: FileIO = nodeFileIO): Promise<TopicLog> {
  const log = await TopicLog.open(io, join(dir, 't'), 't', options);
  open.push(log);
  return log;
}

async function closeAll(): Promise<void> {
  for (const log of open.splice(0)) await log.close();
}

describe('offsetForTime on disk', () => {
  it('answers as a full read does, over many segments with timestamps that go backwards, before and after a reopen', async () => {
    const log = await openLog();
    for (const batch of batchesWithTimes(15, 400)) await log.append(batch);
    expect(log.segmentCount).toBeGreaterThan(20);
    const live = await disagreements(log);
    expect(live.asked).toBeGreaterThan(1000);
    expect(live.wrong).toEqual([]);
    await closeAll();
    const names = await readdir(join(dir, 't'));
    const logs = names.filter((n) => n.endsWith('.log')).map((n) => n.replace('.log', ''));
    expect(names.filter((n) => n.endsWith('.timeindex')).map((n) => n.replace('.timeindex', ''))).toEqual(logs);
    const reopened = await openLog();
    expect(reopened.recovery.rebuiltIndexes).toEqual([]);
    expect((await disagreements(reopened)).wrong).toEqual([]);
  });

  it('gives the end offset past every record and the start offset before the first', async () => {
    const log = await openLog();
    await log.append([
      { value: 'a', timestamp: 5000 },
      { value: 'b', timestamp: 4000 },
    ]);
    await log.append([{ value: 'c', timestamp: 6000 }]);
    expect(await log.offsetForTime(1)).toBe(0);
    expect(await log.offsetForTime(5000)).toBe(0);
    expect(await log.offsetForTime(4500)).toBe(0); // record 0 is stamped 5000 >= 4500
    expect(await log.offsetForTime(5001)).toBe(2); // 4000 at offset 1 is below: the first at or after is 6000
    expect(await log.offsetForTime(6001)).toBe(3);
    expect(await log.offsetForTime(Number.MAX_SAFE_INTEGER)).toBe(3);
  });

  it('answers 0 for any time on an empty log', async () => {
    const log = await openLog();
    for (const t of [-1, 0, 1, Date.now(), Number.MAX_SAFE_INTEGER]) expect(await log.offsetForTime(t)).toBe(0);
  });

  it('answers from the retained records once retention deleted the oldest segments', async () => {
    const log = await openLog({ ...SMALL, retentionBytes: 6 * 1024 });
    for (const batch of batchesWithTimes(16, 300)) await log.append(batch);
    await log.enforceRetention();
    expect(log.startOffset).toBeGreaterThan(0);
    expect(await log.offsetForTime(1)).toBe(log.startOffset);
    expect((await disagreements(log)).wrong).toEqual([]);
    const names = await readdir(join(dir, 't'));
    expect(names.filter((n) => n.endsWith('.timeindex')).length).toBe(names.filter((n) => n.endsWith('.log')).length - 1);
  });

  it('reads a small part of a 10,000-record partition to answer (O(log n) reads)', async () => {
    const setup = await openLog({ segmentBytes: 64 * 1024, fsync: 'never' });
    const t0 = 1_700_000_000_000;
    for (let b = 0; b < 1000; b++) {
      await setup.append(Array.from({ length: 10 }, (_, i) => ({ value: `record ${b * 10 + i}`, timestamp: t0 + b * 10 + i })));
    }
    const size = setup.sizeBytes;
    const segments = setup.segmentCount;
    await closeAll();
    expect(segments).toBeGreaterThan(4);
    const io = new FaultFileIO();
    const log = await openLog({ segmentBytes: 64 * 1024, fsync: 'never' }, io);
    for (const at of [1, 4321, 7777, 9999]) {
      const readsBefore = io.counts.read;
      const bytesBefore = io.bytesRead;
      expect(await log.offsetForTime(t0 + at)).toBe(at);
      const bytes = io.bytesRead - bytesBefore;
      expect(bytes, `bytes read to find record ${at}`).toBeLessThanOrEqual(16 * 1024 + 4096);
      expect(bytes * 10).toBeLessThan(size); // the placeholder it replaces read all of it
      expect(io.counts.read - readsBefore).toBeLessThanOrEqual(2);
    }
    expect(await log.offsetForTime(t0 + 10_000)).toBe(10_000);
  });
});

describe('offsetForTime and damage', () => {
  it('fails with EVQ_ERR_CORRUPT_LOG when the record asked for lies in damage, and answers around it', async () => {
    const t0 = 5_000_000;
    const writer = await openLog();
    for (let b = 0; b < 200; b++) await writer.append([{ value: `v-${b}`, timestamp: t0 + b }]);
    await closeAll();
    const logs = (await readdir(join(dir, 't'))).filter((n) => n.endsWith('.log')).sort();
    expect(logs.length).toBeGreaterThan(6);
    // a flipped bit in the middle of a sealed segment whose indexes are intact: nothing sees it at open
    const damaged = join(dir, 't', logs[3] as string);
    const bytes = await readFile(damaged);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0x04;
    await writeFile(damaged, bytes);
    const log = await openLog();
    expect(log.recovery.corruptions).toEqual([]);
    const base = Number((logs[3] as string).slice(0, 20));
    const next = Number((logs[4] as string).slice(0, 20));
    const answers = new Map<number, number | string>();
    for (let offset = 0; offset < 200; offset++) {
      answers.set(offset, await log.offsetForTime(t0 + offset).catch((error: { code?: string }) => error.code ?? 'no code'));
    }
    const [range] = log.corruptions;
    if (range === undefined) throw new Error('no lookup met the damage');
    expect(range.fromOffset).toBeGreaterThanOrEqual(base);
    expect(range.toOffset).toBeLessThan(next);
    for (const [offset, answer] of answers) {
      if (offset >= range.fromOffset && offset <= range.toOffset) expect(answer, `offset ${offset}`).toBe('EVQ_ERR_CORRUPT_LOG');
      else if (offset < range.fromOffset || offset >= next) expect(answer, `offset ${offset}`).toBe(offset);
      else expect([offset, 'EVQ_ERR_CORRUPT_LOG'], `offset ${offset}`).toContain(answer); // past it in its segment
    }
  });
});

describe('offsetForTime in memory', () => {
  it('answers as a full read does, with timestamps that go backwards, and after retention dropped batches', async () => {
    const log = new MemoryTopicLog('t', { retentionBytes: 64 * 1024 });
    open.push(log);
    expect(await log.offsetForTime(5)).toBe(0);
    for (const batch of batchesWithTimes(17, 400)) await log.append(batch);
    expect((await disagreements(log)).wrong).toEqual([]);
    const small = new MemoryTopicLog('u', { retentionBytes: 4 * 1024 });
    open.push(small);
    for (const batch of batchesWithTimes(18, 600)) await small.append(batch);
    expect(small.startOffset).toBeGreaterThan(0);
    expect(await small.offsetForTime(1)).toBe(small.startOffset);
    expect((await disagreements(small)).wrong).toEqual([]);
    expect(await small.offsetForTime(Number.MAX_SAFE_INTEGER)).toBe(small.endOffset);
  });
});
