/**
 * A binary min-heap over a comparator, with optional position tracking so that any element can be removed
 * in O(log n) (the scheduler cancels delayed items this way, the manual clock clears timers this way).
 *
 * Pure: no I/O, no timers.
 */

/** Orders two values: negative when `a` comes first, positive when `b` does, 0 when they tie. */
export type Comparator<T> = (a: T, b: T) => number;

/** Options of a {@link MinHeap}. */
export interface MinHeapOptions<T> {
  /**
   * Called every time an element takes a new position in the heap's array, with that position, and with
   * `-1` when it leaves the heap (popped, removed or cleared). Storing the index on the element lets a caller
   * remove it later with {@link MinHeap.removeAt} in O(log n) without searching. Keep it cheap: it runs
   * inside the sift loops.
   */
  onMove?: (value: T, index: number) => void;
}

/**
 * A binary min-heap: `peek()` is the smallest element by the comparator; `push` and `pop` are O(log n).
 *
 * The heap is not stable: elements that compare equal come out in no particular order. Callers that need
 * FIFO order among equals break ties themselves (e.g. with an insertion sequence number, as the scheduler
 * does).
 *
 * @example
 * const heap = new MinHeap<number>((a, b) => a - b);
 * heap.push(3); heap.push(1); heap.push(2);
 * heap.pop(); // 1
 */
export class MinHeap<T> {
  readonly #items: T[] = [];
  readonly #compare: Comparator<T>;
  readonly #onMove: ((value: T, index: number) => void) | undefined;

  /**
   * @param compare orders the elements; it must be a consistent total preorder.
   * @param options see {@link MinHeapOptions}.
   */
  constructor(compare: Comparator<T>, options: MinHeapOptions<T> = {}) {
    this.#compare = compare;
    this.#onMove = options.onMove;
  }

  /** Number of elements in the heap. */
  get size(): number {
    return this.#items.length;
  }

  /** Whether the heap holds no element. */
  get isEmpty(): boolean {
    return this.#items.length === 0;
  }

  /** Adds `value` in O(log n). */
  push(value: T): void {
    const items = this.#items;
    items.push(value);
    this.#siftUp(items.length - 1, value);
  }

  /** The smallest element, without removing it; `undefined` when empty. O(1). */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Removes and returns the smallest element; `undefined` when empty. O(log n). */
  pop(): T | undefined {
    return this.removeAt(0);
  }

  /**
   * The element at position `index` of the heap's array (not the index-th smallest), `undefined` when out of
   * range. Together with {@link MinHeapOptions.onMove} this checks that a tracked element is still in the heap:
   * `heap.at(el.index) === el`.
   */
  at(index: number): T | undefined {
    return index >= 0 ? this.#items[index] : undefined;
  }

  /**
   * Removes and returns the element at position `index` of the heap's array in O(log n); `undefined` (and no
   * change) when `index` is out of range or not an integer.
   */
  removeAt(index: number): T | undefined {
    const items = this.#items;
    const n = items.length;
    if (!Number.isInteger(index) || index < 0 || index >= n) return undefined;
    const removed = items[index] as T;
    const last = items.pop() as T;
    if (index < n - 1) {
      // Put the last element in the hole, then restore the heap order in whichever direction it is broken.
      if (index > 0 && this.#compare(last, items[(index - 1) >>> 1] as T) < 0) this.#siftUp(index, last);
      else this.#siftDown(index, last);
    }
    this.#onMove?.(removed, -1);
    return removed;
  }

  /**
   * Restores the heap order after the element at `index` changed its key (either direction), in O(log n).
   * Does nothing when `index` is out of range.
   */
  update(index: number): void {
    const items = this.#items;
    if (!Number.isInteger(index) || index < 0 || index >= items.length) return;
    const value = items[index] as T;
    if (index > 0 && this.#compare(value, items[(index - 1) >>> 1] as T) < 0) this.#siftUp(index, value);
    else this.#siftDown(index, value);
  }

  /** Removes every element (each gets `onMove(value, -1)`). */
  clear(): void {
    const items = this.#items.splice(0);
    const onMove = this.#onMove;
    if (onMove !== undefined) for (const value of items) onMove(value, -1);
  }

  /** A copy of the elements in heap-array order (not sorted). */
  toArray(): T[] {
    return this.#items.slice();
  }

  /** Removes and yields every element in ascending order (the heap is empty afterwards if run to the end). */
  *drain(): Generator<T, void, undefined> {
    while (this.#items.length > 0) yield this.pop() as T;
  }

  // Hole-based sifts: move the hole instead of swapping, write `value` once at the end.
  #siftUp(index: number, value: T): void {
    const items = this.#items;
    const compare = this.#compare;
    const onMove = this.#onMove;
    let i = index;
    while (i > 0) {
      const parentIndex = (i - 1) >>> 1;
      const parent = items[parentIndex] as T;
      if (compare(value, parent) >= 0) break;
      items[i] = parent;
      if (onMove !== undefined) onMove(parent, i);
      i = parentIndex;
    }
    items[i] = value;
    if (onMove !== undefined) onMove(value, i);
  }

  /**
   * Bottom-up sift-down (Floyd): walk the hole down to a leaf along the smaller children (one comparison per
   * level instead of two), then sift `value` up from there, never above `index`. The element that fills a
   * hole is usually a leaf's, which belongs near the bottom, so the second walk is short: on large heaps this
   * halves the comparisons — and the cache misses — of a pop.
   */
  #siftDown(index: number, value: T): void {
    const items = this.#items;
    const compare = this.#compare;
    const onMove = this.#onMove;
    const n = items.length;
    let i = index;
    for (;;) {
      let childIndex = 2 * i + 1;
      if (childIndex >= n) break;
      let child = items[childIndex] as T;
      const rightIndex = childIndex + 1;
      if (rightIndex < n) {
        const right = items[rightIndex] as T;
        if (compare(right, child) < 0) {
          childIndex = rightIndex;
          child = right;
        }
      }
      items[i] = child;
      if (onMove !== undefined) onMove(child, i);
      i = childIndex;
    }
    while (i > index) {
      const parentIndex = (i - 1) >>> 1;
      const parent = items[parentIndex] as T;
      if (compare(value, parent) >= 0) break;
      items[i] = parent;
      if (onMove !== undefined) onMove(parent, i);
      i = parentIndex;
    }
    items[i] = value;
    if (onMove !== undefined) onMove(value, i);
  }
}
