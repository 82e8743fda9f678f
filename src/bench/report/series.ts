/**
 * The per-second series of a result, for the charts over time: throughput (sent, published = acknowledged,
 * delivered, errors, from `timeline`) and latency (p50, p99 and max of each second, end to end and ack, from
 * `intervals`). Every series is aligned on the same seconds; a second without a figure is null.
 */

import { LatencyHistogram } from '../histogram.js';
import type { BenchResult, IntervalEntry } from '../result.js';

export interface LatencyOverTime {
  p50: (number | null)[];
  p99: (number | null)[];
  max: (number | null)[];
}

export interface TimeSeries {
  /** Seconds since the start of the measured phase (negative: warm-up). */
  seconds: number[];
  sent: number[];
  published: number[];
  delivered: number[];
  errors: number[];
  /** Null for a result without per-second histograms (evq-bench/1). */
  e2e: LatencyOverTime | null;
  ack: LatencyOverTime | null;
}

function latencyOf(intervals: readonly IntervalEntry[], seconds: readonly number[], kind: 'e2e' | 'ack'): LatencyOverTime | null {
  const bySecond = new Map(intervals.map((e) => [e.second, e[kind]]));
  const out: LatencyOverTime = { p50: [], p99: [], max: [] };
  let any = false;
  for (const s of seconds) {
    const encoded = bySecond.get(s);
    if (encoded === undefined || encoded.count === 0) {
      out.p50.push(null);
      out.p99.push(null);
      out.max.push(null);
      continue;
    }
    any = true;
    const h = LatencyHistogram.decode(encoded);
    out.p50.push(h.valueAt(50));
    out.p99.push(h.valueAt(99));
    out.max.push(encoded.max);
  }
  return any ? out : null;
}

export function timeSeriesOf(result: BenchResult): TimeSeries {
  const intervals = result.intervals ?? [];
  const set = new Set<number>(result.timeline.map((t) => t.second));
  for (const e of intervals) set.add(e.second);
  const seconds = [...set].sort((a, b) => a - b);
  const rows = new Map(result.timeline.map((t) => [t.second, t]));
  const pick = (key: 'sent' | 'acked' | 'delivered' | 'errors'): number[] => seconds.map((s) => rows.get(s)?.[key] ?? 0);
  return {
    seconds,
    sent: pick('sent'),
    published: pick('acked'),
    delivered: pick('delivered'),
    errors: pick('errors'),
    e2e: result.intervals === undefined ? null : latencyOf(intervals, seconds, 'e2e'),
    ack: result.intervals === undefined ? null : latencyOf(intervals, seconds, 'ack'),
  };
}

/** The per-second histograms of one kind merged into one (what the whole histogram must equal). */
export function mergeIntervals(intervals: readonly IntervalEntry[], kind: 'e2e' | 'ack'): LatencyHistogram {
  const out = new LatencyHistogram();
  for (const e of intervals) out.add(e[kind]);
  return out;
}
