/**
 * Cutting a stored batch to the records at or above an offset, without decoding or re-encoding records:
 * how the broker sends a stored batch that starts before a subscriber's position. Pure.
 */
import { BATCH_HEADER_BYTES, MIN_RECORD_BYTES } from './batch-layout.js';
import { TRUSTED_CODEC_LIMITS, malformed, readBatchHeader } from './record-codec.js';

/**
 * Returns the batch in `buf` cut to the records at or above `fromOffset`, re-framed with a correct header
 * (the records' bytes are copied as they are, not re-encoded). Returns `buf` itself when nothing is cut and
 * `null` when every record is below `fromOffset`. Used to send a stored batch that starts before a
 * subscriber's position.
 */
export function sliceBatch(buf: Buffer, fromOffset: number): Buffer | null {
  const header = readBatchHeader(buf, TRUSTED_CODEC_LIMITS);
  if (fromOffset <= header.baseOffset) return header.byteLength === buf.length ? buf : buf.subarray(0, header.byteLength);
  if (fromOffset > header.lastOffset) return null;
  const skip = fromOffset - header.baseOffset;
  const end = header.byteLength;
  let pos = BATCH_HEADER_BYTES;
  for (let i = 0; i < skip; i++) pos = nextRecord(buf, pos, end);
  const start = pos;
  const firstTimestamp = buf.readDoubleBE(start + 4);
  let maxTimestamp = 0;
  for (let i = skip; i < header.count; i++) {
    const ts = buf.readDoubleBE(pos + 4);
    if (ts > maxTimestamp) maxTimestamp = ts;
    pos = nextRecord(buf, pos, end);
  }
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + end - start);
  buf.copy(out, 0, 0, BATCH_HEADER_BYTES);
  buf.copy(out, BATCH_HEADER_BYTES, start, end);
  out.writeUInt32BE(header.count - skip, 4);
  out.writeUInt32BE(out.length, 8);
  out.writeDoubleBE(fromOffset, 16);
  out.writeDoubleBE(firstTimestamp, 24);
  out.writeDoubleBE(maxTimestamp, 32);
  return out;
}

function nextRecord(buf: Buffer, pos: number, end: number): number {
  if (pos + 4 + 8 > end) throw malformed('a record is cut short');
  const length = buf.readUInt32BE(pos);
  if (length < MIN_RECORD_BYTES - 4 || length > end - pos - 4) throw malformed('a record has an invalid length');
  return pos + 4 + length;
}
