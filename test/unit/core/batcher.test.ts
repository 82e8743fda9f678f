import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Batcher } from '../../../src/core/batcher.js';
import type { BatcherOptions, BatchInfo } from '../../../src/core/batcher.js';
import { ManualClock } from '../../../src/core/clock.js';
import { LIMITS } from '../../../src/core/limits.js';
import { EvqError } from '../../../src/errors.js';

/** Lets every pending promise reaction run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Call<T> {
  items: T[];
  info: BatchInfo;
  resolve: (results: readonly unknown[]) => void;
  reject: (error: unknown) => void;
}

/** A batcher whose flushes stay pending until the test settles them; results default to `item:seq`. */
function harness<T = string>(options: Partial<BatcherOptions<T, string>> = {}) {
  const clock = new ManualClock();
  const calls: Call<T>[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const batcher = new Batcher<T, string>({
    clock,
    lingerMs: 1000,
    flush: (items, info) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      return new Promise<readonly string[]>((resolve, reject) => {
        calls.push({
          items,
          info,
          resolve: (results) => {
            concurrent--;
            resolve(results as readonly string[]);
          },
          reject: (error) => {
            concurrent--;
            reject(error);
          },
        });
      });
    },
    ...options,
  });
  const ok = (i: number): void => {
    const call = calls[i] as Call<T>;
    call.resolve(call.items.map((item) => `${String(item)}:${call.info.seq}`));
  };
  return { clock, calls, batcher, ok, maxConcurrent: () => maxConcurrent, concurrent: () => concurrent };
}

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  await settle();
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('Batcher triggers', () => {
  it('sends a batch when it reaches maxCount', async () => {
    const { calls, batcher, ok } = harness({ maxCount: 3 });
    const acks = ['a', 'b', 'c', 'd'].map((x) => batcher.add(x));
    expect(calls).toHaveLength(1);
    expect(calls[0]?.items).toEqual(['a', 'b', 'c']);
    expect(calls[0]?.info).toEqual({ seq: 0, bytes: 3 });
    ok(0);
    expect(await Promise.all(acks.slice(0, 3))).toEqual(['a:0', 'b:0', 'c:0']);
    expect(batcher.stats()).toMatchObject({ batches: 1, items: 3, bytes: 3, inFlight: 0, pendingItems: 1, pendingBytes: 1 });
    const flushed = batcher.flush(); // d goes out now
    expect(calls).toHaveLength(2);
    ok(1);
    await flushed;
    expect(await acks[3]).toBe('d:1');
  });

  it('sends a batch when it reaches maxBytes, and starts a new batch for an item that would pass it', () => {
    const { calls, batcher } = harness({ maxBytes: 10, sizeOf: (s: string) => s.length });
    batcher.offer('aaaa');
    batcher.offer('bbbb');
    batcher.offer('cc'); // exactly 10
    expect(calls.map((c) => c.items)).toEqual([['aaaa', 'bbbb', 'cc']]);
    batcher.offer('dddd');
    batcher.offer('eeeeeee'); // 4 + 7 > 10: dddd goes alone
    expect(calls.map((c) => c.items)).toEqual([['aaaa', 'bbbb', 'cc'], ['dddd']]);
    expect(calls.map((c) => c.info.bytes)).toEqual([10, 4]);
    expect(batcher.stats().pendingBytes).toBe(7);
  });

  it('sends an item larger than maxBytes alone, as a batch of one', () => {
    const { calls, batcher } = harness({ maxBytes: 10, sizeOf: (s: string) => s.length });
    batcher.offer('x');
    batcher.offer('y'.repeat(25));
    batcher.offer('z');
    expect(calls.map((c) => c.items)).toEqual([['x'], ['y'.repeat(25)]]);
    expect(batcher.stats().pendingItems).toBe(1);
  });

  it('measures strings in UTF-8 bytes and buffers in bytes by default', () => {
    const { calls, batcher } = harness<string | Uint8Array>({ maxBytes: 6 });
    batcher.offer('€€'); // 6 bytes
    batcher.offer(Buffer.alloc(6));
    batcher.offer({ other: true } as unknown as string); // 0 bytes
    expect(calls.map((c) => c.info.bytes)).toEqual([6, 6]);
  });

  it('sends a partial batch lingerMs after its first item (fake clock, no sleeping)', () => {
    const { clock, calls, batcher } = harness({ lingerMs: 5 });
    batcher.offer('a');
    clock.advance(3);
    batcher.offer('b');
    clock.advance(1);
    expect(calls).toHaveLength(0);
    clock.advance(1);
    expect(calls.map((c) => c.items)).toEqual([['a', 'b']]);
    batcher.offer('c'); // a new batch, a new linger from now (t = 5)
    clock.advance(4);
    expect(calls).toHaveLength(1);
    clock.advance(1);
    expect(calls.map((c) => c.items)).toEqual([['a', 'b'], ['c']]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('with lingerMs 0, items added in the same tick go together', () => {
    const { clock, calls, batcher } = harness({ lingerMs: 0 });
    batcher.offer('a');
    batcher.offer('b');
    expect(calls).toHaveLength(0);
    clock.advance(0);
    expect(calls.map((c) => c.items)).toEqual([['a', 'b']]);
  });

  it('eager: a batch started while the window has room goes on the next tick; with the window full it lingers and fills', async () => {
    const { clock, calls, batcher } = harness({ lingerMs: 5, maxInFlight: 2, eager: true });
    batcher.offer('a');
    batcher.offer('b'); // same tick: together
    expect(calls).toHaveLength(0);
    clock.advance(0);
    expect(calls.map((c) => c.items)).toEqual([['a', 'b']]);
    batcher.offer('c'); // one batch in flight, a slot free: next tick again
    clock.advance(0);
    expect(calls.map((c) => c.items)).toEqual([['a', 'b'], ['c']]);
    batcher.offer('d'); // the window is full: this batch lingers 5 ms and keeps filling
    clock.advance(4);
    batcher.offer('e');
    clock.advance(1);
    expect(calls).toHaveLength(2);
    calls[0]?.resolve(['a:0', 'b:0']);
    await settle();
    expect(calls.map((c) => c.items)).toEqual([['a', 'b'], ['c'], ['d', 'e']]);
  });

  it('uses the LIMITS defaults', () => {
    const { calls, batcher } = harness({ lingerMs: undefined });
    for (let i = 0; i < LIMITS.defaultBatchCount; i++) batcher.offer(`m${i}`);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.items).toHaveLength(LIMITS.defaultBatchCount);
    const lingering = harness({ lingerMs: undefined });
    lingering.batcher.offer('x');
    lingering.clock.advance(LIMITS.defaultLingerMs - 1);
    expect(lingering.calls).toHaveLength(0);
    lingering.clock.advance(1);
    expect(lingering.calls).toHaveLength(1);
  });
});

describe('Batcher ordering and window', () => {
  it('resolves items in submission order when flushes finish out of order', async () => {
    const { calls, batcher, ok } = harness({ maxCount: 2, maxInFlight: 3 });
    const log: string[] = [];
    const acks = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => batcher.add(x).then((r) => log.push(r)));
    expect(calls).toHaveLength(3);
    ok(2);
    await settle();
    expect(log).toEqual([]); // batch 2 done, but 0 and 1 are not
    expect(batcher.stats().inFlight).toBe(3); // a slot frees only in order
    ok(1);
    await settle();
    expect(log).toEqual([]);
    ok(0);
    await Promise.all(acks);
    expect(log).toEqual(['a:0', 'b:0', 'c:1', 'd:1', 'e:2', 'f:2']);
    expect(batcher.stats().inFlight).toBe(0);
  });

  it('never runs more than maxInFlight flushes, and a disciplined producer stays bounded', async () => {
    const maxInFlight = 4;
    const maxCount = 10;
    const { calls, batcher, maxConcurrent } = harness<number>({ maxCount, maxInFlight, lingerMs: 1 });
    // Settle flushes in a scrambled order, a few at a time, on later turns of the event loop.
    let seed = 7;
    let stop = false;
    const settler = (async () => {
      while (!stop || calls.some((c) => c.items.length > 0)) {
        await settle();
        const open = calls.filter((c) => c.items.length > 0);
        seed = (seed * 16807) % 2147483647;
        const call = open[seed % Math.max(1, open.length)];
        if (call === undefined) continue;
        const items = call.items;
        call.items = [];
        call.resolve(items.map(String));
      }
    })();
    const results: Promise<string>[] = [];
    let maxPending = 0;
    for (let i = 0; i < 2000; i++) {
      if (!batcher.canAccept) await batcher.ready;
      results.push(batcher.add(i));
      const s = batcher.stats();
      maxPending = Math.max(maxPending, s.pendingItems + s.inFlight * maxCount);
    }
    await batcher.close();
    stop = true;
    await settler;
    expect(maxConcurrent()).toBe(maxInFlight);
    expect(maxPending).toBeLessThanOrEqual((maxInFlight + 3) * maxCount);
    expect(await Promise.all(results)).toEqual(Array.from({ length: 2000 }, (_, i) => String(i)));
  });

  it('keeps filling a lingering batch while the window is full, and sends it when a slot frees', async () => {
    const { clock, calls, batcher, ok } = harness({ maxCount: 3, maxInFlight: 1, lingerMs: 5 });
    batcher.offer('a');
    clock.advance(5);
    expect(calls).toHaveLength(1);
    batcher.offer('b');
    clock.advance(5); // due, but the window is full
    batcher.offer('c');
    expect(calls).toHaveLength(1);
    expect(batcher.canAccept).toBe(true);
    ok(0);
    await settle();
    expect(calls.map((c) => c.items)).toEqual([['a'], ['b', 'c']]);
  });

  it('refuses items while a full batch waits for a slot: add rejects, offer returns false, ready waits', async () => {
    const { calls, batcher, ok } = harness({ maxCount: 2, maxInFlight: 1 });
    batcher.offer('a');
    batcher.offer('b'); // sent
    batcher.offer('c');
    batcher.offer('d'); // full, waiting
    expect(calls).toHaveLength(1);
    expect(batcher.canAccept).toBe(false);
    expect(batcher.offer('e')).toBe(false);
    await expect(batcher.add('e')).rejects.toMatchObject({ code: 'EVQ_ERR_LIMIT_EXCEEDED' });
    let ready = false;
    void batcher.ready.then(() => {
      ready = true;
    });
    await settle();
    expect(ready).toBe(false);
    ok(0);
    await settle();
    expect(ready).toBe(true);
    expect(batcher.canAccept).toBe(true);
    expect(calls.map((c) => c.items)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(batcher.stats().pendingItems).toBe(0);
    expect(batcher.offer('e')).toBe(true);
  });
});

describe('Batcher failures', () => {
  it("mixes add and offer in one batch: each promise gets its own item's result", async () => {
    const { calls, batcher, ok } = harness({ maxCount: 4 });
    batcher.offer('a');
    const b = batcher.add('b');
    batcher.offer('c');
    const d = batcher.add('d');
    expect(calls.map((c) => c.items)).toEqual([['a', 'b', 'c', 'd']]);
    ok(0);
    expect(await Promise.all([b, d])).toEqual(['b:0', 'd:0']);
  });

  it('a failed mixed batch rejects its add()ed items and reports the offered ones through flush', async () => {
    const { calls, batcher } = harness({ maxCount: 3 });
    const a = batcher.add('a');
    batcher.offer('b');
    const c = batcher.add('c');
    const boom = new Error('nope');
    calls[0]?.reject(boom);
    await expect(a).rejects.toBe(boom);
    await expect(c).rejects.toBe(boom);
    await expect(batcher.flush()).rejects.toBe(boom);
    expect(batcher.stats()).toMatchObject({ failedBatches: 1, failedItems: 3 });
  });
  it('a failed flush rejects exactly the items of its batch, with its error', async () => {
    const { calls, batcher, ok } = harness({ maxCount: 2, maxInFlight: 3 });
    const acks = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => batcher.add(x));
    const outcomes = Promise.allSettled(acks);
    const boom = new Error('broker said no');
    ok(0);
    calls[1]?.reject(boom);
    ok(2);
    const settled = await outcomes;
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toBe(boom);
    expect(batcher.stats()).toMatchObject({ failedBatches: 1, failedItems: 2, inFlight: 0 });
    await batcher.flush(); // add()ed failures are reported by their promises, not by flush
  });

  it('a flush that throws synchronously, or returns the wrong number of results, fails its batch only', async () => {
    let n = 0;
    const batcher = new Batcher<string, number>({
      clock: new ManualClock(),
      maxCount: 2,
      flush: (items) => {
        n++;
        if (n === 1) throw new Error('sync');
        if (n === 2) return Promise.resolve([1]);
        return Promise.resolve(items.map((x) => x.length));
      },
    });
    const acks = ['a', 'b', 'c', 'd', 'ee', 'fff'].map((x) => batcher.add(x));
    const settled = await Promise.allSettled(acks);
    expect((settled[0] as PromiseRejectedResult).reason).toEqual(new Error('sync'));
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'EVQ_ERR_INTERNAL' });
    expect(settled.slice(4)).toEqual([
      { status: 'fulfilled', value: 2 },
      { status: 'fulfilled', value: 3 },
    ]);
  });

  it('reports a failure of offered items through the next flush, once', async () => {
    const { calls, batcher, ok } = harness({ maxCount: 2 });
    batcher.offer('a');
    batcher.offer('b');
    const boom = new Error('lost');
    calls[0]?.reject(boom);
    await expect(batcher.flush()).rejects.toBe(boom);
    await expect(batcher.flush()).resolves.toBeUndefined();
    batcher.offer('c');
    const closing = batcher.close();
    calls[1]?.reject(new Error('again'));
    await expect(closing).rejects.toThrow('again');
    ok(1); // late settle of an already settled promise: ignored
  });
});

