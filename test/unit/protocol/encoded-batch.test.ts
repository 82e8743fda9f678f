import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../../src/core/limits.js';
import { EvqError } from '../../../src/errors.js';
import { stampBatch, validateEncodedBatch } from '../../../src/protocol/encoded-batch.js';
import type { EncodedBatchInfo } from '../../../src/protocol/encoded-batch.js';
import { BATCH_HEADER_BYTES } from '../../../src/protocol/batch-layout.js';
import { TRUSTED_CODEC_LIMITS, decodeBatch, readBatchHeader } from '../../../src/protocol/record-codec.js';
import { encodeBatch, encodeBatchInto, encodedBatchLength } from '../../../src/protocol/batch-encode.js';
import { validateBatch } from '../../../src/protocol/validate.js';
import type { BatchLimits } from '../../../src/protocol/validate.js';
import type { MessageInput, TimestampedMessage } from '../../../src/protocol/record.js';

const T0 = 1_700_000_000_000;

/**
 * The decode path of the broker, the reference: decode with the trusted limits (as `Connection` does), map
 * timestamp 0 to "none", check the messages against the limits (as `Ingest.check` does, with the same
 * errors as `validateBatch`).
 */
function viaDecode(buf: Buffer, limits: BatchLimits): EncodedBatchInfo {
  const records = decodeBatch(buf, 't', TRUSTED_CODEC_LIMITS);
  const messages: MessageInput[] = records.map((r) => ({
    value: r.value,
    key: r.key,
    headers: r.headers,
    ...(r.timestamp === 0 ? {} : { timestamp: r.timestamp }),
  }));
  const payloadBytes = validateBatch(messages, limits);
  let valueBytes = 0;
  for (const r of records) valueBytes += r.value.length;
  return {
    count: records.length,
    valueBytes,
    payloadBytes,
    unstamped: records.filter((r) => r.timestamp === 0).length,
    keyed: records.filter((r) => r.key !== null).length,
  };
}

type Outcome = { ok: EncodedBatchInfo } | { code: string; message: string };

function outcome(fn: () => EncodedBatchInfo): Outcome {
  try {
    return { ok: fn() };
  } catch (error) {
    if (!(error instanceof EvqError)) throw error;
    return { code: error.code, message: error.message };
  }
}

/** Both checks agree: the same result, or the same error code and message. */
function expectSame(buf: Buffer, limits: BatchLimits = LIMITS): Outcome {
  const expected = outcome(() => viaDecode(buf, limits));
  const before = Buffer.from(buf);
  expect(outcome(() => validateEncodedBatch(buf, limits))).toEqual(expected);
  expect(buf.equals(before)).toBe(true); // the check never writes
  return expected;
}

function codeOf(result: Outcome): string {
  return 'code' in result ? result.code : 'ok';
}

const small: BatchLimits = {
  maxBatchCount: 4,
  maxBatchBytes: 300,
  maxMessageBytes: 100,
  maxKeyBytes: 10,
  maxHeaderCount: 2,
  maxHeaderBytes: 20,
};

