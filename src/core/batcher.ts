/**
 * Local batching with a window of in-flight batches and in-order acknowledgements: the producer side of evq
 * (the client's `produce`, the load generator's producers) hands items one by one and gets each item's
 * result (e.g. the offset the broker assigned) back in submission order.
 *
 * Pure: no I/O; time only through a {@link Clock}.
 */

import { EvqError, EvqUsageError } from '../errors.js';
import { systemClock } from './clock.js';
import type { Clock, TimerHandle } from './clock.js';
import { LIMITS } from './limits.js';

/** What the flush function learns about the batch it sends. */
export interface BatchInfo {
  /** Sequence number of the batch, from 0, in submission order. */
  readonly seq: number;
  /** Bytes of the batch, as summed by `sizeOf`. */
  readonly bytes: number;
}

/**
 * Sends one batch. It resolves to one result per item, in the items' order (e.g. each message's offset: for a
 * broker that answers with a base offset, `items.map((_, i) => base + i)`); a batch-level value can be
 * repeated for each item. A rejection (or a synchronous throw, or a result array of the wrong length) fails
 * exactly the items of this batch. The function owns the `items` array it is given.
 */
export type FlushFn<T, R> = (items: T[], batch: BatchInfo) => Promise<readonly R[]>;

/** Options of a {@link Batcher}. */
export interface BatcherOptions<T, R> {
  /** Sends one batch; see {@link FlushFn}. */
  flush: FlushFn<T, R>;
  /** A batch is sent when it holds this many items; default `LIMITS.defaultBatchCount`. */
  maxCount?: number;
  /**
   * A batch is sent when it holds this many bytes (by `sizeOf`); an item that would take an open batch past
   * it starts the next batch instead. An item larger than `maxBytes` on its own is sent as a batch of one (the
   * batcher does not judge message sizes; the broker's limits do). Default `LIMITS.defaultBatchBytes`.
   */
  maxBytes?: number;
  /**
   * The size of an item in bytes (a finite number ≥ 0). Default: `byteLength` of a `Uint8Array`, UTF-8 length of
   * a string, 0 for anything else (then only `maxCount` and `lingerMs` trigger a flush).
   */
  sizeOf?: (item: T) => number;
  /**
   * Longest wait, from a batch's first item, before a partial batch is sent; default
   * `LIMITS.defaultLingerMs`. With 0, items added in the same tick still go together (the timer fires on the
   * next tick).
   */
  lingerMs?: number;
  /**
   * Latency first: a batch started while the window has room is sent on the next tick (with what was added
   * meanwhile) instead of after `lingerMs`; only while the window is full do batches linger and fill. Under
   * load batches grow as large as before; at low rates nothing waits for the linger. Default false.
   */
  eager?: boolean;
  /** Most batches sent and not yet acknowledged (in order) at once; default `LIMITS.defaultMaxInFlight`. */
  maxInFlight?: number;
  /** Clock of the linger timer; default the system clock. */
  clock?: Clock;
}

/** Counters of a {@link Batcher}, as returned by {@link Batcher.stats}. */
export interface BatcherStats {
  /** Batches handed to the flush function. */
  batches: number;
  /** Items in those batches. */
  items: number;
  /** Bytes (by `sizeOf`) in those batches. */
  bytes: number;
  /** Batches sent and not yet settled in order, now. */
  inFlight: number;
  /** Items added and not yet sent, now. */
  pendingItems: number;
  /** Bytes added and not yet sent, now. */
  pendingBytes: number;
  /** Batches that failed, and the items in them. */
  failedBatches: number;
  failedItems: number;
}

type Resolve<R> = (result: R) => void;
type Reject = (error: unknown) => void;

class Batch<T, R> {
  seq = -1;
  items: T[] = [];
  count = 0;
  /** Items given to `offer` (no promise of their own). */
  offered = 0;
  /**
   * How each item is acknowledged, by position; `undefined` for an item given to `offer`. Created by the
   * batch's first `add`, so a batch of offered items only costs the items array.
   */
  resolves: (Resolve<R> | undefined)[] | undefined;
  rejects: (Reject | undefined)[] | undefined;
  bytes = 0;
  /** The linger time has passed: send as soon as the window allows. */
  due = false;
  done = false;
  results: readonly R[] | undefined;
  failed = false;
  error: unknown;
}

