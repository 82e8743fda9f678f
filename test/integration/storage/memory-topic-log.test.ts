import { describe, expect, it } from 'vitest';
import { DEFAULT_MEMORY_RETENTION_BYTES, MemoryTopicLog } from '../../../src/broker/storage/memory-topic-log.js';
import { readBatchHeader } from '../../../src/protocol/record-codec.js';
import { messages } from './fault-file-io.js';
import type { AppendEvent } from '../../../src/broker/storage/log.js';

describe('MemoryTopicLog', () => {
  it('appends and reads like the disk log', async () => {
    const log = new MemoryTopicLog('mem', { now: () => 77 });
    const events: AppendEvent[] = [];
    log.onAppend((e) => events.push(e));
    expect(await log.append(messages(3))).toEqual({ baseOffset: 0, lastOffset: 2 });
    expect(await log.append([{ value: 'x', key: 'k', headers: { h: '1' }, timestamp: 5 }])).toEqual({ baseOffset: 3, lastOffset: 3 });
    expect(log.durable).toBe(false);
    expect(log.info()).toMatchObject({ topic: 'mem', startOffset: 0, endOffset: 4, messageCount: 4 });
    const records = await log.read(1);
    expect(records.map((r) => [r.offset, r.value.toString(), r.timestamp])).toEqual([
      [1, 'm-1', 77],
      [2, 'm-2', 77],
      [3, 'x', 5],
    ]);
    expect(records[2]?.key).toBe('k');
    expect(events.map((e) => [e.baseOffset, e.lastOffset])).toEqual([
      [0, 2],
      [3, 3],
    ]);
    const { batches, fromOffset, nextOffset } = await log.readBatches(1);
    expect(fromOffset).toBe(1);
    expect(nextOffset).toBe(4);
    expect(batches.map((b) => readBatchHeader(b).baseOffset)).toEqual([0, 3]);
    expect(await log.read(4)).toEqual([]);
    await expect(log.read(5)).rejects.toMatchObject({ code: 'EVQ_ERR_INVALID_OFFSET' });
    await expect(log.append([])).rejects.toMatchObject({ code: 'EVQ_ERR_INVALID_ARGUMENT' });
    expect(log.endOffset).toBe(4);
  });

  it('is bounded by retention: whole batches, oldest first, 256 MiB by default', async () => {
    expect(DEFAULT_MEMORY_RETENTION_BYTES).toBe(256 * 1024 * 1024);
    const log = new MemoryTopicLog('mem', { retentionBytes: 10_000 });
    for (let i = 0; i < 200; i++) await log.append([{ value: Buffer.alloc(500, i % 256) }]);
    expect(log.sizeBytes).toBeLessThanOrEqual(10_000);
    expect(log.endOffset).toBe(200);
    expect(log.startOffset).toBeGreaterThan(150);
    const records = await log.read(0, { maxRecords: 1000 });
    expect(records[0]?.offset).toBe(log.startOffset);
    expect(records.at(-1)?.offset).toBe(199);
  });

  it('drops old batches by age', async () => {
    let now = 0;
    const log = new MemoryTopicLog('mem', { retentionAgeMs: 100, now: () => now });
    for (let i = 0; i < 10; i++) {
      await log.append(messages(2));
      now += 50;
    }
    const result = await log.enforceRetention(now);
    expect(result.startOffset).toBe(log.startOffset);
    // batches stamped 0, 50, … 450; at 500 the cutoff is 400: the eight stamped below it go
    expect(log.startOffset).toBe(16);
    expect(log.endOffset).toBe(20);
  });

  it('closes', async () => {
    const log = new MemoryTopicLog('mem');
    await log.close();
    await expect(log.append(messages(1))).rejects.toMatchObject({ code: 'EVQ_ERR_UNAVAILABLE' });
  });
});
