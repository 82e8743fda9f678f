import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileIO } from '../../../src/broker/storage/file-io.js';
import { TopicLog } from '../../../src/broker/storage/topic-log.js';
import { EvqError } from '../../../src/errors.js';
import { decodeBatch, forEachRecord, readBatchHeader } from '../../../src/protocol/record-codec.js';
import { messages, tempDir } from './fault-file-io.js';
import type { AppendEvent } from '../../../src/broker/storage/log.js';

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

async function openLog(options: Parameters<typeof TopicLog.open>[3] = {}): Promise<TopicLog> {
  const log = await TopicLog.open(nodeFileIO, join(dir, 'orders'), 'orders', { fsync: 'never', ...options });
  open.push(log);
  return log;
}

/** Appends `batches` batches of `size` messages numbered from 0, one after another. */
async function fill(log: TopicLog, batches: number, size: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    const result = await log.append(messages(size, 'm', b * size));
    expect(result).toEqual({ baseOffset: b * size, lastOffset: b * size + size - 1 });
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'none';
  } catch (error) {
    expect(error).toBeInstanceOf(EvqError);
    return (error as EvqError).code;
  }
}

describe('TopicLog', () => {
  it('starts empty', async () => {
    const log = await openLog();
    expect(log.info()).toEqual({ topic: 'orders', partition: 0, startOffset: 0, endOffset: 0, messageCount: 0, sizeBytes: 0 });
    expect(await log.read(0)).toEqual([]);
    expect(await log.readBatches(0)).toEqual({ batches: [], fromOffset: 0, nextOffset: 0 });
    expect(log.recovery).toEqual({ topic: 'orders', truncations: [], corruptions: [], rebuiltIndexes: [], removedFiles: [] });
  });

  it('gives offsets without gaps across many segment rolls and reads from every offset', async () => {
    const log = await openLog({ segmentBytes: 2048, indexIntervalBytes: 256 });
    const sizes = [1, 3, 7, 2, 15, 1, 4, 9, 5, 30, 1, 2, 8];
    let next = 0;
    for (let round = 0; round < 4; round++) {
      for (const n of sizes) {
        const { baseOffset, lastOffset } = await log.append(messages(n, 'm', next));
        expect(baseOffset).toBe(next);
        expect(lastOffset).toBe(next + n - 1);
        next += n;
      }
    }
    expect(log.endOffset).toBe(next);
    expect(log.segmentCount).toBeGreaterThan(5);
    const logs = (await readdir(join(dir, 'orders'))).filter((f) => f.endsWith('.log')).sort();
    expect(logs).toHaveLength(log.segmentCount);
    expect(logs[0]).toBe('00000000000000000000.log');
    // every sealed segment got its index when it was sealed
    const indexes = (await readdir(join(dir, 'orders'))).filter((f) => f.endsWith('.index'));
    expect(indexes).toHaveLength(log.segmentCount - 1);
    for (let from = 0; from < next; from++) {
      const records = await log.read(from, { maxRecords: 5 });
      expect(records.map((r) => r.offset)).toEqual(Array.from({ length: Math.min(5, next - from) }, (_, i) => from + i));
      expect(records[0]?.value.toString()).toBe(`m-${from}`);
      expect(records[0]?.topic).toBe('orders');
    }
    const all = await log.read(0, { maxRecords: 10_000 });
    expect(all.map((r) => r.value.toString())).toEqual(Array.from({ length: next }, (_, i) => `m-${i}`));
  });

  it('keeps everything across close and reopen, and continues the offsets', async () => {
    let log = await openLog({ segmentBytes: 1024 });
    await fill(log, 20, 5);
    const before = log.info();
    await log.close();
    log = await openLog({ segmentBytes: 1024 });
    expect(log.info()).toEqual(before);
    expect(log.recovery.truncations).toEqual([]);
    expect(log.recovery.rebuiltIndexes).toEqual([]);
    expect(await log.append(messages(2, 'm', 100))).toEqual({ baseOffset: 100, lastOffset: 101 });
    const all = await log.read(0, { maxRecords: 1000 });
    expect(all.map((r) => r.value.toString())).toEqual(Array.from({ length: 102 }, (_, i) => `m-${i}`));
  });

  it('reopens without a clean close (no index for the active segment)', async () => {
    const log = await openLog({ segmentBytes: 1024 });
    await fill(log, 10, 4);
    // simulate a crash: a second log instance on the same files, the first one never closed
    const again = await TopicLog.open(nodeFileIO, join(dir, 'orders'), 'orders', { fsync: 'never', segmentBytes: 1024 });
    open.push(again);
    expect(again.endOffset).toBe(40);
    expect((await again.read(0, { maxRecords: 100 })).map((r) => r.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('stores keys, headers and timestamps; gives the broker clock to messages without one', async () => {
    const log = await openLog({ now: () => 1234 });
    await log.append([{ value: 'a', key: 'k', headers: { h: 'v' }, timestamp: 99 }, { value: Buffer.from([1, 2]) }]);
    const [a, b] = await log.read(0);
    expect(a).toMatchObject({ offset: 0, key: 'k', timestamp: 99 });
    expect({ ...a?.headers }).toEqual({ h: 'v' });
    expect(b).toMatchObject({ offset: 1, key: null, headers: null, timestamp: 1234 });
    expect([...(b?.value ?? [])]).toEqual([1, 2]);
  });

  it('limits reads by records and by bytes, returning at least one record', async () => {
    const log = await openLog();
    await log.append(Array.from({ length: 10 }, (_, i) => ({ value: Buffer.alloc(100, i) })));
    expect(await log.read(0, { maxRecords: 3 })).toHaveLength(3);
    expect(await log.read(0, { maxBytes: 250 })).toHaveLength(3);
    expect(await log.read(0, { maxBytes: 1 })).toHaveLength(1);
    expect(await log.read(8, { maxRecords: 100 })).toHaveLength(2);
    expect(await log.read(10)).toEqual([]);
  });

  it('refuses bad offsets and bad batches', async () => {
    const log = await openLog();
    await log.append(messages(3));
    expect(await codeOf(log.read(4))).toBe('EVQ_ERR_INVALID_OFFSET');
    expect(await codeOf(log.read(-1))).toBe('EVQ_ERR_INVALID_OFFSET');
    expect(await codeOf(log.read(1.5))).toBe('EVQ_ERR_INVALID_OFFSET');
    expect(await codeOf(log.readBatches(4))).toBe('EVQ_ERR_INVALID_OFFSET');
    expect(await codeOf(log.append([]))).toBe('EVQ_ERR_INVALID_ARGUMENT');
    expect(await codeOf(log.append([{ value: Buffer.alloc(2 * 1024 * 1024) }]))).toBe('EVQ_ERR_MESSAGE_TOO_LARGE');
    expect(await codeOf(log.append(messages(1001)))).toBe('EVQ_ERR_BATCH_TOO_LARGE');
    expect(await codeOf(log.append([{ value: 'x', headers: { constructor: 'y' } }]))).toBe('EVQ_ERR_INVALID_ARGUMENT');
    // nothing of the refused batches took an offset
    expect(await log.append(messages(1))).toEqual({ baseOffset: 3, lastOffset: 3 });
  });

  it('returns raw stored batches that decode to the same records', async () => {
    const log = await openLog({ segmentBytes: 1024 });
    await fill(log, 30, 3);
    let from = 4;
    const offsets: number[] = [];
    for (;;) {
      const { batches, fromOffset, nextOffset } = await log.readBatches(from, 200);
      if (batches.length === 0) {
        expect(nextOffset).toBe(from);
        break;
      }
      expect(fromOffset).toBe(from);
      const first = readBatchHeader(batches[0] as Buffer);
      expect(first.baseOffset).toBeLessThanOrEqual(from);
      expect(first.lastOffset).toBeGreaterThanOrEqual(from);
      for (const batch of batches) forEachRecord(batch, 'orders', (r) => void offsets.push(r.offset), { fromOffset: from });
      expect(nextOffset).toBe(readBatchHeader(batches[batches.length - 1] as Buffer).lastOffset + 1);
      from = nextOffset;
    }
    expect(offsets).toEqual(Array.from({ length: 86 }, (_, i) => i + 4));
  });

  it('tells onAppend listeners about every acknowledged batch, in order, with the stored bytes', async () => {
    const log = await openLog({ segmentBytes: 1024 });
    const events: AppendEvent[] = [];
    const stop = log.onAppend((e) => events.push(e));
    await Promise.all([log.append(messages(2)), log.append(messages(3)), log.append(messages(1))]);
    stop();
    await log.append(messages(1));
    expect(events.map((e) => [e.baseOffset, e.lastOffset])).toEqual([
      [0, 1],
      [2, 4],
      [5, 5],
    ]);
    const raw = await log.readBatches(0);
    expect(events.map((e) => e.batch.toString('hex'))).toEqual(raw.batches.slice(0, 3).map((b) => b.toString('hex')));
    expect(decodeBatch(events[1]?.batch as Buffer, 'orders').map((r) => r.offset)).toEqual([2, 3, 4]);
  });

  it('serializes concurrent appends: file order and offsets agree', async () => {
    const log = await openLog({ segmentBytes: 4096, fsync: 'always' });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(messages((i % 4) + 1, `b${i}`))));
    let next = 0;
    for (const [i, r] of results.entries()) {
      expect(r.baseOffset).toBe(next);
      next = r.lastOffset + 1;
      const records = await log.read(r.baseOffset, { maxRecords: r.lastOffset - r.baseOffset + 1 });
      expect(records.map((x) => x.value.toString())).toEqual(messages((i % 4) + 1, `b${i}`).map((m) => m.value));
    }
  });

  it('closes: later calls fail with EVQ_ERR_UNAVAILABLE; appends in flight finish first', async () => {
    const log = await openLog({ fsync: 'always' });
    const pending = log.append(messages(5));
    await log.close();
    expect(await pending).toEqual({ baseOffset: 0, lastOffset: 4 });
    expect(await codeOf(log.append(messages(1)))).toBe('EVQ_ERR_UNAVAILABLE');
    expect(await codeOf(log.read(0))).toBe('EVQ_ERR_UNAVAILABLE');
    // the clean close wrote the active segment's index
    expect((await stat(join(dir, 'orders', '00000000000000000000.index'))).size).toBeGreaterThan(0);
  });

  it('refuses bad options', async () => {
    await expect(TopicLog.open(nodeFileIO, join(dir, 'x'), 'x', { segmentBytes: 10 })).rejects.toMatchObject({
      code: 'EVQ_ERR_INVALID_ARGUMENT',
    });
    await expect(TopicLog.open(nodeFileIO, join(dir, 'x'), 'x', { retentionBytes: -5 })).rejects.toMatchObject({
      code: 'EVQ_ERR_INVALID_ARGUMENT',
    });
    await expect(TopicLog.open(nodeFileIO, join(dir, 'x'), '../x')).rejects.toMatchObject({ code: 'EVQ_ERR_INVALID_TOPIC' });
  });
});
