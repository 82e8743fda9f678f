import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileIO } from '../../../src/broker/storage/file-io.js';
import { TopicLog } from '../../../src/broker/storage/topic-log.js';
import { EvqError } from '../../../src/errors.js';
import { readBatchHeader } from '../../../src/protocol/record-codec.js';
import { expectQuietFor, waitFor } from '../../helpers/wait.js';
import { FaultFileIO, messages, tempDir } from './fault-file-io.js';
import type { AppendResult, FsyncMode } from '../../../src/broker/storage/log.js';
import type { TopicLogOptions } from '../../../src/broker/storage/topic-log.js';

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
  for (const log of open.splice(0)) await log.close().catch(() => undefined);
  await remove();
});

const isLog = (path: string): boolean => path.endsWith('.log');
const logSyncs = (): number => io.events.filter((e) => e.kind === 'sync-start' && isLog(e.path)).length;

async function openLog(fsync: FsyncMode, options: TopicLogOptions = {}): Promise<TopicLog> {
  const log = await TopicLog.open(io, join(dir, 't'), 't', { fsync, ...options });
  open.push(log);
  return log;
}

/** How long a wait for pending I/O callbacks may take: a guard against hanging, not a timing assertion. */
const IO_WAIT = { timeoutMs: 20_000, everyMs: 1 };

async function rejection(promise: Promise<unknown>): Promise<EvqError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EvqError);
    return error as EvqError;
  }
  throw new Error('expected a rejection');
}

/** Base offsets of the batches in a logged write. */
function basesOf(chunks: readonly Buffer[]): number[] {
  return chunks.filter((c) => c.length > 12).map((c) => readBatchHeader(c).baseOffset);
}

/**
 * Checks the order log: every acknowledged append (a mark "ack <base>") comes after the end of an fsync
 * that started after the write holding it ended.
 */
function checkCoveredBySync(): void {
  const events = io.events;
  const writeEnd = new Map<number, number>();
  events.forEach((e, i) => {
    if (e.kind === 'write-end' && isLog(e.path)) for (const base of basesOf(e.chunks ?? [])) writeEnd.set(base, i);
  });
  events.forEach((e, i) => {
    if (e.kind !== 'mark' || !e.label?.startsWith('ack ')) return;
    const base = Number(e.label.slice(4));
    const written = writeEnd.get(base);
    expect(written, `write of ${base}`).toBeDefined();
    let covered = false;
    let starts = 0;
    for (let j = (written as number) + 1; j < i; j++) {
      const ev = events[j];
      if (ev?.kind === 'sync-start' && isLog(ev.path)) starts++;
      if (ev?.kind === 'sync-end' && isLog(ev.path) && starts > 0) covered = true;
    }
    expect(covered, `append ${base} acknowledged without a covering fsync`).toBe(true);
  });
}

describe('group commit (fsync: always)', () => {
  it('shares fsyncs: 100 concurrent appends cost far fewer than 100 fsyncs, none acked before its fsync', async () => {
    const log = await openLog('always');
    const appends = Array.from({ length: 100 }, (_, i) =>
      log.append(messages((i % 5) + 1, `a${i}`)).then((r) => {
        io.mark(`ack ${r.baseOffset}`);
        return r;
      }),
    );
    const results = await Promise.all(appends);
    expect(logSyncs()).toBeLessThan(10);
    expect(log.syncCount).toBe(logSyncs());
    checkCoveredBySync();
    let next = 0;
    for (const r of results) {
      expect(r.baseOffset).toBe(next);
      next = r.lastOffset + 1;
    }
  });

  it('writes appends while an fsync runs and covers them all with the next single fsync', async () => {
    const log = await openLog('always');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    io.onSync = async (path) => {
      if (!isLog(path) || !first) return;
      first = false;
      await held;
    };
    const acked: number[] = [];
    const a = log.append(messages(1)).then((r) => acked.push(r.baseOffset));
    await waitFor(() => logSyncs() === 1, { ...IO_WAIT, what: 'the first fsync to start' });
    const more = Array.from({ length: 10 }, () => log.append(messages(2)).then((r) => acked.push(r.baseOffset)));
    // they are written while the first fsync is still running…
    const writtenBases = (): number[] =>
      io.events.filter((e) => e.kind === 'write-end' && isLog(e.path)).flatMap((e) => basesOf(e.chunks ?? []));
    try {
      await waitFor(() => writtenBases().includes(19), { ...IO_WAIT, what: 'the ten appends written while the fsync runs' });
      expect(writtenBases()).toEqual([0, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
      expect(acked).toEqual([]);
    } finally {
      release();
    }
    await Promise.all([a, ...more]);
    // …and one more fsync covers all ten
    expect(logSyncs()).toBe(2);
    expect(acked).toEqual([0, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
  });

  it('keeps the acknowledgement rule under waves of appends made during fsyncs', async () => {
    const log = await openLog('always', { segmentBytes: 4096 });
    let waves = 0;
    const extra: Promise<unknown>[] = [];
    const track = (p: Promise<AppendResult>): Promise<unknown> => p.then((r) => io.mark(`ack ${r.baseOffset}`));
    io.onSync = (path) => {
      if (!isLog(path) || waves >= 8) return;
      waves++;
      for (let i = 0; i < 5; i++) extra.push(track(log.append(messages(waves + i, `w${waves}`))));
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => track(log.append(messages(i + 1)))));
    await waitFor(() => waves >= 8 && extra.length === 40, { ...IO_WAIT, what: 'eight waves of appends made during fsyncs' });
    await Promise.all(extra);
    checkCoveredBySync();
    const all = await log.read(0, { maxRecords: 10_000 });
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: log.endOffset }, (_, i) => i));
  });

  it('reports fsync durations', async () => {
    const seen: number[] = [];
    const log = await openLog('always', { onFsync: (s) => seen.push(s) });
    await log.append(messages(1));
    expect(seen.length).toBe(1);
    expect(seen[0]).toBeGreaterThanOrEqual(0);
  });
});

