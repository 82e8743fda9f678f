/**
 * Reusable `Buffer`s for encoding batches and frames, so that a steady stream of batches reuses the same few
 * allocations instead of churning external memory (and the GC work that comes with it).
 *
 * Pure: no I/O, no timers.
 */

import { EvqError, EvqUsageError } from '../errors.js';
import { LIMITS } from './limits.js';

/** Options of a {@link BufferPool}; every size is in bytes. */
export interface BufferPoolOptions {
  /** Smallest size class, a power of two; default `LIMITS.bufferPoolMinSize`. */
  minSize?: number;
  /** Largest size class kept, a power of two ≥ `minSize`; default `LIMITS.bufferPoolMaxSize`. */
  maxSize?: number;
  /** Most free buffers kept per size class; default `LIMITS.bufferPoolMaxFreePerClass`. */
  maxFreePerClass?: number;
  /**
   * Most bytes kept in free lists across all classes; a release past it drops the buffer. Default
   * {@link DEFAULT_POOL_MAX_BYTES_HELD}. (Without it, 32 free buffers of the 16 MiB class alone could pin
   * 512 MiB.)
   */
  maxBytesHeld?: number;
}

/** Default cap on the bytes a pool keeps in its free lists: 64 MiB. */
export const DEFAULT_POOL_MAX_BYTES_HELD: number = LIMITS.bufferPoolMaxBytesHeld;

/** Counters of a {@link BufferPool}, as returned by {@link BufferPool.stats}. */
export interface BufferPoolStats {
  /** `acquire` calls served from a free list. */
  hits: number;
  /** `acquire` calls that allocated (including oversized ones). */
  misses: number;
  /** `release` calls that took back a buffer of this pool (kept or dropped). */
  releases: number;
  /** Released buffers not kept: oversized, free list full, or `maxBytesHeld` reached. */
  dropped: number;
  /** `release` calls with a buffer that this pool never handed out (ignored). */
  foreign: number;
  /** Buffers handed out and not yet released. */
  inUse: number;
  /** Buffers kept in the free lists now. */
  buffersHeld: number;
  /** Bytes kept in the free lists now. */
  bytesHeld: number;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/**
 * A pool of `Buffer`s in power-of-two size classes from `minSize` to `maxSize`.
 *
 * - `acquire(size)` returns the **whole class buffer** — its `length` is the class size, ≥ `size` — filled
 *   with whatever it held before (like `Buffer.allocUnsafe`: only read what you wrote). Give that same object
 *   back to `release`; never a `subarray` of it (a subarray is a different object: it would be ignored as
 *   foreign, and the buffer simply not reused).
 * - A request larger than `maxSize` is allocated exactly and not kept when released.
 * - `release(buf)` puts the buffer on its class's free list, unless the list holds `maxFreePerClass` already
 *   or the pool holds `maxBytesHeld` bytes: then it is dropped for the GC.
 * - **Double release throws** an `EvqError` with code `EVQ_ERR_INTERNAL`: a buffer released twice would later
 *   be handed to two users at once, silently corrupting one's data. A buffer the pool never handed out is
 *   **ignored** (counted as `foreign`), so a caller may release unconditionally.
 * - After `release`, the caller must not touch the buffer: the pool may hand it to someone else.
 */
export class BufferPool {
  readonly minSize: number;
  readonly maxSize: number;
  readonly maxFreePerClass: number;
  readonly maxBytesHeld: number;
  readonly #minShift: number;
  readonly #free: Buffer[][];
  /** Every buffer handed out and not yet released. */
  readonly #lent = new WeakSet<Buffer>();
  /** Every buffer this pool ever allocated (to tell a double release from a foreign buffer). */
  readonly #owned = new WeakSet<Buffer>();
  #hits = 0;
  #misses = 0;
  #releases = 0;
  #dropped = 0;
  #foreign = 0;
  #inUse = 0;
  #buffersHeld = 0;
  #bytesHeld = 0;

