// Power loss under a topic log: producers append while the power goes off at a random I/O call; the
// directory is rewritten to what a real disk would hold (unsynced bytes dropped, torn or garbled; files and
// renames not covered by a directory fsync undone), and the log is opened again. With fsync `always` no
// acknowledged append is missing; with `interval` only appends acknowledged after the start of the last
// fsync (the documented window) may be; with every mode the log is consistent.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileIO } from '../../../src/broker/storage/file-io.js';
import { writeFileAtomic } from '../../../src/broker/storage/atomic-file.js';
import { TopicLog } from '../../../src/broker/storage/topic-log.js';
import { PowerLossFileIO, listTree } from '../../helpers/power-loss-file-io.js';
import { seededRandom, testSeed } from '../../helpers/spawn-broker.js';
import { tempDir } from './fault-file-io.js';
import type { FsyncMode } from '../../../src/broker/storage/log.js';

let dir: string;
let remove: () => Promise<void>;
const open: TopicLog[] = [];
const seed = testSeed();

beforeEach(async () => {
  ({ dir, remove } = await tempDir());
});
afterEach(async () => {
  for (const log of open.splice(0)) await log.close().catch(() => undefined);
  await remove();
});

describe('the power-loss layer', () => {
  it('keeps only fsynced bytes and only directory changes covered by a directory fsync', async () => {
    const io = await PowerLossFileIO.over(dir);
    const synced = await io.open(join(dir, 'a'), 'write');
    await synced.write([Buffer.from('durable')], 0);
    await synced.sync();
    await synced.write([Buffer.from('-lost')], 7);
    await writeFileAtomic(io, join(dir, 'c'), 'new'); // complete: temp, fsync, rename, fsyncDir (covers 'a' too)
    const unsyncedName = await io.open(join(dir, 'b'), 'write'); // synced, but its name never is
    await unsyncedName.write([Buffer.from('x')], 0);
    await unsyncedName.sync();
    await io.cut();
    expect(await listTree(dir)).toEqual({ a: 7, c: 3 });
    expect(await readFile(join(dir, 'a'), 'utf8')).toBe('durable');
  });

  it('undoes a rename that no directory fsync covered, and keeps a torn prefix when asked', async () => {
    await writeFile(join(dir, 'meta'), 'old');
    const io = await PowerLossFileIO.over(dir);
    const temp = await io.open(join(dir, 'meta.tmp'), 'replace');
    await temp.write([Buffer.from('new')], 0);
    await temp.sync();
    await io.rename(join(dir, 'meta.tmp'), join(dir, 'meta'));
    const log = await io.open(join(dir, 'meta'), 'write');
    await log.write([Buffer.from('NEW!')], 0);
    await io.cut({ torn: true, random: () => 0.99 });
    expect(await listTree(dir)).toEqual({ meta: 3 });
    expect(await readFile(join(dir, 'meta'), 'utf8')).toBe('old');
  });

  it('fails every call once the power is off, and cuts at a chosen call', async () => {
    const io = await PowerLossFileIO.over(dir);
    io.powerOffAfter(2);
    const file = await io.open(join(dir, 'f'), 'write'); // call 1
    await expect(file.write([Buffer.from('x')], 0)).rejects.toMatchObject({ code: 'EIO' }); // call 2: off
    expect(io.poweredOff).toBe(true);
    await expect(io.readdir(dir)).rejects.toMatchObject({ code: 'EIO' });
    await file.close();
  });
});

interface Acked {
  value: string;
  offset: number;
  at: number;
}

interface RoundResult {
  acked: Acked[];
  attempted: number;
  /** performance.now() when the last successful fsync of a segment started (for `interval`). */
  lastSyncStart: number;
  cutAt: number;
}

/**
 * One life of the log: `producers` append batches until the power goes off after `cutAfter` changing
 * calls (or each has made `perProducer` appends); then the cut. Returns what was acknowledged.
 */
async function liveUntilCut(
  root: string,
  fsync: FsyncMode,
  random: () => number,
  round: number,
  options: { cutAfter: number; producers: number; perProducer: number; torn: boolean; garble: boolean },
): Promise<RoundResult> {
  const io = await PowerLossFileIO.over(root);
  let lastSyncStart = -Infinity;
  const log = await TopicLog.open(io, join(root, 't'), 't', {
    fsync,
    fsyncIntervalMs: 20,
    segmentBytes: 2048,
    indexIntervalBytes: 256,
    onFsync: (seconds) => {
      lastSyncStart = Math.max(lastSyncStart, performance.now() - seconds * 1000);
    },
  });
  io.powerOffAfter(options.cutAfter);
  const acked: Acked[] = [];
  let attempted = 0;
  const producer = async (p: number): Promise<void> => {
    for (let seq = 0; seq < options.perProducer && !io.poweredOff; seq++) {
      const size = 1 + Math.floor(random() * 4);
      const values = Array.from({ length: size }, (_, i) => `r${round}-p${p}-${seq}-${i}-${'x'.repeat(Math.floor(random() * 60))}`);
      attempted += size;
      try {
        const result = await log.append(values.map((value) => ({ value })));
        const at = performance.now();
        values.forEach((value, i) => acked.push({ value, offset: result.baseOffset + i, at }));
      } catch (error) {
        expect((error as { code?: string }).code).toMatch(/EVQ_ERR_STORAGE|EVQ_ERR_UNAVAILABLE/);
      }
    }
  };
  await Promise.all(Array.from({ length: options.producers }, (_, p) => producer(p)));
  const cutAt = performance.now();
  io.powerOff();
  await log.close().catch(() => undefined);
  await io.cut({ torn: options.torn, garble: options.garble, random });
  return { acked, attempted, lastSyncStart, cutAt };
}

