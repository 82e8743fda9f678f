import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileIO } from '../../../src/broker/storage/file-io.js';
import { expiredUnitCount } from '../../../src/broker/storage/retention.js';
import { TopicLog } from '../../../src/broker/storage/topic-log.js';
import { messages, tempDir } from './fault-file-io.js';
import type { TopicLogOptions } from '../../../src/broker/storage/topic-log.js';

let dir: string;
let remove: () => Promise<void>;
const open: TopicLog[] = [];

beforeEach(async () => {
  ({ dir, remove } = await tempDir());
});
afterEach(async () => {
  for (const log of open.splice(0)) await log.close().catch(() => undefined);
  await remove();
});

async function openLog(options: TopicLogOptions): Promise<TopicLog> {
  const log = await TopicLog.open(nodeFileIO, join(dir, 't'), 't', { fsync: 'never', segmentBytes: 1024, ...options });
  open.push(log);
  return log;
}

async function segmentFiles(): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const name of (await readdir(join(dir, 't'))).filter((f) => f.endsWith('.log')).sort()) {
    sizes.set(name, (await stat(join(dir, 't', name))).size);
  }
  return sizes;
}

describe('expiredUnitCount', () => {
  const units = [
    { sizeBytes: 100, maxTimestamp: 10 },
    { sizeBytes: 100, maxTimestamp: 20 },
    { sizeBytes: 100, maxTimestamp: 30 },
    { sizeBytes: 50, maxTimestamp: 40 },
  ];
  it('by bytes: the oldest go while the log is larger than the limit, never the newest', () => {
    expect(expiredUnitCount(units, 350, {}, 0)).toBe(0);
    expect(expiredUnitCount(units, 350, { retentionBytes: 350 }, 0)).toBe(0);
    expect(expiredUnitCount(units, 350, { retentionBytes: 300 }, 0)).toBe(1);
    expect(expiredUnitCount(units, 350, { retentionBytes: 150 }, 0)).toBe(2);
    expect(expiredUnitCount(units, 350, { retentionBytes: 1 }, 0)).toBe(3);
  });
  it('by age: units whose newest record is older than the cutoff, oldest first', () => {
    expect(expiredUnitCount(units, 350, { retentionAgeMs: 100 }, 50)).toBe(0);
    expect(expiredUnitCount(units, 350, { retentionAgeMs: 25 }, 50)).toBe(2);
    expect(expiredUnitCount(units, 350, { retentionAgeMs: 1 }, 1000)).toBe(3);
    expect(expiredUnitCount([{ sizeBytes: 1, maxTimestamp: -1 }, ...units], 351, { retentionAgeMs: 1 }, 1000)).toBe(0);
  });
});

describe('retention of a topic log', () => {
  it('by bytes: deletes whole old segments only; startOffset moves to a segment start', async () => {
    const log = await openLog({});
    for (let b = 0; b < 60; b++) await log.append(messages(4, 'm', b * 4));
    await log.close();
    open.pop();
    const before = await segmentFiles();
    expect(before.size).toBeGreaterThan(6);

    const limited = await openLog({ retentionBytes: 3000 }); // retention runs at open
    const after = await segmentFiles();
    expect(after.size).toBeLessThan(before.size);
    // the survivors are the newest segments, untouched
    const survivors = [...before.keys()].slice(before.size - after.size);
    expect([...after.keys()]).toEqual(survivors);
    for (const [name, size] of after) expect(size).toBe(before.get(name));
    expect(limited.sizeBytes).toBeLessThanOrEqual(3000);
    expect(limited.startOffset).toBe(Number(survivors[0]?.slice(0, 20)));
    expect(limited.endOffset).toBe(240);
    expect(limited.messageCount).toBe(240 - limited.startOffset);
    // reads below the start begin at the start; everything from there reads
    const records = await limited.read(0, { maxRecords: 1000 });
    expect(records[0]?.offset).toBe(limited.startOffset);
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 240 - limited.startOffset }, (_, i) => limited.startOffset + i));
    expect((await limited.readBatches(0)).fromOffset).toBe(limited.startOffset);
    // index files of deleted segments are gone as well
    const names = await readdir(join(dir, 't'));
    for (const name of names.filter((n) => n.endsWith('.index'))) expect(after.has(name.replace('.index', '.log'))).toBe(true);
  });

  it('by bytes: runs as segments roll', async () => {
    const log = await openLog({ retentionBytes: 2500 });
    for (let b = 0; b < 80; b++) await log.append(messages(4, 'm', b * 4));
    await log.enforceRetention();
    expect(log.sizeBytes).toBeLessThanOrEqual(2500);
    expect(log.startOffset).toBeGreaterThan(0);
    expect((await segmentFiles()).size).toBe(log.segmentCount);
  });

  it('by age: deletes segments whose newest record is too old, never the active one', async () => {
    let now = 1_000_000;
    const log = await openLog({ retentionAgeMs: 10_000, now: () => now });
    for (let b = 0; b < 60; b++) {
      await log.append(messages(4, 'm', b * 4));
      now += 1000;
    }
    const segments = log.segmentCount;
    expect((await log.enforceRetention(now)).deletedSegments).toBeGreaterThan(0);
    expect(log.segmentCount).toBeLessThan(segments);
    const oldest = await log.read(log.startOffset);
    // the first surviving segment still holds a record younger than the cutoff
    const all = await log.read(log.startOffset, { maxRecords: 1000 });
    expect(Math.max(...all.map((r) => r.timestamp))).toBeGreaterThanOrEqual(now - 10_000);
    expect(oldest[0]?.offset).toBe(log.startOffset);

    const result = await log.enforceRetention(now + 1_000_000);
    expect(log.segmentCount).toBe(1);
    expect(result.startOffset).toBe(log.startOffset);
    expect(log.endOffset).toBe(240);
    // the active segment is kept even though everything in it is old
    expect((await log.read(log.startOffset, { maxRecords: 1000 })).at(-1)?.offset).toBe(239);
  });

  it('reads running while retention deletes segments finish without errors', async () => {
    let now = 1_000_000;
    const log = await openLog({ retentionAgeMs: 1000, now: () => now });
    for (let b = 0; b < 40; b++) await log.append(messages(4, 'm', b * 4));
    const reads = [0, 10, 50, 100].map((from) => log.read(from, { maxRecords: 1000 }));
    now += 1_000_000;
    const deleting = log.enforceRetention(now);
    for (const records of await Promise.all(reads)) {
      const offsets = records.map((r) => r.offset);
      // each read returns a contiguous run (it may end early where a segment was deleted under it)
      expect(offsets.length).toBeGreaterThan(0);
      expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => (offsets[0] as number) + i));
    }
    expect((await deleting).deletedSegments).toBeGreaterThan(0);
    expect((await log.read(0))[0]?.offset).toBe(log.startOffset);
  });
});
