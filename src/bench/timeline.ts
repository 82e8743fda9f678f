/**
 * Throughput per second of the run (the `timeline` of the result): messages sent, acknowledged, delivered and
 * errors — warm-up messages too — bucketed by the second in which they happened, counted from the start of
 * the measured phase (negative seconds: the warm-up).
 * One small row per second, so a day-long run holds 86,400 rows, not its events.
 */

import type { TimelineEntry } from './result.js';

export const TIMELINE = { sent: 0, acked: 1, delivered: 2, errors: 3 } as const;
export type TimelineKind = (typeof TIMELINE)[keyof typeof TIMELINE];

export class Timeline {
  #origin = 0;
  readonly #rows = new Map<number, number[]>();
  /** The row of the second last written (most events fall in the same second as the one before). */
  #second = Number.NaN;
  #row: number[] = [0, 0, 0, 0];

  /** Sets the start of the measured phase (monotonic ms): second 0 starts there. */
  start(measuredFromMs: number): void {
    this.#origin = measuredFromMs;
  }

  add(kind: TimelineKind, atMs: number, count = 1): void {
    const second = Math.floor((atMs - this.#origin) / 1000);
    if (second !== this.#second) {
      let row = this.#rows.get(second);
      if (row === undefined) {
        row = [0, 0, 0, 0];
        this.#rows.set(second, row);
      }
      this.#second = second;
      this.#row = row;
    }
    this.#row[kind] = (this.#row[kind] as number) + count;
  }

  /** Adds the rows of another timeline (another thread's). */
  merge(entries: readonly TimelineEntry[]): void {
    for (const e of entries) {
      const row = this.#rows.get(e.second) ?? [0, 0, 0, 0];
      row[TIMELINE.sent] = (row[TIMELINE.sent] as number) + e.sent;
      row[TIMELINE.acked] = (row[TIMELINE.acked] as number) + e.acked;
      row[TIMELINE.delivered] = (row[TIMELINE.delivered] as number) + e.delivered;
      row[TIMELINE.errors] = (row[TIMELINE.errors] as number) + e.errors;
      this.#rows.set(e.second, row);
    }
    this.#second = Number.NaN;
  }

  /** Every second from the first to the last one with an event (quiet seconds in between as zeros). */
  entries(): TimelineEntry[] {
    if (this.#rows.size === 0) return [];
    const seconds = [...this.#rows.keys()];
    const first = Math.min(...seconds);
    const last = Math.max(...seconds);
    const out: TimelineEntry[] = [];
    for (let s = first; s <= last; s++) {
      const row = this.#rows.get(s) ?? [0, 0, 0, 0];
      out.push({ second: s, sent: row[0] as number, acked: row[1] as number, delivered: row[2] as number, errors: row[3] as number });
    }
    return out;
  }
}
