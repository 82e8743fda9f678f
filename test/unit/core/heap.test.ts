import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../../src/core/heap.js';

const byNumber = (a: number, b: number): number => a - b;

interface Tracked {
  key: number;
  index: number;
}

function trackedHeap(): MinHeap<Tracked> {
  return new MinHeap<Tracked>((a, b) => a.key - b.key, {
    onMove: (value, index) => {
      value.index = index;
    },
  });
}

/** Every parent is <= its children, and every tracked index is where the element really is. */
function assertHeap(heap: MinHeap<Tracked>): void {
  const items = heap.toArray();
  items.forEach((item, i) => {
    expect(item.index).toBe(i);
    if (i > 0) expect((items[(i - 1) >>> 1] as Tracked).key).toBeLessThanOrEqual(item.key);
  });
}

describe('MinHeap', () => {
  it('is empty at first', () => {
    const heap = new MinHeap<number>(byNumber);
    expect(heap.size).toBe(0);
    expect(heap.isEmpty).toBe(true);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
  });

  it('pops in ascending order', () => {
    const heap = new MinHeap<number>(byNumber);
    for (const n of [5, 3, 8, 1, 9, 2, 2, 7]) heap.push(n);
    expect(heap.size).toBe(8);
    expect(heap.peek()).toBe(1);
    expect([...heap.drain()]).toEqual([1, 2, 2, 3, 5, 7, 8, 9]);
    expect(heap.size).toBe(0);
  });

  it('sorts any list of numbers like Array.prototype.sort (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 })), (values) => {
        const heap = new MinHeap<number>(byNumber);
        for (const v of values) heap.push(v);
        const out: number[] = [];
        while (heap.size > 0) out.push(heap.pop() as number);
        expect(out).toEqual([...values].sort(byNumber));
      }),
    );
  });

  it('uses the comparator (a max-heap by reversing it)', () => {
    const heap = new MinHeap<string>((a, b) => b.localeCompare(a));
    for (const s of ['b', 'c', 'a']) heap.push(s);
    expect([...heap.drain()]).toEqual(['c', 'b', 'a']);
  });

  it('tracks positions and removes any element by index in the right order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 100 }),
        (keys, picks) => {
          const heap = trackedHeap();
          const all = keys.map((key) => ({ key, index: -1 }));
          for (const t of all) heap.push(t);
          assertHeap(heap);
          const removed = new Set<Tracked>();
          for (const pick of picks) {
            const victim = all[pick % all.length] as Tracked;
            if (removed.has(victim)) {
              expect(victim.index).toBe(-1);
              continue;
            }
            expect(heap.at(victim.index)).toBe(victim);
            expect(heap.removeAt(victim.index)).toBe(victim);
            expect(victim.index).toBe(-1);
            removed.add(victim);
            assertHeap(heap);
          }
          const rest = [...heap.drain()].map((t) => t.key);
          const expected = all
            .filter((t) => !removed.has(t))
            .map((t) => t.key)
            .sort(byNumber);
          expect(rest).toEqual(expected);
        },
      ),
    );
  });

  it('ignores removeAt out of range', () => {
    const heap = new MinHeap<number>(byNumber);
    heap.push(1);
    expect(heap.removeAt(1)).toBeUndefined();
    expect(heap.removeAt(-1)).toBeUndefined();
    expect(heap.removeAt(0.5)).toBeUndefined();
    expect(heap.size).toBe(1);
    expect(heap.at(-1)).toBeUndefined();
  });

  it('restores order after a key changes (update)', () => {
    const heap = trackedHeap();
    const items = [10, 20, 30, 40, 50].map((key) => ({ key, index: -1 }));
    for (const t of items) heap.push(t);
    const forty = items[3] as Tracked;
    forty.key = 1;
    heap.update(forty.index);
    assertHeap(heap);
    expect(heap.peek()).toBe(forty);
    forty.key = 99;
    heap.update(forty.index);
    assertHeap(heap);
    expect([...heap.drain()].map((t) => t.key)).toEqual([10, 20, 30, 50, 99]);
  });

  it('clear empties the heap and tells every element it left', () => {
    const heap = trackedHeap();
    const items = [3, 1, 2].map((key) => ({ key, index: -1 }));
    for (const t of items) heap.push(t);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(items.map((t) => t.index)).toEqual([-1, -1, -1]);
  });
});
