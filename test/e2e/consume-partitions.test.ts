/**
 * `evq consume` over topics of several partitions as a user runs it: every partition without a group,
 * --partition, --from OFFSET refused without one (exit 2, one line), --since and --from TIME with records
 * stamped at known times; and `evq consume --group G --follow` run twice at once (each message printed by
 * exactly one), then one killed with SIGKILL (--session-timeout 1s): the survivor prints the rest (at least
 * once). Spawns `bin/evq.js` from `dist/` against `evq serve --port 0`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../helpers/spawn-broker.js';
import { killCli, lines, runCli, startCli } from '../helpers/spawn-cli.js';
import { waitFor } from '../helpers/wait.js';
import { createTopic } from '../helpers/broker.js';

let broker: SpawnedBroker;

beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--fsync', 'interval'] });
});

afterEach(killCli);

afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});

/** Appends NDJSON lines to a topic (to one partition when given). */
async function append(topic: string, messages: Array<Record<string, unknown>>, partition?: number): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (partition !== undefined) headers['evq-partition'] = String(partition);
  const res = await fetch(`${broker.url}/topics/${topic}/batch`, {
    method: 'POST',
    headers,
    body: messages.map((m) => JSON.stringify(m)).join('\n'),
  });
  expect(res.status).toBe(201);
}

const values = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `m${from + i}`);
const keyed = (vs: string[]): Array<Record<string, unknown>> => vs.map((value, i) => ({ value, key: `k${i % 12}` }));

describe('evq consume over partitions, no group', () => {
  it('reads every partition to its end (each in order); --partition N one; --from OFFSET needs --partition', async () => {
    await createTopic(broker.url, 'parts', 3);
    for (let p = 0; p < 3; p++)
      await append(
        'parts',
        values(0, 4).map((v) => ({ value: `${p}${v}` })),
        p,
      );
    const all = await runCli(['consume', 'parts', '--format', '{offset} {value}'], { url: broker.url });
    expect(all.code).toBe(0);
    expect(lines(all.out).sort()).toEqual([0, 1, 2].flatMap((p) => values(0, 4).map((v, i) => `${i} ${p}${v}`)).sort());
    for (let p = 0; p < 3; p++) {
      const mine = lines(all.out).filter((l) => l.split(' ')[1]?.startsWith(String(p)));
      expect(mine).toEqual(values(0, 4).map((v, i) => `${i} ${p}${v}`)); // each partition in offset order
    }
    const one = await runCli(['consume', 'parts', '--partition', '1', '--from', '2'], { url: broker.url });
    expect(one.code).toBe(0);
    expect(lines(one.out)).toEqual(['1m2', '1m3']);
    const refused = await runCli(['consume', 'parts', '--from', '2'], { url: broker.url });
    expect(refused.code).toBe(2);
    expect(lines(refused.err)).toEqual([expect.stringMatching(/topic "parts" has 3 partitions: .*--partition N/)]);
    const last = await runCli(['consume', 'parts', '--from', '-1'], { url: broker.url });
    expect(lines(last.out).sort()).toEqual(['0m3', '1m3', '2m3']);
  });

  it('--from TIME, --from @MS and --since start at the first record stamped at or after that time in each partition', async () => {
    await createTopic(broker.url, 'stamped', 2);
    const now = Date.now();
    const t0 = Date.UTC(2026, 0, 1, 9);
    for (let p = 0; p < 2; p++) {
      await append(
        'stamped',
        [
          { value: `${p}-old`, timestamp: t0 },
          { value: `${p}-nine-thirty`, timestamp: t0 + 30 * 60_000 },
          { value: `${p}-recent`, timestamp: now - 60_000 },
        ],
        p,
      );
    }
    const iso = await runCli(['consume', 'stamped', '--from', '2026-01-01T09:15:00Z'], { url: broker.url });
    expect(iso.code).toBe(0);
    expect(lines(iso.out).sort()).toEqual(['0-nine-thirty', '0-recent', '1-nine-thirty', '1-recent']);
    const ms = await runCli(['consume', 'stamped', '--from', `@${t0 + 30 * 60_000}`, '--partition', '1'], { url: broker.url });
    expect(lines(ms.out)).toEqual(['1-nine-thirty', '1-recent']);
    const since = await runCli(['consume', 'stamped', '--since', '5m'], { url: broker.url });
    expect(since.code).toBe(0);
    expect(lines(since.out).sort()).toEqual(['0-recent', '1-recent']);
    const both = await runCli(['consume', 'stamped', '--since', '5m', '--from', 'earliest'], { url: broker.url });
    expect(both.code).toBe(2);
  });
});

describe('evq consume --group over partitions', () => {
  it('two members at once print each message exactly once; one killed, the survivor prints the rest', async () => {
    await createTopic(broker.url, 'shared', 3);
    const args = ['consume', 'shared', '--group', 'workers', '--follow', '--session-timeout', '1s'];
    const a = startCli(args, { url: broker.url, timeoutMs: 60_000 });
    const b = startCli(args, { url: broker.url, timeoutMs: 60_000 });
    await waitFor(
      async () => {
        const res = await fetch(`${broker.url}/groups/workers`);
        if (res.status !== 200) return false;
        const d = (await res.json()) as { members: Array<{ assignment: unknown[] }> };
        return d.members.length === 2 && d.members.every((m) => m.assignment.length > 0);
      },
      { what: 'both consumers to be members owning partitions' },
    );
    await append('shared', keyed(values(0, 120)));
    await waitFor(() => lines(a.out()).length + lines(b.out()).length >= 120, {
      what: () => `120 lines between them (${lines(a.out()).length} + ${lines(b.out()).length})`,
    });
    const first = [...lines(a.out()), ...lines(b.out())];
    expect(first).toHaveLength(120); // no duplicate
    expect(new Set(first)).toEqual(new Set(values(0, 120)));
    expect(lines(a.out()).length).toBeGreaterThan(0);
    expect(lines(b.out()).length).toBeGreaterThan(0);

    a.kill('SIGKILL');
    await a.done;
    await append('shared', keyed(values(120, 200)));
    // after a's session timeout (1 s) b owns every partition: it prints the new messages (and whatever a had
    // not committed), each at least once across the two
    await waitFor(() => values(120, 200).every((v) => lines(b.out()).includes(v)), {
      what: () => `b to print m120..m199 (${lines(b.out()).length} lines)`,
      timeoutMs: 20_000,
    });
    const printed = new Set([...lines(a.out()), ...lines(b.out())]);
    for (const v of values(0, 200)) expect(printed.has(v)).toBe(true);
    b.kill('SIGINT');
    expect((await b.done).code).toBe(0);
  });
});
