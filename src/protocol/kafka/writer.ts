/**
 * A growable big-endian writer for Kafka frames and record batches: the primitive types of Kafka's protocol
 * guide, classic and compact, plus room reserved now and filled later (a length or a CRC that covers what
 * follows). A value that does not fit its type is a RangeError: that is a bug of the caller, never of a
 * peer. Pure.
 */
import { utf8ByteLength } from '../utf8.js';

const MAX_INT16 = 0x7fff;
const MAX_INT32 = 0x7fffffff;
const TWO_32 = 2 ** 32;

export class KafkaWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialBytes));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private room(n: number): number {
    if (this.pos + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.pos + n) size *= 2;
      const next = Buffer.allocUnsafe(size);
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private byte(b: number): void {
    const at = this.room(1);
    this.buf[at] = b;
  }

  int8(v: number): this {
    const at = this.room(1);
    this.buf.writeInt8(v, at);
    return this;
  }

  boolean(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    const at = this.room(2);
    this.buf.writeInt16BE(v, at);
    return this;
  }

  int32(v: number): this {
    const at = this.room(4);
    this.buf.writeInt32BE(v, at);
    return this;
  }

  uint32(v: number): this {
    const at = this.room(4);
    this.buf.writeUInt32BE(v, at);
    return this;
  }

  /** INT64 from a bigint or a safe integer. */
  int64(v: bigint | number): this {
    const at = this.room(8);
    if (typeof v === 'bigint') {
      this.buf.writeBigInt64BE(v, at);
      return this;
    }
    if (!Number.isSafeInteger(v)) throw new RangeError(`INT64 ${v} is not a safe integer`);
    const hi = Math.floor(v / TWO_32);
    this.buf.writeInt32BE(hi, at);
    this.buf.writeUInt32BE(v - hi * TWO_32, at + 4);
    return this;
  }

  /** UNSIGNED_VARINT (0 .. 2^32-1). */
  uvarint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v >= TWO_32) throw new RangeError(`UNSIGNED_VARINT ${v} outside 0..2^32-1`);
    let u = v;
    while (u >= 0x80) {
      this.byte((u % 0x80) | 0x80);
      u = Math.floor(u / 0x80);
    }
    this.byte(u);
    return this;
  }

  /** VARINT: zigzag 32-bit. */
  varint(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > MAX_INT32) throw new RangeError(`VARINT ${v} outside the 32-bit range`);
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** VARLONG: zigzag 64-bit, from a bigint or a safe integer. */
  varlong(v: bigint | number): this {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new RangeError(`VARLONG ${v} is not a safe integer`);
      // below 2^52 in magnitude the zigzag value stays a safe integer; beyond, the bigint path is exact
      if (v >= 2 ** 52 || v <= -(2 ** 52)) return this.varlong(BigInt(v));
      let u = v >= 0 ? v * 2 : -v * 2 - 1;
      while (u >= 0x80) {
        this.byte((u % 0x80) | 0x80);
        u = Math.floor(u / 0x80);
      }
      this.byte(u);
      return this;
    }
    if (v < -(1n << 63n) || v >= 1n << 63n) throw new RangeError(`VARLONG ${v} outside the 64-bit range`);
    let u = v >= 0n ? v << 1n : (-v << 1n) - 1n;
    while (u >= 0x80n) {
      this.byte(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    this.byte(Number(u));
    return this;
  }

  private utf8(text: string, n: number): void {
    const at = this.room(n);
    if (n > 0) this.buf.write(text, at, n, 'utf8');
  }

  string(text: string): this {
    const n = utf8ByteLength(text);
    if (n > MAX_INT16) throw new RangeError(`STRING of ${n} bytes (at most ${MAX_INT16})`);
    this.int16(n);
    this.utf8(text, n);
    return this;
  }

  nullableString(text: string | null): this {
    return text === null ? this.int16(-1) : this.string(text);
  }

  compactString(text: string): this {
    const n = utf8ByteLength(text);
    this.uvarint(n + 1);
    this.utf8(text, n);
    return this;
  }

  compactNullableString(text: string | null): this {
    return text === null ? this.uvarint(0) : this.compactString(text);
  }

  /** The bytes with no length (a record batch already whole, a nested structure). */
  raw(data: Uint8Array): this {
    const at = this.room(data.length);
    this.buf.set(data, at);
    return this;
  }

  bytes(data: Uint8Array): this {
    if (data.length > MAX_INT32) throw new RangeError(`BYTES of ${data.length} bytes`);
    this.int32(data.length);
    return this.raw(data);
  }

  nullableBytes(data: Uint8Array | null): this {
    return data === null ? this.int32(-1) : this.bytes(data);
  }

  compactBytes(data: Uint8Array): this {
    this.uvarint(data.length + 1);
    return this.raw(data);
  }

  compactNullableBytes(data: Uint8Array | null): this {
    return data === null ? this.uvarint(0) : this.compactBytes(data);
  }

  /** Bytes with a zigzag VARINT length (record keys, values, header values); null is -1. */
  varintBytes(data: Uint8Array | null): this {
    if (data === null) return this.varint(-1);
    this.varint(data.length);
    return this.raw(data);
  }

  /** ARRAY: INT32 count then each element. */
  array<T>(items: readonly T[], element: (w: this, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) element(this, item);
    return this;
  }

  nullableArray<T>(items: readonly T[] | null, element: (w: this, item: T) => void): this {
    return items === null ? this.int32(-1) : this.array(items, element);
  }

  compactArray<T>(items: readonly T[], element: (w: this, item: T) => void): this {
    this.uvarint(items.length + 1);
    for (const item of items) element(this, item);
    return this;
  }

  /** An empty tagged-field section (count 0). */
  emptyTaggedFields(): this {
    return this.int8(0);
  }

  /** Reserves `n` bytes to fill later with setInt32/setUint32; returns their position. */
  reserve(n: number): number {
    return this.room(n);
  }

  setInt32(at: number, v: number): this {
    if (at < 0 || at + 4 > this.pos) throw new RangeError(`setInt32 at ${at} outside the ${this.pos} bytes written`);
    this.buf.writeInt32BE(v, at);
    return this;
  }

  setUint32(at: number, v: number): this {
    if (at < 0 || at + 4 > this.pos) throw new RangeError(`setUint32 at ${at} outside the ${this.pos} bytes written`);
    this.buf.writeUInt32BE(v, at);
    return this;
  }

  /** A view of bytes written (for a CRC over part of them). */
  view(start = 0, end = this.pos): Buffer {
    return this.buf.subarray(start, end);
  }

  /** The bytes written: a view of the writer's buffer (write nothing after taking it). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
