import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../../src/bench/result.js';
import { evaluateThresholds, parseThreshold } from '../../../src/bench/thresholds.js';
import { EvqError } from '../../../src/errors.js';

const lat = (p99: number) => ({ count: 10, min: 1, mean: 2, stddev: 1, p50: 2, p90: 3, p99, 'p99.9': p99, 'p99.99': p99, max: p99 });

/** Just the figures thresholds read. */
function result(over: {
  e2eP99?: number;
  ackP99?: number;
  rate?: number;
  deliver?: number;
  lost?: number;
  errors?: number;
  e2eCount?: number;
}): BenchResult {
  return {
    latency: {
      unit: 'us',
      e2e: { ...lat(over.e2eP99 ?? 4000), count: over.e2eCount ?? 10 },
      e2eUncorrected: lat(3000),
      ack: lat(over.ackP99 ?? 2000),
      sendLag: lat(10),
    },
    publish: { msgsPerSec: over.rate ?? 120_000 },
    deliver: { msgsPerSec: over.deliver ?? 119_000 },
    verification: { lost: over.lost ?? 0, duplicated: 0, reordered: 0, unexpected: 0 },
    errors: over.errors === undefined ? [] : [{ client: 'producer 0', code: 'EVQ_ERR_CLOSED', message: 'x', count: over.errors }],
  } as unknown as BenchResult;
}

describe('thresholds', () => {
  it('reads latencies in us, ms or s (bare numbers are ms), rates with k and M, and counts', () => {
    expect(parseThreshold('p99<5ms')).toMatchObject({ metric: 'e2e.p99', op: '<', limit: 5000 });
    expect(parseThreshold(' p99.9 <= 800us ')).toMatchObject({ metric: 'e2e.p99.9', op: '<=', limit: 800, expression: 'p99.9 <= 800us' });
    expect(parseThreshold('max<1.5s')).toMatchObject({ metric: 'e2e.max', limit: 1_500_000 });
    expect(parseThreshold('p50<2')).toMatchObject({ limit: 2000 });
    expect(parseThreshold('uncorrected.p99<3ms')).toMatchObject({ metric: 'uncorrected.p99' });
    expect(parseThreshold('ack.p99<3ms')).toMatchObject({ metric: 'ack.p99' });
    expect(parseThreshold('lag.max<1ms')).toMatchObject({ metric: 'lag.max' });
    expect(parseThreshold('rate>100000')).toMatchObject({ metric: 'publish.rate', op: '>', limit: 100_000 });
    expect(parseThreshold('deliver.rate>=1.5M')).toMatchObject({ metric: 'deliver.rate', limit: 1_500_000 });
    expect(parseThreshold('publish.rate>100k')).toMatchObject({ limit: 100_000 });
    expect(parseThreshold('lost==0')).toMatchObject({ metric: 'lost', op: '==', limit: 0 });
    expect(parseThreshold('errors!=3')).toMatchObject({ op: '!=', limit: 3 });
  });

  it('a bad threshold is a usage error that says what is accepted', () => {
    for (const [text, why] of [
      ['p99', /expected METRIC OP VALUE/],
      ['p98<5ms', /unknown metric "p98"/],
      ['p99<5 ms', /expected METRIC OP VALUE/],
      ['p99<5min', /expected a latency like 800us, 5ms or 1.5s/],
      ['rate>fast', /expected messages per second/],
      ['lost==0.5', /expected a whole number/],
    ] as const) {
      let error: unknown;
      try {
        parseThreshold(text);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(EvqError);
      expect((error as EvqError).exitCode).toBe(2);
      expect((error as EvqError).message).toMatch(why);
    }
  });

  it('judges each threshold against the result, with the figure it read', () => {
    const thresholds = ['p99<5ms', 'ack.p99<1ms', 'rate>100k', 'deliver.rate>=119000', 'lost==0', 'errors==0'].map(parseThreshold);
    const outcomes = evaluateThresholds(thresholds, result({ errors: 2 }));
    expect(outcomes.map((o) => [o.expression, o.actual, o.ok])).toEqual([
      ['p99<5ms', 4000, true],
      ['ack.p99<1ms', 2000, false],
      ['rate>100k', 120_000, true],
      ['deliver.rate>=119000', 119_000, true],
      ['lost==0', 0, true],
      ['errors==0', 2, false],
    ]);
  });

  it('a figure the run does not have breaks its threshold', () => {
    const [outcome] = evaluateThresholds([parseThreshold('p99<5ms')], result({ e2eCount: 0 }));
    expect(outcome).toMatchObject({ actual: null, ok: false });
  });
});
