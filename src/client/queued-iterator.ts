/**
 * A bounded queue read as an async iterator: the shape of nats.js's `QueuedIterator`. A source pushes items;
 * `push` returns false once the queue holds `highWaterMark` items or `highWaterBytes` bytes, and the source
 * is expected to pause (e.g. stop reading its socket); `onDrain` is called when the consumer has taken the
 * queue down to the low-water mark, and the source resumes. Items pushed after `push` returned false are still
 * queued (a socket delivers what it had buffered before it pauses), so the bound is the high-water mark plus
 * what was in flight: memory stays bounded as long as the source honours the signal.
 *
 * Pure: no I/O, no timers.
 */
import { LIMITS } from '../core/limits.js';

export interface QueuedIteratorOptions<T> {
  /** `push` returns false at or above this many queued items (default 1,000). */
  highWaterMark?: number;
  /** `push` returns false at or above this many queued bytes, by `sizeOf` (default 8 MiB). */
  highWaterBytes?: number;
  /** Bytes of an item (default 0: only the count counts). */
  sizeOf?: (item: T) => number;
  /** Called once the queue is back at or below half the high-water marks after `push` returned false. */
  onDrain?: () => void;
  /** Called once when the consumer stops early (`break` in `for await`, `return()`, `throw()`). */
  onReturn?: () => void;
}

export interface QueuedIteratorStats {
  queued: number;
  queuedBytes: number;
  /** Largest number of items queued at once so far. */
  maxQueued: number;
  /** Largest number of bytes queued at once so far. */
  maxQueuedBytes: number;
  /** Items handed to the consumer so far. */
  delivered: number;
  /** Whether the source was told to pause and not yet to resume. */
  paused: boolean;
}

type Waiter<T> = { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void };

const DONE: IteratorResult<never> = { done: true, value: undefined };

export class QueuedIterator<T> implements AsyncIterableIterator<T> {
  readonly #highWaterMark: number;
  readonly #highWaterBytes: number;
  readonly #sizeOf: ((item: T) => number) | undefined;
  readonly #onDrain: (() => void) | undefined;
  readonly #onReturn: (() => void) | undefined;
  /** Items, with a read position so that taking from the front is O(1); compacted as it goes. */
  #items: T[] = [];
  #sizes: number[] = [];
  #head = 0;
  #bytes = 0;
  #waiters: Waiter<T>[] = [];
  /** A `nextBatch` waiting for items (woken by the next push, or the end). */
  #batchWaiter: (() => void) | undefined;
  #ended = false;
  #error: unknown = null;
  #errorThrown = false;
  #paused = false;
  #returned = false;
  #maxQueued = 0;
  #maxQueuedBytes = 0;
  #delivered = 0;

  constructor(options: QueuedIteratorOptions<T> = {}) {
    this.#highWaterMark = Math.max(1, options.highWaterMark ?? LIMITS.clientQueueMessages);
    this.#highWaterBytes = Math.max(1, options.highWaterBytes ?? LIMITS.clientQueueBytes);
    this.#sizeOf = options.sizeOf;
    this.#onDrain = options.onDrain;
    this.#onReturn = options.onReturn;
  }

  /** Items waiting for the consumer. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Whether `end` or `stop` was called (or the consumer returned). */
  get ended(): boolean {
    return this.#ended;
  }

  stats(): QueuedIteratorStats {
    return {
      queued: this.length,
      queuedBytes: this.#bytes,
      maxQueued: this.#maxQueued,
      maxQueuedBytes: this.#maxQueuedBytes,
      delivered: this.#delivered,
      paused: this.#paused,
    };
  }

