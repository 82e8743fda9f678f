/**
 * The load generator's time base: milliseconds (fractional, microsecond resolution) on the system's monotonic
 * clock (`process.hrtime`), which every thread and process of the machine shares. A worker thread's
 * `performance.now()` counts from that worker's own start, so it cannot be compared with the main thread's; this
 * clock can: a message stamped by a producer in one worker is timed by a subscriber in another.
 *
 * Reading it costs one `performance.now()` (the offset to the monotonic clock is taken once per thread).
 */

import type { Clock, TimerHandle } from '../core/clock.js';

/** `performance.now()` of this thread + this offset = the monotonic clock, in ms. */
const OFFSET_MS = Number(process.hrtime.bigint() / 1000n) / 1000 - performance.now();

/** Now on the shared monotonic clock, in milliseconds (fractional). */
export function monoMs(): number {
  return performance.now() + OFFSET_MS;
}

/** The monotonic clock as a core {@link Clock}, for the Scheduler that paces the sends. */
export const monoClock: Clock = {
  now: monoMs,
  setTimer(ms: number, fn: () => void): TimerHandle {
    return setTimeout(fn, ms > 0 ? ms : 0) as unknown as TimerHandle;
  },
  clearTimer(handle: TimerHandle): void {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

/** Milliseconds → whole microseconds, never negative (what the histograms record). */
export function toMicros(ms: number): number {
  const us = Math.round(ms * 1000);
  return us > 0 ? us : 0;
}
