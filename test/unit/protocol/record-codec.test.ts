import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EvqError } from '../../../src/errors.js';
import { BATCH_HEADER_BYTES } from '../../../src/protocol/batch-layout.js';
import { TRUSTED_CODEC_LIMITS, decodeBatch, forEachRecord, readBatchHeader } from '../../../src/protocol/record-codec.js';
import { encodeBatch } from '../../../src/protocol/batch-encode.js';
import { sliceBatch } from '../../../src/protocol/batch-slice.js';
import type { EvqRecord, TimestampedMessage } from '../../../src/protocol/record.js';

const T0 = 1_700_000_000_000;

function sample(): TimestampedMessage[] {
  return [
    { value: 'hello', timestamp: T0 },
    { value: Buffer.from([0, 1, 2, 255]), key: 'k1', timestamp: T0 + 5 },
    { value: '', key: '', headers: {}, timestamp: T0 + 1 },
    { value: 'ünïcødé ✓ 😀', key: 'clé 🔑', headers: { type: 'deposit', 'x-é': 'välue', empty: '' }, timestamp: T0 + 2 },
    { value: Buffer.alloc(10_000, 7), key: null, headers: null, timestamp: 0 },
  ];
}

function expectMalformed(fn: () => unknown): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(EvqError);
  expect((error as EvqError).code).toBe('EVQ_ERR_MALFORMED');
}

function plain(record: EvqRecord): unknown {
  return {
    ...record,
    headers: record.headers === null ? null : { ...record.headers },
    value: record.value.toString('hex'),
  };
}

describe('encodeBatch / decodeBatch', () => {
  it('round-trips messages with every kind of key, headers and value', () => {
    const messages = sample();
    const batch = encodeBatch(42, messages);
    const records = decodeBatch(batch, 'orders');
    expect(records).toHaveLength(messages.length);
    records.forEach((record, i) => {
      const msg = messages[i] as TimestampedMessage;
      expect(record.topic).toBe('orders');
      expect(record.offset).toBe(42 + i);
      expect(record.timestamp).toBe(msg.timestamp);
      expect(record.key).toBe(msg.key ?? null);
      expect(record.headers === null ? null : { ...record.headers }).toEqual(msg.headers ?? null);
      const value = typeof msg.value === 'string' ? Buffer.from(msg.value) : msg.value;
      expect(record.value.equals(value)).toBe(true);
    });
  });

  it('reads the header without decoding records', () => {
    const batch = encodeBatch(1000, sample());
    expect(readBatchHeader(batch)).toEqual({
      version: 1,
      flags: 0,
      count: 5,
      byteLength: batch.length,
      baseOffset: 1000,
      lastOffset: 1004,
      firstTimestamp: T0,
      maxTimestamp: T0 + 5,
    });
  });

  it('gives decoded headers no prototype', () => {
    const [record] = decodeBatch(encodeBatch(0, [{ value: 'v', headers: { a: 'b' }, timestamp: 1 }]), 't');
    expect(Object.getPrototypeOf(record?.headers)).toBeNull();
    expect((record?.headers as Record<string, unknown>).toString).toBeUndefined();
  });

  it('accepts offsets up to the largest safe integer', () => {
    const base = Number.MAX_SAFE_INTEGER - 1;
    const records = decodeBatch(
      encodeBatch(base, [
        { value: 'a', timestamp: 1 },
        { value: 'b', timestamp: 1 },
      ]),
      't',
    );
    expect(records.map((r) => r.offset)).toEqual([base, base + 1]);
  });

  it('refuses what the format cannot hold', () => {
    expectMalformed(() => encodeBatch(0, []));
    expectMalformed(() => encodeBatch(-1, [{ value: 'a', timestamp: 1 }]));
    expectMalformed(() => encodeBatch(1.5, [{ value: 'a', timestamp: 1 }]));
    expectMalformed(() =>
      encodeBatch(Number.MAX_SAFE_INTEGER, [
        { value: 'a', timestamp: 1 },
        { value: 'b', timestamp: 1 },
      ]),
    );
    expectMalformed(() => encodeBatch(0, [{ value: 'a', timestamp: -1 }]));
    expectMalformed(() => encodeBatch(0, [{ value: 'a', timestamp: 1.5 }]));
    expectMalformed(() => encodeBatch(0, [{ value: 'a', timestamp: Number.NaN }]));
    expectMalformed(() => encodeBatch(0, [{ value: 42 as unknown as string, timestamp: 1 }]));
    expectMalformed(() => encodeBatch(0, [{ value: 'a', headers: { '': 'x' }, timestamp: 1 }]));
    expectMalformed(() =>
      encodeBatch(0, [{ value: 'a', headers: JSON.parse('{"__proto__":"x"}') as Record<string, string>, timestamp: 1 }]),
    );
    expectMalformed(() => encodeBatch(0, [{ value: 'a', headers: { constructor: 'x' }, timestamp: 1 }]));
    expectMalformed(() => encodeBatch(0, [{ value: 'a', headers: { a: 1 as unknown as string }, timestamp: 1 }]));
    expectMalformed(() => encodeBatch(0, [{ value: 'a', headers: { ['n'.repeat(70_000)]: 'x' }, timestamp: 1 }]));
  });
});