interface FlushWaiter {
  seq: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const RESOLVED: Promise<void> = Promise.resolve();

function defaultSizeOf(item: unknown): number {
  if (item instanceof Uint8Array) return item.byteLength;
  if (typeof item === 'string') return Buffer.byteLength(item, 'utf8');
  return 0;
}

/**
 * Collects items into batches and sends them through an async flush function, at most `maxInFlight` at once,
 * acknowledging every item **in submission order**: a batch that finishes before an earlier one waits for it,
 * and a window slot frees only when the oldest batch settles (as Kafka's in-flight window), so memory stays
 * bounded even when one batch hangs.
 *
 * **A batch is sent** when it reaches `maxCount` items or `maxBytes` bytes, when `lingerMs` have passed since
 * its first item, or on {@link Batcher.flush} / {@link Batcher.close} — each as soon as the window has room.
 * While the window is full, a lingering batch keeps filling until it is full.
 *
 * **Backpressure.** {@link Batcher.canAccept} turns false when a full batch is waiting for a window slot;
 * {@link Batcher.ready} resolves when it turns true again (or the batcher closes). An `add` while it is false
 * is refused (the promise rejects with `EVQ_ERR_LIMIT_EXCEEDED`) and `offer` returns false, so a producer
 * that follows the protocol holds at most `maxInFlight + 2` batches plus the open one:
 *
 * ```ts
 * for await (const line of input) {
 *   if (!batcher.canAccept) await batcher.ready;
 *   acks.push(batcher.add(line));
 * }
 * await batcher.close();
 * ```
 *
 * **Failures.** A failed flush rejects exactly the items of its batch, with the flush's error. An item given
 * to {@link Batcher.offer} has no promise: the first such failure is reported by the next
 * {@link Batcher.flush} or {@link Batcher.close} to complete, which rejects with it. Callers of `add` must
 * handle each promise (or an item's failure becomes an unhandled rejection in their code).
 */
export class Batcher<T, R> {
  readonly #flushFn: FlushFn<T, R>;
  readonly #maxCount: number;
  readonly #maxBytes: number;
  readonly #sizeOf: (item: T) => number;
  readonly #lingerMs: number;
  readonly #eager: boolean;
  readonly #maxInFlight: number;
  readonly #clock: Clock;

  #open: Batch<T, R> | undefined;
  #lingerTimer: TimerHandle | undefined;
  /** Sealed batches waiting for a window slot (at most 2 when producers follow `canAccept`). */
  readonly #queue: Batch<T, R>[] = [];
  /** Batches sent and not yet retired, oldest first. */
  readonly #window: Batch<T, R>[] = [];
  #nextSeq = 0;
  #retiredSeq = -1;
  #pumping = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #readyWaiter: { promise: Promise<void>; resolve: () => void } | undefined;
  readonly #flushWaiters: FlushWaiter[] = [];
  /** First failure of a batch with `offer`ed items, not yet reported by a flush/close. */
  #unreported: { error: unknown } | undefined;

  #batches = 0;
  #items = 0;
  #bytes = 0;
  #pendingItems = 0;
  #pendingBytes = 0;
  #failedBatches = 0;
  #failedItems = 0;

  constructor(options: BatcherOptions<T, R>) {
    this.#flushFn = options.flush;
    this.#maxCount = check('maxCount', options.maxCount ?? LIMITS.defaultBatchCount, true, 1);
    this.#maxBytes = check('maxBytes', options.maxBytes ?? LIMITS.defaultBatchBytes, false, 1);
    this.#lingerMs = check('lingerMs', options.lingerMs ?? LIMITS.defaultLingerMs, false, 0);
    this.#eager = options.eager === true;
    this.#maxInFlight = check('maxInFlight', options.maxInFlight ?? LIMITS.defaultMaxInFlight, true, 1);
    this.#sizeOf = options.sizeOf ?? defaultSizeOf;
    this.#clock = options.clock ?? systemClock;
  }

  /** Whether `add`/`offer` take an item now: false while a full batch waits for a window slot, or once closed. */
  get canAccept(): boolean {
    return !this.#closed && this.#queue.length === 0;
  }

