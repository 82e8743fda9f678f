/**
 * `evq groups` as a user runs it: list (JSON in a pipe), describe, reset (dry run, offset, time, refused
 * while a consumer reads), and the line `evq consume --group` prints when retention removed records the
 * group had not read. Spawns `bin/evq.js` from `dist/` against `evq serve --port 0` (real sockets, real files).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { getJson, postBatch } from '../helpers/broker.js';
import { describeNats, startNatsServer, stopNatsServers } from '../helpers/nats-server.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../helpers/spawn-broker.js';
import { killCli, lines, runCli, startCli } from '../helpers/spawn-cli.js';
import type { GroupDescription } from '../../src/client/types.js';

let broker: SpawnedBroker;

beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--fsync', 'never'] });
});

afterEach(killCli);

afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
  await stopNatsServers();
});

interface Group {
  group: string;
  topic: string;
  committed: number;
  endOffset: number;
  lag: number;
  members: number;
  missed: number;
}

async function groups(url: string): Promise<Group[]> {
  const r = await runCli(['groups'], { url });
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as Group[];
}

const values = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

describe('evq groups', () => {
  it('lists groups per topic with committed offset, end, lag and members (one JSON array in a pipe)', async () => {
    await postBatch(broker.url, 'orders', values(0, 10));
    const read = await runCli(['consume', 'orders', '--group', 'billing', '--limit', '4'], { url: broker.url });
    expect(read.code).toBe(0);
    expect(lines(read.out)).toEqual(['m0', 'm1', 'm2', 'm3']);
    await runCli(['consume', 'orders', '--group', 'audit'], { url: broker.url });

    const list = await groups(broker.url);
    expect(list.filter((g) => g.topic === 'orders').map((g) => [g.group, g.committed, g.endOffset, g.lag, g.members, g.missed])).toEqual([
      ['audit', 10, 10, 0, 0, 0],
      ['billing', 4, 10, 6, 0, 0],
    ]);
    const ls = await runCli(['groups', 'ls', '--json'], { url: broker.url });
    expect(JSON.parse(ls.out)).toEqual(list);
  });

  it('describe G: the group on every topic it reads (its partitions, committed offsets, lag, members); an unknown group is exit 1 with one line', async () => {
    await postBatch(broker.url, 'payments', values(0, 3));
    await runCli(['consume', 'payments', '--group', 'ledger', '--limit', '1'], { url: broker.url });
    await runCli(['consume', 'orders', '--group', 'ledger', '--limit', '2'], { url: broker.url });
    const r = await runCli(['groups', 'describe', 'ledger', '--json'], { url: broker.url });
    expect(r.code).toBe(0);
    const described = JSON.parse(r.out) as GroupDescription;
    expect(described).toMatchObject({ group: 'ledger', state: 'empty', members: [] }); // both runs left at their end
    expect(described.partitions.map((p) => [p.topic, p.partition, p.committed, p.lag, p.owner])).toEqual([
      ['orders', 0, 2, 8, null],
      ['payments', 0, 1, 2, null],
    ]);
    const missing = await runCli(['groups', 'describe', 'nobody'], { url: broker.url });
    expect(missing.code).toBe(1);
    expect(lines(missing.err)).toEqual([expect.stringMatching(/^error: no consumer group "nobody" at .*`evq groups` lists them$/)]);
  });

  it('reset: --dry-run shows the old and new offset and changes nothing; then --to OFFSET, earliest, latest', async () => {
    await postBatch(broker.url, 'refunds', values(0, 8));
    await runCli(['consume', 'refunds', '--group', 'rg', '--limit', '5'], { url: broker.url });
    const dry = await runCli(['groups', 'reset', 'rg', '--topic', 'refunds', '--to', 'earliest', '--dry-run'], { url: broker.url });
    expect(dry.code).toBe(0);
    expect(dry.err).toBe('group rg on refunds would move from offset 5 to offset 0 (earliest), lag 8: dry run, nothing changed\n');
    expect((await groups(broker.url)).find((g) => g.group === 'rg')?.committed).toBe(5);

    const toOffset = await runCli(['groups', 'reset', 'rg', '--topic', 'refunds', '--to', '2'], { url: broker.url });
    expect(toOffset.code).toBe(0);
    expect(toOffset.err).toBe('group rg on refunds moved from offset 5 to offset 2 (2), lag 6\n');
    const next = await runCli(['consume', 'refunds', '--group', 'rg', '--limit', '1'], { url: broker.url });
    expect(next.out).toBe('m2\n');

    const latest = await runCli(['groups', 'reset', 'rg', '--topic', 'refunds', '--to', 'end', '--json'], { url: broker.url });
    expect(JSON.parse(latest.out)).toMatchObject({ topic: 'refunds', group: 'rg', previous: 3, committed: 8, lag: 0, dryRun: false });
    const past = await runCli(['groups', 'reset', 'rg', '--topic', 'refunds', '--to', '99'], { url: broker.url });
    expect(past.code).toBe(2); // EVQ_ERR_INVALID_OFFSET: a bad argument
    expect(lines(past.err)).toEqual([expect.stringMatching(/offset 99 is past the end of "refunds" \(8\)/)]);
    const bad = await runCli(['groups', 'reset', 'rg', '--topic', 'refunds', '--to', 'yesterday'], { url: broker.url });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--to.*expected earliest, latest, an offset or a time/);
  });

  it('reset --to TIME: the first record stamped at or after the time', async () => {
    await postBatch(broker.url, 'clock', values(0, 3));
    const stamps = async (): Promise<number[]> => {
      const r = await runCli(['consume', 'clock', '--format', '{timestamp}'], { url: broker.url });
      return lines(r.out).map(Number);
    };
    const before = await stamps();
    // a later batch, stamped after every record of the first one (the clock is polled, not slept on)
    await waitFor(() => Date.now() > Math.max(...before), { timeoutMs: 5000, what: 'the clock to move on' });
    await postBatch(broker.url, 'clock', values(3, 6));
    const all = await stamps();
    const later = all[3] as number;
    expect(later).toBeGreaterThan(Math.max(...before));
    const r = await runCli(['groups', 'reset', 'cg', '--topic', 'clock', '--to', new Date(later).toISOString(), '--json'], {
      url: broker.url,
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ previous: null, committed: 3, lag: 3 });
    const future = await runCli(['groups', 'reset', 'cg', '--topic', 'clock', '--to', '2099-01-01T00:00:00Z', '--dry-run', '--json'], {
      url: broker.url,
    });
    expect(JSON.parse(future.out)).toMatchObject({ previous: 3, committed: 6, dryRun: true });
  });

  it('a consumer reading with --follow is a member; a reset is refused while it reads', async () => {
    await postBatch(broker.url, 'live', values(0, 2));
    const follower = startCli(['consume', 'live', '--group', 'lg', '--follow'], { url: broker.url });
    await follower.waitForOut(/m1\n/);
    await waitFor(async () => (await groups(broker.url)).find((g) => g.group === 'lg')?.members === 1, {
      timeoutMs: 10_000,
      what: 'the follower to be a member',
    });
    const refused = await runCli(['groups', 'reset', 'lg', '--topic', 'live', '--to', 'earliest'], { url: broker.url });
    expect(refused.code).toBe(1);
    expect(lines(refused.err)).toEqual([expect.stringMatching(/group "lg" has 1 member: stop it first/)]);
    follower.kill('SIGINT');
    expect((await follower.done).code).toBe(0);
    await waitFor(async () => (await groups(broker.url)).find((g) => g.group === 'lg')?.members === 0, {
      timeoutMs: 10_000,
      what: 'the member to leave',
    });
    const reset = await runCli(['groups', 'reset', 'lg', '--topic', 'live', '--to', 'earliest'], { url: broker.url });
    expect(reset.code).toBe(0);
  });

  it('consume --group says on stderr how many records retention removed before the group read them', async () => {
    const small = await spawnBroker(await makeTempDir(), { args: ['--memory', '--retention-bytes', '64kb'] });
    await postBatch(small.url, 'ring', values(0, 5));
    const first = await runCli(['consume', 'ring', '--group', 'slow', '--limit', '1'], { url: small.url });
    expect(first.err).toBe('');
    for (let i = 0; i < 20; i++)
      await postBatch(
        small.url,
        'ring',
        Array.from({ length: 10 }, () => 'x'.repeat(1000)),
      );
    const start = ((await getJson(`${small.url}/topics`)) as { topics: Array<{ topic: string; startOffset: number }> }).topics.find(
      (t) => t.topic === 'ring',
    )!.startOffset;
    expect(start).toBeGreaterThan(1);
    const described = (await groups(small.url)).find((g) => g.group === 'slow');
    expect(described?.missed).toBe(start - 1);
    const again = await runCli(['consume', 'ring', '--group', 'slow', '--limit', '1', '--format', '{offset}'], { url: small.url });
    expect(again.code).toBe(0);
    expect(again.out).toBe(`${start}\n`);
    expect(again.err).toBe(`group slow missed ${start - 1} records of ring: retention removed them before the group read them\n`);
    const after = await runCli(['consume', 'ring', '--group', 'slow', '--limit', '1'], { url: small.url });
    expect(after.err).toBe('');
  });
});

describeNats('evq groups over nats://', () => {
  it('is refused with one line that says what to use instead (exit 1)', async () => {
    const nats = await startNatsServer();
    const r = await runCli(['groups'], { url: nats.url });
    expect(r.code).toBe(1);
    expect(lines(r.err)).toEqual([expect.stringMatching(/evq groups is not implemented over nats:\/\/.*nats consumer ls/)]);
  });
});
