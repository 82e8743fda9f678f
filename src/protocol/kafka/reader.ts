/**
 * A bounded big-endian reader over one Kafka frame (or one record batch): every primitive type of Kafka's
 * protocol guide, classic and compact (flexible-version) forms. Every length and count is checked against
 * the bytes left, and every count against the caller's maximum, before anything is allocated; any failure is
 * a KafkaCodecError with the Kafka error code that a reply should carry (`INVALID_REQUEST` for a request,
 * `CORRUPT_MESSAGE` for a record batch: the reader is built with the one that fits). Byte fields are
 * returned as views into the frame (no copy). Pure.
 */
import { KafkaCodecError } from './codec-error.js';
import type { KafkaErrorName } from './error-codes.js';

const TWO_32 = 2 ** 32;

/** A tagged field of a flexible version: its tag and its raw bytes. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

export interface ArrayOptions {
  /** The most elements accepted; more is an error before any is read. */
  max: number;
  /** The fewest bytes one element takes on the wire (a count that cannot fit in the bytes left fails at once). */
  minBytes?: number;
}

export class KafkaReader {
  private pos: number;
  private readonly end: number;

  /**
   * @param buf the bytes; `start`/`end` bound the part read
   * @param errorName what a failure answers with: `INVALID_REQUEST` (a request) or `CORRUPT_MESSAGE` (records)
   */
  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
    private readonly errorName: KafkaErrorName = 'INVALID_REQUEST',
  ) {
    if (start < 0 || end > buf.length || start > end)
      throw new RangeError(`reader bounds ${start}..${end} outside a buffer of ${buf.length} bytes`);
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** A failure of this reader's kind, naming what was read and where. */
  fail(what: string): KafkaCodecError {
    return new KafkaCodecError(
      this.errorName,
      `malformed Kafka ${this.errorName === 'CORRUPT_MESSAGE' ? 'record batch' : 'request'}: ${what} at byte ${this.pos}`,
    );
  }

  private need(n: number, what: string): number {
    if (n > this.end - this.pos) throw this.fail(`${what} needs ${n} bytes, ${this.end - this.pos} left`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  skip(n: number): void {
    this.need(n, 'skipped field');
  }

  int8(): number {
    return this.buf.readInt8(this.need(1, 'INT8'));
  }

  uint8(): number {
    return this.buf[this.need(1, 'INT8')] as number;
  }

  /** BOOLEAN: one byte, anything but 0 is true (as Kafka reads it). */
  boolean(): boolean {
    return this.uint8() !== 0;
  }

  int16(): number {
    return this.buf.readInt16BE(this.need(2, 'INT16'));
  }

  int32(): number {
    return this.buf.readInt32BE(this.need(4, 'INT32'));
  }

  uint32(): number {
    return this.buf.readUInt32BE(this.need(4, 'UINT32'));
  }

  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8, 'INT64'));
  }

  /** An INT64 that must be a safe JavaScript integer (offsets, timestamps, producer ids in practice). */
  int64Number(): number {
    const at = this.need(8, 'INT64');
    const hi = this.buf.readInt32BE(at);
    const lo = this.buf.readUInt32BE(at + 4);
    if (hi > 0x1fffff || hi < -0x200000) throw this.fail(`INT64 ${this.buf.readBigInt64BE(at)} beyond 2^53`);
    return hi * TWO_32 + lo;
  }

  /** UNSIGNED_VARINT: at most 5 bytes, at most 32 bits. */
  uvarint(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.buf[this.need(1, 'VARINT')] as number;
      if (i === 4 && b > 0x0f) throw this.fail('VARINT beyond 32 bits');
      value += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return value;
    }
    throw this.fail('VARINT longer than 5 bytes');
  }

  /** VARINT: zigzag-encoded 32-bit signed integer. */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** VARLONG as a bigint: zigzag-encoded 64-bit, at most 10 bytes. */
  varlong(): bigint {
    let value = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.buf[this.need(1, 'VARLONG')] as number;
      if (i === 9 && b > 0x01) throw this.fail('VARLONG beyond 64 bits');
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) return value & 1n ? -((value + 1n) >> 1n) : value >> 1n;
    }
    throw this.fail('VARLONG longer than 10 bytes');
  }

  /** VARLONG that must be a safe JavaScript integer (timestamp deltas); a number all the way for short ones. */
  varlongNumber(): number {
    const start = this.pos;
    let value = 0;
    for (let i = 0; i < 7; i++) {
      const b = this.buf[this.need(1, 'VARLONG')] as number;
      value += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    }
    this.pos = start;
    const big = this.varlong();
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) throw this.fail(`VARLONG ${big} beyond 2^53`);
    return Number(big);
  }

  private text(length: number, what: string): string {
    const at = this.need(length, what);
    return this.buf.toString('utf8', at, at + length);
  }

  /** STRING: INT16 length then UTF-8; null (-1) is an error. */
  string(): string {
    const n = this.int16();
    if (n < 0) throw this.fail(`STRING of length ${n}`);
    return this.text(n, 'STRING');
  }

  /** NULLABLE_STRING: INT16 length, -1 is null. */
  nullableString(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    if (n < 0) throw this.fail(`NULLABLE_STRING of length ${n}`);
    return this.text(n, 'NULLABLE_STRING');
  }

  /** COMPACT_STRING: UNSIGNED_VARINT length + 1; 0 (null) is an error. */
  compactString(): string {
    const n = this.uvarint();
    if (n === 0) throw this.fail('COMPACT_STRING that is null');
    return this.text(n - 1, 'COMPACT_STRING');
  }

  /** COMPACT_NULLABLE_STRING: 0 is null. */
  compactNullableString(): string | null {
    const n = this.uvarint();
    return n === 0 ? null : this.text(n - 1, 'COMPACT_NULLABLE_STRING');
  }

  private view(length: number, what: string): Buffer {
    const at = this.need(length, what);
    return this.buf.subarray(at, at + length);
  }

  /** BYTES: INT32 length then the bytes (a view); null is an error. */
  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) throw this.fail(`BYTES of length ${n}`);
    return this.view(n, 'BYTES');
  }

  /** NULLABLE_BYTES: -1 is null. */
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0) throw this.fail(`NULLABLE_BYTES of length ${n}`);
    return this.view(n, 'NULLABLE_BYTES');
  }

  compactBytes(): Buffer {
    const n = this.uvarint();
    if (n === 0) throw this.fail('COMPACT_BYTES that are null');
    return this.view(n - 1, 'COMPACT_BYTES');
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    return n === 0 ? null : this.view(n - 1, 'COMPACT_NULLABLE_BYTES');
  }

  /** Bytes whose length is a zigzag VARINT (record keys, values, header values): -1 is null. */
  varintBytes(): Buffer | null {
    const n = this.varint();
    if (n === -1) return null;
    if (n < 0) throw this.fail(`VARINT length ${n}`);
    return this.view(n, 'VARINT-length bytes');
  }

  /** Exactly `n` raw bytes (a view). */
  raw(n: number): Buffer {
    if (n < 0) throw this.fail(`field of length ${n}`);
    return this.view(n, 'field');
  }

  private checkCount(count: number, options: ArrayOptions, what: string): void {
    if (count > options.max) throw this.fail(`${what} of ${count} elements (at most ${options.max})`);
    const minBytes = options.minBytes ?? 1;
    if (count * minBytes > this.end - this.pos) throw this.fail(`${what} of ${count} elements in ${this.end - this.pos} bytes`);
  }

  /** The count of an ARRAY (INT32; -1 is null, checked like any other count). */
  arrayCount(options: ArrayOptions, nullable = false): number | null {
    const n = this.int32();
    if (n === -1 && nullable) return null;
    if (n < 0) throw this.fail(`ARRAY of length ${n}`);
    this.checkCount(n, options, 'ARRAY');
    return n;
  }

  /** ARRAY: INT32 count (checked against `options` and the bytes left) then each element. */
  array<T>(element: (r: this) => T, options: ArrayOptions): T[] {
    const n = this.arrayCount(options) as number;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = element(this);
    return out;
  }

  /** NULLABLE ARRAY: -1 is null. */
  nullableArray<T>(element: (r: this) => T, options: ArrayOptions): T[] | null {
    const n = this.arrayCount(options, true);
    if (n === null) return null;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = element(this);
    return out;
  }

  /** COMPACT_ARRAY: UNSIGNED_VARINT count + 1; 0 is null (an error unless `nullable`). */
  compactArrayCount(options: ArrayOptions, nullable = false): number | null {
    const n = this.uvarint();
    if (n === 0) {
      if (nullable) return null;
      throw this.fail('COMPACT_ARRAY that is null');
    }
    this.checkCount(n - 1, options, 'COMPACT_ARRAY');
    return n - 1;
  }

  compactArray<T>(element: (r: this) => T, options: ArrayOptions): T[] {
    const n = this.compactArrayCount(options) as number;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = element(this);
    return out;
  }

  /** The tagged fields of a flexible version (UNSIGNED_VARINT count, then tag, size, bytes), at most `max`. */
  taggedFields(max = 64): TaggedField[] {
    const n = this.uvarint();
    this.checkCount(n, { max, minBytes: 2 }, 'tagged fields');
    const out: TaggedField[] = [];
    let last = -1;
    for (let i = 0; i < n; i++) {
      const tag = this.uvarint();
      if (tag <= last) throw this.fail(`tagged field ${tag} after ${last} (tags must ascend)`);
      last = tag;
      const size = this.uvarint();
      out.push({ tag, data: this.view(size, 'tagged field') });
    }
    return out;
  }

  /** Fails unless every byte was read (a request with trailing bytes is not the version it claims). */
  expectEnd(what: string): void {
    if (this.pos !== this.end) throw this.fail(`${this.end - this.pos} bytes after the end of ${what}`);
  }
}
