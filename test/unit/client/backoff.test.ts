import { describe, expect, it } from 'vitest';
import { Backoff, sleep } from '../../../src/client/backoff.js';

describe('Backoff', () => {
  it('doubles from the initial delay up to the ceiling (no jitter)', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    expect(Array.from({ length: 7 }, () => backoff.next())).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(backoff.attempts).toBe(7);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(100);
  });

  it('spreads each delay by ±jitter and never goes past the ceiling', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5, random: () => 0 });
    const high = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5, random: () => 0.999999 });
    expect([low.next(), low.next()]).toEqual([50, 100]);
    expect([high.next(), high.next()]).toEqual([150, 300]);
    for (let i = 0; i < 10; i++) expect(high.next()).toBeLessThanOrEqual(1000);
  });

  it('refuses nonsense options as usage errors', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_ARGUMENT' }));
    expect(() => new Backoff({ jitter: 2 })).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_ARGUMENT' }));
    expect(() => new Backoff({ factor: 0.5 })).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_ARGUMENT' }));
  });
});

describe('sleep', () => {
  it('resolves true after the delay, false at once when aborted', async () => {
    expect(await sleep(1)).toBe(true);
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    expect(await waiting).toBe(false);
    expect(await sleep(60_000, AbortSignal.abort())).toBe(false);
  });
});
