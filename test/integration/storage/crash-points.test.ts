// The power goes off at each I/O call, one after another, of a segment roll, a retention deletion, a
// consumer-group commit and a topic deletion: every run is cut at a different call, the directory is
// rewritten to what the disk held durably (torn and garbled variants too), and the data opened again.
// Recovery must succeed, nothing half-written may be read, and whatever was acknowledged must be there.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OffsetStore } from '../../../src/broker/groups/offset-store.js';
import { nodeFileIO } from '../../../src/broker/storage/file-io.js';
import { TopicLog } from '../../../src/broker/storage/topic-log.js';
import { TopicStore } from '../../../src/broker/storage/topic-store.js';
import { PowerLossFileIO, listTree } from '../../helpers/power-loss-file-io.js';
import { seededRandom, testSeed } from '../../helpers/spawn-broker.js';
import { tempDir } from './fault-file-io.js';
import type { CutOptions } from '../../helpers/power-loss-file-io.js';
import type { TopicLogOptions } from '../../../src/broker/storage/topic-log.js';

let dir: string;
let remove: () => Promise<void>;
const seed = testSeed();

beforeEach(async () => {
  ({ dir, remove } = await tempDir());
});
afterEach(async () => {
  await remove();
});

const OPTIONS: TopicLogOptions = { fsync: 'always', segmentBytes: 1024, indexIntervalBytes: 128 };
/** Most cut points tried per scenario (a guard: each scenario makes far fewer calls). */
const MAX_CUTS = 80;

/** The cut variants: clean, torn, torn and garbled. */
function variants(random: () => number): CutOptions[] {
  return [{}, { torn: true, random }, { torn: true, garble: true, random }];
}

/** Opens the log on the plain file system and reads all of it; fails on any damage or gap. */
async function readBack(path: string, options: TopicLogOptions = OPTIONS): Promise<{ start: number; values: string[] }> {
  const log = await TopicLog.open(nodeFileIO, path, 't', { ...options, verifyOnOpen: true });
  try {
    expect(log.recovery.corruptions).toEqual([]);
    const values: string[] = [];
    let offset = log.startOffset;
    while (offset < log.endOffset) {
      const records = await log.read(offset, { maxRecords: 1000 });
      expect(records.length).toBeGreaterThan(0);
      for (const r of records) {
        expect(r.offset).toBe(offset);
        values.push(r.value.toString());
        offset++;
      }
    }
    return { start: log.startOffset, values };
  } finally {
    await log.close();
  }
}

/**
 * Runs `scenario` once per cut point: `prepare` builds the state on the real disk, then `act` runs with the
 * power going off at its `k`-th changing call, for k = 1, 2, … until `act` completes before its cut.
 * `verify` checks what reopens. Returns the number of cut points tried.
 */
async function everyCutPoint<T>(
  name: string,
  prepare: (root: string) => Promise<void>,
  act: (io: PowerLossFileIO, root: string) => Promise<T>,
  verify: (root: string, outcome: { done: boolean; result: T | null }) => Promise<void>,
): Promise<number> {
  const random = seededRandom(seed);
  for (let k = 1; k <= MAX_CUTS; k++) {
    const cut = variants(random)[k % 3] as CutOptions;
    const root = join(dir, `${name}-${k}`);
    await prepare(root);
    const io = await PowerLossFileIO.over(root);
    io.powerOffAfter(k);
    let result: T | null = null;
    let done = false;
    try {
      result = await act(io, root);
      done = !io.poweredOff;
    } catch (error) {
      if (!io.poweredOff) throw error;
    }
    const finished = !io.poweredOff;
    await io.cut(cut);
    const context = `${name}, seed ${seed}: cut at call ${k} (${JSON.stringify({ torn: cut.torn, garble: cut.garble })})`;
    try {
      await verify(root, { done, result });
    } catch (error) {
      throw new Error(`${context}: ${(error as Error).message}; files ${JSON.stringify(await listTree(root))}`, { cause: error });
    }
    if (finished) {
      console.log(`crash points (${name}), seed ${seed}: cut at each of ${k - 1} calls, then ran through`);
      return k;
    }
  }
  throw new Error(`${name}: still making calls after ${MAX_CUTS} cut points`);
}

function batch(prefix: string, n: number): { value: string }[] {
  return Array.from({ length: n }, (_, i) => ({ value: `${prefix}-${i}-${'y'.repeat(40)}` }));
}

