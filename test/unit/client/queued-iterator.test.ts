import { describe, expect, it } from 'vitest';
import { QueuedIterator } from '../../../src/client/queued-iterator.js';

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('QueuedIterator', () => {
  it('hands pushed items to the consumer in order, then ends', async () => {
    const q = new QueuedIterator<number>();
    q.push(1);
    q.push(2);
    const reading = drain(q);
    q.push(3); // straight to the waiting consumer
    q.end();
    expect(await reading).toEqual([1, 2, 3]);
    expect(q.stats().delivered).toBe(3);
  });

  it('says "pause" at the high-water mark and calls onDrain once the consumer is down to half of it', async () => {
    let drained = 0;
    const q = new QueuedIterator<number>({ highWaterMark: 4, onDrain: () => drained++ });
    expect([q.push(1), q.push(2), q.push(3)]).toEqual([true, true, true]);
    expect(q.push(4)).toBe(false);
    expect(q.push(5)).toBe(false); // still queued: the source may have had it in flight
    expect(q.stats()).toMatchObject({ queued: 5, maxQueued: 5, paused: true });
    await q.next();
    await q.next();
    expect(drained).toBe(0);
    await q.next(); // 2 left = half of the mark
    expect(drained).toBe(1);
    expect(q.stats().paused).toBe(false);
    expect(q.push(6)).toBe(true);
  });

  it('counts bytes against highWaterBytes', () => {
    const q = new QueuedIterator<Buffer>({ highWaterBytes: 10, sizeOf: (b) => b.length });
    expect(q.push(Buffer.alloc(6))).toBe(true);
    expect(q.push(Buffer.alloc(6))).toBe(false);
    expect(q.stats()).toMatchObject({ queuedBytes: 12, maxQueuedBytes: 12 });
  });

  it('end(error) delivers what is queued, then throws the error once', async () => {
    const q = new QueuedIterator<number>();
    q.push(1);
    const boom = new Error('boom');
    q.end(boom);
    expect(await q.next()).toEqual({ done: false, value: 1 });
    await expect(q.next()).rejects.toBe(boom);
    expect(await q.next()).toEqual({ done: true, value: undefined });
  });

  it('end(error) reaches a consumer that is already waiting', async () => {
    const q = new QueuedIterator<number>();
    const waiting = q.next();
    q.end(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
  });

  it('stop() drops what is queued', async () => {
    const q = new QueuedIterator<number>();
    q.push(1);
    q.push(2);
    q.stop();
    expect(await q.next()).toEqual({ done: true, value: undefined });
    expect(q.push(3)).toBe(false);
  });

  it('break in for await tells the owner (onReturn) once, and drops the queue', async () => {
    let returned = 0;
    const q = new QueuedIterator<number>({ onReturn: () => returned++ });
    for (let i = 0; i < 10; i++) q.push(i);
    for await (const x of q) if (x === 2) break;
    expect(returned).toBe(1);
    expect(q.length).toBe(0);
    await q.return();
    expect(returned).toBe(1);
  });

  it('stays O(1) per item over many items (the read position is compacted)', async () => {
    const q = new QueuedIterator<number>({ highWaterMark: 1_000_000 });
    for (let i = 0; i < 200_000; i++) q.push(i);
    q.end();
    let sum = 0;
    for await (const x of q) sum += x;
    expect(sum).toBe((200_000 * 199_999) / 2);
  });

  describe('nextBatch', () => {
    it('takes everything queued at once, and a waiting call takes all that one synchronous run pushed', async () => {
      const q = new QueuedIterator<number>();
      q.push(1);
      q.push(2);
      expect(await q.nextBatch()).toEqual([1, 2]);
      const waiting = q.nextBatch();
      for (let i = 3; i <= 6; i++) q.push(i); // one decoded frame
      expect(await waiting).toEqual([3, 4, 5, 6]);
      q.push(7);
      q.push(8);
      q.push(9);
      expect(await q.nextBatch(2)).toEqual([7, 8]);
      expect(await q.nextBatch()).toEqual([9]);
      expect(q.stats()).toMatchObject({ delivered: 9, queued: 0, queuedBytes: 0 });
    });

    it('ends with an empty batch, after what was queued; an error once, after the queued items', async () => {
      const q = new QueuedIterator<number>();
      q.push(1);
      q.end();
      expect(await q.nextBatch()).toEqual([1]);
      expect(await q.nextBatch()).toEqual([]);
      const failing = new QueuedIterator<number>();
      const waiting = failing.nextBatch();
      failing.end(new Error('gone'));
      await expect(waiting).rejects.toThrow('gone');
      expect(await failing.nextBatch()).toEqual([]);
      const stopped = new QueuedIterator<number>();
      const pending = stopped.nextBatch();
      stopped.stop();
      expect(await pending).toEqual([]);
    });

    it('resumes the source (onDrain) once a batch takes the queue below half the high-water marks', async () => {
      let drained = 0;
      const q = new QueuedIterator<Buffer>({ highWaterMark: 4, highWaterBytes: 100, sizeOf: (b) => b.length, onDrain: () => drained++ });
      for (let i = 0; i < 5; i++) q.push(Buffer.alloc(10));
      expect(q.stats()).toMatchObject({ paused: true, queuedBytes: 50 });
      expect(await q.nextBatch(2)).toHaveLength(2);
      expect(drained).toBe(0);
      expect(await q.nextBatch(1)).toHaveLength(1);
      expect(drained).toBe(1);
      expect(q.stats()).toMatchObject({ paused: false, queued: 2, queuedBytes: 20 });
    });

    it('keeps order across many batches with the read position compacted', async () => {
      const q = new QueuedIterator<number>({ highWaterMark: 1_000_000 });
      for (let i = 0; i < 200_000; i++) q.push(i);
      q.end();
      const seen: number[] = [];
      for (let batch = await q.nextBatch(3000); batch.length > 0; batch = await q.nextBatch(3000)) seen.push(...batch);
      expect(seen).toHaveLength(200_000);
      expect(seen.every((x, i) => x === i)).toBe(true);
    });
  });
});
