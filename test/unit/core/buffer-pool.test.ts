import { describe, expect, it } from 'vitest';
import { BufferPool, BufferWriter, DEFAULT_POOL_MAX_BYTES_HELD } from '../../../src/core/buffer-pool.js';
import { LIMITS } from '../../../src/core/limits.js';
import { EvqError } from '../../../src/errors.js';

const KiB = 1024;

describe('BufferPool', () => {
  it('defaults to the limits', () => {
    const pool = new BufferPool();
    expect(pool.minSize).toBe(LIMITS.bufferPoolMinSize);
    expect(pool.maxSize).toBe(LIMITS.bufferPoolMaxSize);
    expect(pool.maxFreePerClass).toBe(LIMITS.bufferPoolMaxFreePerClass);
    expect(pool.maxBytesHeld).toBe(DEFAULT_POOL_MAX_BYTES_HELD);
  });

  it('hands out whole power-of-two class buffers of at least the size asked', () => {
    const pool = new BufferPool({ minSize: 4 * KiB, maxSize: 64 * KiB });
    expect(pool.acquire(0).length).toBe(4 * KiB);
    expect(pool.acquire(1).length).toBe(4 * KiB);
    expect(pool.acquire(4 * KiB).length).toBe(4 * KiB);
    expect(pool.acquire(4 * KiB + 1).length).toBe(8 * KiB);
    expect(pool.acquire(33 * KiB).length).toBe(64 * KiB);
    expect(pool.acquire(64 * KiB).length).toBe(64 * KiB);
    expect(pool.classSize(5000)).toBe(8 * KiB);
    expect(pool.stats()).toMatchObject({ hits: 0, misses: 6, inUse: 6 });
  });

  it('reuses a released buffer of the same class (hit) and not of another class', () => {
    const pool = new BufferPool({ minSize: 4 * KiB, maxSize: 64 * KiB });
    const a = pool.acquire(5000);
    pool.release(a);
    expect(pool.stats()).toMatchObject({ releases: 1, buffersHeld: 1, bytesHeld: 8 * KiB, inUse: 0 });
    expect(pool.acquire(100)).not.toBe(a); // 4 KiB class: a miss
    const b = pool.acquire(8 * KiB);
    expect(b).toBe(a);
    expect(pool.stats()).toMatchObject({ hits: 1, misses: 2, buffersHeld: 0, bytesHeld: 0, inUse: 2 });
  });

  it('buffers do not share memory with each other', () => {
    const pool = new BufferPool({ minSize: 4 * KiB, maxSize: 64 * KiB });
    const a = pool.acquire(10);
    const b = pool.acquire(10);
    a.fill(1);
    b.fill(2);
    expect(a.every((x) => x === 1)).toBe(true);
    expect(a.buffer).not.toBe(b.buffer);
  });

  it('allocates past maxSize exactly and does not keep it', () => {
    const pool = new BufferPool({ minSize: 4 * KiB, maxSize: 16 * KiB });
    const big = pool.acquire(16 * KiB + 1);
    expect(big.length).toBe(16 * KiB + 1);
    pool.release(big);
    expect(pool.stats()).toMatchObject({ misses: 1, releases: 1, dropped: 1, buffersHeld: 0, bytesHeld: 0 });
    expect(pool.acquire(16 * KiB + 1)).not.toBe(big);
  });

  it('keeps at most maxFreePerClass free buffers per class', () => {
    const pool = new BufferPool({ minSize: 4 * KiB, maxSize: 16 * KiB, maxFreePerClass: 2 });
    const bufs = [pool.acquire(1), pool.acquire(1), pool.acquire(1), pool.acquire(8 * KiB)];
    for (const b of bufs) pool.release(b);
    expect(pool.stats()).toMatchObject({ releases: 4, dropped: 1, buffersHeld: 3, bytesHeld: 16 * KiB });
  });

  it('keeps at most maxBytesHeld bytes in free lists', () => {
    const pool = new BufferPool({ minSize: 4 * KiB, maxSize: 16 * KiB, maxBytesHeld: 20 * KiB });
    const bufs = [pool.acquire(16 * KiB), pool.acquire(4 * KiB), pool.acquire(4 * KiB)];
    for (const b of bufs) pool.release(b);
    expect(pool.stats()).toMatchObject({ dropped: 1, bytesHeld: 20 * KiB, buffersHeld: 2 });
  });

  it('throws EVQ_ERR_INTERNAL on a double release (kept or dropped), and the free list stays right', () => {
    const pool = new BufferPool({ minSize: 4 * KiB, maxSize: 16 * KiB, maxFreePerClass: 1 });
    const a = pool.acquire(1);
    const b = pool.acquire(1);
    pool.release(a);
    pool.release(b); // dropped: list full
    expect(() => pool.release(a)).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INTERNAL' }));
    expect(() => pool.release(b)).toThrow(EvqError);
    expect(pool.stats()).toMatchObject({ releases: 2, buffersHeld: 1 });
    // a is handed out once, not twice
    expect(pool.acquire(1)).toBe(a);
    expect(pool.acquire(1)).not.toBe(a);
  });

  it('ignores (and counts) a buffer it never handed out, including a subarray of its own', () => {
    const pool = new BufferPool({ minSize: 4 * KiB, maxSize: 16 * KiB });
    pool.release(Buffer.alloc(4 * KiB));
    const a = pool.acquire(1);
    pool.release(a.subarray(0, 10));
    expect(pool.stats()).toMatchObject({ foreign: 2, releases: 0, buffersHeld: 0, inUse: 1 });
    pool.release(a);
    expect(pool.stats()).toMatchObject({ releases: 1, buffersHeld: 1, inUse: 0 });
  });

  it('trim() drops the free buffers', () => {
    const pool = new BufferPool({ minSize: 4 * KiB, maxSize: 16 * KiB });
    const a = pool.acquire(1);
    pool.release(a);
    pool.trim();
    expect(pool.stats()).toMatchObject({ buffersHeld: 0, bytesHeld: 0 });
    expect(pool.acquire(1)).not.toBe(a);
  });

  it('refuses bad sizes and options', () => {
    const pool = new BufferPool();
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => pool.acquire(bad)).toThrow(EvqError);
    expect(() => new BufferPool({ minSize: 3000 })).toThrow(EvqError);
    expect(() => new BufferPool({ minSize: 8 * KiB, maxSize: 4 * KiB })).toThrow(EvqError);
    expect(() => new BufferPool({ maxFreePerClass: -1 })).toThrow(EvqError);
    expect(() => new BufferPool({ maxBytesHeld: Number.NaN })).toThrow(EvqError);
  });
});

