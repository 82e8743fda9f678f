import { build } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../../src/bench/histogram.js';

/** A deterministic spread of latencies from 0 µs to ~2 minutes (xorshift). */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const magnitude = s % 28; // 2^0 … 2^27 µs
    out.push(Math.floor((s / 2 ** 32) * 2 ** magnitude));
  }
  return out;
}

/**
 * The whole distribution as HdrHistogram prints it (every percentile step with its value and count), less
 * the footer's raw max: that one is kept exactly beside the buckets instead (summary().max).
 */
function distribution(h: { outputPercentileDistribution(): string }): string {
  return h
    .outputPercentileDistribution()
    .split('\n')
    .filter((line) => !line.startsWith('#[Max'))
    .join('\n');
}

describe('LatencyHistogram', () => {
  it('is exactly the HdrHistogram that recorded every value itself (fast counts moved bucket for bucket)', () => {
    const list = values(200_000, 7);
    const ours = new LatencyHistogram();
    const reference = build({
      bitBucketSize: 64,
      autoResize: true,
      lowestDiscernibleValue: 1,
      highestTrackableValue: 2,
      numberOfSignificantValueDigits: 3,
    });
    for (const v of list) {
      ours.record(v);
      reference.recordValue(v);
    }
    const hdr = ours.hdr();
    expect(hdr.totalCount).toBe(reference.totalCount);
    expect(distribution(hdr)).toBe(distribution(reference));
    expect(hdr.stdDeviation).toBe(reference.stdDeviation);
    const max = list.reduce((a, b) => Math.max(a, b), 0);
    for (const p of [0, 1, 25, 50, 75, 90, 99, 99.9, 99.99, 99.999, 100]) {
      expect(ours.valueAt(p)).toBe(Math.min(reference.getValueAtPercentile(p), max));
    }
    expect(ours.summary().max).toBe(max);
  });

  it('keeps the exact count, min, max and mean beside the buckets', () => {
    const h = new LatencyHistogram();
    for (const v of [5, 1234, 99_999, 3, 42]) h.record(v);
    const s = h.summary();
    expect(s).toMatchObject({ count: 5, min: 3, max: 99_999, mean: (5 + 1234 + 99_999 + 3 + 42) / 5 });
    expect(s.p50).toBe(42);
    expect(s['p99.99']).toBeLessThanOrEqual(99_999);
    expect(s.p99).toBeGreaterThanOrEqual(99_999 * 0.999);
  });

  it('counts negative values as 0, rounds fractions, and takes values past 71 minutes', () => {
    const h = new LatencyHistogram();
    h.record(-5);
    h.record(2.6);
    h.record(5 * 3_600_000_000);
    expect(h.summary()).toMatchObject({ count: 3, min: 0, max: 5 * 3_600_000_000 });
    expect(h.valueAt(0)).toBe(0);
    expect(h.valueAt(50)).toBe(3);
  });

  it('an empty histogram summarises to zeros and encodes to nothing', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual({ count: 0, min: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0, 'p99.9': 0, 'p99.99': 0, max: 0 });
    expect(h.encode()).toEqual({ hdr: '', count: 0, min: 0, max: 0, sum: 0 });
    const merged = new LatencyHistogram();
    merged.add(h.encode());
    expect(merged.count).toBe(0);
  });

  it('merging across workers is exact: encoded parts added up equal one histogram of every value', () => {
    const parts = [values(50_000, 1), values(80_000, 2), values(1, 3), [], values(30_000, 4)];
    const single = new LatencyHistogram();
    const merged = new LatencyHistogram();
    for (const part of parts) {
      const worker = new LatencyHistogram();
      for (const v of part) {
        worker.record(v);
        single.record(v);
      }
      // what crosses the thread boundary: structured-clone-safe plain data
      merged.add(structuredClone(worker.encode()));
    }
    expect(merged.count).toBe(single.count);
    expect(merged.summary()).toEqual(single.summary());
    expect(distribution(merged.hdr())).toBe(distribution(single.hdr()));
    // and merging in another order gives the same
    const reversed = new LatencyHistogram();
    for (const part of [...parts].reverse()) {
      const worker = new LatencyHistogram();
      for (const v of part) worker.record(v);
      reversed.add(LatencyHistogram.decode(worker.encode()));
    }
    expect(reversed.summary()).toEqual(single.summary());
  });
});