describe('fsync: interval and never', () => {
  it('interval: acknowledges after the write, fsyncs later', async () => {
    const log = await openLog('interval', { fsyncIntervalMs: 5 });
    let synced!: () => void;
    const firstSync = new Promise<void>((resolve) => (synced = resolve));
    io.onSync = (path) => {
      if (isLog(path)) synced();
    };
    await log.append(messages(3));
    expect(logSyncs()).toBe(0);
    await firstSync;
    expect(logSyncs()).toBe(1);
  });

  it('interval: past 16 MiB acknowledged and not yet fsynced, appends wait for the running fsync (memory stays bounded)', async () => {
    const log = await openLog('interval', { fsyncIntervalMs: 60_000 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    io.onSync = (path) => (isLog(path) ? held : undefined); // the disk stalls on the first fsync
    const big = 'x'.repeat(512 * 1024);
    let acked = 0;
    const appends = Array.from({ length: 48 }, () => log.append([{ value: big }, { value: big }]).then(() => acked++)); // 48 MiB
    await waitFor(() => logSyncs() === 1 && acked >= 16, { ...IO_WAIT, what: 'the fsync to start and 16 MiB to be acknowledged' });
    // the writer may go on to the cap (16 MiB) plus the write that crossed it (at most 16 MiB), never to all 48 MiB
    await expectQuietFor(300, 'at most 33 appends acknowledged while the fsync is stalled', () => acked > 33);
    expect(acked).toBeLessThanOrEqual(33);
    release();
    await Promise.all(appends);
    expect(acked).toBe(48);
  });

  it('never: no fsync for appends, one per sealed segment (so a power loss leaves no hole), one at close', async () => {
    const log = await openLog('never', { segmentBytes: 1024 });
    for (let i = 0; i < 3; i++) await log.append(messages(5));
    expect(logSyncs()).toBe(0);
    for (let i = 0; i < 27; i++) await log.append(messages(5));
    expect(log.segmentCount).toBeGreaterThan(1);
    expect(logSyncs()).toBe(log.segmentCount - 1);
    await log.close();
    expect(logSyncs()).toBe(log.segmentCount);
  });
});

describe('failures', () => {
  it('a failed write rejects with EVQ_ERR_STORAGE, cuts the file back, and the next append takes the offset', async () => {
    const log = await openLog('always');
    await log.append(messages(3));
    const size = (await stat(join(dir, 't', '00000000000000000000.log'))).size;
    io.fail('write', 'ENOSPC', { match: isLog });
    const error = await rejection(log.append(messages(2, 'lost')));
    expect(error.code).toBe('EVQ_ERR_STORAGE');
    expect(error.message).toMatch(/ENOSPC/);
    expect((await stat(join(dir, 't', '00000000000000000000.log'))).size).toBe(size);
    expect(log.endOffset).toBe(3);
    expect((await log.read(0)).map((r) => r.value.toString())).toEqual(['m-0', 'm-1', 'm-2']);
    expect(await log.append(messages(1, 'next'))).toEqual({ baseOffset: 3, lastOffset: 3 });
    expect((await log.read(3))[0]?.value.toString()).toBe('next-0');
  });

  it('a failed fsync acknowledges nothing it covered; the log repairs itself once the fault clears', async () => {
    const log = await openLog('always');
    await log.append(messages(2, 'ok'));
    io.fail('sync', 'EIO', { match: isLog });
    const acked: number[] = [];
    const during: Promise<unknown>[] = [];
    io.onSync = (path) => {
      // appends written while the failing fsync runs are not trusted either
      if (isLog(path) && during.length === 0) during.push(log.append(messages(1, 'during')).then((r) => acked.push(r.baseOffset)));
    };
    const error = await rejection(log.append(messages(3, 'bad')));
    expect(error.code).toBe('EVQ_ERR_STORAGE');
    expect(error.message).toMatch(/fsync.*EIO/);
    expect((await rejection(during[0] as Promise<unknown>)).code).toBe('EVQ_ERR_STORAGE');
    io.onSync = null;
    expect(acked).toEqual([]);
    expect(log.endOffset).toBe(2);
    expect((await log.read(0)).map((r) => r.value.toString())).toEqual(['ok-0', 'ok-1']);
    // the fault was one-shot: the next append repairs (cut back, reopen) and works
    expect(await log.append(messages(1, 'after'))).toEqual({ baseOffset: 2, lastOffset: 2 });
    await log.close();
    const reopened = await TopicLog.open(nodeFileIO, join(dir, 't'), 't');
    open.push(reopened);
    expect((await reopened.read(0)).map((r) => r.value.toString())).toEqual(['ok-0', 'ok-1', 'after-0']);
    expect(reopened.recovery.truncations).toEqual([]);
  });

  it('keeps rejecting while the disk keeps failing, and works again after', async () => {
    const log = await openLog('always');
    await log.append(messages(1, 'ok'));
    io.fail('sync', 'EIO', { match: isLog, times: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 3; i++) expect((await rejection(log.append(messages(1, 'bad')))).code).toBe('EVQ_ERR_STORAGE');
    io.clear();
    io.fail('open', 'EIO', { match: isLog }); // the repair's reopen fails once more
    expect((await rejection(log.append(messages(1, 'bad')))).code).toBe('EVQ_ERR_STORAGE');
    expect(await log.append(messages(1, 'good'))).toEqual({ baseOffset: 1, lastOffset: 1 });
    expect((await log.read(0)).map((r) => r.value.toString())).toEqual(['ok-0', 'good-0']);
  });

  it('a failed write whose cut-back fails too is repaired before the next write', async () => {
    const log = await openLog('never');
    await log.append(messages(1, 'ok'));
    io.fail('write', 'EIO', { match: isLog });
    io.fail('truncate', 'EIO', { match: isLog });
    expect((await rejection(log.append(messages(1, 'bad')))).code).toBe('EVQ_ERR_STORAGE');
    expect(await log.append(messages(1, 'good'))).toEqual({ baseOffset: 1, lastOffset: 1 });
    expect((await log.read(0)).map((r) => r.value.toString())).toEqual(['ok-0', 'good-0']);
  });

  it('interval: a failed background fsync makes appends fail until an fsync works again', async () => {
    const log = await openLog('interval', { fsyncIntervalMs: 1 });
    let failed!: () => void;
    const backgroundFailed = new Promise<void>((resolve) => (failed = resolve));
    io.fail('sync', 'EIO', { match: isLog, times: 2 });
    io.onSync = (path) => {
      if (isLog(path)) failed();
    };
    await log.append(messages(1, 'acked'));
    await backgroundFailed;
    await waitFor(() => io.counts.sync >= 1, { ...IO_WAIT, what: 'the failed background fsync to be counted' });
    // the retry before the next append fails too (second injected fault)
    await new Promise((r) => setImmediate(r));
    expect((await rejection(log.append(messages(1, 'bad')))).code).toBe('EVQ_ERR_STORAGE');
    expect(await log.append(messages(1, 'good'))).toEqual({ baseOffset: 1, lastOffset: 1 });
  });

  it('a failed segment roll rejects the append that needed it; the next one rolls', async () => {
    const log = await openLog('always', { segmentBytes: 1024 });
    while (log.segmentCount === 1) {
      io.fail('fsyncDir', 'EIO');
      const r = await log.append(messages(10)).catch((e: unknown) => e);
      if (r instanceof EvqError) {
        expect(r.code).toBe('EVQ_ERR_STORAGE');
        break;
      }
      io.clear();
    }
    io.clear();
    const before = log.endOffset;
    expect((await log.append(messages(10))).baseOffset).toBe(before);
    expect(log.segmentCount).toBe(2);
    expect((await log.read(0, { maxRecords: 1000 })).map((r) => r.offset)).toEqual(Array.from({ length: before + 10 }, (_, i) => i));
  });
});