describe('forEachRecord', () => {
  it('visits in order and stops when asked', () => {
    const batch = encodeBatch(10, sample());
    const seen: number[] = [];
    const n = forEachRecord(batch, 't', (r) => {
      seen.push(r.offset);
      return seen.length < 3;
    });
    expect(n).toBe(3);
    expect(seen).toEqual([10, 11, 12]);
  });

  it('skips records below fromOffset', () => {
    const batch = encodeBatch(10, sample());
    const seen: number[] = [];
    forEachRecord(batch, 't', (r) => void seen.push(r.offset), { fromOffset: 13 });
    expect(seen).toEqual([13, 14]);
    const none: number[] = [];
    forEachRecord(batch, 't', (r) => void none.push(r.offset), { fromOffset: 99 });
    expect(none).toEqual([]);
  });
});

describe('sliceBatch', () => {
  it('cuts a batch to the records at or above an offset, with a valid header', () => {
    const messages = sample();
    const batch = encodeBatch(100, messages);
    expect(sliceBatch(batch, 100)).toBe(batch);
    expect(sliceBatch(batch, 50)).toBe(batch);
    expect(sliceBatch(batch, 105)).toBeNull();
    const cut = sliceBatch(batch, 102) as Buffer;
    const header = readBatchHeader(cut);
    expect(header).toMatchObject({ baseOffset: 102, count: 3, byteLength: cut.length, firstTimestamp: T0 + 1, maxTimestamp: T0 + 2 });
    expect(decodeBatch(cut, 't').map(plain)).toEqual(decodeBatch(batch, 't').slice(2).map(plain));
  });
});

