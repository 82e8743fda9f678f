/**
 * The result `--json` writes validates against its documented schema (docs/bench-result.schema.json,
 * described in docs/BENCH-SCHEMA.md), for the shapes a run can take: ws with subscribers, a filter,
 * thresholds and a warm-up; http without subscribers; a run with errors.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../../src/bench/runner.js';
import { parseScenario, type ScenarioInput } from '../../../src/bench/scenario.js';
import type { BenchResult } from '../../../src/bench/result.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { validate } from '../../helpers/json-schema.js';
import { mergeIntervals } from '../../../src/bench/report/series.js';
import { LatencyHistogram } from '../../../src/bench/histogram.js';

const schema = JSON.parse(readFileSync(new URL('../../../docs/bench-result.schema.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ memory: true, maxMessageBytes: 4096 });
});
afterAll(async () => {
  await broker.close();
});

async function resultOf(input: Omit<ScenarioInput, 'url'>): Promise<BenchResult> {
  const result = await runBench(parseScenario({ url: broker.url, ...input }), { evqVersion: '0.1.0' });
  return JSON.parse(JSON.stringify(result)) as BenchResult;
}

describe('--json result schema', () => {
  it('ws, 2 → 2, filter, thresholds, warm-up, a rate', async () => {
    const result = await resultOf({
      producers: 2,
      subscribers: 2,
      messages: 2000,
      rate: 10_000,
      warmupMs: 100,
      filter: 'value.n > 3',
      matchRatio: 0.5,
      thresholds: ['p99<10s', 'lost==0', 'rate>1'],
    });
    expect(validate(schema, result)).toEqual([]);
    expect(result.thresholds).toHaveLength(3);
    expect(result.timeline.some((s) => s.second < 0)).toBe(true);
    // evq-bench/2: the whole histograms are the summaries', and the seconds merged give them back exactly
    expect(result.schema).toBe('evq-bench/2');
    for (const kind of ['e2e', 'e2eUncorrected', 'ack', 'sendLag'] as const)
      expect(LatencyHistogram.decode(result.histograms![kind]).summary()).toEqual(result.latency[kind]);
    expect(mergeIntervals(result.intervals!, 'e2e').summary()).toEqual(result.latency.e2e);
    expect(mergeIntervals(result.intervals!, 'ack').summary()).toEqual(result.latency.ack);
    expect(result.intervals!.every((e) => e.second >= 0)).toBe(true);
  });

  it('http without subscribers, and a run with errors', async () => {
    expect(validate(schema, await resultOf({ transport: 'http', subscribers: 0, messages: 500 }))).toEqual([]);
    const failed = await resultOf({ messages: 10, size: 8000, drainTimeoutMs: 200 });
    expect(failed.errors.length).toBeGreaterThan(0);
    expect(validate(schema, failed)).toEqual([]);
  });

  it('the schema bites: a missing field, a wrong type or an unknown field is reported', async () => {
    const result = await resultOf({ messages: 100 });
    const broken = structuredClone(result) as unknown as Record<string, any>;
    delete broken.verification.lost;
    broken.latency.e2e.p99 = '3ms';
    broken.publish.extra = 1;
    broken.config.transport = 'udp';
    expect(validate(schema, broken)).toEqual([
      '$.config.transport: expected one of ["ws","nats","kafka","http"], got "udp"',
      '$.publish: unexpected "extra"',
      '$.latency.e2e.p99: expected number, got string',
      '$.verification: missing "lost"',
    ]);
  });
});
