/**
 * Latency histograms in microseconds: HdrHistogram (hdr-histogram-js, 3 significant digits, auto-resizing) with
 * the exact minimum, maximum, count and sum kept beside it, so a run of any length holds a few tens of KiB per
 * histogram instead of an array of samples.
 *
 * Recording is on the hot path of every message, and hdr-histogram-js's `recordValue` costs ~120 ns. So values
 * are first counted in a plain `Uint32Array` indexed by HdrHistogram's own bucket (computed with `Math.clz32`),
 * and moved into the HdrHistogram (`recordValueWithCount`, one call per non-empty bucket) whenever the histogram
 * is read or encoded. Because HdrHistogram keeps nothing but a count per bucket, a histogram filled this way is
 * identical to one that recorded every value itself.
 *
 * Merging is exact: worker threads send `encode()` (HdrHistogram's compressed base64 plus the exact figures),
 * and `add` sums the bucket counts — the merged histogram is the one a single thread recording every value
 * would have built (tested).
 */

import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

/** Significant decimal digits of every histogram: values are told apart within 0.1 %. */
export const SIGNIFICANT_DIGITS = 3;
/** HdrHistogram's half sub-bucket count for 3 digits (2048 sub-buckets per bucket, the lower half shared). */
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_COUNT = 2048;
const SUB_BUCKET_HALF_COUNT = 1024;
/** Values from here on (71 minutes in µs) skip the fast counts and go to HdrHistogram directly. */
const FAST_LIMIT = 2 ** 32;

/** The percentiles every report gives. */
export const PERCENTILES = [50, 90, 99, 99.9, 99.99] as const;

/** A latency distribution in microseconds, as the reports and `--json` give it. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p99: number;
  'p99.9': number;
  'p99.99': number;
  max: number;
}

/** A histogram as it crosses a thread boundary (structured-clone safe). */
export interface EncodedHistogram {
  /** HdrHistogram's compressed base64 encoding (empty when nothing was recorded). */
  hdr: string;
  count: number;
  min: number;
  max: number;
  /** Sum of the recorded values (whole microseconds: exact below 2^53). */
  sum: number;
}

function newHdr(): Histogram {
  return build({
    bitBucketSize: 64,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
  });
}

/** Index of the fast-count slot of `us` (0 ≤ us < 2^32): one slot per HdrHistogram bucket. */
function fastIndex(us: number): number {
  if (us < SUB_BUCKET_COUNT) return us;
  const shift = 31 - Math.clz32(us) - SUB_BUCKET_HALF_MAGNITUDE;
  return SUB_BUCKET_COUNT + (shift - 1) * SUB_BUCKET_HALF_COUNT + ((us >>> shift) - SUB_BUCKET_HALF_COUNT);
}

/** The lowest value of the HdrHistogram bucket of fast-count slot `index` (recorded in its place). */
function fastValue(index: number): number {
  if (index < SUB_BUCKET_COUNT) return index;
  const rest = index - SUB_BUCKET_COUNT;
  const shift = Math.floor(rest / SUB_BUCKET_HALF_COUNT) + 1;
  const sub = (rest % SUB_BUCKET_HALF_COUNT) + SUB_BUCKET_HALF_COUNT;
  return sub * 2 ** shift;
}

export class LatencyHistogram {
  #hdr: Histogram | undefined;
  /** Counts not yet moved into the HdrHistogram, by fast index; grown on demand. */
  #fast = new Uint32Array(SUB_BUCKET_COUNT);
  #fastHigh = -1;
  #pending = 0;
  #count = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;
  #sum = 0;

  /** Records one latency in whole microseconds (negative values count as 0; fractions are rounded). */
  record(us: number): void {
    if (!(us > 0)) us = 0;
    else if (!Number.isInteger(us)) us = Math.round(us);
    this.#count++;
    this.#sum += us;
    if (us < this.#min) this.#min = us;
    if (us > this.#max) this.#max = us;
    if (us >= FAST_LIMIT) {
      this.#hdrNow().recordValue(us);
      return;
    }
    const index = fastIndex(us);
    let fast = this.#fast;
    if (index >= fast.length) {
      let size = fast.length * 2;
      while (size <= index) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(fast);
      this.#fast = fast = grown;
    }
    fast[index] = (fast[index] as number) + 1;
    if (index > this.#fastHigh) this.#fastHigh = index;
    // a slot never gets near 2^32: move the counts over well before
    if (++this.#pending >= 0x40000000) this.#flush();
  }

  get count(): number {
    return this.#count;
  }

  /** Adds every value of `other` (another histogram, or one encoded in another thread). Exact. */
  add(other: LatencyHistogram | EncodedHistogram): void {
    if (other instanceof LatencyHistogram) {
      if (other.#count === 0) return;
      this.#hdrNow().add(other.#hdrNow());
      this.#merge(other.#count, other.#min, other.#max, other.#sum);
      return;
    }
    if (other.count === 0) return;
    this.#hdrNow().add(decodeFromCompressedBase64(other.hdr, 64));
    this.#merge(other.count, other.min, other.max, other.sum);
  }

  /** The histogram as plain data for another thread (see {@link LatencyHistogram.decode}). */
  encode(): EncodedHistogram {
    if (this.#count === 0) return { hdr: '', count: 0, min: 0, max: 0, sum: 0 };
    return { hdr: encodeIntoCompressedBase64(this.#hdrNow()), count: this.#count, min: this.#min, max: this.#max, sum: this.#sum };
  }

  static decode(encoded: EncodedHistogram): LatencyHistogram {
    const histogram = new LatencyHistogram();
    histogram.add(encoded);
    return histogram;
  }

  /** The value (µs) at `percentile` (0–100): the highest value equivalent to it, never above the exact max. */
  valueAt(percentile: number): number {
    if (this.#count === 0) return 0;
    return Math.min(this.#max, this.#hdrNow().getValueAtPercentile(percentile));
  }

  summary(): LatencySummary {
    if (this.#count === 0) {
      return { count: 0, min: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0, 'p99.9': 0, 'p99.99': 0, max: 0 };
    }
    const hdr = this.#hdrNow();
    return {
      count: this.#count,
      min: this.#min,
      mean: round3(this.#sum / this.#count),
      stddev: round3(hdr.stdDeviation),
      p50: this.valueAt(50),
      p90: this.valueAt(90),
      p99: this.valueAt(99),
      'p99.9': this.valueAt(99.9),
      'p99.99': this.valueAt(99.99),
      max: this.#max,
    };
  }

  /** The HdrHistogram itself, with every recorded value in it (for tests and percentile dumps). */
  hdr(): Histogram {
    return this.#hdrNow();
  }

  #merge(count: number, min: number, max: number, sum: number): void {
    this.#count += count;
    this.#sum += sum;
    if (min < this.#min) this.#min = min;
    if (max > this.#max) this.#max = max;
  }

  #hdrNow(): Histogram {
    if (this.#pending > 0) this.#flush();
    return (this.#hdr ??= newHdr());
  }

  /** Moves the fast counts into the HdrHistogram. */
  #flush(): void {
    const hdr = (this.#hdr ??= newHdr());
    const fast = this.#fast;
    const high = this.#fastHigh;
    for (let i = 0; i <= high; i++) {
      const n = fast[i] as number;
      if (n !== 0) {
        hdr.recordValueWithCount(fastValue(i), n);
        fast[i] = 0;
      }
    }
    this.#fastHigh = -1;
    this.#pending = 0;
  }
}

function round3(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : 0;
}
