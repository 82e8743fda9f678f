/**
 * Rate control (`--rate`): each producer sends on a fixed schedule of **intended** send times — message k at
 * start + offset + k / rate — whatever happens to the messages before it (wrk2's constant arrival rate). A
 * message sent late keeps its intended time: latency measured from it includes the time the message spent
 * waiting for the generator (coordinated-omission correction). Without a rate, a message's intended time is
 * the moment it is taken.
 *
 * Waiting for the next intended time goes through the core `Scheduler` (one timer per thread for every
 * producer in it), on the monotonic clock of time.ts. The schedule itself is arithmetic, not timers: however
 * late a timer fires, the messages due by then are sent at once with their own intended times, so the rate
 * of intended sends is exact.
 */

import { Scheduler } from '../core/scheduler.js';
import { monoClock } from './time.js';

export interface PaceOptions {
  /** When the schedule starts (monotonic ms): the warm-up, if any, begins here. */
  startMs: number;
  /** When the measured phase starts (startMs + warm-up). */
  measuredFromMs: number;
  /** This producer's messages per second; 0 = as fast as it can. */
  ratePerSec: number;
  /** Where this producer's schedule starts after `startMs` (spreads producers over the first interval). */
  offsetMs?: number;
  /** Measured messages to send (message-count runs). */
  measured: number | null;
  /** No message is intended at or after this time (duration runs). */
  endMs: number | null;
}

/** `due()` when the next message is not due yet (its time is in `nextAt`). */
export const NOT_YET = -1;
/** `due()` when the schedule is over. */
export const DONE = -2;

export class Pacer {
  readonly #start: number;
  readonly #measuredFrom: number;
  readonly #interval: number;
  readonly #measured: number | null;
  readonly #end: number;
  /** Messages taken so far (warm-up included) and measured ones among them. */
  #taken = 0;
  #measuredTaken = 0;
  #stopped = false;
  /** The intended time of the next message, when paced. */
  nextAt: number;
  /** Whether the message last returned by `due()` belongs to the warm-up. */
  warmup = false;

  constructor(options: PaceOptions) {
    this.#start = options.startMs + (options.offsetMs ?? 0);
    this.#measuredFrom = options.measuredFromMs;
    this.#interval = options.ratePerSec > 0 ? 1000 / options.ratePerSec : 0;
    this.#measured = options.measured;
    this.#end = options.endMs ?? Number.POSITIVE_INFINITY;
    this.nextAt = this.#start;
  }

  get paced(): boolean {
    return this.#interval > 0;
  }

  /** Messages taken (warm-up included). */
  get taken(): number {
    return this.#taken;
  }

  /**
   * The intended time of the next message when it is due at `now` (and takes it), else NOT_YET (see `nextAt`)
   * or DONE. Sets `warmup` for the message returned.
   */
  due(now: number): number {
    if (this.#stopped) return DONE;
    let intended: number;
    if (this.#interval > 0) {
      intended = this.nextAt;
      if (intended >= this.#end) return DONE;
      if (intended > now) return NOT_YET;
    } else {
      if (now < this.#start) {
        this.nextAt = this.#start;
        return NOT_YET;
      }
      if (now >= this.#end) return DONE;
      intended = now;
    }
    const warmup = intended < this.#measuredFrom;
    if (!warmup && this.#measured !== null && this.#measuredTaken >= this.#measured) return DONE;
    this.warmup = warmup;
    this.#taken++;
    if (!warmup) this.#measuredTaken++;
    if (this.#interval > 0) this.nextAt = this.#start + this.#taken * this.#interval;
    return intended;
  }

  /** Ends the schedule: `due()` says DONE from now on. */
  stop(): void {
    this.#stopped = true;
  }
}

/** Wakes producers at their next intended time: one core Scheduler (one timer) for every producer of a thread. */
export class PaceTimer {
  readonly #scheduler = new Scheduler<() => void>({ onDue: (fn) => fn(), clock: monoClock });

  /** Calls `fn` at `atMs` (monotonic), never early. */
  at(atMs: number, fn: () => void): void {
    this.#scheduler.schedule(atMs, fn);
  }

  /** Resolves at `atMs` (monotonic). */
  until(atMs: number): Promise<void> {
    return new Promise((resolve) => this.#scheduler.schedule(atMs, resolve));
  }

  close(): void {
    this.#scheduler.close();
  }
}
