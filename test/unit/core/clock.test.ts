import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY_MS, ManualClock, SystemClock, systemClock } from '../../../src/core/clock.js';

describe('ManualClock', () => {
  it('stands still until advanced', () => {
    const clock = new ManualClock(1000);
    expect(clock.now()).toBe(1000);
    expect(clock.advance(250)).toBe(0);
    expect(clock.now()).toBe(1250);
  });

  it('fires timers in due order, equal due times in the order they were set, with now() at each due time', () => {
    const clock = new ManualClock();
    const log: string[] = [];
    clock.setTimer(30, () => log.push(`c@${clock.now()}`));
    clock.setTimer(10, () => log.push(`a@${clock.now()}`));
    clock.setTimer(10, () => log.push(`b@${clock.now()}`));
    clock.setTimer(50, () => log.push(`late@${clock.now()}`));
    expect(clock.pendingTimers).toBe(4);
    expect(clock.nextTimerAt).toBe(10);
    expect(clock.advance(9)).toBe(0); // never early
    expect(log).toEqual([]);
    expect(clock.advance(21)).toBe(3);
    expect(log).toEqual(['a@10', 'b@10', 'c@30']);
    expect(clock.now()).toBe(30);
    expect(clock.pendingTimers).toBe(1);
  });

  it('fires timers set by timers when they fall within the span', () => {
    const clock = new ManualClock();
    const log: number[] = [];
    clock.setTimer(5, () => {
      log.push(clock.now());
      clock.setTimer(5, () => log.push(clock.now()));
      clock.setTimer(100, () => log.push(clock.now()));
    });
    expect(clock.advance(10)).toBe(2);
    expect(log).toEqual([5, 10]);
    expect(clock.runAll()).toBe(1);
    expect(log).toEqual([5, 10, 105]);
    expect(clock.now()).toBe(105);
  });

  it('treats 0, negative and NaN delays as due now', () => {
    const clock = new ManualClock(7);
    const fn = vi.fn();
    clock.setTimer(0, fn);
    clock.setTimer(-5, fn);
    clock.setTimer(Number.NaN, fn);
    expect(clock.advance(0)).toBe(3);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('clearTimer disarms, and is harmless twice or after firing', () => {
    const clock = new ManualClock();
    const fn = vi.fn();
    const a = clock.setTimer(5, fn);
    const b = clock.setTimer(6, fn);
    clock.clearTimer(a);
    clock.clearTimer(a);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(10);
    expect(fn).toHaveBeenCalledTimes(1);
    clock.clearTimer(b);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a timer cleared by an earlier timer in the same advance does not fire', () => {
    const clock = new ManualClock();
    const fn = vi.fn();
    const later = clock.setTimer(5, fn);
    clock.setTimer(1, () => clock.clearTimer(later));
    clock.advance(10);
    expect(fn).not.toHaveBeenCalled();
  });

  it('refuses to go backwards, and stops a timer that re-arms forever', () => {
    const clock = new ManualClock(10);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advanceTo(5)).toThrow(RangeError);
    const forever = (): void => {
      clock.setTimer(0, forever);
    };
    clock.setTimer(0, forever);
    expect(() => clock.advance(0, 1000)).toThrow(/re-arms forever/);
  });

  it('leaves time at the throwing timer when a callback throws', () => {
    const clock = new ManualClock();
    clock.setTimer(3, () => {
      throw new Error('boom');
    });
    const fn = vi.fn();
    clock.setTimer(4, fn);
    expect(() => clock.advance(10)).toThrow('boom');
    expect(clock.now()).toBe(3);
    clock.advance(7);
    expect(fn).toHaveBeenCalledOnce();
  });
});

describe('SystemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads Date.now()', () => {
    const before = Date.now();
    const t = systemClock.now();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });

  it('arms and clears real timers (under vitest fake timers)', () => {
    vi.useFakeTimers();
    const clock = new SystemClock();
    const fn = vi.fn();
    clock.setTimer(100, fn);
    const cleared = clock.setTimer(50, fn);
    clock.clearTimer(cleared);
    vi.advanceTimersByTime(99);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledOnce();
  });

  it('clamps delays past 2^31-1 ms instead of letting Node turn them into 1 ms', () => {
    vi.useFakeTimers();
    const clock = new SystemClock({ unref: true });
    const fn = vi.fn();
    clock.setTimer(MAX_TIMER_DELAY_MS * 3, fn);
    vi.advanceTimersByTime(10);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS);
    expect(fn).toHaveBeenCalledOnce();
  });
});