  constructor(options: BufferPoolOptions = {}) {
    const minSize = options.minSize ?? LIMITS.bufferPoolMinSize;
    const maxSize = options.maxSize ?? LIMITS.bufferPoolMaxSize;
    const maxFree = options.maxFreePerClass ?? LIMITS.bufferPoolMaxFreePerClass;
    const maxBytesHeld = options.maxBytesHeld ?? DEFAULT_POOL_MAX_BYTES_HELD;
    if (!isPowerOfTwo(minSize) || !isPowerOfTwo(maxSize) || minSize > maxSize || maxSize > 2 ** 30) {
      throw new EvqUsageError(
        'EVQ_ERR_INVALID_ARGUMENT',
        `buffer pool sizes must be powers of two with minSize <= maxSize <= 1 GiB, got ${minSize} and ${maxSize}`,
      );
    }
    if (!Number.isInteger(maxFree) || maxFree < 0) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `maxFreePerClass must be an integer >= 0, got ${maxFree}`);
    }
    if (!(maxBytesHeld >= 0)) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `maxBytesHeld must be a number >= 0, got ${maxBytesHeld}`);
    }
    this.minSize = minSize;
    this.maxSize = maxSize;
    this.maxFreePerClass = maxFree;
    this.maxBytesHeld = maxBytesHeld;
    this.#minShift = 31 - Math.clz32(minSize);
    const classes = 31 - Math.clz32(maxSize) - this.#minShift + 1;
    this.#free = Array.from({ length: classes }, () => []);
  }

  /** The size of the buffer `acquire(size)` returns: the class size, or `size` itself past `maxSize`. */
  classSize(size: number): number {
    if (size <= this.minSize) return this.minSize;
    if (size > this.maxSize) return size;
    return 2 ** (32 - Math.clz32(size - 1));
  }

  /**
   * A buffer of at least `size` bytes (the whole class buffer, see the class notes), uninitialised.
   * @throws EvqUsageError `EVQ_ERR_INVALID_ARGUMENT` unless `size` is an integer ≥ 0.
   */
  acquire(size: number): Buffer {
    if (!Number.isInteger(size) || size < 0) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `a buffer size must be an integer >= 0, got ${String(size)}`);
    }
    const length = this.classSize(size);
    let buf: Buffer | undefined;
    if (length <= this.maxSize) {
      buf = (this.#free[this.#classIndex(length)] as Buffer[]).pop();
      if (buf !== undefined) {
        this.#hits++;
        this.#buffersHeld--;
        this.#bytesHeld -= length;
      }
    }
    if (buf === undefined) {
      this.#misses++;
      // allocUnsafeSlow: a buffer of its own, never a slice of Node's shared 8 KiB slab.
      buf = Buffer.allocUnsafeSlow(length);
      this.#owned.add(buf);
    }
    this.#lent.add(buf);
    this.#inUse++;
    return buf;
  }

  /**
   * Gives back a buffer obtained from {@link BufferPool.acquire}. Ignores (and counts) a buffer this pool
   * never handed out.
   * @throws EvqError `EVQ_ERR_INTERNAL` when the buffer was already released.
   */
  release(buf: Buffer): void {
    if (!this.#lent.has(buf)) {
      if (this.#owned.has(buf)) {
        throw new EvqError('EVQ_ERR_INTERNAL', 'a pooled buffer was released twice (a use-after-release bug)');
      }
      this.#foreign++;
      return;
    }
    this.#lent.delete(buf);
    this.#inUse--;
    this.#releases++;
    const length = buf.length;
    if (length > this.maxSize || this.#bytesHeld + length > this.maxBytesHeld) {
      this.#drop(buf);
      return;
    }
    const list = this.#free[this.#classIndex(length)] as Buffer[];
    if (list.length >= this.maxFreePerClass) {
      this.#drop(buf);
      return;
    }
    list.push(buf);
    this.#buffersHeld++;
    this.#bytesHeld += length;
  }

  /** Drops every free buffer (buffers in use are unaffected and may still be released). */
  trim(): void {
    for (const list of this.#free) list.length = 0;
    this.#buffersHeld = 0;
    this.#bytesHeld = 0;
  }

  /** A snapshot of the counters. */
  stats(): BufferPoolStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      releases: this.#releases,
      dropped: this.#dropped,
      foreign: this.#foreign,
      inUse: this.#inUse,
      buffersHeld: this.#buffersHeld,
      bytesHeld: this.#bytesHeld,
    };
  }

  #drop(_buf: Buffer): void {
    this.#dropped++; // still in #owned, so a second release of it is still caught as a double release
  }

  #classIndex(classSize: number): number {
    return 31 - Math.clz32(classSize) - this.#minShift;
  }
}

/**
 * A growable writer that encodes into a pooled buffer, growing by acquiring a bigger one from the pool (and
 * releasing the smaller). Multi-byte integers are **big-endian** (network order). The first write acquires
 * the first buffer; {@link BufferWriter.release} gives it back, after which the writer can be used again.
 * A reused writer starts with the size it had grown to last time (at most the pool's `maxSize`), so
 * encoding batch after batch of similar size acquires one buffer per batch and never grows or copies.
 *
 * Values are checked: a number out of range for its type throws a `RangeError` (Node's `ERR_OUT_OF_RANGE`),
 * and nothing is written.
 *
 * @example
 * const w = new BufferWriter(pool);
 * const at = w.skip(4);          // room for a length
 * w.u8(1).u64(Date.now()).utf8('hello');
 * w.setU32(at, w.length - 4);    // backfill it
 * socket.write(w.view(), () => w.release());
 */
