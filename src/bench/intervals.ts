/**
 * Latency per second of the run (the `intervals` of the result): one HdrHistogram per second and per kind —
 * end to end (by the second a message was received) and acknowledgement (by the second it was acknowledged),
 * measured messages only — so that latency over time is exact (p50, p99, max of each second) and the seconds
 * merged give back the whole histogram (tested).
 *
 * Only the last two seconds are kept as live histograms (a value may be timed a moment after a later one);
 * an older second is encoded (HdrHistogram's compressed base64, a few hundred bytes) and its memory given
 * back, so a long run costs about a kilobyte per second, not a histogram's tens of kilobytes.
 */

import { LatencyHistogram, type EncodedHistogram } from './histogram.js';

/** One second of latencies, as the result gives it. */
export interface IntervalEntry {
  /** Seconds since the start of the measured phase (as the timeline counts them). */
  second: number;
  /** End to end (corrected for coordinated omission), by the second of receipt. */
  e2e: EncodedHistogram;
  /** Send to acknowledgement, by the second of the acknowledgement. */
  ack: EncodedHistogram;
}

export const INTERVAL_KINDS = ['e2e', 'ack'] as const;
export type IntervalKind = (typeof INTERVAL_KINDS)[number];

/** The seconds still recorded into as live histograms (older ones are encoded). */
const OPEN_SECONDS = 2;

/** One kind's seconds. */
class Seconds {
  readonly open = new Map<number, LatencyHistogram>();
  /** Encoded parts per second (more than one when a late value reopened it, or from other threads). */
  readonly closed = new Map<number, EncodedHistogram[]>();
  #second = Number.NaN;
  #current: LatencyHistogram | undefined;

  record(second: number, us: number): void {
    if (second !== this.#second || this.#current === undefined) {
      let h = this.open.get(second);
      if (h === undefined) {
        h = new LatencyHistogram();
        this.open.set(second, h);
        this.#closeBefore(second - OPEN_SECONDS + 1);
      }
      this.#second = second;
      this.#current = h;
    }
    this.#current.record(us);
  }

  add(second: number, encoded: EncodedHistogram): void {
    if (encoded.count === 0) return;
    const parts = this.closed.get(second);
    if (parts === undefined) this.closed.set(second, [encoded]);
    else parts.push(encoded);
  }

  /** Every second with something in it, merged. */
  merged(): Map<number, EncodedHistogram> {
    this.#closeBefore(Number.POSITIVE_INFINITY);
    const out = new Map<number, EncodedHistogram>();
    for (const [second, parts] of this.closed) {
      if (parts.length === 1) out.set(second, parts[0] as EncodedHistogram);
      else {
        const h = new LatencyHistogram();
        for (const p of parts) h.add(p);
        out.set(second, h.encode());
      }
    }
    return out;
  }

  #closeBefore(limit: number): void {
    for (const [second, h] of this.open) {
      if (second >= limit) continue;
      this.open.delete(second);
      this.add(second, h.encode());
      if (second === this.#second) this.#current = undefined;
    }
  }
}

const EMPTY: EncodedHistogram = { hdr: '', count: 0, min: 0, max: 0, sum: 0 };

export class IntervalHistograms {
  #origin = 0;
  readonly #kinds: Record<IntervalKind, Seconds> = { e2e: new Seconds(), ack: new Seconds() };

  /** Sets the start of the measured phase (monotonic ms): second 0 starts there. */
  start(measuredFromMs: number): void {
    this.#origin = measuredFromMs;
  }

  /** Records a latency (`us`) of `kind` timed at `atMs` (monotonic ms). */
  record(kind: IntervalKind, atMs: number, us: number): void {
    this.#kinds[kind].record(Math.floor((atMs - this.#origin) / 1000), us);
  }

  /** Adds the seconds of another thread's histograms. */
  merge(entries: readonly IntervalEntry[]): void {
    for (const e of entries) for (const kind of INTERVAL_KINDS) this.#kinds[kind].add(e.second, e[kind]);
  }

  /** One entry per second with a latency of either kind, in order. */
  entries(): IntervalEntry[] {
    const e2e = this.#kinds.e2e.merged();
    const ack = this.#kinds.ack.merged();
    const seconds = [...new Set([...e2e.keys(), ...ack.keys()])].sort((a, b) => a - b);
    return seconds.map((second) => ({ second, e2e: e2e.get(second) ?? EMPTY, ack: ack.get(second) ?? EMPTY }));
  }
}