  /** Resolves when {@link Batcher.canAccept} is true again, or the batcher is closed. Never rejects. */
  get ready(): Promise<void> {
    if (this.canAccept || this.#closed) return RESOLVED;
    if (this.#readyWaiter === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.#readyWaiter = { promise, resolve };
    }
    return this.#readyWaiter.promise;
  }

  /** Whether {@link Batcher.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A snapshot of the counters. */
  stats(): BatcherStats {
    return {
      batches: this.#batches,
      items: this.#items,
      bytes: this.#bytes,
      inFlight: this.#window.length,
      pendingItems: this.#pendingItems,
      pendingBytes: this.#pendingBytes,
      failedBatches: this.#failedBatches,
      failedItems: this.#failedItems,
    };
  }

  /**
   * Adds an item; the promise resolves to its result once its batch and every earlier batch are acknowledged,
   * or rejects with its batch's error. Rejects with `EVQ_ERR_CLOSED` after `close()`, with
   * `EVQ_ERR_LIMIT_EXCEEDED` when `canAccept` is false, and with `EVQ_ERR_INVALID_ARGUMENT` when `sizeOf` does
   * not give a finite number ≥ 0.
   */
  add(item: T): Promise<R> {
    try {
      this.#checkAccept();
      this.#stashSize = this.#measure(item);
      this.#stashItem = item;
      return new Promise<R>(this.#executor);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Adds an item without a promise of its own (the cheaper path when only the batch outcome matters: a
   * failure is reported by the next `flush`/`close`). Returns false, taking nothing, when `canAccept` is false.
   * @throws EvqError `EVQ_ERR_CLOSED` after `close()`; `EVQ_ERR_INVALID_ARGUMENT` for a bad `sizeOf` result.
   */
  offer(item: T): boolean {
    if (this.#closed) throw closedError();
    if (this.#queue.length !== 0) return false;
    this.#append(item, this.#measure(item), undefined, undefined);
    return true;
  }

  /**
   * Sends whatever is pending now (as soon as the window allows) and resolves when everything added so far
   * is settled. It resolves even if some `add`ed items failed (their own promises carry that); it rejects with
   * the first failure of an `offer`ed item not yet reported.
   */
  flush(): Promise<void> {
    if (this.#open !== undefined) this.#seal();
    this.#pump();
    const seq = this.#nextSeq - 1;
    if (seq <= this.#retiredSeq) return this.#report();
    return new Promise<void>((resolve, reject) => {
      this.#flushWaiters.push({ seq, resolve, reject });
    });
  }

  /**
   * Refuses further items (`add` rejects, `offer` throws, with `EVQ_ERR_CLOSED`), sends what is pending and
   * resolves when everything is settled — as {@link Batcher.flush}. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closed = true;
      this.#closing = this.flush();
      this.#wakeReady();
    }
    return this.#closing;
  }

  #checkAccept(): void {
    if (this.#closed) throw closedError();
    if (this.#queue.length !== 0) {
      throw new EvqError(
        'EVQ_ERR_LIMIT_EXCEEDED',
        `the batcher's window is full (${this.#maxInFlight} batches in flight): await batcher.ready before adding`,
      );
    }
  }

  #measure(item: T): number {
    const size = this.#sizeOf(item);
    if (typeof size !== 'number' || !(size >= 0) || size === Number.POSITIVE_INFINITY) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `sizeOf must return a finite number >= 0, got ${String(size)}`);
    }
    return size;
  }

  // One executor for every add() (no closure per item): the item waits in the stash for it.
  #stashItem: T | undefined;
  #stashSize = 0;
  readonly #executor = (resolve: Resolve<R>, reject: Reject): void => {
    const item = this.#stashItem as T;
    this.#stashItem = undefined;
    this.#append(item, this.#stashSize, resolve, reject);
  };

  #append(item: T, size: number, resolve: Resolve<R> | undefined, reject: Reject | undefined): void {
    let open = this.#open;
    if (open !== undefined && open.bytes + size > this.#maxBytes) {
      this.#seal();
      open = undefined;
    }
    if (open === undefined) {
      open = new Batch<T, R>();
      this.#open = open;
      const wait = this.#eager && this.#window.length < this.#maxInFlight ? 0 : this.#lingerMs;
      this.#lingerTimer = this.#clock.setTimer(wait, this.#onLinger);
    }
    open.items.push(item);
    if (resolve !== undefined) {
      if (open.resolves === undefined) {
        open.resolves = new Array<Resolve<R> | undefined>(open.count).fill(undefined);
        open.rejects = new Array<Reject | undefined>(open.count).fill(undefined);
      }
      open.resolves.push(resolve);
      (open.rejects as (Reject | undefined)[]).push(reject);
    } else {
      open.offered++;
      if (open.resolves !== undefined) {
        open.resolves.push(undefined);
        (open.rejects as (Reject | undefined)[]).push(undefined);
      }
    }
    open.count++;
    open.bytes += size;
    this.#pendingItems++;
    this.#pendingBytes += size;
    if (open.count >= this.#maxCount || open.bytes >= this.#maxBytes) this.#seal();
    // Only a sealed batch can change what the pump would do (a due open batch waits for a free slot).
    if (this.#queue.length !== 0) this.#pump();
  }

  /** Closes the open batch and queues it for sending. */
  #seal(): void {
    const batch = this.#open;
    if (batch === undefined) return;
    this.#open = undefined;
    if (this.#lingerTimer !== undefined) {
      this.#clock.clearTimer(this.#lingerTimer);
      this.#lingerTimer = undefined;
    }
    batch.seq = this.#nextSeq++;
    this.#queue.push(batch);
  }

  readonly #onLinger = (): void => {
    this.#lingerTimer = undefined;
    if (this.#open === undefined) return;
    this.#open.due = true;
    this.#pump();
  };

  /** Sends queued batches (and a due open one) while the window has room. */
  #pump(): void {
    if (this.#pumping) return; // a flush function that adds re-enters here; the outer loop goes on
    this.#pumping = true;
    try {
      while (this.#window.length < this.#maxInFlight) {
        if (this.#queue.length === 0) {
          if (this.#open === undefined || !this.#open.due) break;
          this.#seal();
        }
        this.#send(this.#queue.shift() as Batch<T, R>);
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#queue.length === 0) this.#wakeReady();
  }

  #send(batch: Batch<T, R>): void {
    const items = batch.items;
    const count = batch.count;
    batch.items = []; // the flush function owns the array now
    this.#window.push(batch);
    this.#batches++;
    this.#items += count;
    this.#bytes += batch.bytes;
    this.#pendingItems -= count;
    this.#pendingBytes -= batch.bytes;
    let sent: Promise<readonly R[]>;
    try {
      sent = Promise.resolve(this.#flushFn(items, { seq: batch.seq, bytes: batch.bytes }));
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (results) => this.#settle(batch, results, false, undefined),
      (error: unknown) => this.#settle(batch, undefined, true, error),
    );
  }

  #settle(batch: Batch<T, R>, results: readonly R[] | undefined, failed: boolean, error: unknown): void {
    const count = batch.count;
    if (!failed && (!Array.isArray(results) || results.length !== count)) {
      failed = true;
      error = new EvqError(
        'EVQ_ERR_INTERNAL',
        `the flush function returned ${Array.isArray(results) ? `${results.length} results` : 'no result array'} ` +
          `for a batch of ${count} items`,
      );
    }
    batch.done = true;
    batch.failed = failed;
    batch.results = results;
    batch.error = error;
    // Retire in order: a batch that finished early waits for every earlier one.
    const window = this.#window;
    while (window.length > 0 && (window[0] as Batch<T, R>).done) this.#retire(window.shift() as Batch<T, R>);
    this.#pump();
  }

  #retire(batch: Batch<T, R>): void {
    const { resolves, rejects } = batch;
    batch.resolves = undefined;
    batch.rejects = undefined;
    if (batch.failed) {
      this.#failedBatches++;
      this.#failedItems += batch.count;
      if (batch.offered > 0) this.#unreported ??= { error: batch.error };
      if (rejects !== undefined) for (const reject of rejects) reject?.(batch.error);
    } else if (resolves !== undefined) {
      const results = batch.results as readonly R[];
      for (let i = 0; i < resolves.length; i++) resolves[i]?.(results[i] as R);
    }
    batch.results = undefined;
    batch.error = undefined;
    this.#retiredSeq = batch.seq;
    const waiters = this.#flushWaiters;
    while (waiters.length > 0 && (waiters[0] as FlushWaiter).seq <= batch.seq) {
      const waiter = waiters.shift() as FlushWaiter;
      this.#report().then(waiter.resolve, waiter.reject);
    }
  }

  /** Resolves, or rejects with (and forgets) the first unreported failure of an offered item. */
  #report(): Promise<void> {
    const unreported = this.#unreported;
    if (unreported === undefined) return RESOLVED;
    this.#unreported = undefined;
    return Promise.reject(unreported.error);
  }

  #wakeReady(): void {
    const waiter = this.#readyWaiter;
    if (waiter !== undefined && (this.#closed || this.#queue.length === 0)) {
      this.#readyWaiter = undefined;
      waiter.resolve();
    }
  }
}

function closedError(): EvqError {
  return new EvqError('EVQ_ERR_CLOSED', 'the batcher is closed');
}

function check(name: string, value: number, integer: boolean, min: number): number {
  if (typeof value !== 'number' || !(value >= min) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `${name} must be ${integer ? 'an integer' : 'a finite number'} >= ${min}, got ${String(value)}`,
    );
  }
  return value;
}