  /**
   * Queues an item (or hands it straight to a waiting consumer). Returns false when the source should pause:
   * the queue is at its high-water mark. Ignored after `end`/`stop`.
   */
  push(item: T): boolean {
    if (this.#ended) return false;
    const batchWaiter = this.#batchWaiter;
    if (batchWaiter !== undefined) {
      // queued, not handed over: the waiting `nextBatch` takes it with whatever the source pushes in the same run
      this.#batchWaiter = undefined;
      batchWaiter();
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#delivered++;
      waiter.resolve({ done: false, value: item });
      return true;
    }
    const size = this.#sizeOf === undefined ? 0 : this.#sizeOf(item);
    this.#items.push(item);
    this.#sizes.push(size);
    this.#bytes += size;
    const queued = this.length;
    if (queued > this.#maxQueued) this.#maxQueued = queued;
    if (this.#bytes > this.#maxQueuedBytes) this.#maxQueuedBytes = this.#bytes;
    if (queued >= this.#highWaterMark || this.#bytes >= this.#highWaterBytes) this.#paused = true;
    return !this.#paused;
  }

  /**
   * No more items: the consumer gets what is queued, then the end of the iteration, or `error` (thrown by
   * `next()` once, after the queued items).
   */
  end(error: unknown = null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    if (this.length === 0) this.#settleWaiters();
  }

  /** Ends at once: queued items are dropped; a waiting `next()` gets `error` or the end. */
  stop(error: unknown = null): void {
    this.#items = [];
    this.#sizes = [];
    this.#head = 0;
    this.#bytes = 0;
    if (!this.#ended) {
      this.#ended = true;
      this.#error = error;
    }
    this.#settleWaiters();
  }

  /**
   * Every item queued now (at most `max`), in one array: one promise per batch instead of one per item. With
   * nothing queued, waits for the source's next push and takes what it pushed in that synchronous run (a
   * whole decoded frame). Resolves with an empty array at the end; rejects with the error of `end` (once),
   * after the queued items. Not to be mixed with a pending `next()`.
   */
  nextBatch(max: number = Number.POSITIVE_INFINITY): Promise<T[]> {
    if (this.length > 0) return Promise.resolve(this.#takeBatch(max));
    if (this.#ended) return this.#finish().then(() => []);
    return new Promise<void>((resolve) => {
      this.#batchWaiter = resolve;
    }).then(() => (this.length > 0 ? this.#takeBatch(max) : this.#finish().then(() => [])));
  }

  next(): Promise<IteratorResult<T>> {
    if (this.length > 0) {
      const item = this.#take();
      return Promise.resolve({ done: false, value: item });
    }
    if (this.#ended) return this.#finish();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** The consumer stops: the queue is dropped and the owner told (`onReturn`). */
  return(): Promise<IteratorResult<T>> {
    this.#consumerStopped();
    return Promise.resolve(DONE);
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.#consumerStopped();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #consumerStopped(): void {
    this.#errorThrown = true; // the consumer chose to stop: nothing left to tell it
    this.stop(null);
    if (!this.#returned) {
      this.#returned = true;
      this.#onReturn?.();
    }
  }

  #takeBatch(max: number): T[] {
    const n = Math.min(this.length, Math.max(1, max));
    const batch = this.#items.slice(this.#head, this.#head + n);
    this.#advance(n);
    return batch;
  }

  /** Takes the first `n` queued items off the queue (they were handed out). */
  #advance(n: number): void {
    const head = this.#head;
    let bytes = 0;
    for (let i = head; i < head + n; i++) bytes += this.#sizes[i] as number;
    if (head + n === this.#items.length) {
      // emptied: truncated in place (no new arrays per item taken)
      this.#items.length = 0;
      this.#sizes.length = 0;
      this.#head = 0;
    } else {
      (this.#items as (T | undefined)[]).fill(undefined, head, head + n); // let them be collected
      this.#head = head + n;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#sizes = this.#sizes.slice(this.#head);
        this.#head = 0;
      }
    }
    this.#bytes -= bytes;
    this.#delivered += n;
    this.#resumeIfDrained();
  }

  #resumeIfDrained(): void {
    if (this.#paused && this.length <= this.#highWaterMark / 2 && this.#bytes <= this.#highWaterBytes / 2) {
      this.#paused = false;
      if (!this.#ended) this.#onDrain?.();
    }
  }

  #take(): T {
    const item = this.#items[this.#head] as T;
    this.#advance(1);
    return item;
  }

  #finish(): Promise<IteratorResult<T>> {
    if (this.#error !== null && !this.#errorThrown) {
      this.#errorThrown = true;
      return Promise.reject(this.#error);
    }
    return Promise.resolve(DONE);
  }

  #settleWaiters(): void {
    const batchWaiter = this.#batchWaiter;
    this.#batchWaiter = undefined;
    batchWaiter?.();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) this.#finish().then(waiter.resolve, waiter.reject);
  }
}