/** Opens the log on the plain file system and checks it is consistent; returns its values by offset. */
async function reopenAndCheck(root: string): Promise<{ values: string[]; log: TopicLog }> {
  const log = await TopicLog.open(nodeFileIO, join(root, 't'), 't', { segmentBytes: 2048, indexIntervalBytes: 256, verifyOnOpen: true });
  open.push(log);
  // no damage anywhere: a power loss only ever tears the unsynced tail, which recovery cuts
  expect(log.recovery.corruptions).toEqual([]);
  expect(log.corruptions).toEqual([]);
  expect(log.startOffset).toBe(0);
  const values: string[] = [];
  let offset = 0;
  while (offset < log.endOffset) {
    const records = await log.read(offset, { maxRecords: 1000 });
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(record.offset).toBe(offset); // contiguous: no gaps, no repeats
      values.push(record.value.toString());
      offset++;
    }
  }
  expect(values.length).toBe(log.endOffset);
  // every record is one that was sent, once
  expect(new Set(values).size).toBe(values.length);
  for (const value of values) expect(value).toMatch(/^r\d+-p\d+-\d+-\d+-x*$/);
  // per producer and round, batches land in the order they were sent (no reordering after recovery)
  const lastSeq = new Map<string, number>();
  for (const value of values) {
    const [r, p, seq] = value.split('-');
    const key = `${r}-${p}`;
    const s = Number(seq);
    expect(s, `order of ${key}`).toBeGreaterThanOrEqual(lastSeq.get(key) ?? 0);
    lastSeq.set(key, s);
  }
  return { values, log };
}

async function powerLossRounds(
  fsync: FsyncMode,
  rounds: number,
  localSeed: number,
): Promise<{ acked: number; lost: number; cuts: number }> {
  const random = seededRandom(localSeed);
  const root = join(dir, 'data');
  let survived = new Map<string, number>(); // value -> offset, of what must stay
  let ackedTotal = 0;
  let lostTotal = 0;
  for (let round = 0; round < rounds; round++) {
    const torn = random() < 0.6;
    const garble = torn && random() < 0.5;
    const cutAfter = 5 + Math.floor(random() * 400);
    const result = await liveUntilCut(root, fsync, random, round, { cutAfter, producers: 4, perProducer: 60, torn, garble });
    const context = `seed ${localSeed}, round ${round}, cut after ${cutAfter} calls, torn ${torn}, garble ${garble}`;
    const { values, log } = await reopenAndCheck(root).catch((error: unknown) => {
      throw new Error(`${context}: ${(error as Error).message}`, { cause: error });
    });
    await log.close();
    open.splice(open.indexOf(log), 1);
    const at = new Map(values.map((v, i) => [v, i]));
    // what earlier rounds left must still be there, where it was
    for (const [value, offset] of survived) expect(at.get(value), `${context}: earlier ${value}`).toBe(offset);
    const lost = result.acked.filter((a) => at.get(a.value) !== a.offset);
    ackedTotal += result.acked.length;
    lostTotal += lost.length;
    if (fsync === 'always') {
      expect(
        lost.map((a) => a.value),
        context,
      ).toEqual([]);
    } else if (fsync === 'interval') {
      // only what was acknowledged after the last fsync started can be gone: the interval's window
      for (const a of lost) {
        expect(a.at, `${context}: ${a.value} lost though an fsync started after its ack`).toBeGreaterThanOrEqual(result.lastSyncStart);
        expect(result.cutAt - a.at, `${context}: window`).toBeLessThanOrEqual(20 + 2000);
      }
    }
    survived = at;
  }
  return { acked: ackedTotal, lost: lostTotal, cuts: rounds };
}

describe('power loss under a topic log', () => {
  it('fsync always: no acknowledged append is ever missing, across 12 cuts at random I/O calls', async () => {
    const result = await powerLossRounds('always', 12, seed);
    expect(result.acked).toBeGreaterThan(0);
    expect(result.lost).toBe(0);
    console.log(`power loss (always), seed ${seed}: ${result.cuts} cuts, ${result.acked} acked, lost ${result.lost}`);
  }, 120_000);

  it('fsync interval: only appends acknowledged since the last fsync started can be lost; the log stays consistent', async () => {
    const result = await powerLossRounds('interval', 10, seed + 1);
    expect(result.acked).toBeGreaterThan(0);
    console.log(`power loss (interval), seed ${seed + 1}: ${result.cuts} cuts, ${result.acked} acked, lost in window ${result.lost}`);
  }, 120_000);

  it('fsync never: the log is consistent after every cut (no gaps, no half records, checksums good)', async () => {
    const result = await powerLossRounds('never', 8, seed + 2);
    expect(result.acked).toBeGreaterThan(0);
    console.log(
      `power loss (never), seed ${seed + 2}: ${result.cuts} cuts, ${result.acked} acked, consistent after each, unsynced tail lost ${result.lost}`,
    );
  }, 120_000);
});