describe('validateEncodedBatch', () => {
  it('accepts a well-formed batch and says what it holds', () => {
    const batch = encodeBatch(0, [
      { value: 'hello', timestamp: 0 },
      { value: Buffer.alloc(10, 1), key: 'clé', headers: { a: 'b', 'x-é': 'välue' }, timestamp: T0 },
      { value: '', key: '', headers: {}, timestamp: 0 },
    ]);
    expect(validateEncodedBatch(batch)).toEqual({ count: 3, valueBytes: 15, payloadBytes: 15 + 4 + 1 + 1 + 4 + 6, unstamped: 2, keyed: 2 });
    expectSame(batch);
  });

  it('refuses each limit with the code and the words of the decode path', () => {
    const cases: [MessageInput[], string][] = [
      [[{ value: 'x'.repeat(101) }], 'EVQ_ERR_MESSAGE_TOO_LARGE'],
      [[{ value: 'x', key: 'k'.repeat(11) }], 'EVQ_ERR_MESSAGE_TOO_LARGE'],
      [[{ value: 'x', headers: { a: '1', b: '2', c: '3' } }], 'EVQ_ERR_MESSAGE_TOO_LARGE'],
      [[{ value: 'x', headers: { a: 'v'.repeat(20) } }], 'EVQ_ERR_MESSAGE_TOO_LARGE'],
      [Array.from({ length: 5 }, () => ({ value: 'x' })), 'EVQ_ERR_BATCH_TOO_LARGE'],
      [Array.from({ length: 4 }, () => ({ value: 'x'.repeat(80) })), 'EVQ_ERR_BATCH_TOO_LARGE'],
      [[{ value: 'x'.repeat(100), key: 'k'.repeat(10), headers: { a: 'v'.repeat(18), b: '' } }], 'ok'],
    ];
    for (const [messages, code] of cases) {
      const batch = encodeBatch(
        0,
        messages.map((m) => ({ ...m, timestamp: 0 })),
      );
      expect(codeOf(expectSame(batch, small))).toBe(code);
    }
  });

  it('gives the first problem in the order of the decode path: malformed anywhere, then the count, then record order', () => {
    const tooLargeThenMalformed = encodeBatch(0, [
      { value: 'x'.repeat(101), timestamp: 0 },
      { value: 'v', key: 'kk', timestamp: 0 },
    ]);
    tooLargeThenMalformed[tooLargeThenMalformed.lastIndexOf('kk')] = 0xff;
    expect(codeOf(expectSame(tooLargeThenMalformed, small))).toBe('EVQ_ERR_MALFORMED');

    const countAndValue = encodeBatch(
      0,
      Array.from({ length: 5 }, () => ({ value: 'x'.repeat(101), timestamp: 0 })),
    );
    expect(codeOf(expectSame(countAndValue, small))).toBe('EVQ_ERR_BATCH_TOO_LARGE');

    const keyThenValue = encodeBatch(0, [
      { value: 'x', key: 'k'.repeat(11), timestamp: 0 },
      { value: 'x'.repeat(101), timestamp: 0 },
    ]);
    const result = expectSame(keyThenValue, small);
    expect('message' in result && result.message).toMatch(/a key of 11 bytes/);
  });

  it('refuses every malformation the decoder refuses', () => {
    const batch = encodeBatch(7, [
      { value: 'hello', key: 'k1', headers: { ab: '1', ac: '2' }, timestamp: 0 },
      { value: 'world', timestamp: 0 },
    ]);
    const patch = (at: number, write: (b: Buffer) => void): Buffer => {
      const bad = Buffer.from(batch);
      write(bad.subarray(at));
      return bad;
    };
    const r0 = BATCH_HEADER_BYTES;
    const cases = [
      batch.subarray(0, 30),
      batch.subarray(0, batch.length - 1),
      Buffer.concat([batch, Buffer.alloc(1)]),
      patch(0, (b) => b.writeUInt8(2, 0)), // version
      patch(1, (b) => b.writeUInt8(1, 0)), // flags
      patch(12, (b) => b.writeUInt32BE(1, 0)), // reserved
      patch(4, (b) => b.writeUInt32BE(0xffffffff, 0)), // count
      patch(4, (b) => b.writeUInt32BE(3, 0)),
      patch(4, (b) => b.writeUInt32BE(1, 0)), // bytes left after the last record
      patch(8, (b) => b.writeUInt32BE(batch.length - 1, 0)),
      patch(16, (b) => b.writeDoubleBE(-1, 0)), // base offset
      patch(16, (b) => b.writeDoubleBE(2 ** 60, 0)),
      patch(24, (b) => b.writeDoubleBE(5, 0)), // first timestamp: not record 0's
      patch(32, (b) => b.writeDoubleBE(5, 0)), // max timestamp: not the records'
      patch(r0, (b) => b.writeUInt32BE(3, 0)), // record length
      patch(r0, (b) => b.writeUInt32BE(0xffffff, 0)),
      patch(r0 + 4, (b) => b.writeDoubleBE(-1, 0)), // timestamp
      patch(r0 + 4, (b) => b.writeDoubleBE(0.5, 0)),
      patch(r0 + 12, (b) => b.writeInt32BE(-2, 0)), // key length
      patch(r0 + 12, (b) => b.writeInt32BE(1000, 0)),
      patch(r0 + 16, (b) => b.writeUInt8(0xc3, 1)), // key: invalid UTF-8
      patch(r0 + 18, (b) => b.writeUInt16BE(3, 0)), // header count
      patch(r0 + 20, (b) => b.writeUInt16BE(0, 0)), // empty header name
      patch(r0 + 20, (b) => b.writeUInt16BE(500, 0)),
      patch(r0 + 22, (b) => b.writeUInt8(0xff, 0)), // header name: invalid UTF-8
      patch(r0 + 32, (b) => b.write('b', 0)), // a repeated header name: ab, ab
      patch(r0 + 24, (b) => b.writeUInt32BE(500, 0)), // header value length
      patch(r0 + 28, (b) => b.writeUInt8(0xfe, 0)), // header value: invalid UTF-8
      patch(r0 + 38, (b) => b.writeUInt32BE(4, 0)), // value length short of the record
    ];
    for (const bad of cases) expect(codeOf(expectSame(bad))).toBe('EVQ_ERR_MALFORMED');
  });

  it('refuses the refused header names, and repeats among many headers', () => {
    for (const [fake, real] of [
      ['aaaaaaaaa', '__proto__'],
      ['aaaaaaaaaaa', 'constructor'],
      ['aaaaaaaaa', 'prototype'],
    ] as const) {
      const bytes = encodeBatch(0, [{ value: 'v', headers: { [fake]: 'x' }, timestamp: 0 }]);
      bytes.write(real, bytes.indexOf(fake));
      expect(codeOf(expectSame(bytes))).toBe('EVQ_ERR_MALFORMED');
    }
    const headers: Record<string, string> = {};
    for (let i = 0; i < 40; i++) headers[`h${String(i).padStart(2, '0')}`] = 'v';
    const many = encodeBatch(0, [{ value: 'v', headers, timestamp: 0 }]);
    expect(codeOf(expectSame(many, { ...LIMITS, maxHeaderCount: 64 }))).toBe('ok');
    many.write('h00', many.indexOf('h39'));
    expect(codeOf(expectSame(many, { ...LIMITS, maxHeaderCount: 64 }))).toBe('EVQ_ERR_MALFORMED');
  });
});

