import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RING_BUFFER_MAX_CAPACITY, RingBuffer } from '../../../src/core/ring-buffer.js';
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

describe('RingBuffer', () => {
  it('is a FIFO bounded by exactly its capacity (not rounded up)', () => {
    const ring = new RingBuffer<number>(3);
    expect(ring.capacity).toBe(3);
    expect(ring.isEmpty).toBe(true);
    expect(ring.push(1)).toBe(true);
    expect(ring.push(2)).toBe(true);
    expect(ring.push(3)).toBe(true);
    expect(ring.isFull).toBe(true);
    expect(ring.push(4)).toBe(false);
    expect(ring.length).toBe(3);
    expect(ring.peek()).toBe(1);
    expect(ring.peekLast()).toBe(3);
    expect(ring.shift()).toBe(1);
    expect(ring.push(4)).toBe(true);
    expect(ring.toArray()).toEqual([2, 3, 4]);
    expect([ring.shift(), ring.shift(), ring.shift(), ring.shift()]).toEqual([2, 3, 4, undefined]);
    expect(ring.peek()).toBeUndefined();
    expect(ring.peekLast()).toBeUndefined();
  });

  it('wraps around many times and grows past its initial array', () => {
    const ring = new RingBuffer<number>(1000);
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      while (ring.push(next)) next++;
      expect(ring.length).toBe(1000);
      for (let i = 0; i < 333; i++) expect(ring.shift()).toBe(expected++);
    }
    expect(ring.toArray()).toEqual(Array.from({ length: ring.length }, (_, i) => expected + i));
  });

  it('behaves like an array-backed queue under any sequence of operations (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.oneof(fc.constant('shift'), fc.constant('clear'), fc.integer()), { maxLength: 300 }),
        (capacity, ops) => {
          const ring = new RingBuffer<number>(capacity);
          const model: number[] = [];
          for (const op of ops) {
            if (op === 'shift') expect(ring.shift()).toBe(model.shift());
            else if (op === 'clear') {
              ring.clear();
              model.length = 0;
            } else {
              const ok = model.length < capacity;
              expect(ring.push(op)).toBe(ok);
              if (ok) model.push(op);
            }
            expect(ring.length).toBe(model.length);
            expect(ring.isFull).toBe(model.length === capacity);
            expect(ring.peek()).toBe(model[0]);
            expect([...ring]).toEqual(model);
            expect(ring.at(model.length - 1)).toBe(model[model.length - 1]);
          }
        },
      ),
    );
  });

  it('pushOverwrite evicts the oldest when full', () => {
    const ring = new RingBuffer<string>(2);
    expect(ring.pushOverwrite('a')).toBeUndefined();
    expect(ring.pushOverwrite('b')).toBeUndefined();
    expect(ring.pushOverwrite('c')).toBe('a');
    expect(ring.toArray()).toEqual(['b', 'c']);
  });

  it('at() reads by position from the oldest', () => {
    const ring = new RingBuffer<string>(4);
    for (const s of ['x', 'a', 'b']) ring.push(s);
    ring.shift();
    expect([ring.at(0), ring.at(1), ring.at(2), ring.at(-1), ring.at(0.5)]).toEqual(['a', 'b', undefined, undefined, undefined]);
  });

  it('iterates in FIFO order and throws if changed while iterating', () => {
    const ring = new RingBuffer<number>(8);
    for (let i = 0; i < 5; i++) ring.push(i);
    ring.shift();
    ring.push(5);
    expect([...ring]).toEqual([1, 2, 3, 4, 5]);
    expect(() => {
      for (const x of ring) if (x === 2) ring.push(9);
    }).toThrow(/changed during iteration/);
  });

  it('releases references of removed items (shift, clear, eviction) so the GC can take them', async () => {
    const ring = new RingBuffer<object>(4);
    const refs = (n: number): WeakRef<object>[] =>
      Array.from({ length: n }, (_, i) => {
        const item = { i };
        ring.push(item);
        return new WeakRef(item);
      });
    const shifted = refs(2);
    ring.shift();
    ring.shift();
    const kept = refs(1); // control: still in the ring, must survive
    const cleared = refs(3);
    expect(ring.isFull).toBe(true);
    ring.pushOverwrite({}); // evicts `kept`
    ring.shift(); // removes cleared[0]
    ring.clear();
    const alive = refs(1);
    await collectGarbage();
    expect(shifted.map((r) => r.deref())).toEqual([undefined, undefined]);
    expect(kept[0]?.deref()).toBeUndefined();
    expect(cleared.map((r) => r.deref())).toEqual([undefined, undefined, undefined]);
    expect(alive[0]?.deref()).toEqual({ i: 0 });
    expect(ring.length).toBe(1);
  });

  it('refuses a capacity that is not an integer from 1 to 2^30', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, RING_BUFFER_MAX_CAPACITY + 1]) {
      expect(() => new RingBuffer(bad)).toThrow(EvqError);
    }
    expect(new RingBuffer(RING_BUFFER_MAX_CAPACITY).capacity).toBe(RING_BUFFER_MAX_CAPACITY);
  });
});
