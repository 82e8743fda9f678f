/**
 * Delayed-send scheduling: items wait in a min-heap ordered by due time, ONE timer (through the injectable
 * clock) is armed for the earliest, and each item is handed to `onDue` when its time has come. The broker's
 * delay queue appends due messages with it; the load generator paces its sends with it.
 *
 * Pure: no I/O; time only through a {@link Clock}.
 */

import { EvqError, EvqUsageError } from '../errors.js';
import { systemClock } from './clock.js';
import type { Clock, TimerHandle } from './clock.js';
import { MinHeap } from './heap.js';
import { LIMITS } from './limits.js';

/**
 * What {@link Scheduler.schedule} returns: pass it to {@link Scheduler.cancel}. It is an opaque object (not a
 * number) so that cancelling needs no lookup table: it knows its own place in the heap.
 */
export interface ScheduleId {
  /** The due time the item was scheduled for. */
  readonly dueAt: number;
  /** The scheduler's insertion sequence number (unique per scheduler, increasing): handy in logs. */
  readonly seq: number;
}

/** Options of a {@link Scheduler}. */
export interface SchedulerOptions<T> {
  /**
   * Receives each item when it falls due, in due order (items due at the same time in the order they were
   * scheduled), with the time it was due. It runs synchronously inside the timer callback or
   * {@link Scheduler.drainDue}; it may schedule and cancel. It should not throw: if it does, the error
   * propagates out of `drainDue` (or the timer callback), that item counts as fired, and the scheduler stays
   * consistent (the rest stay scheduled and the timer is re-armed).
   */
  onDue: (item: T, dueAt: number) => void;
  /** Time source and timer; default the system clock (`Date.now()`, epoch milliseconds). */
  clock?: Clock;
  /** Most items pending at once; default `LIMITS.maxScheduledItems`. */
  maxItems?: number;
  /**
   * Most items one timer callback fires before it yields to the event loop (re-arming a 0 ms timer for the
   * rest), so that a burst of due items never blocks the process for long. Default 10,000.
   */
  maxFirePerTick?: number;
}

/** Heap entry; it is also the ScheduleId handed out. */
class Entry<T> implements ScheduleId {
  index = -1;
  constructor(
    readonly dueAt: number,
    readonly seq: number,
    public item: T | undefined,
  ) {}
}

function compareEntries<T>(a: Entry<T>, b: Entry<T>): number {
  return a.dueAt - b.dueAt || a.seq - b.seq;
}

function setIndex<T>(entry: Entry<T>, index: number): void {
  entry.index = index;
}

/**
 * Fires items at their due time, never early.
 *
 * - **One timer**, armed for the earliest item. A timer that fires early (real timers may; delays past ~24.8
 *   days are clamped by the clock) finds nothing due and re-arms for the remaining time.
 * - **Order**: by due time, then by insertion order (a sequence number breaks ties).
 * - **Cancel** is O(log n): each entry tracks its position in the heap; nothing is left behind (no lazy
 *   deletion, no garbage), and a cancelled or fired entry drops its reference to the item.
 * - **Bounded** by `maxItems` (default `LIMITS.maxScheduledItems`): scheduling past it throws an `EvqError`
 *   with code `EVQ_ERR_LIMIT_EXCEEDED`.
 * - **Manual pumping**: {@link Scheduler.drainDue} fires what is due at a given time, without the timer.
 *
 * @example
 * const scheduler = new Scheduler<string>({ onDue: (msg) => log.append(msg) });
 * const id = scheduler.schedule(Date.now() + 5_000, 'hello');
 * scheduler.cancel(id); // true
 */
export class Scheduler<T> {
  readonly #heap = new MinHeap<Entry<T>>(compareEntries, { onMove: setIndex });
  readonly #onDue: (item: T, dueAt: number) => void;
  readonly #clock: Clock;
  readonly #maxItems: number;
  readonly #maxFirePerTick: number;
  #seq = 0;
  #timer: TimerHandle | undefined;
  #timerDueAt = Number.POSITIVE_INFINITY;
  #closed = false;
  #fired = 0;
  #cancelled = 0;

  constructor(options: SchedulerOptions<T>) {
    this.#onDue = options.onDue;
    this.#clock = options.clock ?? systemClock;
    this.#maxItems = positiveInteger('maxItems', options.maxItems ?? LIMITS.maxScheduledItems);
    this.#maxFirePerTick = positiveInteger('maxFirePerTick', options.maxFirePerTick ?? 10_000);
  }

  /** Number of pending items. */
  get size(): number {
    return this.#heap.size;
  }

  /** Due time of the earliest pending item; `undefined` when none. */
  get nextDue(): number | undefined {
    return this.#heap.peek()?.dueAt;
  }

