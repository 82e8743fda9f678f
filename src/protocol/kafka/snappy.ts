/**
 * Snappy for Kafka record blocks, both framings a producer may send:
 *
 *   raw     varint32 uncompressed length, then elements: a tag byte whose low 2 bits say
 *           00 literal   length (tag>>2)+1, or for tag>>2 = 60..63 a 1–4 byte little-endian length-1
 *           01 copy      length ((tag>>2)&7)+4, offset ((tag>>5)<<8) | 1 byte
 *           10 copy      length (tag>>2)+1, offset 2 bytes little-endian
 *           11 copy      length (tag>>2)+1, offset 4 bytes little-endian
 *           (what librdkafka 2.0 writes: kcat's `-z snappy` blocks are raw)
 *   xerial  82 'SNAPPY' 00, INT32 version, INT32 compatible version, then blocks of INT32 length + a raw
 *           stream (what the Java client writes, and what `compressSnappy` writes)
 *
 * The decoder is evq's own rather than snappyjs's: snappyjs writes past its output silently and loops
 * forever on a literal whose 4-byte length is negative (6 bytes of input hang the process), which a broker
 * cannot afford. This one checks every length and offset against its input and output, checks each
 * declared length against the budget before allocating, and ends with exactly the declared length.
 * Compression (trusted input) is snappyjs's `compress`, in xerial blocks of 32 KiB. Pure.
 */
import snappyjs from 'snappyjs';
import { KafkaCodecError } from './codec-error.js';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
const XERIAL_BLOCK_BYTES = 32 * 1024;

function corrupt(message: string): KafkaCodecError {
  return new KafkaCodecError('CORRUPT_MESSAGE', `snappy record block ${message}`);
}

/** Decodes one raw snappy stream `data[at, end)` of at most `maxBytes` out. */
function uncompressRaw(data: Buffer, at: number, end: number, maxBytes: number): Buffer {
  let length = 0;
  let shift = 0;
  for (;;) {
    if (at >= end || shift > 28) throw corrupt('has no valid length varint');
    const b = data[at++] as number;
    length += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) break;
  }
  if (length > 0xffffffff) throw corrupt(`declares ${length} bytes`);
  if (length > maxBytes) throw corrupt(`inflates past ${maxBytes} bytes (declares ${length})`);
  const out = Buffer.allocUnsafe(length);
  let o = 0;
  while (at < end) {
    const tag = data[at++] as number;
    const kind = tag & 3;
    if (kind === 0) {
      let len = (tag >>> 2) + 1;
      if (len > 60) {
        const n = len - 60;
        if (at + n > end) throw corrupt('ends inside a literal length');
        len = data.readUIntLE(at, n) + 1;
        at += n;
      }
      if (at + len > end) throw corrupt(`literal of ${len} bytes past the end of the input`);
      if (o + len > length) throw corrupt(`writes past its declared ${length} bytes`);
      data.copy(out, o, at, at + len);
      at += len;
      o += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (at + 1 > end) throw corrupt('ends inside a copy');
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | (data[at++] as number);
    } else {
      const n = kind === 2 ? 2 : 4;
      if (at + n > end) throw corrupt('ends inside a copy');
      len = (tag >>> 2) + 1;
      offset = data.readUIntLE(at, n);
      at += n;
    }
    if (offset === 0 || offset > o) throw corrupt(`copies from offset ${offset} with ${o} bytes written`);
    if (o + len > length) throw corrupt(`writes past its declared ${length} bytes`);
    for (let i = 0; i < len; i++, o++) out[o] = out[o - offset] as number;
  }
  if (o !== length) throw corrupt(`declares ${length} bytes and holds ${o}`);
  return out;
}

/** Inflates a raw or xerial-framed snappy block; more than `maxBytes` out, or bytes that are not snappy, is CORRUPT_MESSAGE. */
export function uncompressSnappy(data: Buffer, maxBytes: number): Buffer {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return uncompressRaw(data, 0, data.length, maxBytes);
  }
  const parts: Buffer[] = [];
  let total = 0;
  let at = XERIAL_HEADER_BYTES;
  while (at < data.length) {
    if (at + 4 > data.length) throw corrupt('ends inside a xerial block length');
    const size = data.readUInt32BE(at);
    at += 4;
    if (at + size > data.length) throw corrupt(`xerial block of ${size} bytes past the end of the input`);
    const part = uncompressRaw(data, at, at + size, maxBytes - total);
    parts.push(part);
    total += part.length;
    at += size;
  }
  return Buffer.concat(parts, total);
}

/** Compresses a record block as xerial-framed snappy (the framing every Kafka broker and client reads). */
export function compressSnappy(data: Buffer): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (let at = 0; at < data.length; at += XERIAL_BLOCK_BYTES) {
    const block = snappyjs.compress(data.subarray(at, at + XERIAL_BLOCK_BYTES));
    const size = Buffer.alloc(4);
    size.writeInt32BE(block.length);
    parts.push(size, Buffer.from(block.buffer, block.byteOffset, block.length));
  }
  return Buffer.concat(parts);
}
