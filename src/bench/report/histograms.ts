/**
 * What the report reads out of a result's histograms: the percentile spectrum (latency by percentile on the
 * log "nines" scale of HdrHistogram's plotter: x = 1 / (1 − p), 0 % → 99.999 %) and the count per latency
 * bucket (log-spaced, 10 buckets a decade). From the whole histogram when the result has it (evq-bench/2), else
 * from its percentiles (evq-bench/1: a few points, the max standing at 99.999 %).
 */

import { JsHistogram } from 'hdr-histogram-js';
import { LatencyHistogram, type EncodedHistogram, type LatencySummary } from '../histogram.js';

/** The top of the spectrum's x axis: 1 / (1 − 0.99999). */
export const SPECTRUM_MAX_X = 100_000;

/** The x positions of the spectrum (1 / (1 − p)): 10 a decade on round values, 1 (0 %) to 100,000 (99.999 %). */
export const SPECTRUM_X: readonly number[] = (() => {
  const steps = [1, 1.25, 1.6, 2, 2.5, 3.2, 4, 5, 6.3, 8];
  const out: number[] = [];
  for (let decade = 1; decade < SPECTRUM_MAX_X; decade *= 10) for (const s of steps) out.push(s * decade);
  out.push(SPECTRUM_MAX_X);
  return out;
})();

/** The percentile (0–100) at spectrum position x. */
export function percentileOfX(x: number): number {
  return 100 * (1 - 1 / x);
}

/** Latency (µs) at each of SPECTRUM_X (null where the histogram has too few values to tell that percentile). */
export function spectrumOf(h: LatencyHistogram): (number | null)[] {
  if (h.count === 0) return SPECTRUM_X.map(() => null);
  // a percentile needs about 1 / (1 − p) values to be more than the max: stop one point past that
  return SPECTRUM_X.map((x, i) => (i === 0 || (SPECTRUM_X[i - 1] as number) <= h.count ? h.valueAt(percentileOfX(x)) : null));
}

/** The few points an evq-bench/1 result gives: min, p50 … p99.99, and its max at 99.999 %. */
export function spectrumOfSummary(s: LatencySummary): (number | null)[] {
  if (s.count === 0) return SPECTRUM_X.map(() => null);
  const known = new Map<number, number>([
    [1, s.min],
    [2, s.p50],
    [10, s.p90],
    [100, s.p99],
    [1000, s['p99.9']],
    [10_000, s['p99.99']],
    [SPECTRUM_MAX_X, s.max],
  ]);
  return SPECTRUM_X.map((x) => known.get(x) ?? null);
}

/** Histogram buckets a decade. */
export const BUCKETS_PER_DECADE = 10;

/** Bucket k holds [10^(k/10), 10^((k+1)/10)) µs; 0 µs counts in the bucket of 1 µs. */
export function bucketOf(us: number): number {
  return us < 1 ? 0 : Math.floor(Math.log10(us) * BUCKETS_PER_DECADE + 1e-9);
}

export function bucketLowUs(k: number): number {
  return 10 ** (k / BUCKETS_PER_DECADE);
}

/** Count per log bucket: bucket index → count (only non-empty buckets). */
export function bucketCounts(h: LatencyHistogram): Map<number, number> {
  const out = new Map<number, number>();
  if (h.count === 0) return out;
  const hdr = h.hdr();
  if (!(hdr instanceof JsHistogram)) return out;
  const it = hdr.recordedValuesIterator;
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    const k = bucketOf(hdr.medianEquivalentValue(v.valueIteratedTo));
    out.set(k, (out.get(k) ?? 0) + v.countAtValueIteratedTo);
  }
  return out;
}

/** A decoded histogram (empty for a missing or empty one). */
export function decoded(encoded: EncodedHistogram | undefined): LatencyHistogram {
  return encoded === undefined ? new LatencyHistogram() : LatencyHistogram.decode(encoded);
}
