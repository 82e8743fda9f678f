import { describe, expect, it } from 'vitest';
import { DONE, NOT_YET, Pacer, PaceTimer } from '../../../src/bench/pacer.js';
import { monoMs } from '../../../src/bench/time.js';

/** Takes everything due at each `now`, stepping time by `step` ms until DONE. */
function drive(pacer: Pacer, from: number, step: number, until = from + 100_000): { at: number; intended: number; warmup: boolean }[] {
  const out: { at: number; intended: number; warmup: boolean }[] = [];
  for (let now = from; now <= until; now += step) {
    for (;;) {
      const intended = pacer.due(now);
      if (intended === DONE) return out;
      if (intended === NOT_YET) break;
      out.push({ at: now, intended, warmup: pacer.warmup });
    }
  }
  return out;
}

describe('Pacer', () => {
  it('a constant arrival rate: message k is intended at start + k/rate, however late it is taken', () => {
    const pacer = new Pacer({ startMs: 1000, measuredFromMs: 1000, ratePerSec: 2000, measured: null, endMs: 2000 });
    // taken in bursts every 7 ms (a late timer): intended times stay on the schedule
    const sent = drive(pacer, 1000, 7);
    expect(sent).toHaveLength(2000);
    sent.forEach((s, k) => {
      expect(s.intended).toBeCloseTo(1000 + k * 0.5, 9);
      expect(s.at).toBeGreaterThanOrEqual(s.intended);
      expect(s.at - s.intended).toBeLessThan(7);
    });
  });

  it('nothing before its time, with nextAt saying when', () => {
    const pacer = new Pacer({ startMs: 100, measuredFromMs: 100, ratePerSec: 10, measured: 3, endMs: null });
    expect(pacer.due(99)).toBe(NOT_YET);
    expect(pacer.nextAt).toBe(100);
    expect(pacer.due(100)).toBe(100);
    expect(pacer.due(150)).toBe(NOT_YET);
    expect(pacer.nextAt).toBe(200);
    expect(pacer.due(1000)).toBe(200);
    expect(pacer.due(1000)).toBe(300);
    expect(pacer.due(1000)).toBe(DONE);
  });

  it('warm-up messages come first and do not count towards the measured ones', () => {
    const pacer = new Pacer({ startMs: 0, measuredFromMs: 10, ratePerSec: 1000, measured: 5, endMs: null });
    const sent = drive(pacer, 0, 1);
    expect(sent.map((s) => s.warmup)).toEqual([...Array(10).fill(true), ...Array(5).fill(false)]);
    expect(pacer.taken).toBe(15);
  });

  it('producers are offset so that their sends interleave', () => {
    const a = new Pacer({ startMs: 0, measuredFromMs: 0, ratePerSec: 500, offsetMs: 0, measured: 3, endMs: null });
    const b = new Pacer({ startMs: 0, measuredFromMs: 0, ratePerSec: 500, offsetMs: 1, measured: 3, endMs: null });
    const times = [...drive(a, 0, 1), ...drive(b, 0, 1)].map((s) => s.intended).sort((x, y) => x - y);
    expect(times).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('unpaced: a message is intended when it is taken; the schedule ends at endMs or after the count', () => {
    const byTime = new Pacer({ startMs: 0, measuredFromMs: 0, ratePerSec: 0, measured: null, endMs: 50 });
    expect(byTime.paced).toBe(false);
    expect(byTime.due(10)).toBe(10);
    expect(byTime.due(10)).toBe(10);
    expect(byTime.due(50)).toBe(DONE);
    const byCount = new Pacer({ startMs: 0, measuredFromMs: 0, ratePerSec: 0, measured: 2, endMs: null });
    expect([byCount.due(1), byCount.due(2), byCount.due(3)]).toEqual([1, 2, DONE]);
  });

  it('stop() ends the schedule', () => {
    const pacer = new Pacer({ startMs: 0, measuredFromMs: 0, ratePerSec: 0, measured: null, endMs: null });
    expect(pacer.due(1)).toBe(1);
    pacer.stop();
    expect(pacer.due(2)).toBe(DONE);
  });

  it('PaceTimer wakes at the time asked, never early (the core Scheduler on the monotonic clock)', async () => {
    const timer = new PaceTimer();
    const at = monoMs() + 30;
    await timer.until(at);
    expect(monoMs()).toBeGreaterThanOrEqual(at);
    const order: number[] = [];
    await new Promise<void>((resolve) => {
      timer.at(monoMs() + 20, () => order.push(2));
      timer.at(monoMs() + 10, () => order.push(1));
      timer.at(monoMs() + 25, () => resolve());
    });
    expect(order).toEqual([1, 2]);
    timer.close();
  });
});
