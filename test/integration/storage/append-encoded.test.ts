// Log.appendEncoded: batches that arrive encoded are stored as the bytes that arrived (stamped, numbered),
// on both log kinds.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileIO } from '../../../src/broker/storage/file-io.js';
import { MemoryTopicLog } from '../../../src/broker/storage/memory-topic-log.js';
import { TopicLog } from '../../../src/broker/storage/topic-log.js';
import { EvqError } from '../../../src/errors.js';
import { validateEncodedBatch } from '../../../src/protocol/encoded-batch.js';
import { decodeBatch, readBatchHeader } from '../../../src/protocol/record-codec.js';
import { encodeBatch } from '../../../src/protocol/batch-encode.js';
import { FaultFileIO, tempDir } from './fault-file-io.js';
import type { AppendEvent, AppendResult, FsyncMode, Log } from '../../../src/broker/storage/log.js';
import type { MessageInput } from '../../../src/protocol/record.js';
import type { TopicLogOptions } from '../../../src/broker/storage/topic-log.js';

const NOW = 1_700_000_000_000;

let dir: string;
let remove: () => Promise<void>;
let io: FaultFileIO;
const open: Log[] = [];

beforeEach(async () => {
  ({ dir, remove } = await tempDir());
  io = new FaultFileIO();
});
afterEach(async () => {
  io.clear();
  for (const log of open.splice(0)) await log.close().catch(() => undefined);
  await remove();
});

const isLog = (path: string): boolean => path.endsWith('.log');
const logSyncs = (): number => io.events.filter((e) => e.kind === 'sync-start' && isLog(e.path)).length;

async function diskLog(fsync: FsyncMode = 'always', options: TopicLogOptions = {}): Promise<TopicLog> {
  const log = await TopicLog.open(io, join(dir, 't'), 't', { fsync, now: () => NOW, ...options });
  open.push(log);
  return log;
}

function memoryLog(): MemoryTopicLog {
  const log = new MemoryTopicLog('t', { now: () => NOW });
  open.push(log);
  return log;
}

/** A batch as a producer sends it: base offset 0, timestamps 0 ("stamp on arrival") unless given. */
function produced(messages: MessageInput[]): Buffer {
  return encodeBatch(
    0,
    messages.map((m) => ({ ...m, timestamp: m.timestamp ?? 0 })),
  );
}

function values(n: number, prefix = 'm'): MessageInput[] {
  return Array.from({ length: n }, (_, i) => ({ value: `${prefix}-${i}` }));
}

async function rejection(promise: Promise<unknown>): Promise<EvqError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EvqError);
    return error as EvqError;
  }
  throw new Error('expected a rejection');
}

const kinds = [
  ['TopicLog', () => diskLog('always')],
  ['MemoryTopicLog', async () => memoryLog()],
] as const;

