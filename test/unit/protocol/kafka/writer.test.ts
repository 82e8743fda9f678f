import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EvqError } from '../../../../src/errors.js';
import { KafkaCodecError } from '../../../../src/protocol/kafka/codec-error.js';
import type { KafkaErrorName } from '../../../../src/protocol/kafka/error-codes.js';
import { KafkaReader } from '../../../../src/protocol/kafka/reader.js';
import { KafkaWriter } from '../../../../src/protocol/kafka/writer.js';

const require = createRequire(import.meta.url);
// kafkajs's own encoder: the reference for every varint
const KafkajsEncoder = require('kafkajs/src/protocol/encoder') as new () => {
  writeVarInt(v: number): unknown;
  writeVarLong(v: unknown): unknown;
  writeUVarInt(v: number): unknown;
  buffer: Buffer;
};
const Long = require('kafkajs/src/utils/long') as { fromString(s: string): unknown };

function reader(bytes: number[] | Buffer, errorName?: KafkaErrorName): KafkaReader {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return new KafkaReader(buf, 0, buf.length, errorName);
}

function codecError(fn: () => unknown): KafkaCodecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaCodecError);
    expect(e).toBeInstanceOf(EvqError);
    expect((e as EvqError).code).toBe('EVQ_ERR_MALFORMED');
    return e as KafkaCodecError;
  }
  throw new Error('expected a KafkaCodecError');
}

describe('KafkaWriter, read back by KafkaReader', () => {
  it('fixed-width integers, big-endian', () => {
    const w = new KafkaWriter(16)
      .int8(-2)
      .int16(-300)
      .int32(-70000)
      .uint32(0xfffffffe)
      .int64(-1)
      .int64(2n ** 62n)
      .int64(Number.MAX_SAFE_INTEGER);
    const buf = w.finish();
    expect(buf.subarray(0, 3)).toEqual(Buffer.from([0xfe, 0xfe, 0xd4]));
    const r = reader(buf);
    expect([r.int8(), r.int16(), r.int32(), r.uint32()]).toEqual([-2, -300, -70000, 0xfffffffe]);
    expect(r.int64Number()).toBe(-1);
    expect(r.int64()).toBe(2n ** 62n);
    expect(r.int64Number()).toBe(Number.MAX_SAFE_INTEGER);
    r.expectEnd('the test');
  });

  it('int64Number refuses what a number cannot hold', () => {
    const buf = new KafkaWriter().int64(2n ** 60n).finish();
    expect(codecError(() => reader(buf).int64Number()).message).toMatch(/beyond 2\^53/);
  });

  it('varints match kafkajs byte for byte', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (v) => {
        const ours = new KafkaWriter().varint(v).finish();
        const theirs = new KafkajsEncoder();
        theirs.writeVarInt(v);
        expect(ours).toEqual(theirs.buffer);
        const r = reader(ours);
        expect(r.varint()).toBe(v);
        expect(r.remaining).toBe(0);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), (v) => {
        const ours = new KafkaWriter().uvarint(v).finish();
        const theirs = new KafkajsEncoder();
        theirs.writeUVarInt(v);
        expect(ours).toEqual(theirs.buffer);
        expect(reader(ours).uvarint()).toBe(v);
      }),
    );
  });

  it('varlongs match kafkajs and decode as bigint and as number', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        const ours = new KafkaWriter().varlong(v).finish();
        const theirs = new KafkajsEncoder();
        theirs.writeVarLong(Long.fromString(v.toString()));
        expect(ours).toEqual(theirs.buffer);
        expect(reader(ours).varlong()).toBe(v);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (v) => {
        const ours = new KafkaWriter().varlong(v).finish();
        expect(ours).toEqual(new KafkaWriter().varlong(BigInt(v)).finish());
        expect(reader(ours).varlongNumber()).toBe(v);
      }),
    );
    for (const v of [0, -1, 1, 63, -64, 64, 2 ** 31, -(2 ** 40), 1_700_000_000_000]) {
      expect(reader(new KafkaWriter().varlong(v).finish()).varlongNumber()).toBe(v);
    }
  });

  it('strings, bytes and their compact and nullable forms', () => {
    const data = Buffer.from([0, 1, 2, 255]);
    const buf = new KafkaWriter()
      .string('topic-é')
      .nullableString(null)
      .nullableString('')
      .compactString('kcat')
      .compactNullableString(null)
      .bytes(data)
      .nullableBytes(null)
      .compactBytes(data)
      .compactNullableBytes(null)
      .varintBytes(data)
      .varintBytes(null)
      .finish();
    const r = reader(buf);
    expect(r.string()).toBe('topic-é');
    expect(r.nullableString()).toBeNull();
    expect(r.nullableString()).toBe('');
    expect(r.compactString()).toBe('kcat');
    expect(r.compactNullableString()).toBeNull();
    expect(r.bytes()).toEqual(data);
    expect(r.nullableBytes()).toBeNull();
    expect(r.compactBytes()).toEqual(data);
    expect(r.compactNullableBytes()).toBeNull();
    expect(r.varintBytes()).toEqual(data);
    expect(r.varintBytes()).toBeNull();
    r.expectEnd('the test');
  });

  it('arrays, compact arrays and tagged fields', () => {
    const buf = new KafkaWriter()
      .array([1, 2, 3], (w, v) => w.int32(v))
      .nullableArray(null, (w, v: number) => w.int32(v))
      .compactArray(['a', 'b'], (w, v) => w.compactString(v))
      .uvarint(2)
      .uvarint(0)
      .uvarint(1)
      .int8(7)
      .uvarint(3)
      .uvarint(0)
      .finish();
    const r = reader(buf);
    expect(r.array((x) => x.int32(), { max: 10, minBytes: 4 })).toEqual([1, 2, 3]);
    expect(r.nullableArray((x) => x.int32(), { max: 10 })).toBeNull();
    expect(r.compactArray((x) => x.compactString(), { max: 10 })).toEqual(['a', 'b']);
    expect(r.taggedFields()).toEqual([
      { tag: 0, data: Buffer.from([7]) },
      { tag: 3, data: Buffer.alloc(0) },
    ]);
    r.expectEnd('the test');
  });

  it('the writer grows past its first buffer and back-fills reserved room', () => {
    const w = new KafkaWriter(16);
    const at = w.reserve(4);
    for (let i = 0; i < 1000; i++) w.int32(i);
    w.setInt32(at, w.length - 4);
    const r = reader(w.finish());
    expect(r.int32()).toBe(4000);
    expect(r.int32()).toBe(0);
    expect(() => w.setInt32(w.length, 1)).toThrow(RangeError);
  });

  it('the writer refuses values its type cannot hold', () => {
    expect(() => new KafkaWriter().uvarint(-1)).toThrow(RangeError);
    expect(() => new KafkaWriter().uvarint(2 ** 32)).toThrow(RangeError);
    expect(() => new KafkaWriter().varint(2 ** 31)).toThrow(RangeError);
    expect(() => new KafkaWriter().varlong(2 ** 53)).toThrow(RangeError);
    expect(() => new KafkaWriter().varlong(2n ** 63n)).toThrow(RangeError);
    expect(() => new KafkaWriter().string('x'.repeat(0x8000))).toThrow(RangeError);
    expect(() => new KafkaWriter().int64(1.5)).toThrow(RangeError);
  });
});
