import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../../../src/core/buffer-pool.js';
import { validateEncodedBatch } from '../../../../src/protocol/encoded-batch.js';
import { decodeBatch } from '../../../../src/protocol/record-codec.js';
import { encodeBatch } from '../../../../src/protocol/batch-encode.js';
import type { EvqRecord } from '../../../../src/protocol/record.js';
import { validateMessage } from '../../../../src/protocol/validate.js';
import { decodeProduceFrame, encodeProduceFrame } from '../../../../src/protocol/ws-frames.js';
import { encodedRecordBytes, writeBatch, writeProduceFrame } from '../../../../src/client/evq/frame-writer.js';
import type { ProduceMessage } from '../../../../src/client/types.js';

const headerName = fc.string({ minLength: 1, maxLength: 12 }).filter((n) => !['__proto__', 'constructor', 'prototype'].includes(n));
const message: fc.Arbitrary<ProduceMessage> = fc.record({
  value: fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  ),
  key: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
  headers: fc.option(fc.dictionary(headerName, fc.string({ maxLength: 40 }), { maxKeys: 4 }), { nil: null }),
});

function recordBytes(messages: ProduceMessage[]): number {
  let total = 0;
  for (const m of messages) total += encodedRecordBytes(validateMessage(m), m.headers ? Object.keys(m.headers).length : 0);
  return total;
}

function expectMessages(records: EvqRecord[], messages: ProduceMessage[]): void {
  expect(records).toHaveLength(messages.length);
  records.forEach((r, i) => {
    const m = messages[i] as ProduceMessage;
    expect(r.offset).toBe(i);
    expect(r.timestamp).toBe(0);
    expect(r.key).toBe(m.key ?? null);
    expect(r.headers === null ? null : { ...r.headers }).toEqual(m.headers === null || m.headers === undefined ? null : { ...m.headers });
    expect(r.value.equals(typeof m.value === 'string' ? Buffer.from(m.value) : m.value)).toBe(true);
  });
}

describe('frame-writer', () => {
  it('writes produce frames that decode back to the messages, every timestamp 0 ("stamp on arrival")', () => {
    const pool = new BufferPool();
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 20 }),
        fc.option(fc.string({ maxLength: 30 }), { nil: null }),
        fc.boolean(),
        (messages, key, gzip) => {
          const meta = { req: 7, topic: 'orders', gzip, dueAt: 1234, idempotencyKey: key };
          const bytes = recordBytes(messages);
          const frame = writeProduceFrame(pool, meta, messages, bytes);
          const decoded = decodeProduceFrame(frame.bytes);
          // an empty idempotency key is no key on the wire
          expect({ ...decoded, batch: null }).toEqual({ ...meta, idempotencyKey: key === '' ? null : key, batch: null });
          expectMessages(decodeBatch(decoded.batch, 'orders'), messages);
          // the frame is the protocol's own encoding of the same messages
          expect(
            frame.bytes.equals(
              encodeProduceFrame(
                meta,
                encodeBatch(
                  0,
                  messages.map((m) => ({ ...m, timestamp: 0 })),
                ),
              ),
            ),
          ).toBe(true);
          frame.release();
          const batch = writeBatch(pool, messages, bytes);
          expectMessages(decodeBatch(batch.bytes, 't'), messages);
          expect(validateEncodedBatch(batch.bytes).unstamped).toBe(messages.length);
          batch.release();
        },
      ),
      { seed: 31337, numRuns: 300 },
    );
  });

  it('keeps a timestamp a message carries; the others get 0 (the broker stamps them)', () => {
    const pool = new BufferPool();
    const messages: ProduceMessage[] = [{ value: 'a', timestamp: 123 }, { value: 'b' }];
    const frame = writeProduceFrame(
      pool,
      { req: 1, topic: 't', gzip: false, dueAt: 0, idempotencyKey: null },
      messages,
      recordBytes(messages),
    );
    expect(decodeBatch(decodeProduceFrame(frame.bytes).batch, 't').map((r) => r.timestamp)).toEqual([123, 0]);
    frame.release();
  });

  it('gives the buffer back when the messages cannot be encoded', () => {
    const pool = new BufferPool();
    const messages = [{ value: 'a', headers: { '': 'x' } }];
    expect(() => writeBatch(pool, messages, 100)).toThrow(/refused/);
    expect(pool.stats().inUse).toBe(0);
  });

  it('sizes the pooled buffer from the record sizes: one acquire per batch, reused after release', () => {
    const pool = new BufferPool();
    const messages = Array.from({ length: 1000 }, (_, i) => ({ value: `message ${i}`.padEnd(100, '.') }));
    const bytes = recordBytes(messages);
    for (let round = 0; round < 5; round++) {
      const frame = writeProduceFrame(pool, { req: 1, topic: 't', gzip: false, dueAt: 0, idempotencyKey: null }, messages, bytes);
      frame.release();
      frame.release(); // a second release is ignored, never a double release into the pool
    }
    const stats = pool.stats();
    expect(stats.misses).toBe(1);
    expect(stats.hits).toBe(4);
    expect(stats.inUse).toBe(0);
  });
});