describe.each(kinds)('%s.appendEncoded', (_name, make) => {
  it('numbers batches in call order with the other appends, stamps them, and reads them back', async () => {
    const log = await make();
    const events: AppendEvent[] = [];
    log.onAppend((e) => events.push(e));
    const a = produced(values(3, 'a'));
    const b = produced([{ value: 'b', key: 'k', headers: { h: 'v' }, timestamp: 5 }, { value: 'c' }]);
    const results = await Promise.all([log.appendEncoded(a, 3), log.append([{ value: 'objects' }]), log.appendEncoded(b, 2)]);
    expect(results).toEqual([
      { baseOffset: 0, lastOffset: 2 },
      { baseOffset: 3, lastOffset: 3 },
      { baseOffset: 4, lastOffset: 5 },
    ]);
    const records = await log.read(0);
    expect(records.map((r) => [r.offset, r.value.toString(), r.timestamp])).toEqual([
      [0, 'a-0', NOW],
      [1, 'a-1', NOW],
      [2, 'a-2', NOW],
      [3, 'objects', NOW],
      [4, 'b', 5],
      [5, 'c', NOW],
    ]);
    expect(records[4]?.key).toBe('k');
    expect({ ...records[4]?.headers }).toEqual({ h: 'v' });
    expect(readBatchHeader(b)).toMatchObject({ baseOffset: 4, firstTimestamp: 5, maxTimestamp: NOW });

    // the append events carry the stored bytes; the stored batches are those bytes exactly
    expect(events.map((e) => [e.baseOffset, e.lastOffset])).toEqual([
      [0, 2],
      [3, 3],
      [4, 5],
    ]);
    expect(events[0]?.batch.equals(a)).toBe(true);
    expect(events[2]?.batch.equals(b)).toBe(true);
    const { batches } = await log.readBatches(0);
    expect(batches.map((x) => x.toString('hex'))).toEqual(events.map((e) => e.batch.toString('hex')));
    expect(log.endOffset).toBe(6);
  });

  it('rejects a batch whose header disagrees with the bytes or the count, and keeps nothing of it', async () => {
    const log = await make();
    const batch = produced(values(2));
    expect((await rejection(log.appendEncoded(batch, 3))).code).toBe('EVQ_ERR_MALFORMED');
    expect((await rejection(log.appendEncoded(Buffer.concat([batch, Buffer.alloc(2)]), 2))).code).toBe('EVQ_ERR_MALFORMED');
    expect((await rejection(log.appendEncoded(batch.subarray(0, 20), 2))).code).toBe('EVQ_ERR_MALFORMED');
    expect(log.endOffset).toBe(0);
    expect(await log.appendEncoded(produced(values(1)), 1)).toEqual({ baseOffset: 0, lastOffset: 0 });
  });

  it('rejects once the log is closed', async () => {
    const log = await make();
    await log.close();
    expect((await rejection(log.appendEncoded(produced(values(1)), 1))).code).toBe('EVQ_ERR_UNAVAILABLE');
  });
});

