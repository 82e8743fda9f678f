import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../../src/bench/histogram.js';
import { IntervalHistograms } from '../../../src/bench/intervals.js';
import { mergeIntervals } from '../../../src/bench/report/series.js';

const PERCENTILES = [0, 10, 50, 90, 99, 99.9, 99.99, 100];

function same(a: LatencyHistogram, b: LatencyHistogram): void {
  expect(a.encode()).toMatchObject({ count: b.count, min: b.encode().min, max: b.encode().max, sum: b.encode().sum });
  for (const p of PERCENTILES) expect([p, a.valueAt(p)]).toEqual([p, b.valueAt(p)]);
  expect(a.summary()).toEqual(b.summary());
}

describe('IntervalHistograms', () => {
  it('the seconds merged equal one histogram of every value (a late value, two threads, 30 s)', () => {
    const threads = [new IntervalHistograms(), new IntervalHistograms()];
    for (const t of threads) t.start(1000);
    const everything = new LatencyHistogram();
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 60_000; i++) {
      // time moves on (30 s), with a value now and then timed a second late
      const at = 1000 + (i / 60_000) * 30_000 - (i % 97 === 0 ? 1500 : 0);
      const us = Math.round(50 + rnd() ** 4 * 2_000_000);
      (threads[i % 2] as IntervalHistograms).record(i % 3 === 0 ? 'ack' : 'e2e', at, us);
      if (i % 3 !== 0) everything.record(us);
    }
    const merged = new IntervalHistograms();
    for (const t of threads) merged.merge(t.entries());
    const entries = merged.entries();
    // the first value is 1.5 s early: second -2
    expect(entries.map((e) => e.second)).toEqual(Array.from({ length: 32 }, (_, s) => s - 2));
    same(mergeIntervals(entries, 'e2e'), everything);
    expect(entries.reduce((n, e) => n + e.ack.count, 0)).toBe(20_000);
  });

  it('each second holds its own values', () => {
    const h = new IntervalHistograms();
    h.start(0);
    h.record('e2e', 100, 10);
    h.record('e2e', 1100, 2000);
    h.record('e2e', 1200, 3000);
    h.record('ack', 5500, 7);
    const entries = h.entries();
    expect(entries.map((e) => [e.second, e.e2e.count, e.e2e.max, e.ack.count])).toEqual([
      [0, 1, 10, 0],
      [1, 2, 3000, 0],
      [5, 0, 0, 1],
    ]);
  });
});
