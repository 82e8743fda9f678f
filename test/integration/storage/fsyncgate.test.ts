// fsyncgate: after a failed fsync the kernel may have dropped the dirty pages it could not write and marked
// them clean, so a second fsync "succeeds" without the data ever reaching the disk (PostgreSQL 2018). evq
// never trusts a retried fsync: with `always` nothing a failed fsync covered is acknowledged (the file is
// cut back and reopened: see group-commit.test.ts and broker-disk-faults.test.ts); with `interval`, whose
// acknowledgements come before the fsync, the acknowledged appends are written again from memory through a
// fresh descriptor before anything else is accepted. Here the failing fsync also loses the bytes, as the
// kernel would, and the test checks that the acknowledged appends are on disk anyway.
import { open as openFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileIO } from '../../../src/broker/storage/file-io.js';
import { TopicLog } from '../../../src/broker/storage/topic-log.js';
import { waitFor } from '../../helpers/wait.js';
import { FaultFileIO, tempDir } from './fault-file-io.js';

let dir: string;
let remove: () => Promise<void>;
let io: FaultFileIO;
const open: TopicLog[] = [];

beforeEach(async () => {
  ({ dir, remove } = await tempDir());
  io = new FaultFileIO();
});
afterEach(async () => {
  io.clear();
  io.onSync = null;
  for (const log of open.splice(0)) await log.close().catch(() => undefined);
  await remove();
});

const isLog = (path: string): boolean => path.endsWith('.log');
const logPath = (): string => join(dir, 't', '00000000000000000000.log');

/** What the kernel does on a failed write-back: the bytes from `from` on never reach the disk. */
async function dropPagesFrom(from: number): Promise<void> {
  const size = (await stat(logPath())).size;
  const file = await openFile(logPath(), 'r+');
  try {
    await file.write(Buffer.alloc(size - from), 0, size - from, from);
  } finally {
    await file.close();
  }
}

const values = async (log: TopicLog): Promise<string[]> =>
  (await log.read(log.startOffset, { maxRecords: 100 })).map((r) => r.value.toString());

describe('fsyncgate', () => {
  it('interval: appends acknowledged before a failed fsync are written again, never trusted to a retried fsync', async () => {
    const log = await TopicLog.open(io, join(dir, 't'), 't', { fsync: 'interval', fsyncIntervalMs: 5 });
    open.push(log);
    const syncsDone = (): number => io.events.filter((e) => e.kind === 'sync-end' && isLog(e.path)).length;
    await log.append([{ value: 'a' }]);
    await waitFor(() => syncsDone() >= 1, { timeoutMs: 20_000, everyMs: 2, what: 'the first background fsync' });
    const durable = (await stat(logPath())).size;
    let failed = false;
    io.fail('sync', 'EIO', { match: isLog, times: 1 });
    io.onSync = async (path) => {
      if (!isLog(path) || failed) return;
      failed = true;
      await dropPagesFrom(durable);
    };
    expect(await log.append([{ value: 'b' }, { value: 'c' }])).toEqual({ baseOffset: 1, lastOffset: 2 });
    await waitFor(() => failed, { timeoutMs: 20_000, everyMs: 2, what: 'the background fsync that fails' });
    io.onSync = null;
    // the next append writes b and c again and fsyncs before it is accepted
    expect(await log.append([{ value: 'd' }])).toEqual({ baseOffset: 3, lastOffset: 3 });
    await log.close();
    open.splice(0);
    const reopened = await TopicLog.open(nodeFileIO, join(dir, 't'), 't');
    open.push(reopened);
    expect(reopened.recovery.truncations).toEqual([]);
    expect(await values(reopened)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('interval: while writing them again keeps failing, appends are refused; reads still work', async () => {
    const log = await TopicLog.open(io, join(dir, 't'), 't', { fsync: 'interval', fsyncIntervalMs: 5 });
    open.push(log);
    await log.append([{ value: 'a' }]);
    let failed = false;
    io.fail('sync', 'EIO', { match: isLog, times: Number.POSITIVE_INFINITY });
    io.onSync = (path) => {
      if (isLog(path)) failed = true;
    };
    await log.append([{ value: 'b' }]);
    await waitFor(() => failed, { timeoutMs: 20_000, everyMs: 2, what: 'the background fsync that fails' });
    for (let i = 0; i < 3; i++) {
      await expect(log.append([{ value: 'refused' }])).rejects.toMatchObject({ code: 'EVQ_ERR_STORAGE' });
      expect(await values(log)).toEqual(['a', 'b']);
    }
    io.clear();
    expect(await log.append([{ value: 'c' }])).toEqual({ baseOffset: 2, lastOffset: 2 });
    await log.close();
    open.splice(0);
    const reopened = await TopicLog.open(nodeFileIO, join(dir, 't'), 't');
    open.push(reopened);
    expect(await values(reopened)).toEqual(['a', 'b', 'c']);
  });

  it('always: a failed fsync that lost its bytes acknowledges nothing, and the log goes on without them', async () => {
    const log = await TopicLog.open(io, join(dir, 't'), 't', { fsync: 'always' });
    open.push(log);
    await log.append([{ value: 'a' }]);
    const durable = (await stat(logPath())).size;
    io.fail('sync', 'EIO', { match: isLog, times: 1 });
    io.onSync = async (path) => {
      if (isLog(path)) {
        io.onSync = null;
        await dropPagesFrom(durable);
      }
    };
    await expect(log.append([{ value: 'lost' }])).rejects.toMatchObject({ code: 'EVQ_ERR_STORAGE' });
    expect(await log.append([{ value: 'b' }])).toEqual({ baseOffset: 1, lastOffset: 1 });
    await log.close();
    open.splice(0);
    const reopened = await TopicLog.open(nodeFileIO, join(dir, 't'), 't');
    open.push(reopened);
    expect(reopened.recovery.truncations).toEqual([]);
    expect(await values(reopened)).toEqual(['a', 'b']);
  });
});