describe('TopicLog.appendEncoded on disk', () => {
  it('keeps the batches across close and reopen; recovery finds nothing to repair', async () => {
    const log = await diskLog('never', { segmentBytes: 1024 });
    let next = 0;
    for (let i = 0; i < 40; i++) {
      const n = (i % 4) + 1;
      expect(await log.appendEncoded(produced(values(n, `r${i}`)), n)).toEqual({ baseOffset: next, lastOffset: next + n - 1 });
      next += n;
    }
    expect(log.segmentCount).toBeGreaterThan(1);
    const before = await log.read(0, { maxRecords: 1000 });
    await log.close();
    const again = await TopicLog.open(nodeFileIO, join(dir, 't'), 't', { fsync: 'never', segmentBytes: 1024, verifyOnOpen: true });
    open.push(again);
    expect(again.recovery.truncations).toEqual([]);
    expect(again.recovery.corruptions).toEqual([]);
    expect(again.endOffset).toBe(next);
    const after = await again.read(0, { maxRecords: 1000 });
    expect(after.map((r) => [r.offset, r.value.toString(), r.timestamp])).toEqual(
      before.map((r) => [r.offset, r.value.toString(), r.timestamp]),
    );
    expect(await again.appendEncoded(produced(values(1)), 1)).toEqual({ baseOffset: next, lastOffset: next });
  });

  it('shares fsyncs between concurrent encoded appends (group commit)', async () => {
    const log = await diskLog('always');
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => log.appendEncoded(produced(values((i % 3) + 1)), (i % 3) + 1)));
    expect(logSyncs()).toBeLessThan(10);
    let next = 0;
    for (const r of results) {
      expect(r.baseOffset).toBe(next);
      next = r.lastOffset + 1;
    }
    expect(log.endOffset).toBe(next);
  });

  it('a failed write acknowledges nothing and publishes nothing; the next batch takes the offsets', async () => {
    const log = await diskLog('always');
    const events: AppendEvent[] = [];
    log.onAppend((e) => events.push(e));
    await log.appendEncoded(produced(values(2, 'ok')), 2);
    io.fail('write', 'ENOSPC', { match: isLog });
    const error = await rejection(log.appendEncoded(produced(values(3, 'lost')), 3));
    expect(error.code).toBe('EVQ_ERR_STORAGE');
    expect(log.endOffset).toBe(2);
    expect(events).toHaveLength(1);
    expect(await log.appendEncoded(produced(values(1, 'next')), 1)).toEqual({ baseOffset: 2, lastOffset: 2 });
    expect((await log.read(0)).map((r) => r.value.toString())).toEqual(['ok-0', 'ok-1', 'next-0']);
  });

  it('a failed fsync acknowledges nothing it covered, and the repaired log numbers the next batch again', async () => {
    const log = await diskLog('always');
    const events: AppendEvent[] = [];
    log.onAppend((e) => events.push(e));
    await log.appendEncoded(produced(values(2, 'ok')), 2);
    io.fail('sync', 'EIO', { match: isLog });
    const acked: AppendResult[] = [];
    const during: Promise<unknown>[] = [];
    io.onSync = (path) => {
      if (isLog(path) && during.length === 0) during.push(log.appendEncoded(produced(values(1, 'during')), 1).then((r) => acked.push(r)));
    };
    expect((await rejection(log.appendEncoded(produced(values(3, 'bad')), 3))).code).toBe('EVQ_ERR_STORAGE');
    expect((await rejection(during[0] as Promise<unknown>)).code).toBe('EVQ_ERR_STORAGE');
    io.onSync = null;
    expect(acked).toEqual([]);
    expect(events).toHaveLength(1);
    expect(log.endOffset).toBe(2);
    const after = produced(values(1, 'after'));
    expect(await log.appendEncoded(after, 1)).toEqual({ baseOffset: 2, lastOffset: 2 });
    expect(readBatchHeader(after).baseOffset).toBe(2);
    await log.close();
    const reopened = await TopicLog.open(nodeFileIO, join(dir, 't'), 't');
    open.push(reopened);
    expect((await reopened.read(0)).map((r) => r.value.toString())).toEqual(['ok-0', 'ok-1', 'after-0']);
    expect(reopened.recovery.truncations).toEqual([]);
  });
});

describe('MemoryTopicLog.appendEncoded memory', () => {
  it('keeps a batch that is a small view of a large buffer as an exact-size copy', async () => {
    const log = memoryLog();
    const events: AppendEvent[] = [];
    log.onAppend((e) => events.push(e));
    const batch = produced(values(2));
    const big = Buffer.alloc(64 * 1024);
    batch.copy(big, 1000);
    const view = big.subarray(1000, 1000 + batch.length);
    expect(await log.appendEncoded(view, 2)).toEqual({ baseOffset: 0, lastOffset: 1 });
    const kept = events[0]?.batch as Buffer;
    expect(kept.buffer.byteLength).toBe(kept.length);
    const { batches } = await log.readBatches(0);
    expect(batches[0]).toBe(kept);
    expect(decodeBatch(kept, 't').map((r) => [r.offset, r.value.toString(), r.timestamp])).toEqual([
      [0, 'm-0', NOW],
      [1, 'm-1', NOW],
    ]);
  });

  it('keeps a batch that fills (nearly) all of its buffer as it is', async () => {
    const log = memoryLog();
    const events: AppendEvent[] = [];
    log.onAppend((e) => events.push(e));
    const batch = produced(values(1000));
    const frame = Buffer.concat([Buffer.alloc(20), batch]); // a produce frame's header before the batch
    const view = frame.subarray(20);
    await log.appendEncoded(view, 1000);
    expect(events[0]?.batch).toBe(view);
    expect(validateEncodedBatch(view).unstamped).toBe(0);
  });
});