export class BufferWriter {
  readonly #pool: BufferPool;
  /** Size asked of the pool for the first buffer: the initial size, then the size last grown to. */
  #startSize: number;
  #buf: Buffer | undefined;
  #length = 0;

  /**
   * @param pool where buffers come from and go back to.
   * @param initialSize the size asked of the pool for the first buffer; default the pool's `minSize`.
   */
  constructor(pool: BufferPool, initialSize: number = pool.minSize) {
    this.#pool = pool;
    this.#startSize = initialSize;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** Size of the current buffer (0 before the first write or after `release`). */
  get capacity(): number {
    return this.#buf === undefined ? 0 : this.#buf.length;
  }

  /** Makes room for `n` more bytes, growing (through the pool) if needed. */
  ensure(n: number): void {
    const needed = this.#length + n;
    const buf = this.#buf;
    if (buf !== undefined && needed <= buf.length) return;
    const size = buf === undefined ? Math.max(needed, this.#startSize) : Math.max(needed, buf.length * 2);
    const next = this.#pool.acquire(size);
    if (buf !== undefined) {
      buf.copy(next, 0, 0, this.#length);
      this.#pool.release(buf);
    }
    this.#buf = next;
  }

  /** Writes an unsigned 8-bit integer. */
  u8(value: number): this {
    this.ensure(1);
    this.#length = (this.#buf as Buffer).writeUInt8(value, this.#length);
    return this;
  }

  /** Writes an unsigned 16-bit integer, big-endian. */
  u16(value: number): this {
    this.ensure(2);
    this.#length = (this.#buf as Buffer).writeUInt16BE(value, this.#length);
    return this;
  }

  /** Writes an unsigned 32-bit integer, big-endian. */
  u32(value: number): this {
    this.ensure(4);
    this.#length = (this.#buf as Buffer).writeUInt32BE(value, this.#length);
    return this;
  }

  /**
   * Writes a non-negative safe integer (< 2^53) as an unsigned 64-bit big-endian integer (offsets,
   * timestamps), without BigInt.
   */
  u64(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`u64 takes a safe integer >= 0, got ${String(value)}`);
    }
    this.ensure(8);
    const buf = this.#buf as Buffer;
    buf.writeUInt32BE(Math.floor(value / 2 ** 32), this.#length);
    buf.writeUInt32BE(value >>> 0, this.#length + 4);
    this.#length += 8;
    return this;
  }

  /** Copies `bytes` in. */
  bytes(bytes: Uint8Array): this {
    const n = bytes.length;
    this.ensure(n);
    (this.#buf as Buffer).set(bytes, this.#length);
    this.#length += n;
    return this;
  }

  /** Writes `text` as UTF-8 (no length, no terminator; `length` before and after tells how many bytes). */
  utf8(text: string): this {
    // Worst case is 3 bytes per UTF-16 unit; only measure exactly when that bound does not fit already.
    const room = this.#buf === undefined ? 0 : this.#buf.length - this.#length;
    if (text.length * 3 > room) this.ensure(Buffer.byteLength(text, 'utf8'));
    this.#length += (this.#buf as Buffer).write(text, this.#length, 'utf8');
    return this;
  }

  /** Reserves `n` bytes (contents undefined) and returns their offset, for a value to be backfilled later. */
  skip(n: number): number {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`skip takes an integer >= 0, got ${String(n)}`);
    this.ensure(n);
    const at = this.#length;
    this.#length += n;
    return at;
  }

  /** Overwrites 4 bytes at `offset` (which must be within what was written) with a big-endian u32. */
  setU32(offset: number, value: number): this {
    if (!Number.isInteger(offset) || offset < 0 || offset + 4 > this.#length) {
      throw new RangeError(`setU32 offset ${String(offset)} is outside the ${this.#length} bytes written`);
    }
    (this.#buf as Buffer).writeUInt32BE(value, offset);
    return this;
  }

  /**
   * The bytes written so far, sharing memory with the pooled buffer: valid until the next write (which may
   * move to a bigger buffer), `reset` or `release`.
   */
  view(): Buffer {
    return this.#buf === undefined ? Buffer.alloc(0) : this.#buf.subarray(0, this.#length);
  }

  /** A copy of the bytes written so far, in a buffer of its own (not pooled). */
  toBuffer(): Buffer {
    return Buffer.from(this.view());
  }

  /** Forgets what was written but keeps the buffer, to encode the next batch into it. */
  reset(): void {
    this.#length = 0;
  }

  /** Gives the buffer back to the pool and empties the writer; the next write acquires a new one. */
  release(): void {
    const buf = this.#buf;
    this.#buf = undefined;
    this.#length = 0;
    if (buf !== undefined) {
      this.#startSize = Math.max(this.#startSize, Math.min(buf.length, this.#pool.maxSize));
      this.#pool.release(buf);
    }
  }
}
