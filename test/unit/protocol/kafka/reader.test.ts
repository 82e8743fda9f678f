import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EvqError } from '../../../../src/errors.js';
import { KafkaCodecError } from '../../../../src/protocol/kafka/codec-error.js';
import type { KafkaErrorName } from '../../../../src/protocol/kafka/error-codes.js';
import { KafkaReader } from '../../../../src/protocol/kafka/reader.js';

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

describe('KafkaReader against hostile input', () => {
  it('truncated fixed-width fields', () => {
    expect(codecError(() => reader([]).int8()).kafkaError).toBe('INVALID_REQUEST');
    codecError(() => reader([0]).int16());
    codecError(() => reader([0, 0, 0]).int32());
    codecError(() => reader([0, 0, 0, 0, 0, 0, 0]).int64());
  });

  it('the error names the Kafka code the reader was built for', () => {
    const e = codecError(() => reader([0], 'CORRUPT_MESSAGE').int32());
    expect(e.kafkaError).toBe('CORRUPT_MESSAGE');
    expect(e.kafkaCode).toBe(2);
    expect(e.message).toMatch(/record batch: INT32 needs 4 bytes, 1 left at byte 0/);
  });

  it('negative and huge lengths', () => {
    expect(codecError(() => reader([0xff, 0xfe]).string()).message).toMatch(/STRING of length -2/);
    codecError(() => reader([0xff, 0xff]).string());
    codecError(() => reader([0xff, 0xfe]).nullableString());
    codecError(() => reader([0x7f, 0xff, 0x61]).string());
    codecError(() => reader([0xff, 0xff, 0xff, 0xfe]).nullableBytes());
    codecError(() => reader([0xff, 0xff, 0xff, 0xff]).bytes());
    expect(codecError(() => reader([0x7f, 0xff, 0xff, 0xff, 1]).bytes()).message).toMatch(/needs 2147483647 bytes, 1 left/);
    codecError(() => reader([0x03]).varintBytes()); // -2
    codecError(() => reader([0x80, 0x80, 0x80, 0x80, 0x0f]).compactBytes());
    codecError(() => reader([0x00]).compactString());
    codecError(() => reader([0x05, 0x61]).compactString());
    codecError(() => reader([0]).raw(2));
  });

  it('array counts beyond the caller maximum or the bytes left fail before allocating', () => {
    // 2^31-1 elements announced in 4 bytes: refused on the count alone
    const huge = [0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0];
    expect(codecError(() => reader(huge).array((r) => r.int32(), { max: 2 ** 31 })).message).toMatch(/2147483647 elements in 4 bytes/);
    expect(codecError(() => reader([0, 0, 0, 3, 0, 0]).array((r) => r.int8(), { max: 2 })).message).toMatch(/at most 2/);
    codecError(() => reader([0, 0, 0, 2, 0, 0, 0, 0]).array((r) => r.int32(), { max: 10, minBytes: 4 }));
    codecError(() => reader([0xff, 0xff, 0xff, 0xff]).array((r) => r.int8(), { max: 10 }));
    codecError(() => reader([0xff, 0xff, 0xff, 0xfe]).nullableArray((r) => r.int8(), { max: 10 }));
    codecError(() => reader([0x00]).compactArray((r) => r.int8(), { max: 10 }));
    codecError(() => reader([0xff, 0xff, 0xff, 0xff, 0x0f]).compactArray((r) => r.int8(), { max: 2 ** 32 }));
    codecError(() => reader([0x7f, 1, 0]).taggedFields());
  });

  it('tagged fields out of order or longer than the frame', () => {
    codecError(() => reader([2, 1, 0, 0, 0]).taggedFields());
    codecError(() => reader([1, 0, 5, 1]).taggedFields());
  });

  it('truncated and overlong varints', () => {
    codecError(() => reader([0x80]).uvarint());
    codecError(() => reader([0xff, 0xff]).varint());
    codecError(() => reader([0x80, 0x80, 0x80]).varlong());
    codecError(() => reader([0x80, 0x80, 0x80]).varlongNumber());
    // a 32-bit varint's fifth byte carries 4 bits; a sixth byte never comes
    expect(codecError(() => reader([0xff, 0xff, 0xff, 0xff, 0x10]).uvarint()).message).toMatch(/beyond 32 bits/);
    expect(codecError(() => reader([0xff, 0xff, 0xff, 0xff, 0x8f, 0x01]).uvarint()).message).toMatch(/beyond 32 bits/);
    expect(reader([0xff, 0xff, 0xff, 0xff, 0x0f]).uvarint()).toBe(2 ** 32 - 1);
    // a varlong's tenth byte carries 1 bit; an eleventh never comes
    const tenBytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    expect(reader([...tenBytes, 0x01]).varlong()).toBe(-(2n ** 63n));
    expect(codecError(() => reader([...tenBytes, 0x02]).varlong()).message).toMatch(/beyond 64 bits/);
    expect(codecError(() => reader([...tenBytes, 0x81, 0x00]).varlong()).message).toMatch(/beyond 64 bits/);
    expect(codecError(() => reader([...tenBytes, 0x01]).varlongNumber()).message).toMatch(/beyond 2\^53/);
  });

  it('a reader never reads outside its bounds', () => {
    const buf = Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]);
    const r = new KafkaReader(buf, 0, 4);
    expect(r.int32()).toBe(1);
    codecError(() => r.int32());
    expect(() => new KafkaReader(buf, 4, 9)).toThrow(RangeError);
  });

  it('random bytes only ever throw KafkaCodecError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = reader(Buffer.from(bytes));
        try {
          r.string();
          r.compactNullableString();
          r.array((x) => x.varintBytes(), { max: 100 });
          r.taggedFields();
          r.varlong();
        } catch (e) {
          expect(e).toBeInstanceOf(KafkaCodecError);
        }
      }),
    );
  });
});
