/**
 * `evq bench` on topics of several partitions and with consumer-group readers, against a real broker: the
 * topic is created with the partitions asked for, every message arrives exactly once and in order per
 * producer per partition, and a group's members read each message once between them.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../../src/bench/runner.js';
import { benchTopic, parseScenario, type ScenarioInput } from '../../../src/bench/scenario.js';
import type { BenchResult } from '../../../src/bench/result.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { validate } from '../../helpers/json-schema.js';

const schema = JSON.parse(readFileSync(new URL('../../../docs/bench-result.schema.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ fsync: 'never' });
});
afterAll(async () => {
  await broker.close();
});

async function run(input: Omit<ScenarioInput, 'url'>): Promise<BenchResult> {
  const result = await runBench(parseScenario({ url: broker.url, timeoutMs: 5000, ...input }), { evqVersion: '0.1.0' });
  return JSON.parse(JSON.stringify(result)) as BenchResult;
}

async function partitionsOf(topic: string): Promise<number[]> {
  const reply = await fetch(`${broker.url}/topics/${topic}`);
  const body = (await reply.json()) as { partitions: { endOffset: number }[] };
  return body.partitions.map((p) => p.endOffset);
}

describe('evq bench --partitions', () => {
  it('3 partitions, 2 producers → 2 subscribers: created with 3, every message once, in order per partition', async () => {
    const topic = benchTopic();
    // small batches, so that each producer's messages go to every partition (sticky per batch)
    const result = await run({ topic, partitions: 3, producers: 2, subscribers: 2, messages: 6000, batchSize: 50 });
    const ends = await partitionsOf(topic);
    expect(ends).toHaveLength(3);
    for (const end of ends) expect(end).toBeGreaterThan(0); // every partition got some of each run
    expect(result.config).toMatchObject({ partitions: 3, group: null, members: null });
    const v = result.verification;
    expect(v).toMatchObject({ partitions: 3, published: 6000, expected: 12_000, delivered: 12_000, lost: 0, duplicated: 0, reordered: 0 });
    expect(result.ok).toBe(true);
    expect(validate(schema, result)).toEqual([]);
  });

  it('a topic that exists with another count stops the run in one line; without --partitions it is used as it is', async () => {
    const topic = benchTopic();
    await run({ topic, partitions: 2, messages: 200 });
    await expect(run({ topic, partitions: 4, messages: 200 })).rejects.toThrow(
      `topic "${topic}" exists with 2 partitions, not 4: give another --topic, leave --partitions out to use it as it is, or grow it first (evq topics alter)`,
    );
    const again = await run({ topic, messages: 500, batchSize: 20 });
    expect(again.config.partitions).toBeNull();
    expect(again.verification).toMatchObject({ partitions: 2, delivered: 500, lost: 0, duplicated: 0, reordered: 0 });
  });

  it('a 1-partition run reads through the client subscription as before, and says it has 1 partition', async () => {
    const result = await run({ messages: 1000 });
    expect(result.config.partitions).toBeNull();
    expect(result.verification).toMatchObject({ partitions: 1, delivered: 1000, lost: 0, ok: true });
  });
});

describe('evq bench --group --members', () => {
  it('1 member on a 1-partition topic: every message once, expected = published', async () => {
    const result = await run({ group: 'bench-g1', members: 1, messages: 3000 });
    expect(result.config).toMatchObject({ group: 'bench-g1', members: 1, subscribers: 1 });
    expect(result.verification).toMatchObject({ published: 3000, expected: 3000, delivered: 3000, lost: 0, duplicated: 0, reordered: 0 });
    expect(result.ok).toBe(true);
    expect(validate(schema, result)).toEqual([]);
  });

  it('6 partitions, 3 members: the members share the partitions, every message once across them', async () => {
    const result = await run({ partitions: 6, group: 'bench-g6', members: 3, durationMs: 2000, batchSize: 100 });
    expect(result.verification).toMatchObject({ partitions: 6, lost: 0, duplicated: 0, reordered: 0 });
    expect(result.verification.delivered).toBe(result.verification.published);
    expect(result.clients.subscribers).toHaveLength(3);
    for (const member of result.clients.subscribers) expect(member.received).toBeGreaterThan(0);
  });
});
