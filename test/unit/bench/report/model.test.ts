import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../../../src/bench/histogram.js';
import { SPECTRUM_X, bucketCounts, bucketOf, percentileOfX, spectrumOf } from '../../../../src/bench/report/histograms.js';
import { reportModelOf } from '../../../../src/bench/report/model.js';
import { mergeIntervals, timeSeriesOf } from '../../../../src/bench/report/series.js';
import { asSchema1, syntheticResult } from '../../../helpers/bench-result.js';

describe('the report data model', () => {
  it('the percentile spectrum: x on the nines scale from 0 % to 99.999 %, latency from the whole histogram', () => {
    expect(SPECTRUM_X[0]).toBe(1);
    expect(SPECTRUM_X.at(-1)).toBe(100_000);
    expect(percentileOfX(100_000)).toBeCloseTo(99.999, 9);
    for (const x of [2, 10, 100, 1000, 10_000]) expect(SPECTRUM_X).toContain(x);
    const h = new LatencyHistogram();
    for (let v = 1; v <= 1_000_000; v++) h.record(v);
    const points = spectrumOf(h);
    expect(points[SPECTRUM_X.indexOf(2)]).toBe(h.valueAt(50));
    expect(points[SPECTRUM_X.indexOf(100)]).toBe(h.valueAt(99));
    expect(points.at(-1)).toBe(h.valueAt(99.999));
    // never decreasing
    for (let i = 1; i < points.length; i++) expect(points[i] as number).toBeGreaterThanOrEqual(points[i - 1] as number);
    // few values: the points past what they can tell are null
    const small = new LatencyHistogram();
    for (let v = 1; v <= 50; v++) small.record(v * 10);
    const some = spectrumOf(small);
    expect(some[SPECTRUM_X.indexOf(50)]).toBe(small.valueAt(98));
    expect(some.at(-1)).toBeNull();
  });

  it('a run: header, checks, spectrum equal to the JSON, timeline and latency per second, buckets', () => {
    const result = syntheticResult({ seconds: 12, rate: 500, warmupSeconds: 2 });
    const model = reportModelOf([{ label: 'run', result }]);
    const run = model.runs[0]!;
    const header = Object.fromEntries(run.header);
    expect(header).toMatchObject({
      broker: 'http://127.0.0.1:7070 (embedded, in memory)',
      transport: 'ws',
      date: result.startedAt,
      evq: '0.1.0',
      'evq commit': result.machine.versions.evqCommit,
      command: 'evq bench --embedded --duration 12s',
    });
    expect(run.checks.every((c) => c.ok)).toBe(true);
    expect(run.checks.map((c) => c.name)).toEqual(['lost', 'duplicated', 'reordered', 'unexpected', 'errors', 'threshold p99<1s']);
    expect(run.exactSpectrum).toBe(true);
    // the spectrum's p50 / p99 are the JSON's percentiles (the same histogram)
    expect(run.spectrum.e2e[SPECTRUM_X.indexOf(2)]).toBe(result.latency.e2e.p50);
    expect(run.spectrum.e2e[SPECTRUM_X.indexOf(100)]).toBe(result.latency.e2e.p99);
    expect(run.spectrum.ack[SPECTRUM_X.indexOf(1000)]).toBe(result.latency.ack['p99.9']);
    // the timeline: warm-up seconds first, per second series aligned
    expect(run.timeline.seconds).toEqual(Array.from({ length: 14 }, (_, i) => i - 2));
    expect(run.timeline.published.every((n) => n === 500)).toBe(true);
    expect(run.warmupSeconds).toBe(2);
    const e2e = run.timeline.e2e!;
    expect(e2e.p50.slice(0, 2)).toEqual([null, null]);
    for (const [i, s] of run.timeline.seconds.entries()) {
      if (s < 0) continue;
      const second = LatencyHistogram.decode(result.intervals!.find((e) => e.second === s)!.e2e);
      expect([s, e2e.p50[i], e2e.p99[i], e2e.max[i]]).toEqual([s, second.valueAt(50), second.valueAt(99), second.encode().max]);
    }
    // the stall in the middle shows in p99 over time
    const p99s = e2e.p99.filter((x): x is number => x !== null);
    expect(Math.max(...p99s)).toBeGreaterThan(2 * (p99s[0] as number));
    // the seconds merged are the whole histogram
    expect(mergeIntervals(result.intervals!, 'e2e').summary()).toEqual(result.latency.e2e);
    // buckets: every value counted once, in its log bucket
    const buckets = run.buckets!;
    expect(buckets.e2e.reduce((n, [, c]) => n + c, 0)).toBe(result.latency.e2e.count);
    expect(buckets.e2e[0]![0]).toBe(bucketOf(result.latency.e2e.min));
    expect(run.producers.map((p) => p.name)).toEqual(['producer 0', 'producer 1']);
    expect(run.subscribers[1]).toMatchObject({ name: 'subscriber 1', msgsPerSec: 495 });
    expect(model.differences).toEqual([]);
  });

  it('an evq-bench/1 result still makes a model, from its percentiles', () => {
    const old = asSchema1(syntheticResult({ seconds: 5, rate: 200 }));
    const run = reportModelOf([{ label: 'old', result: old }]).runs[0]!;
    expect(run.exactSpectrum).toBe(false);
    const known = run.spectrum.e2e.filter((x) => x !== null);
    expect(known).toEqual([
      old.latency.e2e.min,
      old.latency.e2e.p50,
      old.latency.e2e.p90,
      old.latency.e2e.p99,
      old.latency.e2e['p99.9'],
      old.latency.e2e['p99.99'],
      old.latency.e2e.max,
    ]);
    expect(run.timeline.e2e).toBeNull();
    expect(run.buckets).toBeNull();
    expect(Object.fromEntries(run.header)).toMatchObject({ command: '(not recorded)', 'evq commit': 'unknown', schema: 'evq-bench/1' });
    expect(timeSeriesOf(old).published.length).toBe(old.timeline.length);
  });

  it('two runs: both in the model, and a row of differences per figure', () => {
    const a = syntheticResult({ seconds: 4, rate: 300, seed: 1 });
    const b = syntheticResult({ seconds: 4, rate: 600, seed: 2, medianUs: 1600 });
    const model = reportModelOf([
      { label: 'evq serve', result: a },
      { label: 'jetstream', result: b },
    ]);
    expect(model.runs.map((r) => r.label)).toEqual(['evq serve', 'jetstream']);
    expect(model.title).toBe('evq bench · evq serve vs jetstream');
    const row = model.differences.find((d) => d.name === 'published msgs/s')!;
    expect(row).toEqual({ name: 'published msgs/s', unit: 'rate', better: 'higher', values: [300, 600] });
    expect(model.differences.find((d) => d.name === 'e2e p99')!.values).toEqual([a.latency.e2e.p99, b.latency.e2e.p99]);
  });

  it('bucket counts of a histogram sum to its count', () => {
    const h = new LatencyHistogram();
    for (const v of [0, 1, 5, 9, 10, 11, 99, 100, 12345, 9_999_999]) h.record(v);
    const counts = bucketCounts(h);
    expect([...counts.values()].reduce((n, c) => n + c, 0)).toBe(10);
    expect(counts.get(0)).toBe(2);
    expect(counts.get(10)).toBe(2); // 10 and 11
  });
});
