/**
 * A bounded FIFO queue on a circular array whose length is a power of two, so that wrapping is a bit mask.
 *
 * Pure: no I/O, no timers.
 */

import { EvqUsageError } from '../errors.js';

/** Largest capacity a ring buffer accepts (2^30 slots). */
export const RING_BUFFER_MAX_CAPACITY = 2 ** 30;

/** Smallest array a ring buffer starts with; it doubles from there up to its capacity. */
const INITIAL_SLOTS = 16;

/** The smallest power of two ≥ `n` (n ≥ 1, n ≤ 2^30). */
function nextPowerOfTwo(n: number): number {
  return n <= 1 ? 1 : 2 ** (32 - Math.clz32(n - 1));
}

/**
 * A bounded first-in first-out queue.
 *
 * **Capacity.** The bound is exactly the `capacity` given (any integer from 1 to 2^30) — `push` refuses the
 * item after it. The backing array is a power of two (the capacity rounded up) so that indexes wrap with a
 * mask; it starts small (16 slots) and doubles as the queue fills, so a large, mostly empty ring costs
 * little memory.
 *
 * **No leaks.** Every slot an item leaves (`shift`, `clear`, `pushOverwrite` evicting) is reset to
 * `undefined`, so the ring never keeps a removed item alive.
 *
 * **Iteration** yields the items in FIFO order without removing them; changing the ring while iterating
 * makes the iterator throw.
 *
 * @example
 * const ring = new RingBuffer<string>(2);
 * ring.push('a'); ring.push('b'); ring.push('c'); // true, true, false (full)
 * ring.shift(); // 'a'
 */
export class RingBuffer<T> implements Iterable<T> {
  #slots: (T | undefined)[];
  #mask: number;
  #head = 0;
  #length = 0;
  #version = 0;
  readonly #capacity: number;
  readonly #maxSlots: number;

  /** @param capacity most items held at once: an integer from 1 to {@link RING_BUFFER_MAX_CAPACITY}. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > RING_BUFFER_MAX_CAPACITY) {
      throw new EvqUsageError(
        'EVQ_ERR_INVALID_ARGUMENT',
        `ring buffer capacity must be an integer from 1 to ${RING_BUFFER_MAX_CAPACITY}, got ${String(capacity)}`,
      );
    }
    this.#capacity = capacity;
    this.#maxSlots = nextPowerOfTwo(capacity);
    const slots = Math.min(INITIAL_SLOTS, this.#maxSlots);
    this.#slots = new Array<T | undefined>(slots).fill(undefined);
    this.#mask = slots - 1;
  }

  /** Most items the ring holds at once (as given to the constructor). */
  get capacity(): number {
    return this.#capacity;
  }

  /** Number of items held. */
  get length(): number {
    return this.#length;
  }

  /** Whether the ring holds no item. */
  get isEmpty(): boolean {
    return this.#length === 0;
  }

  /** Whether the ring holds `capacity` items (the next `push` returns false). */
  get isFull(): boolean {
    return this.#length === this.#capacity;
  }

  /** Appends `item` at the tail; returns false, and changes nothing, when the ring is full. O(1) amortised. */
  push(item: T): boolean {
    if (this.#length === this.#capacity) return false;
    if (this.#length === this.#slots.length) this.#grow();
    this.#slots[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
    this.#version++;
    return true;
  }

  /**
   * Appends `item`, evicting the oldest item first when the ring is full (a "last N" window). Returns the
   * evicted item, or `undefined` when nothing was evicted.
   */
  pushOverwrite(item: T): T | undefined {
    const evicted = this.#length === this.#capacity ? this.shift() : undefined;
    this.push(item);
    return evicted;
  }

  /** Removes and returns the oldest item; `undefined` when empty. O(1). */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const head = this.#head;
    const item = this.#slots[head];
    this.#slots[head] = undefined; // release the reference
    this.#head = (head + 1) & this.#mask;
    this.#length--;
    this.#version++;
    return item;
  }

  /** The oldest item without removing it; `undefined` when empty. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#slots[this.#head];
  }

  /** The newest item without removing it; `undefined` when empty. */
  peekLast(): T | undefined {
    return this.#length === 0 ? undefined : this.#slots[(this.#head + this.#length - 1) & this.#mask];
  }

  /** The item at position `index` from the oldest (0) to the newest (`length - 1`); `undefined` outside. */
  at(index: number): T | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.#length) return undefined;
    return this.#slots[(this.#head + index) & this.#mask];
  }

  /** Removes every item (and releases the references to them). */
  clear(): void {
    const slots = this.#slots;
    for (let i = 0; i < this.#length; i++) slots[(this.#head + i) & this.#mask] = undefined;
    this.#head = 0;
    this.#length = 0;
    this.#version++;
  }

  /** The items in FIFO order, as a new array. */
  toArray(): T[] {
    const out = new Array<T>(this.#length);
    for (let i = 0; i < this.#length; i++) out[i] = this.#slots[(this.#head + i) & this.#mask] as T;
    return out;
  }

  /** Yields the items in FIFO order without removing them; throws if the ring changes meanwhile. */
  *[Symbol.iterator](): Iterator<T> {
    const version = this.#version;
    for (let i = 0; i < this.#length; i++) {
      if (this.#version !== version) throw new Error('RingBuffer changed during iteration');
      yield this.#slots[(this.#head + i) & this.#mask] as T;
    }
    if (this.#version !== version) throw new Error('RingBuffer changed during iteration');
  }

  /** Doubles the backing array, unrolling the items to start at slot 0. */
  #grow(): void {
    const old = this.#slots;
    const size = Math.min(old.length * 2, this.#maxSlots);
    const slots = new Array<T | undefined>(size).fill(undefined);
    for (let i = 0; i < this.#length; i++) slots[i] = old[(this.#head + i) & this.#mask];
    this.#slots = slots;
    this.#mask = size - 1;
    this.#head = 0;
  }
}
