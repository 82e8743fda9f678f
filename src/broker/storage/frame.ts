/**
 * How a batch is framed in a segment file:
 *
 * ```text
 *   off size field
 *   0   4    magic          u32 0x45565131 ("EVQ1")
 *   4   4    payloadLength  u32, bytes of the payload
 *   8   4    crc            u32, CRC-32 (zlib) of the payload
 *   12  …    payload        one encoded batch (record-codec format), payloadLength bytes
 * ```
 *
 * A frame is valid when its magic is right, its payload fits in the file, the CRC matches, the payload is a
 * well-formed batch header whose `byteLength` is the payload length, and its base offset is the one expected
 * at that place (the previous frame's last offset + 1). Pure: no I/O.
 */
import { crc32 } from 'node:zlib';
import { BATCH_HEADER_BYTES, MIN_RECORD_BYTES } from '../../protocol/batch-layout.js';
import { TRUSTED_CODEC_LIMITS, readBatchHeader } from '../../protocol/record-codec.js';
import type { BatchHeader } from '../../protocol/record-codec.js';

export const FRAME_MAGIC = 0x45565131;
export const FRAME_HEADER_BYTES = 12;
/** Smallest payload: a batch header and one empty record. */
export const MIN_PAYLOAD_BYTES = BATCH_HEADER_BYTES + MIN_RECORD_BYTES;

/** The 12-byte frame header of `payload`. */
export function frameHeader(payload: Buffer): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(FRAME_MAGIC, 0);
  header.writeUInt32BE(payload.length, 4);
  header.writeUInt32BE(crc32(payload), 8);
  return header;
}

/**
 * Reads the frame header at `buf[pos]` (12 bytes must be there). Returns the payload length, or a reason
 * why this is not a frame start: bad magic, or a payload that would not fit in the `room` bytes left in
 * the file after the header.
 */
export function readFrameHeader(buf: Buffer, pos: number, room: number): number | string {
  if (buf.readUInt32BE(pos) !== FRAME_MAGIC) return 'bad frame magic';
  const length = buf.readUInt32BE(pos + 4);
  if (length < MIN_PAYLOAD_BYTES) return `frame length ${length} is too small`;
  if (length > room) return `frame length ${length} runs past the end of the file`;
  return length;
}

/**
 * Checks the frame whose header is at `buf[pos]` and whose payload follows it in `buf`. Returns the batch
 * header, or a reason. `expectedBase` is the offset the frame must start at (`null`: any).
 */
export function checkFrame(buf: Buffer, pos: number, length: number, expectedBase: number | null): BatchHeader | string {
  const payload = buf.subarray(pos + FRAME_HEADER_BYTES, pos + FRAME_HEADER_BYTES + length);
  if (crc32(payload) !== buf.readUInt32BE(pos + 8)) return 'checksum mismatch';
  let header: BatchHeader;
  try {
    header = readBatchHeader(payload, TRUSTED_CODEC_LIMITS);
  } catch {
    return 'malformed batch header';
  }
  if (header.byteLength !== length) return 'batch length does not match the frame length';
  if (expectedBase !== null && header.baseOffset !== expectedBase) {
    return `batch starts at offset ${header.baseOffset}, expected ${expectedBase}`;
  }
  return header;
}
