/**
 * Zstandard for Kafka record blocks (decompression only): one or more standard zstd frames (RFC 8878),
 * skippable frames skipped:
 *
 *   UINT32LE 0xFD2FB528 magic (0x184D2A50–5F: a skippable frame of UINT32LE size)
 *   FHD      bits 7–6 content size flag, 5 single segment, 4 unused, 3 reserved 0, 2 content checksum,
 *            1–0 dictionary id flag
 *   [window descriptor: exponent << 3 | mantissa, window 2^(10+e) · (1 + m/8); absent in a single segment]
 *   [dictionary id: 0/1/2/4 bytes, refused when not 0]  [content size: 0/1/2/4/8 bytes, 2 meaning +256]
 *   blocks   UINT24LE header: bit 0 last, bits 1–2 type (raw, RLE, compressed), bits 3–23 size; then size
 *            bytes (RLE: 1 byte repeated size times)
 *   [UINT32LE content checksum]
 *
 * The blocks themselves are decoded by fzstd (its streaming `Decompress`). What fzstd does not bound is
 * bounded here first, from the frame header and block headers, before fzstd sees the frame: a declared
 * content size past the budget is refused; a window larger than the budget is shrunk to it in a copy of
 * the header (fzstd allocates the declared window, up to 2 GiB, and no back-reference of a frame whose
 * output fits the budget can reach past the budget — librdkafka declares a 2 MiB window and no size);
 * a block larger than the format's 128 KiB block maximum is refused; fzstd's output is counted block by
 * block and stopped past the budget. Pure.
 */
import { Decompress } from 'fzstd';
import { KafkaCodecError } from './codec-error.js';

const MAGIC = 0xfd2fb528;
const BLOCK_MAX = 128 * 1024;
const MIN_WINDOW = 1024;

function corrupt(message: string): KafkaCodecError {
  return new KafkaCodecError('CORRUPT_MESSAGE', `zstd record block ${message}`);
}

/** The window descriptor byte of the smallest window at least `bytes` (the format's least is 1 KiB). */
export function windowDescriptorFor(bytes: number): number {
  for (let exponent = 0; exponent < 32; exponent++) {
    const base = 2 ** (10 + exponent);
    for (let mantissa = 0; mantissa < 8; mantissa++) {
      if (base + (base / 8) * mantissa >= bytes) return (exponent << 3) | mantissa;
    }
  }
  return 0xff;
}

interface FrameShape {
  /** Where the frame ends (after its checksum). */
  end: number;
  /** The declared content size, or -1. */
  contentSize: number;
  /** The offset of the window descriptor byte, or -1 in a single-segment frame. */
  windowAt: number;
  windowSize: number;
}

/** Reads the frame header at `at` (after the magic) and walks its block headers to its end. */
function frameShape(data: Buffer, at: number, budget: number): FrameShape {
  if (at + 1 > data.length) throw corrupt('ends inside a frame header');
  const fhd = data[at++] as number;
  if ((fhd & 0x08) !== 0) throw corrupt('frame header has its reserved bit set');
  const single = (fhd & 0x20) !== 0;
  const fcsFlag = fhd >>> 6;
  const dictBytes = [0, 1, 2, 4][fhd & 3] as number;
  const fcsBytes = fcsFlag === 0 ? (single ? 1 : 0) : 2 ** fcsFlag;
  const windowAt = single ? -1 : at;
  if (at + (single ? 0 : 1) + dictBytes + fcsBytes > data.length) throw corrupt('ends inside a frame header');
  let windowSize = 0;
  if (!single) {
    const wd = data[at++] as number;
    const base = 2 ** (10 + (wd >>> 3));
    windowSize = base + (base / 8) * (wd & 7);
  }
  if (dictBytes > 0 && data.readUIntLE(at, dictBytes) !== 0) throw corrupt('frame needs a dictionary');
  at += dictBytes;
  let contentSize = -1;
  if (fcsBytes === 8) {
    const size = data.readBigUInt64LE(at);
    if (size > BigInt(budget)) throw corrupt(`inflates past the limit (declares ${size} bytes)`);
    contentSize = Number(size);
  } else if (fcsBytes > 0) {
    contentSize = data.readUIntLE(at, fcsBytes) + (fcsBytes === 2 ? 256 : 0);
  }
  at += fcsBytes;
  if (contentSize > budget) throw corrupt(`inflates past the limit (declares ${contentSize} bytes)`);
  if (single) windowSize = contentSize;
  const blockMax = Math.min(BLOCK_MAX, Math.max(windowSize, 1));
  for (;;) {
    if (at + 3 > data.length) throw corrupt('ends inside a block header');
    const header = data.readUIntLE(at, 3);
    at += 3;
    const type = (header >>> 1) & 3;
    const size = header >>> 3;
    if (type === 3) throw corrupt('has a block of the reserved type 3');
    if (size > blockMax) throw corrupt(`block of ${size} bytes (at most ${blockMax})`);
    at += type === 1 ? 1 : size;
    if (at > data.length) throw corrupt('block past the end of the input');
    if ((header & 1) !== 0) break;
  }
  if ((fhd & 0x04) !== 0) at += 4;
  if (at > data.length) throw corrupt('ends inside the content checksum');
  return { end: at, contentSize, windowAt, windowSize };
}

/** Inflates a record block of zstd frames; more than `maxBytes` out, or bytes that are not zstd, is CORRUPT_MESSAGE. */
export function uncompressZstd(data: Buffer, maxBytes: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
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
    if (magic !== MAGIC) throw corrupt(`has magic ${magic.toString(16)}, not a zstd frame's fd2fb528`);
    const budget = maxBytes - total;
    const shape = frameShape(data, at + 4, budget);
    let frame = data.subarray(at, shape.end);
    const window = Math.max(budget, MIN_WINDOW);
    if (shape.windowAt >= 0 && shape.windowSize > window) {
      frame = Buffer.from(frame);
      frame[shape.windowAt - at] = windowDescriptorFor(window);
    }
    const before = total;
    const decoder = new Decompress((chunk) => {
      if (total + chunk.length > maxBytes) throw corrupt(`inflates past ${maxBytes} bytes`);
      parts.push(Buffer.from(chunk)); // a copy: fzstd may reuse what it hands out
      total += chunk.length;
    });
    try {
      decoder.push(frame, true);
    } catch (cause) {
      if (cause instanceof KafkaCodecError) throw cause;
      throw new KafkaCodecError('CORRUPT_MESSAGE', `zstd record block does not decode: ${(cause as Error).message}`, { cause });
    }
    if (shape.contentSize >= 0 && total - before !== shape.contentSize) {
      throw corrupt(`frame declares ${shape.contentSize} bytes and holds ${total - before}`);
    }
    at = shape.end;
  } while (at < data.length);
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, total);
}
