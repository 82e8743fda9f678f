import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { Clock, TimerHandle } from '../../../src/core/clock.js';
import { LIMITS } from '../../../src/core/limits.js';
import { Scheduler } from '../../../src/core/scheduler.js';
import { EvqError } from '../../../src/errors.js';

/** Runs a full GC (exposing it at run time), after the current job so that WeakRefs may be cleared. */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
}

function setup<T = string>(options: { maxItems?: number; maxFirePerTick?: number; start?: number } = {}) {
  const clock = new ManualClock(options.start ?? 0);
  const fired: { item: T; dueAt: number; at: number }[] = [];
  const scheduler = new Scheduler<T>({
    clock,
    onDue: (item, dueAt) => fired.push({ item, dueAt, at: clock.now() }),
    ...(options.maxItems !== undefined ? { maxItems: options.maxItems } : {}),
    ...(options.maxFirePerTick !== undefined ? { maxFirePerTick: options.maxFirePerTick } : {}),
  });
  return { clock, fired, scheduler, items: () => fired.map((f) => f.item) };
}

describe('Scheduler', () => {
  it('fires each item at its due time, never early, in due order', () => {
    const { clock, fired, scheduler } = setup();
    scheduler.schedule(30, 'c');
    scheduler.schedule(10, 'a');
    scheduler.schedule(20, 'b');
    expect(scheduler.size).toBe(3);
    expect(scheduler.nextDue).toBe(10);
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([{ item: 'a', dueAt: 10, at: 10 }]);
    clock.advance(100);
    expect(fired).toEqual([
      { item: 'a', dueAt: 10, at: 10 },
      { item: 'b', dueAt: 20, at: 20 },
      { item: 'c', dueAt: 30, at: 30 },
    ]);
    expect(scheduler.size).toBe(0);
    expect(scheduler.nextDue).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });

  it('fires items due at the same time in insertion order', () => {
    const { clock, scheduler, items } = setup<number>();
    for (let i = 0; i < 100; i++) scheduler.schedule(i % 2 === 0 ? 5 : 3, i);
    clock.advance(5);
    const odd = Array.from({ length: 50 }, (_, i) => 2 * i + 1);
    const even = Array.from({ length: 50 }, (_, i) => 2 * i);
    expect(items()).toEqual([...odd, ...even]);
  });

  it('keeps exactly one timer armed, for the earliest item', () => {
    const { clock, scheduler } = setup();
    scheduler.schedule(100, 'x');
    scheduler.schedule(200, 'y');
    scheduler.schedule(50, 'z');
    expect(clock.pendingTimers).toBeLessThanOrEqual(1);
    expect(clock.nextTimerAt).toBe(50);
  });

  it('fires an item scheduled in the past at the next tick', () => {
    const { clock, scheduler, items } = setup({ start: 1000 });
    scheduler.schedule(10, 'late');
    expect(items()).toEqual([]);
    clock.advance(0);
    expect(items()).toEqual(['late']);
  });

  it('scheduleIn is relative to the clock', () => {
    const { clock, fired, scheduler } = setup({ start: 500 });
    const id = scheduler.scheduleIn(25, 'x');
    expect(id.dueAt).toBe(525);
    clock.advance(25);
    expect(fired).toEqual([{ item: 'x', dueAt: 525, at: 525 }]);
  });

  it('cancels a pending item (true once), not a fired one, not a foreign id', () => {
    const { clock, scheduler, items } = setup();
    const a = scheduler.schedule(10, 'a');
    const b = scheduler.schedule(20, 'b');
    const c = scheduler.schedule(30, 'c');
    expect(scheduler.cancel(b)).toBe(true);
    expect(scheduler.cancel(b)).toBe(false);
    expect(scheduler.size).toBe(2);
    clock.advance(15);
    expect(scheduler.cancel(a)).toBe(false); // already fired
    const other = setup().scheduler;
    expect(other.cancel(c)).toBe(false);
    expect(scheduler.cancel({ dueAt: 30, seq: 2 })).toBe(false);
    clock.advance(100);
    expect(items()).toEqual(['a', 'c']);
    expect(scheduler.stats).toEqual({ fired: 2, cancelled: 1, pending: 0 });
  });

  it('cancelling the earliest re-arms for the next one; cancelling all disarms', () => {
    const { clock, scheduler, items } = setup();
    const a = scheduler.schedule(10, 'a');
    const b = scheduler.schedule(20, 'b');
    scheduler.cancel(a);
    clock.advance(10); // the timer for 10 fires early for b and re-arms
    expect(items()).toEqual([]);
    expect(clock.nextTimerAt).toBe(20);
    scheduler.cancel(b);
    expect(clock.pendingTimers).toBe(0);
  });

  it('cancel in random order keeps everything else in order (heap positions stay right)', () => {
    const { clock, scheduler, items } = setup<number>();
    const ids = Array.from({ length: 2000 }, (_, i) => scheduler.schedule((i * 7919) % 1000, i));
    const cancelled = new Set<number>();
    for (let i = 0; i < 2000; i += 3) {
      const j = (i * 104729) % 2000;
      if (scheduler.cancel(ids[j] as (typeof ids)[number])) cancelled.add(j);
    }
    clock.advance(1000);
    const expected = ids
      .map((id, i) => ({ id, i }))
      .filter(({ i }) => !cancelled.has(i))
      .sort((x, y) => x.id.dueAt - y.id.dueAt || x.i - y.i)
      .map(({ i }) => i);
    expect(items()).toEqual(expected);
  });

  it('re-arms when a real timer fires early', () => {
    // A clock whose timers fire immediately, however long the delay: every fire is early but one.
    const timers: (() => void)[] = [];
    let now = 0;
    const early: Clock = {
      now: () => now,
      setTimer: (_ms, fn) => {
        timers.push(fn);
        return {} as TimerHandle;
      },
      clearTimer: () => {},
    };
    const onDue = vi.fn();
    const scheduler = new Scheduler<string>({ clock: early, onDue });
    scheduler.schedule(100, 'x');
    timers.shift()?.(); // fires at 0: too early
    expect(onDue).not.toHaveBeenCalled();
    expect(timers).toHaveLength(1); // re-armed
    now = 99;
    timers.shift()?.();
    expect(onDue).not.toHaveBeenCalled();
    now = 100;
    timers.shift()?.();
    expect(onDue).toHaveBeenCalledWith('x', 100);
    expect(timers).toHaveLength(0);
  });

  it('drainDue fires what is due at the given time, at most max, and re-arms', () => {
    const { clock, scheduler, items } = setup<number>();
    for (let i = 0; i < 10; i++) scheduler.schedule(i, i);
    expect(scheduler.drainDue(4, 3)).toBe(3);
    expect(items()).toEqual([0, 1, 2]);
    expect(scheduler.drainDue(4)).toBe(2);
    expect(items()).toEqual([0, 1, 2, 3, 4]);
    expect(scheduler.drainDue()).toBe(0); // at clock.now() = 0 nothing is due any more
    expect(clock.nextTimerAt).toBeLessThanOrEqual(5);
    clock.advance(9); // the timer fires the rest
    expect(items()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(scheduler.size).toBe(0);
  });

  it('lets onDue schedule and cancel; items it schedules for now fire in the same drain', () => {
    const clock = new ManualClock();
    const log: string[] = [];
    let later: ReturnType<Scheduler<string>['schedule']> | undefined;
    const scheduler: Scheduler<string> = new Scheduler<string>({
      clock,
      onDue: (item) => {
        log.push(item);
        if (item === 'a') {
          scheduler.schedule(clock.now(), 'a2');
          if (later !== undefined) scheduler.cancel(later);
        }
      },
    });
    scheduler.schedule(5, 'a');
    later = scheduler.schedule(6, 'b');
    scheduler.schedule(7, 'c');
    clock.advance(10);
    expect(log).toEqual(['a', 'a2', 'c']);
  });

  it('stays consistent when onDue throws', () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const scheduler = new Scheduler<string>({
      clock,
      onDue: (item) => {
        log.push(item);
        if (item === 'bad') throw new Error('boom');
      },
    });
    scheduler.schedule(1, 'bad');
    scheduler.schedule(2, 'good');
    expect(() => clock.advance(5)).toThrow('boom');
    expect(scheduler.size).toBe(1);
    expect(clock.pendingTimers).toBe(1); // re-armed for 'good'
    clock.advance(5);
    expect(log).toEqual(['bad', 'good']);
  });

  it('yields between ticks when many items are due at once (maxFirePerTick)', () => {
    const { clock, scheduler, items } = setup<number>({ maxFirePerTick: 10 });
    for (let i = 0; i < 35; i++) scheduler.schedule(1, i);
    expect(clock.advance(1)).toBe(4); // four timer callbacks: 10 + 10 + 10 + 5
    expect(items()).toEqual(Array.from({ length: 35 }, (_, i) => i));
  });

  it('refuses items past maxItems with EVQ_ERR_LIMIT_EXCEEDED, and accepts again after some fire', () => {
    const { clock, scheduler } = setup({ maxItems: 3 });
    scheduler.schedule(1, 'a');
    scheduler.schedule(2, 'b');
    scheduler.schedule(3, 'c');
    expect(() => scheduler.schedule(4, 'd')).toThrow(expect.objectContaining({ code: 'EVQ_ERR_LIMIT_EXCEEDED' }));
    clock.advance(1);
    expect(() => scheduler.schedule(4, 'd')).not.toThrow();
  });

  it('defaults maxItems to LIMITS.maxScheduledItems', () => {
    expect(LIMITS.maxScheduledItems).toBeGreaterThanOrEqual(1_000_000);
  });

  it('refuses a due time that is not a finite number, and bad options', () => {
    const { scheduler } = setup();
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
      expect(() => scheduler.schedule(bad, 'x')).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_ARGUMENT' }));
    }
    expect(() => new Scheduler({ onDue: () => {}, maxItems: 0 })).toThrow(EvqError);
    expect(() => new Scheduler({ onDue: () => {}, maxFirePerTick: 1.5 })).toThrow(EvqError);
  });

  it('close() disarms, drops the items and refuses new ones with EVQ_ERR_CLOSED', () => {
    const { clock, scheduler, fired } = setup();
    scheduler.schedule(10, 'a');
    scheduler.close();
    scheduler.close();
    expect(scheduler.closed).toBe(true);
    expect(scheduler.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(100);
    expect(fired).toEqual([]);
    expect(() => scheduler.schedule(20, 'b')).toThrow(expect.objectContaining({ code: 'EVQ_ERR_CLOSED' }));
  });

  it('drops its reference to an item once fired or cancelled, even while the caller keeps the id', async () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler<object>({ clock, onDue: () => {} });
    const make = (dueAt: number) => {
      const item = { dueAt };
      return { id: scheduler.schedule(dueAt, item), ref: new WeakRef(item) };
    };
    const fired = make(1);
    const cancelled = make(2);
    const pending = make(100);
    scheduler.cancel(cancelled.id);
    clock.advance(10);
    await collectGarbage();
    expect(fired.ref.deref()).toBeUndefined();
    expect(cancelled.ref.deref()).toBeUndefined();
    expect(pending.ref.deref()).toEqual({ dueAt: 100 });
    expect([fired.id.seq, cancelled.id.seq, pending.id.seq]).toEqual([0, 1, 2]);
  });

  it('holds 1,000,000 pending items and fires them all in order', () => {
    const clock = new ManualClock();
    const n = 1_000_000;
    let count = 0;
    let lastDue = -1;
    let lastItem = -1;
    let outOfOrder = 0;
    const scheduler = new Scheduler<number>({
      clock,
      onDue: (item, dueAt) => {
        // by due time, then by insertion order (items are numbered in insertion order)
        if (dueAt < lastDue || (dueAt === lastDue && item < lastItem)) outOfOrder++;
        if (dueAt > clock.now()) outOfOrder++; // never early
        lastDue = dueAt;
        lastItem = item;
        count++;
      },
    });
    let seed = 12345;
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      scheduler.schedule(seed % 100_000, i); // many ties: about 10 items per due time
    }
    expect(scheduler.size).toBe(n);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100_000);
    expect(count).toBe(n);
    expect(outOfOrder).toBe(0);
    expect(scheduler.size).toBe(0);
  });
});
