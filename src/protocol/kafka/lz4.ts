/**
 * LZ4 for Kafka record blocks: the LZ4 frame format (what RecordBatch v2 producers write; magic v2 batches
 * carry the correct header checksum, unlike Kafka's old magic 0/1 messages):
 *
 *   INT32LE 0x184D2204 magic (0x184D2A50–5F: a skippable frame of UINT32LE size, skipped)
 *   FLG     bits 7–6 version 01, 5 block independence, 4 block checksum, 3 content size,
 *           2 content checksum, 1 reserved 0, 0 dictionary id
 *   BD      bits 6–4 block max size 4–7 (64 KiB, 256 KiB, 1 MiB, 4 MiB), the others 0
 *   [UINT64LE content size] [UINT32LE dictionary id: refused, Kafka has none]
 *   HC      (xxh32(FLG … last descriptor byte, seed 0) >> 8) & 0xFF
 *   blocks  UINT32LE size (high bit: stored uncompressed; 0: end mark), data, [UINT32LE xxh32 of data]
 *   [UINT32LE xxh32 of the content]
 *
 * and frames may follow one another. A block is sequences of: token (literal length << 4 | match
 * length - 4, 15 meaning more length bytes follow, each added until one is not 255), literals, UINT16LE
 * match offset, match length bytes; the last sequence has literals only. The decoder is evq's own (lz4js's
 * checks neither lengths nor offsets against its buffers): every length and offset is checked, output
 * never grows past the budget, checksums are verified. Compression (trusted input) is lz4js's
 * `compress` (one frame, linked 4 MiB blocks, no checksums). Pure.
 */
import lz4js from 'lz4js';
import { KafkaCodecError } from './codec-error.js';

const MAGIC = 0x184d2204;
const BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];
const MIN_MATCH = 4;

function corrupt(message: string): KafkaCodecError {
  return new KafkaCodecError('CORRUPT_MESSAGE', `lz4 record block ${message}`);
}

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;
const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

/** xxHash32 of `data[at, end)` with seed 0, as the LZ4 frame format uses it. */
export function xxh32(data: Buffer, at = 0, end = data.length): number {
  let i = at;
  let h: number;
  if (end - at >= 16) {
    let v1 = (P1 + P2) | 0;
    let v2 = P2;
    let v3 = 0;
    let v4 = -P1 | 0;
    const round = (v: number, at: number): number => Math.imul(rotl((v + Math.imul(data.readUInt32LE(at), P2)) | 0, 13), P1);
    for (; i + 16 <= end; i += 16) {
      v1 = round(v1, i);
      v2 = round(v2, i + 4);
      v3 = round(v3, i + 8);
      v4 = round(v4, i + 12);
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = P5;
  }
  h = (h + (end - at)) | 0;
  for (; i + 4 <= end; i += 4) h = Math.imul(rotl((h + Math.imul(data.readUInt32LE(i), P3)) | 0, 17), P4);
  for (; i < end; i++) h = Math.imul(rotl((h + Math.imul(data[i] as number, P5)) | 0, 11), P1);
  h = Math.imul(h ^ (h >>> 15), P2);
  h = Math.imul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The output of one decode: grows by doubling, never past `max`. */
class Output {
  buf: Buffer;
  length = 0;
  constructor(
    initial: number,
    readonly max: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(Math.max(initial, 64), max));
  }
  /** Room for `n` more bytes, or CORRUPT_MESSAGE when that passes the budget. */
  reserve(n: number): void {
    const need = this.length + n;
    if (need > this.max) throw corrupt(`inflates past ${this.max} bytes`);
    if (need <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.max, Math.max(need, this.buf.length * 2)));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
}

/** Reads a length continued by bytes of 255 (the token's 15 already counted in `n`). */
function moreLength(data: Buffer, at: number, end: number, n: number): [number, number] {
  for (;;) {
    if (at >= end) throw corrupt('ends inside a length');
    const b = data[at++] as number;
    n += b;
    if (b !== 255) return [n, at];
  }
}

/** Decodes one block `data[at, end)` onto `out`; back-references may reach `floor` (this frame's start). */
function decodeBlock(data: Buffer, at: number, end: number, out: Output, floor: number): void {
  while (at < end) {
    const token = data[at++] as number;
    let literals = token >>> 4;
    if (literals === 15) [literals, at] = moreLength(data, at, end, literals);
    if (at + literals > end) throw corrupt(`literal of ${literals} bytes past the end of its block`);
    out.reserve(literals);
    data.copy(out.buf, out.length, at, at + literals);
    out.length += literals;
    at += literals;
    if (at === end) return;
    if (at + 2 > end) throw corrupt('ends inside a match offset');
    const offset = data.readUInt16LE(at);
    at += 2;
    let match = token & 15;
    if (match === 15) [match, at] = moreLength(data, at, end, match);
    match += MIN_MATCH;
    if (offset === 0 || offset > out.length - floor) throw corrupt(`match offset ${offset} before the start of the frame`);
    out.reserve(match);
    const buf = out.buf;
    for (let o = out.length, i = 0; i < match; i++, o++) buf[o] = buf[o - offset] as number;
    out.length += match;
  }
}

/**
 * Inflates a record block of LZ4 frames; more than `maxBytes` out, or bytes that are not LZ4 frames, is
 * CORRUPT_MESSAGE. `legacyHeaderChecksum` also takes a header checksum computed from the frame's magic on
 * (what Kafka's magic 0 messages carry, KAFKA-3160).
 */
export function uncompressLz4(data: Buffer, maxBytes: number, legacyHeaderChecksum = false): Buffer {
  const out = new Output(data.length * 4, maxBytes);
  let at = 0;
  do {
    if (at + 4 > data.length) throw corrupt('ends inside a frame magic');
    const magic = data.readUInt32LE(at);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (at + 8 > data.length) throw corrupt('ends inside a skippable frame');
      at += 8 + data.readUInt32LE(at + 4);
      if (at > data.length) throw corrupt('skippable frame past the end of the input');
      continue;
    }
    if (magic !== MAGIC) throw corrupt(`has magic ${magic.toString(16)}, not an LZ4 frame's 184d2204`);
    at = decodeFrame(data, at + 4, out, legacyHeaderChecksum);
  } while (at < data.length);
  return out.buf.subarray(0, out.length);
}