describe('BufferWriter', () => {
  const small = (): BufferPool => new BufferPool({ minSize: 16, maxSize: 1024 });

  it('writes big-endian integers, u64 as a number, bytes and UTF-8', () => {
    const w = new BufferWriter(small());
    expect(w.capacity).toBe(0);
    w.u8(0xab)
      .u16(0x0102)
      .u32(0xdeadbeef)
      .u64(2 ** 53 - 1)
      .u64(0x0102030405)
      .bytes(Uint8Array.of(9, 8))
      .utf8('hé€😀');
    const expected = Buffer.concat([
      Buffer.from([0xab, 0x01, 0x02, 0xde, 0xad, 0xbe, 0xef]),
      Buffer.from([0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from([0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05]),
      Buffer.from([9, 8]),
      Buffer.from('hé€😀', 'utf8'),
    ]);
    expect(w.length).toBe(expected.length);
    expect(w.view().equals(expected)).toBe(true);
    expect(w.toBuffer().equals(expected)).toBe(true);
    const view = w.view();
    expect(view.readBigUInt64BE(7)).toBe(2n ** 53n - 1n);
  });

  it('grows through the pool, keeping what was written and releasing the smaller buffer', () => {
    const pool = small();
    const w = new BufferWriter(pool);
    w.u8(1);
    expect(w.capacity).toBe(16);
    const text = 'x'.repeat(100);
    w.utf8(text);
    expect(w.capacity).toBe(128);
    expect(w.view().toString('latin1')).toBe(`\x01${text}`);
    expect(pool.stats()).toMatchObject({ inUse: 1, buffersHeld: 1, releases: 1 });
    w.bytes(Buffer.alloc(2000, 7)); // past the pool's max: allocated exactly
    expect(w.length).toBe(2101);
    expect(w.view().subarray(1, 101).toString()).toBe(text);
    w.release();
    expect(w.length).toBe(0);
    expect(pool.stats().inUse).toBe(0);
  });

  it('sizes UTF-8 exactly when the worst-case estimate does not fit', () => {
    const pool = new BufferPool({ minSize: 16, maxSize: 1 << 20 });
    const w = new BufferWriter(pool);
    const text = 'a'.repeat(5000);
    w.utf8(text); // 5,000 bytes, not 15,000: the 8 KiB class
    expect(w.capacity).toBe(8192);
    w.utf8('€'.repeat(1100)); // 3,300 more bytes
    expect(w.length).toBe(8300);
    expect(w.view().subarray(5000).toString()).toBe('€'.repeat(1100));
  });

  it('reserves and backfills a length (skip + setU32)', () => {
    const w = new BufferWriter(small());
    const at = w.skip(4);
    w.utf8('hello');
    w.setU32(at, w.length - at - 4);
    expect([...w.view()]).toEqual([0, 0, 0, 5, ...Buffer.from('hello')]);
    expect(() => w.setU32(w.length - 2, 1)).toThrow(RangeError);
    expect(() => w.skip(-1)).toThrow(RangeError);
  });

  it('rejects values out of range without writing', () => {
    const w = new BufferWriter(small());
    expect(() => w.u8(256)).toThrow(RangeError);
    expect(() => w.u16(-1)).toThrow(RangeError);
    expect(() => w.u32(2 ** 32)).toThrow(RangeError);
    expect(() => w.u64(2 ** 53)).toThrow(RangeError);
    expect(() => w.u64(-1)).toThrow(RangeError);
    expect(() => w.u64(1.5)).toThrow(RangeError);
    expect(w.length).toBe(0);
  });

  it('reset() keeps the buffer for the next batch; reuse after release acquires again', () => {
    const pool = small();
    const w = new BufferWriter(pool, 64);
    w.u32(1);
    const cap = w.capacity;
    expect(cap).toBe(64);
    w.reset();
    expect(w.length).toBe(0);
    w.u32(2);
    expect(w.capacity).toBe(cap);
    expect([...w.view()]).toEqual([0, 0, 0, 2]);
    w.release();
    w.release(); // harmless
    expect(w.view().length).toBe(0);
    w.u8(3);
    expect(pool.stats()).toMatchObject({ hits: 1, misses: 1, inUse: 1 });
  });

  it('encodes batch after batch with one pooled buffer each and no growth once warm', () => {
    const pool = new BufferPool();
    const w = new BufferWriter(pool);
    const value = Buffer.alloc(100, 1);
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 1000; i++) w.u32(value.length).bytes(value);
      expect(w.length).toBe(104_000);
      w.release();
    }
    const stats = pool.stats();
    // first batch: 4 KiB -> 8 -> 16 -> 32 -> 64 -> 128 KiB (6 misses); then one 128 KiB hit per batch
    expect(stats.misses).toBe(6);
    expect(stats.hits).toBe(19);
    expect(stats.inUse).toBe(0);
  });
});
