/**
 * Stream multiplexing: one topic, many concurrent `evq subscribe` processes, each with its own predicate
 * (run on the broker). Each gets exactly its messages, in order; when they exit the broker holds none of
 * them. Spawns `bin/evq.js` from `dist/` against `evq serve --port 0` (at most 8 processes at once).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileFilter } from '../../src/core/filter/index.js';
import { postBatch } from '../helpers/broker.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../helpers/spawn-broker.js';
import { killCli, lines, runCli, startCli } from '../helpers/spawn-cli.js';
import { waitFor } from '../helpers/wait.js';

let broker: SpawnedBroker;

beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--fsync', 'interval'] });
});

afterEach(killCli);

afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});

async function subscribers(topic: string): Promise<number> {
  const body = (await (await fetch(`${broker.url}/topics`)).json()) as { topics: Array<{ topic: string; subscribers: number }> };
  return body.topics.find((t) => t.topic === topic)?.subscribers ?? 0;
}

const PREDICATES = [
  'value.region == "eu"',
  'value.region == "us" && value.amount > 500',
  'key in ["c-1", "c-2"]',
  'headers.kind == "refund"',
  'value.tags contains "vip"',
  'not (value.amount < 900)',
] as const;

describe('stream multiplexing', () => {
  it('each concurrent subscriber gets exactly the messages of its predicate, in order; then the broker holds none', async () => {
    const N = 2000;
    const regions = ['eu', 'us', 'ap'];
    const messages = Array.from({ length: N }, (_, i) => ({
      key: `c-${i % 7}`,
      headers: { kind: i % 11 === 0 ? 'refund' : 'sale' },
      value: JSON.stringify({ id: i, region: regions[i % 3], amount: (i * 37) % 1000, tags: i % 13 === 0 ? ['vip'] : [] }),
    }));
    // what each predicate must select, computed with the same filter language on this side
    const expected = PREDICATES.map((p) => {
      const match = compileFilter(p);
      return messages
        .map((m, offset) => ({ m, offset }))
        .filter(({ m, offset }) => match({ topic: 'mux', offset, timestamp: 0, key: m.key, headers: m.headers, value: m.value }))
        .map(({ offset }) => String(offset));
    });
    for (const e of expected) expect(e.length).toBeGreaterThan(10);

    await postBatch(broker.url, 'mux', ['warm-up']); // the topic exists; the subscribers start live at offset 1
    const subs = PREDICATES.map((p, i) =>
      startCli(['subscribe', 'mux', '--filter', p, '--count', String(expected[i]!.length), '--format', '{offset}', '--timeout', '20s'], {
        url: broker.url,
        timeoutMs: 25_000,
      }),
    );
    await waitFor(async () => (await subscribers('mux')) === PREDICATES.length, {
      timeoutMs: 15_000,
      what: 'every subscription to be live',
    });

    // one producer process, the messages as `consume --format json` lines
    const stdin = messages.map((m) => JSON.stringify(m)).join('\n');
    const produced = await runCli(['produce', 'mux', '--json'], { url: broker.url, stdin });
    expect(produced.code).toBe(0);
    expect(produced.err).toMatch(/^produced 2000 messages to mux \(offsets 1\.\.2000\)/);

    const results = await Promise.all(subs.map((s) => s.done));
    results.forEach((r, i) => {
      expect(r.code, `${PREDICATES[i]}: ${r.err}`).toBe(0);
      // offsets in the topic are 1 + the message's index (the warm-up record is offset 0)
      expect(lines(r.out)).toEqual(expected[i]!.map((o) => String(Number(o) + 1)));
    });
    await waitFor(async () => (await subscribers('mux')) === 0, { timeoutMs: 5000, what: 'the broker to drop every subscription' });
  });
});