/** Decodes the frame whose descriptor starts at `at`; returns where the next frame starts. */
function decodeFrame(data: Buffer, at: number, out: Output, legacyHeaderChecksum: boolean): number {
  const start = out.length;
  if (at + 3 > data.length) throw corrupt('ends inside the frame descriptor');
  const flg = data[at] as number;
  const bd = data[at + 1] as number;
  if (flg >>> 6 !== 1) throw corrupt(`frame version ${flg >>> 6} (only 1 exists)`);
  if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) throw corrupt('frame descriptor has reserved bits set');
  if ((flg & 0x01) !== 0) throw corrupt('frame needs a dictionary');
  const blockChecksum = (flg & 0x10) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const blockMax = BLOCK_MAX[bd >>> 4] as number;
  if (blockMax === 0) throw corrupt(`frame block size code ${bd >>> 4} (4–7 exist)`);
  const descriptorEnd = at + 2 + ((flg & 0x08) !== 0 ? 8 : 0);
  if (descriptorEnd + 1 > data.length) throw corrupt('ends inside the frame descriptor');
  let contentSize = -1;
  if ((flg & 0x08) !== 0) {
    const size = data.readBigUInt64LE(at + 2);
    if (size > BigInt(out.max - start)) throw corrupt(`inflates past ${out.max} bytes (declares ${size})`);
    contentSize = Number(size);
  }
  const hc = data[descriptorEnd] as number;
  const checksumOf = (from: number): number => (xxh32(data, from, descriptorEnd) >>> 8) & 0xff;
  if (checksumOf(at) !== hc && !(legacyHeaderChecksum && checksumOf(at - 4) === hc)) {
    throw corrupt('frame descriptor checksum does not match');
  }
  at = descriptorEnd + 1;
  for (;;) {
    if (at + 4 > data.length) throw corrupt('ends inside a block size');
    const word = data.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (size > blockMax) throw corrupt(`block of ${size} bytes (the frame says at most ${blockMax})`);
    const end = at + size;
    if (end + (blockChecksum ? 4 : 0) > data.length) throw corrupt(`block of ${size} bytes past the end of the input`);
    if (blockChecksum && xxh32(data, at, end) !== data.readUInt32LE(end)) throw corrupt('block checksum does not match');
    if ((word & 0x80000000) !== 0) {
      out.reserve(size);
      data.copy(out.buf, out.length, at, end);
      out.length += size;
    } else {
      decodeBlock(data, at, end, out, start);
    }
    at = end + (blockChecksum ? 4 : 0);
  }
  if (contentChecksum) {
    if (at + 4 > data.length) throw corrupt('ends inside the content checksum');
    if (xxh32(out.buf, start, out.length) !== data.readUInt32LE(at)) throw corrupt('content checksum does not match');
    at += 4;
  }
  if (contentSize >= 0 && out.length - start !== contentSize) {
    throw corrupt(`frame declares ${contentSize} bytes and holds ${out.length - start}`);
  }
  return at;
}

/** Compresses a record block as one LZ4 frame. */
export function compressLz4(data: Buffer): Buffer {
  const frame = lz4js.compress(data);
  return Buffer.from(frame.buffer, frame.byteOffset, frame.length);
}
