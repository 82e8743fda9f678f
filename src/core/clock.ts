/**
 * The injectable clock: the only way the core reads the time or arms a timer. Components take a `Clock`
 * option that defaults to {@link systemClock}; tests (of the core and of any other module) pass a
 * {@link ManualClock} and move time forward by hand, so nothing ever sleeps for real.
 */

import { MinHeap } from './heap.js';

declare const timerBrand: unique symbol;

/** An armed timer, as returned by {@link Clock.setTimer}; only meaningful to the clock that made it. */
export type TimerHandle = { readonly [timerBrand]: true };

/** Time and one-shot timers, in milliseconds. */
export interface Clock {
  /** The current time in milliseconds (for the system clock: since the Unix epoch, like `Date.now()`). */
  now(): number;
  /**
   * Calls `fn` once, about `ms` milliseconds from now. A timer may fire late and — with real timers — even a
   * little early, or much earlier for delays past {@link MAX_TIMER_DELAY_MS}: callers that must not act early
   * compare `now()` with their deadline and re-arm.
   */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Disarms a timer; harmless when it already fired or was already cleared. */
  clearTimer(handle: TimerHandle): void;
}

/** Longest delay Node's `setTimeout` honours (2^31 - 1 ms, about 24.8 days); longer ones are clamped to it. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Options of a {@link SystemClock}. */
export interface SystemClockOptions {
  /** Unref the timers so that a pending timer alone does not keep the process alive. Default `false`. */
  unref?: boolean;
}

/**
 * The real clock: `Date.now()` and `setTimeout`. Delays are clamped to `[0, MAX_TIMER_DELAY_MS]` (Node would
 * otherwise turn a longer delay into 1 ms), so a timer for a far deadline fires early and its owner re-arms.
 */
export class SystemClock implements Clock {
  readonly #unref: boolean;

  constructor(options: SystemClockOptions = {}) {
    this.#unref = options.unref ?? false;
  }

  now(): number {
    return Date.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const delay = ms > 0 ? Math.min(ms, MAX_TIMER_DELAY_MS) : 0;
    const timer = setTimeout(fn, delay);
    if (this.#unref) timer.unref();
    return timer as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  }
}

/** The default clock of every core component (timers keep the process alive). */
export const systemClock: Clock = new SystemClock();

/** A timer of the manual clock; its `index` is its position in the clock's heap (-1 once gone). */
class ManualTimer {
  index = -1;
  constructor(
    readonly dueAt: number,
    readonly seq: number,
    public fn: (() => void) | undefined,
  ) {}
}

/** Safety stop of one `advance` call: no test legitimately fires this many timers. */
const DEFAULT_FIRE_LIMIT = 10_000_000;

function compareTimers(a: ManualTimer, b: ManualTimer): number {
  return a.dueAt - b.dueAt || a.seq - b.seq;
}

/**
 * A fake clock for tests: time stands still until {@link ManualClock.advance} moves it, and timers fire
 * synchronously inside `advance`, in due order (timers due at the same time in the order they were set),
 * with `now()` reading each timer's due time while it runs. A timer set while `advance` runs fires in the
 * same call if it falls due within the advanced span. Timers never fire early.
 *
 * @example
 * const clock = new ManualClock();
 * const batcher = new Batcher({ flush, lingerMs: 5, clock });
 * batcher.add('a');
 * clock.advance(5); // the linger timer fires now, synchronously
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new MinHeap<ManualTimer>(compareTimers, {
    onMove: (timer, index) => {
      timer.index = index;
    },
  });

  /** @param start the initial value of `now()`, default 0. */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const delay = ms > 0 ? ms : 0; // NaN and negatives mean "as soon as possible", as with setTimeout
    const timer = new ManualTimer(this.#now + delay, this.#seq++, fn);
    this.#timers.push(timer);
    return timer as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    const timer = handle as unknown as ManualTimer;
    if (!(timer instanceof ManualTimer)) return;
    if (timer.index >= 0 && this.#timers.at(timer.index) === timer) this.#timers.removeAt(timer.index);
    timer.fn = undefined;
  }

  /** Number of armed timers. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Due time of the next timer, `undefined` when none is armed. */
  get nextTimerAt(): number | undefined {
    return this.#timers.peek()?.dueAt;
  }

  /**
   * Moves time forward by `ms` (≥ 0), firing every timer that falls due on the way, and returns how many
   * fired. If a timer callback throws, the error propagates and time stays at that timer's due time.
   * Stops with a `RangeError` after `limit` timers, to catch a timer that re-arms itself forever.
   */
  advance(ms: number, limit = DEFAULT_FIRE_LIMIT): number {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ms must be a number >= 0, got ${ms}`);
    return this.advanceTo(this.#now + ms, limit);
  }

  /** Moves time forward to `time` (never backwards), firing due timers as {@link ManualClock.advance} does. */
  advanceTo(time: number, limit = DEFAULT_FIRE_LIMIT): number {
    if (!(time >= this.#now)) throw new RangeError(`ManualClock.advanceTo: time ${time} is before now (${this.#now})`);
    let fired = 0;
    for (;;) {
      const next = this.#timers.peek();
      if (next === undefined || next.dueAt > time) break;
      if (fired >= limit) throw new RangeError(`ManualClock: more than ${limit} timers fired in one call; a timer re-arms forever?`);
      this.#timers.pop();
      this.#now = next.dueAt;
      const fn = next.fn;
      next.fn = undefined;
      fired++;
      fn?.();
    }
    this.#now = time;
    return fired;
  }

  /**
   * Fires timers (moving time to each) until none is left, including timers set by the callbacks, and
   * returns how many fired; a `RangeError` after `limit` timers.
   */
  runAll(limit = DEFAULT_FIRE_LIMIT): number {
    let fired = 0;
    for (;;) {
      const next = this.#timers.peek();
      if (next === undefined) return fired;
      fired += this.advanceTo(Math.max(next.dueAt, this.#now), limit - fired);
    }
  }
}