// ------------------------------------------------------------------------------------------ the property

const headerName = fc.constantFrom('a', 'b', 'type', 'é', 'x-id', '__proto__', 'constructor', '😀');
const message: fc.Arbitrary<TimestampedMessage> = fc.record({
  value: fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.uint8Array({ maxLength: 60 }).map((a) => Buffer.from(a)),
  ),
  key: fc.option(fc.string({ unit: 'grapheme', maxLength: 12 }), { nil: null }),
  headers: fc.option(
    fc.dictionary(
      headerName.filter((n) => n !== '__proto__' && n !== 'constructor'),
      fc.string({ maxLength: 12 }),
      { maxKeys: 4 },
    ),
    {
      nil: null,
    },
  ),
  timestamp: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 45 })),
});
const limits: fc.Arbitrary<BatchLimits> = fc.record({
  maxBatchCount: fc.integer({ min: 1, max: 8 }),
  maxBatchBytes: fc.integer({ min: 0, max: 400 }),
  maxMessageBytes: fc.integer({ min: 0, max: 60 }),
  maxKeyBytes: fc.integer({ min: 0, max: 30 }),
  maxHeaderCount: fc.integer({ min: 0, max: 4 }),
  maxHeaderBytes: fc.integer({ min: 0, max: 60 }),
});
/** A valid batch, often damaged: bytes overwritten (often in the header or a length field), cut, or grown. */
const batchBytes = fc
  .tuple(
    fc.array(message, { minLength: 1, maxLength: 8 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
    fc.integer({ min: 0, max: 9 }),
    fc.nat(),
  )
  .map(([messages, edits, shape, cut]) => {
    // timestamps of the header must agree with the records for the batch to be valid: encodeBatch does that
    const bytes = Buffer.from(encodeBatch(0, messages));
    for (const [at, value] of edits) {
      // half of the edits hit the first 64 bytes, where the header and the first record's lengths are
      const where = at % 2 === 0 ? at % Math.min(64, bytes.length) : at % bytes.length;
      bytes[where] = value;
    }
    if (shape === 0) return bytes.subarray(0, cut % bytes.length);
    if (shape === 1) return Buffer.concat([bytes, Buffer.alloc(1 + (cut % 3))]);
    return bytes;
  });

describe('validateEncodedBatch against the decode path (property)', () => {
  it('throws exactly when decoding and validating throws, with the same code and message; otherwise says the same', () => {
    let refused = 0;
    let accepted = 0;
    fc.assert(
      fc.property(batchBytes, fc.oneof(limits, fc.constant(LIMITS as BatchLimits)), (bytes, l) => {
        const result = expectSame(bytes, l);
        if ('ok' in result) accepted++;
        else refused++;
      }),
      { seed: 20260301, numRuns: 3000 },
    );
    // the generator reaches both sides
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });
});

// ------------------------------------------------------------------------------------------ stampBatch

describe('stampBatch', () => {
  it('stamps the records without a timestamp, keeps the others, and fixes the header', () => {
    const batch = encodeBatch(0, [
      { value: 'a', timestamp: 0 },
      { value: 'b', timestamp: T0 + 500 },
      { value: 'c', key: 'k', headers: { h: 'v' }, timestamp: 0 },
    ]);
    const before = Buffer.from(batch);
    validateEncodedBatch(batch);
    stampBatch(batch, T0);
    const header = readBatchHeader(batch);
    expect(header.firstTimestamp).toBe(T0);
    expect(header.maxTimestamp).toBe(T0 + 500);
    const records = decodeBatch(batch, 't');
    expect(records.map((r) => r.timestamp)).toEqual([T0, T0 + 500, T0]);
    expect(records.map((r) => r.value.toString())).toEqual(['a', 'b', 'c']);
    expect(validateEncodedBatch(batch).unstamped).toBe(0);
    // only the timestamps changed
    let changed = 0;
    for (let i = 0; i < batch.length; i++) if (batch[i] !== before[i]) changed++;
    expect(changed).toBeLessThanOrEqual(8 * 4);
  });

  it('stamps a batch whose records all wait for a timestamp, and a later one above the stamp stays the max', () => {
    const all = encodeBatch(
      0,
      Array.from({ length: 5 }, (_, i) => ({ value: `m${i}`, timestamp: 0 })),
    );
    stampBatch(all, T0);
    expect(decodeBatch(all, 't').every((r) => r.timestamp === T0)).toBe(true);
    const later = encodeBatch(0, [
      { value: 'a', timestamp: T0 + 9 },
      { value: 'b', timestamp: 0 },
    ]);
    stampBatch(later, T0);
    expect(readBatchHeader(later)).toMatchObject({ firstTimestamp: T0 + 9, maxTimestamp: T0 + 9 });
    expect(decodeBatch(later, 't').map((r) => r.timestamp)).toEqual([T0 + 9, T0]);
  });

  it('refuses a clock that is not a timestamp, and records that do not fill the batch', () => {
    const batch = encodeBatch(0, [{ value: 'a', timestamp: 0 }]);
    expect(() => stampBatch(batch, -1)).toThrow(RangeError);
    expect(() => stampBatch(batch, 1.5)).toThrow(RangeError);
    const bad = Buffer.from(batch);
    bad.writeUInt32BE(2, 4);
    expect(() => stampBatch(bad, T0)).toThrow(/malformed/);
  });
});

// ------------------------------------------------------------------------------------------ encodeBatchInto

const anyMessage: fc.Arbitrary<TimestampedMessage> = fc.record({
  value: fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  ),
  key: fc.option(fc.string({ unit: 'grapheme', maxLength: 20 }), { nil: null }),
  headers: fc.option(
    fc.dictionary(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).filter((s) => !['__proto__', 'constructor', 'prototype'].includes(s)),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      { maxKeys: 5 },
    ),
    { nil: null },
  ),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
});

