import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../../src/core/buffer-pool.js';
import { encodeBatch } from '../../../src/protocol/record-codec.js';
import { validateMessage } from '../../../src/protocol/validate.js';
import { encodeProduceFrame } from '../../../src/protocol/ws-frames.js';
import { encodedRecordBytes, writeBatch, writeProduceFrame } from '../../../src/client/evq/frame-writer.js';
import type { ProduceMessage } from '../../../src/client/types.js';

const headerName = fc.string({ minLength: 1, maxLength: 12 }).filter((n) => !['__proto__', 'constructor', 'prototype'].includes(n));
const message: fc.Arbitrary<ProduceMessage> = fc.record({
  value: fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a))),
  key: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
  headers: fc.option(fc.dictionary(headerName, fc.string({ maxLength: 40 }), { maxKeys: 4 }), { nil: null }),
});

function recordBytes(messages: ProduceMessage[]): number {
  let total = 0;
  for (const m of messages) total += encodedRecordBytes(validateMessage(m), m.headers ? Object.keys(m.headers).length : 0);
  return total;
}

describe('frame-writer', () => {
  it('writes exactly the bytes of encodeProduceFrame(meta, encodeBatch(0, messages)) with timestamps 0', () => {
    const pool = new BufferPool();
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 20 }), fc.option(fc.string({ maxLength: 30 }), { nil: null }), fc.boolean(), (messages, key, gzip) => {
        const meta = { req: 7, topic: 'orders', gzip, dueAt: 1234, idempotencyKey: key };
        const expected = encodeProduceFrame(meta, encodeBatch(0, messages.map((m) => ({ ...m, timestamp: 0 }))));
        const bytes = recordBytes(messages);
        const frame = writeProduceFrame(pool, meta, messages, bytes);
        expect(Buffer.compare(frame.bytes, expected)).toBe(0);
        frame.release();
        const batch = writeBatch(pool, messages, bytes);
        expect(Buffer.compare(batch.bytes, encodeBatch(0, messages.map((m) => ({ ...m, timestamp: 0 }))))).toBe(0);
        batch.release();
      }),
      { numRuns: 300 },
    );
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
