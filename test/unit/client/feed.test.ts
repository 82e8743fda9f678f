import { describe, expect, it } from 'vitest';
import { eagerAsyncIterable, feed, type EagerAsyncIterator } from '../../../src/client/feed.js';

/** Values 0 … n-1; every `every`-th one answered with a promise (a wait), the others at once. */
function eager(n: number, every: number, log: string[]): EagerAsyncIterator<number> {
  let next = 0;
  return {
    next() {
      if (next >= n) return { done: true, value: undefined };
      const value = next++;
      return value % every === 0 ? new Promise((resolve) => setTimeout(() => resolve({ done: false, value }), 1)) : { done: false, value };
    },
    return() {
      log.push('return');
      return { done: true, value: undefined };
    },
  };
}

describe('feed', () => {
  it('reads an iterator that answers at once or later, every value in order, and does not close one read to its end', async () => {
    const log: string[] = [];
    const taken: number[] = [];
    await feed(eagerAsyncIterable(eager(50, 7, log)), (v) => taken.push(v) > 0);
    expect(taken).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(log).toEqual([]);
  });

  it('answers at once are taken without waiting for a microtask in between', async () => {
    const taken: number[] = [];
    let microtasks = 0;
    const tick = (): void => {
      microtasks++;
      if (microtasks < 1000) queueMicrotask(tick);
    };
    const done = feed(eagerAsyncIterable(eager(500, 1000, [])), (v) => {
      if (v === 1) queueMicrotask(tick);
      taken.push(v);
      return true;
    });
    // value 0 is a wait; from then on every answer is at once: all of them are taken in one run
    await done;
    expect(taken).toHaveLength(500);
    expect(microtasks).toBeLessThan(5);
  });

  it('stops when take says false and closes the iterator; a take that waits is awaited', async () => {
    const log: string[] = [];
    const taken: number[] = [];
    await feed(eagerAsyncIterable(eager(100, 3, log)), (v) => {
      taken.push(v);
      if (v === 10) return Promise.resolve(true);
      return v < 20;
    });
    expect(taken).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(log).toEqual(['return']);
  });

  it('is still what for await reads', async () => {
    const seen: number[] = [];
    for await (const v of eagerAsyncIterable(eager(10, 4, []))) seen.push(v);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