  /** Whether {@link Scheduler.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Counters: items fired and cancelled since creation, and pending now. */
  get stats(): { fired: number; cancelled: number; pending: number } {
    return { fired: this.#fired, cancelled: this.#cancelled, pending: this.#heap.size };
  }

  /**
   * Schedules `item` to be handed to `onDue` at time `dueAt` (in the clock's milliseconds; a time already
   * past fires at the next timer tick or `drainDue`). O(log n).
   *
   * @throws EvqUsageError `EVQ_ERR_INVALID_ARGUMENT` if `dueAt` is not a finite number.
   * @throws EvqError `EVQ_ERR_LIMIT_EXCEEDED` when `maxItems` items are already pending.
   * @throws EvqError `EVQ_ERR_CLOSED` after {@link Scheduler.close}.
   */
  schedule(dueAt: number, item: T): ScheduleId {
    if (this.#closed) throw new EvqError('EVQ_ERR_CLOSED', 'the scheduler is closed');
    if (typeof dueAt !== 'number' || !Number.isFinite(dueAt)) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `a due time must be a finite number of ms, got ${String(dueAt)}`);
    }
    if (this.#heap.size >= this.#maxItems) {
      throw new EvqError(
        'EVQ_ERR_LIMIT_EXCEEDED',
        `the scheduler already holds ${this.#maxItems} pending items (maxItems); wait for some to fire or raise the limit`,
      );
    }
    const entry = new Entry<T>(dueAt, this.#seq++, item);
    this.#heap.push(entry);
    if (entry.index === 0) this.#arm();
    return entry;
  }

  /** Schedules `item` `delayMs` milliseconds from the clock's `now()`; see {@link Scheduler.schedule}. */
  scheduleIn(delayMs: number, item: T): ScheduleId {
    return this.schedule(this.#clock.now() + delayMs, item);
  }

  /**
   * Cancels a pending item in O(log n). Returns true if it was pending; false if it already fired, was
   * already cancelled, or `id` is not from this scheduler.
   */
  cancel(id: ScheduleId): boolean {
    if (!(id instanceof Entry)) return false;
    const entry = id as Entry<T>;
    if (entry.index < 0 || this.#heap.at(entry.index) !== entry) return false;
    this.#heap.removeAt(entry.index);
    entry.item = undefined;
    this.#cancelled++;
    // An early timer is harmless (it re-arms), but with nothing left it would only keep the process awake.
    if (this.#heap.size === 0) this.#disarm();
    return true;
  }

  /**
   * Fires, through `onDue`, every item due at or before `now` (default: the clock's `now()`), at most `max`
   * of them, and returns how many fired. Items scheduled by `onDue` for a time ≤ `now` fire in the same call.
   * The timer is re-armed for what remains.
   */
  drainDue(now: number = this.#clock.now(), max = Number.POSITIVE_INFINITY): number {
    let fired = 0;
    try {
      const heap = this.#heap;
      const onDue = this.#onDue;
      while (fired < max) {
        const head = heap.peek();
        if (head === undefined || head.dueAt > now) break;
        heap.pop();
        const item = head.item as T;
        head.item = undefined;
        fired++;
        this.#fired++;
        onDue(item, head.dueAt);
      }
    } finally {
      this.#arm();
    }
    return fired;
  }

  /** Stops the timer and drops every pending item; later `schedule` calls throw `EVQ_ERR_CLOSED`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disarm();
    for (const entry of this.#heap.toArray()) entry.item = undefined;
    this.#heap.clear();
  }

  /** Arms (or keeps) the one timer for the earliest item, or disarms it when there is none. */
  #arm(): void {
    const head = this.#heap.peek();
    if (head === undefined || this.#closed) {
      this.#disarm();
      return;
    }
    // A timer armed for the same time or earlier stays: when it fires, onTimer re-arms as needed.
    if (this.#timer !== undefined && this.#timerDueAt <= head.dueAt) return;
    this.#disarm();
    const now = this.#clock.now();
    this.#timerDueAt = head.dueAt;
    this.#timer = this.#clock.setTimer(Math.max(0, head.dueAt - now), this.#onTimer);
  }

  #disarm(): void {
    if (this.#timer !== undefined) {
      this.#clock.clearTimer(this.#timer);
      this.#timer = undefined;
    }
    this.#timerDueAt = Number.POSITIVE_INFINITY;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerDueAt = Number.POSITIVE_INFINITY;
    // drainDue re-arms: for the earliest item, or for 0 ms when the tick limit left due items behind.
    this.drainDue(this.#clock.now(), this.#maxFirePerTick);
  };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `${name} must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}