describe('Batcher flush and close', () => {
  it('flush() sends what is pending now and resolves when everything so far is acknowledged', async () => {
    const { calls, batcher, ok } = harness({ maxCount: 100 });
    const a = batcher.add('a');
    const b = batcher.add('b');
    let flushed = false;
    const f = batcher.flush().then(() => {
      flushed = true;
    });
    expect(calls.map((c) => c.items)).toEqual([['a', 'b']]);
    const c = batcher.add('c'); // after the flush: not waited for
    await settle();
    expect(flushed).toBe(false);
    ok(0);
    await f;
    expect(await Promise.all([a, b])).toEqual(['a:0', 'b:0']);
    expect(batcher.stats().pendingItems).toBe(1);
    const again = batcher.flush();
    ok(1);
    await again;
    expect(await c).toBe('c:1');
  });

  it('flush() with nothing pending resolves at once', async () => {
    const { batcher } = harness();
    await expect(batcher.flush()).resolves.toBeUndefined();
  });

  it('close() drains everything, then refuses items with EVQ_ERR_CLOSED', async () => {
    const { calls, batcher, ok, clock } = harness({ maxCount: 2, maxInFlight: 1 });
    const acks = ['a', 'b', 'c'].map((x) => batcher.add(x));
    let closed = false;
    const closing = batcher.close().then(() => {
      closed = true;
    });
    expect(batcher.close()).toBe(batcher.close());
    expect(batcher.closed).toBe(true);
    expect(batcher.canAccept).toBe(false);
    await batcher.ready; // resolves on close
    const late = batcher.add('z');
    await expect(late).rejects.toBeInstanceOf(EvqError);
    await expect(late).rejects.toMatchObject({ code: 'EVQ_ERR_CLOSED' });
    expect(() => batcher.offer('z')).toThrow(expect.objectContaining({ code: 'EVQ_ERR_CLOSED' }));
    ok(0);
    await settle();
    expect(calls.map((c) => c.items)).toEqual([['a', 'b'], ['c']]);
    expect(closed).toBe(false);
    ok(1);
    await closing;
    expect(await Promise.all(acks)).toEqual(['a:0', 'b:0', 'c:1']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('lets a flush function add more items (re-entrancy)', async () => {
    const clock = new ManualClock();
    const seen: string[][] = [];
    const batcher: Batcher<string, string> = new Batcher<string, string>({
      clock,
      maxCount: 2,
      flush: (items) => {
        seen.push(items);
        if (items.includes('a')) void batcher.add('from-flush');
        return Promise.resolve(items);
      },
    });
    const acks = [batcher.add('a'), batcher.add('b'), batcher.add('c')];
    await batcher.close();
    expect(await Promise.all(acks)).toEqual(['a', 'b', 'c']);
    expect(seen).toEqual([
      ['a', 'b'],
      ['from-flush', 'c'],
    ]);
  });

  it('refuses bad options and a bad sizeOf result', async () => {
    const flush = (items: string[]): Promise<string[]> => Promise.resolve(items);
    for (const bad of [
      { maxCount: 0 },
      { maxCount: 1.5 },
      { maxBytes: 0 },
      { lingerMs: -1 },
      { maxInFlight: 0 },
      { lingerMs: Number.NaN },
    ]) {
      expect(() => new Batcher({ flush, ...bad })).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_ARGUMENT' }));
    }
    const batcher = new Batcher<string, string>({ flush, clock: new ManualClock(), sizeOf: () => Number.NaN });
    await expect(batcher.add('x')).rejects.toMatchObject({ code: 'EVQ_ERR_INVALID_ARGUMENT' });
    expect(() => batcher.offer('x')).toThrow(EvqError);
    expect(batcher.stats().pendingItems).toBe(0);
  });
});
