// Power loss under a whole broker: producers (HTTP), a consumer group committing and delayed messages
// pending, while the power goes off at a random I/O call of the storage. After each cut the broker starts
// again on what the disk holds: with fsync `always` every acknowledged message is there exactly once at its
// offset, the group's offset is not behind any acknowledged commit, and every acknowledged delayed message
// is delivered (at least once, as documented) and never before it was due.
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../../src/broker/server.js';
import { PowerLossFileIO } from '../../helpers/power-loss-file-io.js';
import { makeTempDir, postBatch } from '../../helpers/broker.js';
import { seededRandom, testSeed } from '../../helpers/spawn-broker.js';
import { waitFor } from '../../helpers/wait.js';
import type { FsyncMode } from '../../../src/broker/storage/log.js';

let dataDir: string;
const running: Broker[] = [];
const seed = testSeed();

beforeEach(async () => {
  dataDir = await makeTempDir('evq-power-');
});
afterEach(async () => {
  for (const broker of running.splice(0)) await broker.close().catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

interface Record {
  offset: number;
  timestamp: number;
  value: string;
  headers?: { [name: string]: string } | null;
}

/** Every record of `topic` (none when it does not exist), checking offsets run from 0 without gaps. */
async function readTopic(url: string, topic: string): Promise<Record[]> {
  const records: Record[] = [];
  for (;;) {
    const res = await fetch(`${url}/topics/${topic}/messages?from=${records.length}&limit=1000`);
    if (res.status === 404) return records;
    expect(res.status).toBe(200);
    const page = (await res.text())
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record);
    if (page.length === 0) return records;
    for (const record of page) {
      expect(record.offset, `${topic}: offsets without gaps`).toBe(records.length);
      records.push(record);
    }
  }
}

interface Acks {
  produced: Map<string, number>; // value -> offset
  delayed: Map<string, number>; // value -> dueAt
  committed: number; // highest acknowledged group commit
}

/** Mixed load against `url` until the power goes off or `deadline`; returns what was acknowledged. */
async function load(url: string, io: PowerLossFileIO, random: () => number, round: number, acks: Acks, deadline: number): Promise<void> {
  const going = (): boolean => !io.poweredOff && performance.now() < deadline;
  const producer = async (p: number): Promise<void> => {
    for (let seq = 0; going() && seq < 150; seq++) {
      const values = Array.from({ length: 1 + Math.floor(random() * 5) }, (_, i) => `r${round}-p${p}-${seq}-${i}`);
      const res = await postBatch(url, 'orders', values).catch(() => null);
      if (res?.status === 201) values.forEach((v, i) => acks.produced.set(v, (res.json.baseOffset as number) + i));
    }
  };
  const delayer = async (): Promise<void> => {
    for (let seq = 0; going() && seq < 40; seq++) {
      const value = `r${round}-d-${seq}`;
      const delayMs = 100 + Math.floor(random() * 600);
      const res = await postBatch(url, 'later', [value], { 'evq-delay': `${delayMs}ms` }).catch(() => null);
      if (res?.status === 202) acks.delayed.set(value, res.json.dueAt as number);
    }
  };
  const group = async (): Promise<void> => {
    while (going()) {
      const res = await fetch(`${url}/topics/orders/groups/g/messages?limit=7&autocommit=true`).catch(() => null);
      if (res === null) continue;
      await res.text();
      if (res.status !== 200) continue;
      const committed = Number(res.headers.get('evq-committed-offset') ?? -1);
      // offsets never move backwards while the broker runs either
      expect(committed).toBeGreaterThanOrEqual(acks.committed);
      acks.committed = Math.max(acks.committed, committed);
    }
  };
  await Promise.all([producer(0), producer(1), producer(2), delayer(), group()]);
}

async function check(url: string, acks: Acks, context: string): Promise<void> {
  const orders = await readTopic(url, 'orders');
  const at = new Map<string, number>();
  for (const r of orders) {
    expect(at.has(r.value), `${context}: ${r.value} twice`).toBe(false);
    at.set(r.value, r.offset);
  }
  const lost = [...acks.produced].filter(([v, offset]) => at.get(v) !== offset).map(([v]) => v);
  expect(lost, `${context}: acknowledged messages missing`).toEqual([]);
  const group = (await (await fetch(`${url}/topics/orders/groups/g`)).json()) as { committed?: number };
  if (acks.committed >= 0) expect(group.committed ?? -1, `${context}: group offset went back`).toBeGreaterThanOrEqual(acks.committed);
  // delayed messages: each acknowledged one arrives (due ones at once after the restart), never early
  let later: Record[] = [];
  await waitFor(
    async () => {
      later = await readTopic(url, 'later');
      const seen = new Set(later.map((r) => r.value));
      return [...acks.delayed.keys()].every((v) => seen.has(v));
    },
    { timeoutMs: 20_000, what: `${context}: every acknowledged delayed message delivered` },
  );
  for (const r of later) {
    const due = acks.delayed.get(r.value);
    if (due !== undefined) expect(r.timestamp, `${context}: ${r.value} delivered early`).toBeGreaterThanOrEqual(due);
  }
}

async function rounds(fsync: FsyncMode, count: number, localSeed: number): Promise<{ produced: number; delayed: number; commits: number }> {
  const random = seededRandom(localSeed);
  const acks: Acks = { produced: new Map(), delayed: new Map(), committed: -1 };
  for (let round = 0; round < count; round++) {
    const io = await PowerLossFileIO.over(dataDir);
    const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, io, fsync, segmentBytes: 4096 });
    running.push(broker);
    const torn = random() < 0.6;
    const garble = torn && random() < 0.5;
    const cutAfter = 30 + Math.floor(random() * 1500);
    const context = `seed ${localSeed}, round ${round} (cut after ${cutAfter} calls, torn ${torn}, garble ${garble})`;
    if (round > 0) await check(broker.url, acks, `${context}, after the previous cut`);
    io.powerOffAfter(cutAfter);
    await load(broker.url, io, random, round, acks, performance.now() + 4000);
    io.powerOff();
    await broker.close().catch(() => undefined);
    running.splice(running.indexOf(broker), 1);
    await io.cut({ torn, garble, random });
  }
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, fsync });
  running.push(broker);
  await check(broker.url, acks, `seed ${localSeed}, after the last cut`);
  return { produced: acks.produced.size, delayed: acks.delayed.size, commits: acks.committed };
}

describe('power loss under a broker', () => {
  it('fsync always: nothing acknowledged is lost (messages, group offsets, delayed messages) across 6 cuts', async () => {
    const result = await rounds('always', 6, seed);
    expect(result.produced).toBeGreaterThan(0);
    expect(result.delayed).toBeGreaterThan(0);
    console.log(
      `broker power loss (always), seed ${seed}: 6 cuts, ${result.produced} acked, ${result.delayed} delayed, group at ${result.commits}, lost 0`,
    );
  }, 180_000);

  it('a delayed message acknowledged by a new broker survives a power cut right after (its journal directory is durable)', async () => {
    const io = await PowerLossFileIO.over(dataDir);
    const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, io });
    running.push(broker);
    const res = await postBatch(broker.url, 'later', ['only'], { 'evq-delay': '200ms' });
    expect(res.status).toBe(202);
    io.powerOff();
    await broker.close().catch(() => undefined);
    running.splice(0);
    await io.cut();
    const again = await startBroker({ host: '127.0.0.1', port: 0, dataDir });
    running.push(again);
    await check(again.url, { produced: new Map(), delayed: new Map([['only', res.json.dueAt as number]]), committed: -1 }, 'after the cut');
  });
});