describe('crash points', () => {
  it('during a segment roll: recovery succeeds at every call, and every acknowledged append is there', async () => {
    let before: string[] = [];
    const tried = await everyCutPoint(
      'roll',
      async (root) => {
        const log = await TopicLog.open(nodeFileIO, join(root, 't'), 't', OPTIONS);
        while (log.sizeBytes < 900) await log.append(batch(`pre${log.endOffset}`, 2));
        before = (await log.read(0, { maxRecords: 1000 })).map((r) => r.value.toString());
        await log.close();
      },
      async (io, root) => {
        const log = await TopicLog.open(io, join(root, 't'), 't', OPTIONS);
        try {
          // this append does not fit: the segment is sealed, the next one created, then it is written
          await log.append(batch('roll', 3));
          return log.segmentCount;
        } finally {
          await log.close().catch(() => undefined);
        }
      },
      async (root, { done }) => {
        const { values } = await readBack(join(root, 't'));
        expect(values.slice(0, before.length)).toEqual(before);
        const rest = values.slice(before.length);
        // the rolled append is there whole when it was acknowledged, and never in part
        if (done) expect(rest).toEqual(batch('roll', 3).map((m) => m.value));
        else expect([0, 3]).toContain(rest.length);
      },
    );
    expect(tried).toBeGreaterThan(3);
  }, 120_000);

  it('during retention deletion: the log opens with whole segments only, from a segment start, the newest data kept', async () => {
    let all: string[] = [];
    const tried = await everyCutPoint(
      'retention',
      async (root) => {
        const log = await TopicLog.open(nodeFileIO, join(root, 't'), 't', OPTIONS);
        while (log.segmentCount < 5) await log.append(batch(`v${log.endOffset}`, 2));
        all = [];
        for (let offset = 0; offset < log.endOffset;) {
          const records = await log.read(offset, { maxRecords: 1000 });
          for (const r of records) all.push(r.value.toString());
          offset += records.length;
        }
        await log.close();
      },
      async (io, root) => {
        // opening with a byte limit deletes the oldest segments at once
        const log = await TopicLog.open(io, join(root, 't'), 't', { ...OPTIONS, retentionBytes: 2048 });
        const result = await log.enforceRetention();
        await log.close().catch(() => undefined);
        return result;
      },
      async (root) => {
        const { start, values } = await readBack(join(root, 't'));
        // what is left is the tail of what was written, from some segment start: nothing half-deleted
        expect(values).toEqual(all.slice(start));
        expect(values.length).toBeGreaterThan(0);
      },
    );
    expect(tried).toBeGreaterThan(1);
  }, 120_000);

  it('during consumer-group commits: the table reads back whole, with the acknowledged offset or a later one', async () => {
    let acked = 5;
    const tried = await everyCutPoint(
      'groups',
      async (root) => {
        await mkdir(root, { recursive: true });
        const groups = await OffsetStore.open(nodeFileIO, root);
        await groups.commit('t', 'g', 5, 1);
        await groups.commit('t', 'h', 7, 1);
        await groups.close();
      },
      async (io, root) => {
        acked = 5;
        const groups = await OffsetStore.open(io, root);
        for (const offset of [10, 20, 30]) {
          await groups.commit('t', 'g', offset, 2);
          acked = offset;
        }
      },
      async (root) => {
        const groups = await OffsetStore.open(nodeFileIO, root);
        const g = groups.get('t', 'g')?.committed;
        expect([5, 10, 20, 30]).toContain(g);
        // never behind the last acknowledged commit
        expect(g).toBeGreaterThanOrEqual(acked);
        expect(groups.get('t', 'h')?.committed).toBe(7);
      },
    );
    expect(tried).toBeGreaterThan(3);
  }, 120_000);

  it('during a topic deletion: the topic is either whole or gone, and the other topics are untouched', async () => {
    const tried = await everyCutPoint(
      'delete',
      async (root) => {
        const store = await TopicStore.open(nodeFileIO, root, { ...OPTIONS, retentionCheckIntervalMs: 0 });
        for (const topic of ['keep', 'drop']) {
          const log = (await store.getOrCreate(topic)).partition(0)!;
          for (let i = 0; i < 20; i++) await log.append(batch(`${topic}${i}`, 2));
        }
        await store.close();
      },
      async (io, root) => {
        const store = await TopicStore.open(io, root, { ...OPTIONS, retentionCheckIntervalMs: 0 });
        try {
          await store.delete('drop');
        } finally {
          await store.close().catch(() => undefined);
        }
        return true;
      },
      async (root, { done }) => {
        const store = await TopicStore.open(nodeFileIO, root, { ...OPTIONS, retentionCheckIntervalMs: 0 });
        try {
          expect(store.recovery.flatMap((r) => r.corruptions)).toEqual([]);
          const keep = store.get('keep')?.partition(0);
          expect(keep?.endOffset).toBe(40);
          const drop = store.get('drop')?.partition(0);
          if (done) expect(drop).toBeUndefined();
          if (drop !== undefined) {
            expect(drop.startOffset).toBe(0);
            expect(drop.endOffset).toBe(40);
            expect((await drop.read(0, { maxRecords: 100 })).length).toBe(40);
          }
        } finally {
          await store.close();
        }
      },
    );
    expect(tried).toBeGreaterThan(1);
  }, 120_000);
});