describe('decoding malformed bytes', () => {
  const batch = encodeBatch(7, sample().slice(0, 4));

  it('refuses a batch cut at every byte position', () => {
    for (let n = 0; n < batch.length; n++) {
      expectMalformed(() => decodeBatch(batch.subarray(0, n), 't'));
    }
  });

  it('refuses trailing bytes', () => {
    expectMalformed(() => decodeBatch(Buffer.concat([batch, Buffer.alloc(1)]), 't'));
  });

  it('refuses a wrong version, flags or reserved bytes', () => {
    for (const at of [0, 1, 2, 3, 12, 15]) {
      const bad = Buffer.from(batch);
      bad[at] = (bad[at] as number) ^ 0x40;
      expectMalformed(() => decodeBatch(bad, 't'));
    }
  });

  it('refuses huge counts and lengths without allocating', () => {
    const patch = (at: number, write: (b: Buffer) => void): Buffer => {
      const bad = Buffer.from(batch);
      write(bad.subarray(at));
      return bad;
    };
    const firstRecord = BATCH_HEADER_BYTES;
    const cases = [
      patch(4, (b) => b.writeUInt32BE(0xffffffff, 0)), // count
      patch(4, (b) => b.writeUInt32BE(0, 0)), // no records
      patch(8, (b) => b.writeUInt32BE(0xffffffff, 0)), // batch length
      patch(16, (b) => b.writeDoubleBE(2 ** 60, 0)), // base offset past safe integers
      patch(16, (b) => b.writeDoubleBE(-1, 0)),
      patch(24, (b) => b.writeDoubleBE(Number.NaN, 0)), // first timestamp
      patch(32, (b) => b.writeDoubleBE(1, 0)), // max timestamp below the first
      patch(firstRecord, (b) => b.writeUInt32BE(0xffffffff, 0)), // record length
      patch(firstRecord, (b) => b.writeUInt32BE(3, 0)),
      patch(firstRecord + 4 + 8, (b) => b.writeInt32BE(0x7fffffff, 0)), // key length
      patch(firstRecord + 4 + 8, (b) => b.writeInt32BE(-2, 0)),
      patch(firstRecord + 4 + 8 + 4, (b) => b.writeUInt16BE(0xfffe, 0)), // header count
      patch(firstRecord + 4 + 8 + 4 + 2, (b) => b.writeUInt32BE(0xffffffff, 0)), // value length
    ];
    for (const bad of cases) expectMalformed(() => decodeBatch(bad, 't'));
  });

  it('refuses forbidden and repeated header names, empty names and invalid UTF-8', () => {
    const withHeader = (name: string, headers: Record<string, string> = { [name]: 'x' }): Buffer =>
      encodeBatch(0, [{ value: 'v', headers, timestamp: 1 }]);
    for (const [fake, real] of [
      ['aaaaaaaaa', '__proto__'],
      ['aaaaaaaaaaa', 'constructor'],
      ['aaaaaaaaa', 'prototype'],
    ] as const) {
      const bytes = withHeader(fake);
      const at = bytes.indexOf(fake);
      bytes.write(real, at);
      expectMalformed(() => decodeBatch(bytes, 't'));
    }
    const twice = withHeader('', { ab: '1', ac: '2' });
    twice.write('ab', twice.indexOf('ac'));
    expectMalformed(() => decodeBatch(twice, 't'));

    const badUtf8 = encodeBatch(0, [{ value: 'v', key: 'kk', timestamp: 1 }]);
    badUtf8[badUtf8.indexOf('kk')] = 0xff;
    expectMalformed(() => decodeBatch(badUtf8, 't'));
  });

  it('applies the limits it is given', () => {
    const big = encodeBatch(0, [{ value: Buffer.alloc(2000), key: 'k'.repeat(100), timestamp: 1 }]);
    const limits = { ...TRUSTED_CODEC_LIMITS };
    expect(decodeBatch(big, 't', limits)).toHaveLength(1);
    expectMalformed(() => decodeBatch(big, 't', { ...limits, maxMessageBytes: 1999 }));
    expectMalformed(() => decodeBatch(big, 't', { ...limits, maxKeyBytes: 99 }));
    expectMalformed(() => decodeBatch(big, 't', { ...limits, maxBatchBytes: 2000 }));
    const many = encodeBatch(
      0,
      Array.from({ length: 5 }, () => ({ value: 'x', timestamp: 1 })),
    );
    expectMalformed(() => decodeBatch(many, 't', { ...limits, maxBatchCount: 4 }));
    const headers = encodeBatch(0, [{ value: 'x', headers: { a: '1', b: '2' }, timestamp: 1 }]);
    expectMalformed(() => decodeBatch(headers, 't', { ...limits, maxHeaderCount: 1 }));
    expectMalformed(() => decodeBatch(headers, 't', { ...limits, maxHeaderBytes: 3 }));
  });
});

const messageArb: fc.Arbitrary<TimestampedMessage> = fc.record({
  value: fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 50 }),
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

describe('properties', () => {
  it('decode(encode(x)) is x', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 2 ** 50 }), (messages, base) => {
        const records = decodeBatch(encodeBatch(base, messages), 't');
        expect(records.length).toBe(messages.length);
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
      }),
      { seed: 20240601, numRuns: 300 },
    );
  });

  it('mutated bytes decode or fail with EVQ_ERR_MALFORMED, nothing else', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (messages, edits, cut) => {
          const bytes = Buffer.from(encodeBatch(3, messages));
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const input = cut % 3 === 0 ? bytes.subarray(0, cut % bytes.length) : bytes;
          try {
            decodeBatch(input, 't');
            readBatchHeader(input);
          } catch (error) {
            expect(error).toBeInstanceOf(EvqError);
            expect((error as EvqError).code).toBe('EVQ_ERR_MALFORMED');
          }
        },
      ),
      { seed: 424242, numRuns: 1000 },
    );
  });
});