describe('encodeBatchInto / encodedBatchLength', () => {
  it('writes the bytes of encodeBatch at any position of a larger buffer, and they decode back', () => {
    fc.assert(
      fc.property(
        fc.array(anyMessage, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (messages, at, base) => {
          const expected = encodeBatch(base, messages);
          const length = encodedBatchLength(messages);
          expect(length).toBe(expected.length);
          const target = Buffer.alloc(at + length + 16, 0xaa);
          const end = encodeBatchInto(target, at, base, messages);
          expect(end).toBe(at + length);
          expect(target.subarray(at, end).equals(expected)).toBe(true);
          expect(target.subarray(0, at).every((b) => b === 0xaa)).toBe(true);
          expect(target.subarray(end).every((b) => b === 0xaa)).toBe(true);
          // with room to spare (the encoder then skips measuring strings exactly): the same bytes
          const roomy = Buffer.alloc(at + 3 * length + 64);
          expect(roomy.subarray(at, encodeBatchInto(roomy, at, base, messages)).equals(expected)).toBe(true);
          const records = decodeBatch(target.subarray(at, end), 't');
          records.forEach((r, i) => {
            const m = messages[i] as TimestampedMessage;
            expect(r.offset).toBe(base + i);
            expect(r.timestamp).toBe(m.timestamp);
            expect(r.key).toBe(m.key ?? null);
            expect(r.headers === null ? null : { ...r.headers }).toEqual(
              m.headers === null || m.headers === undefined ? null : { ...m.headers },
            );
            expect(r.value.equals(typeof m.value === 'string' ? Buffer.from(m.value) : m.value)).toBe(true);
          });
        },
      ),
      { seed: 7_070, numRuns: 300 },
    );
  });

  it('measures long strings exactly, and fills a target of exactly the right size', () => {
    const messages = [
      { value: 'é'.repeat(30_000), key: 'ü'.repeat(22_000), headers: { ['n'.repeat(21_000)]: 'v'.repeat(40_000) }, timestamp: 1 },
      { value: '😀'.repeat(100), timestamp: 2 },
    ];
    const length = encodedBatchLength(messages);
    const target = Buffer.alloc(length);
    expect(encodeBatchInto(target, 0, 0, messages)).toBe(length);
    expect(target.equals(encodeBatch(0, messages))).toBe(true);
    expect(() => encodeBatchInto(Buffer.alloc(length - 1), 0, 0, messages)).toThrow(RangeError);
  });

  it('with a timestamp option, writes it in every record and ignores the messages’ own', () => {
    const messages: MessageInput[] = [{ value: 'a' }, { value: 'b', timestamp: T0 }, { value: 'c', timestamp: Number.NaN }];
    const target = Buffer.alloc(encodedBatchLength(messages, { timestamp: 0 }));
    encodeBatchInto(target, 0, 0, messages, { timestamp: 0 });
    expect(decodeBatch(target, 't').map((r) => r.timestamp)).toEqual([0, 0, 0]);
    expect(validateEncodedBatch(target).unstamped).toBe(3);
    expect(() => encodedBatchLength(messages)).toThrow(/timestamp/);
    expect(() => encodeBatchInto(target, 0, 0, messages, { timestamp: -1 })).toThrow(/timestamp/);
  });

  it('refuses a target without room (RangeError) and what encodeBatch refuses (EVQ_ERR_MALFORMED)', () => {
    const messages = [{ value: 'hello', timestamp: 1 }];
    const length = encodedBatchLength(messages);
    expect(() => encodeBatchInto(Buffer.alloc(length - 1), 0, 0, messages)).toThrow(RangeError);
    expect(() => encodeBatchInto(Buffer.alloc(length), 1, 0, messages)).toThrow(RangeError);
    expect(() => encodeBatchInto(Buffer.alloc(10), 0, 0, messages)).toThrow(RangeError);
    expect(() => encodeBatchInto(Buffer.alloc(length), -1, 0, messages)).toThrow(RangeError);
    for (const bad of [
      () => encodeBatchInto(Buffer.alloc(100), 0, 0, []),
      () => encodeBatchInto(Buffer.alloc(100), 0, -1, messages),
      () => encodeBatchInto(Buffer.alloc(100), 0, 0, [{ value: 'a', headers: { '': 'x' }, timestamp: 1 }]),
      () => encodedBatchLength([]),
    ]) {
      expect(bad).toThrow(EvqError);
      try {
        bad();
      } catch (error) {
        expect((error as EvqError).code).toBe('EVQ_ERR_MALFORMED');
      }
    }
  });
});
