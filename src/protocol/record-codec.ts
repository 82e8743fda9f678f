/**
 * The binary record batch: the unit evq stores on disk and sends on the wire. The broker appends a batch to
 * a topic's log as one piece and sends stored batches to subscribers without re-encoding them.
 *
 * ## Batch format, version 1 (all integers big-endian)
 *
 * ```text
 * batch header (40 bytes)
 *   off size field
 *   0   1    version          = 1
 *   1   1    flags            = 0 (reserved: a version-1 decoder refuses any other value)
 *   2   2    reserved         = 0
 *   4   4    count            u32, number of records, >= 1
 *   8   4    byteLength       u32, bytes of the whole batch, this header included
 *   12  4    reserved         = 0
 *   16  8    baseOffset       f64 holding a safe integer >= 0; record i has offset baseOffset + i
 *   24  8    firstTimestamp   f64, timestamp of record 0 (ms since the Unix epoch)
 *   32  8    maxTimestamp     f64, largest timestamp of the batch
 * then `count` records, each
 *   4        recordLength     u32, bytes of the record after this field
 *   8        timestamp        f64 holding a safe integer >= 0 (ms since the Unix epoch)
 *   4        keyLength        i32, -1 = no key (null)
 *   keyLength key            UTF-8
 *   2        headerCount      u16, 0xFFFF = no headers (null); 0 = an empty headers object
 *   headerCount times:
 *     2      nameLength       u16
 *     …      name             UTF-8, not empty, not `__proto__`, `constructor` or `prototype`, no repeats
 *     4      valueLength      u32
 *     …      value            UTF-8
 *   4        valueLength      u32
 *   …        value            bytes
 * ```
 *
 * The 8-byte fields of the header sit at 8-byte-aligned positions. `byteLength` makes a batch
 * self-delimiting, so batches can be concatenated. The header carries the first and the largest timestamp
 * so that retention and time lookups never decode records. A decoder checks every length against the
 * buffer and against the limits, that the fields of each record fill exactly its `recordLength`, that the
 * records fill exactly `byteLength`, and that the header's timestamps match the records; anything else is
 * `EVQ_ERR_MALFORMED`.
 *
 * This module is the decoder. The layout's constants are in `batch-layout.ts`, the encoder in
 * `batch-encode.ts`, cutting a batch in `batch-slice.ts` and the in-place check of a produced batch in
 * `encoded-batch.ts`; those import from here, never the other way round (the protocol's imports form a DAG).
 */
import { LIMITS } from '../core/limits.js';
import { EvqError } from '../errors.js';
import {
  BATCH_HEADER_BYTES,
  BATCH_VERSION,
  MAX_I32,
  MAX_U16,
  MAX_U32,
  MIN_RECORD_BYTES,
  NULL_HEADERS,
  NULL_KEY,
  isTimestamp,
} from './batch-layout.js';
import { FORBIDDEN_HEADER_NAMES } from './record.js';
import { readUtf8 } from './utf8.js';
import type { EvqRecord } from './record.js';

/** The limits a decoder enforces on untrusted bytes (`LIMITS` satisfies it). */
export interface CodecLimits {
  maxBatchCount: number;
  maxBatchBytes: number;
  maxMessageBytes: number;
  maxKeyBytes: number;
  maxHeaderCount: number;
  maxHeaderBytes: number;
}

/**
 * Limits for bytes that evq wrote itself and verified with a checksum (the storage): only the structure is
 * checked, so data written under larger configured limits stays readable.
 */
export const TRUSTED_CODEC_LIMITS: CodecLimits = {
  maxBatchCount: MAX_U32,
  maxBatchBytes: Number.MAX_SAFE_INTEGER,
  maxMessageBytes: MAX_U32,
  maxKeyBytes: MAX_I32,
  maxHeaderCount: MAX_U16 - 1,
  maxHeaderBytes: Number.MAX_SAFE_INTEGER,
};

/** What the 40-byte header of a batch says, read without decoding any record. */
export interface BatchHeader {
  version: number;
  flags: number;
  count: number;
  /** Bytes of the whole batch, header included. */
  byteLength: number;
  baseOffset: number;
  /** `baseOffset + count - 1`. */
  lastOffset: number;
  firstTimestamp: number;
  maxTimestamp: number;
}

/** Options of {@link forEachRecord}. */
export interface ForEachRecordOptions {
  /** Records below this offset are skipped without being decoded. */
  fromOffset?: number;
  limits?: CodecLimits;
  /** The partition the batch belongs to, set on each record (default 0). */
  partition?: number;
}

/** The error of anything malformed in a batch. */
export function malformed(message: string): EvqError {
  return new EvqError('EVQ_ERR_MALFORMED', `malformed record batch: ${message}`);
}

// ---------------------------------------------------------------------------------------------- decode

/**
 * Reads and checks the header of the batch at the start of `buf` without decoding its records. `buf` may
 * hold more bytes after the batch (`byteLength` says where the next one starts). Throws
 * `EVQ_ERR_MALFORMED` when the header is inconsistent or the batch is cut short.
 */
export function readBatchHeader(buf: Buffer, limits: CodecLimits = LIMITS): BatchHeader {
  if (buf.length < BATCH_HEADER_BYTES) throw malformed(`${buf.length} bytes are too few for a batch header`);
  const version = buf.readUInt8(0);
  if (version !== BATCH_VERSION) throw malformed(`unknown batch version ${version}`);
  const flags = buf.readUInt8(1);
  if (flags !== 0) throw malformed(`unknown batch flags 0x${flags.toString(16)}`);
  if (buf.readUInt16BE(2) !== 0 || buf.readUInt32BE(12) !== 0) throw malformed('reserved header fields are not zero');
  const count = buf.readUInt32BE(4);
  const byteLength = buf.readUInt32BE(8);
  if (byteLength < BATCH_HEADER_BYTES + MIN_RECORD_BYTES) throw malformed(`batch length ${byteLength} is too small`);
  if (byteLength > buf.length) throw malformed(`batch of ${byteLength} bytes is cut short at ${buf.length} bytes`);
  if (count === 0) throw malformed('a batch has no records');
  if (count > limits.maxBatchCount) throw malformed(`${count} records are more than the limit of ${limits.maxBatchCount}`);
  if (count > Math.floor((byteLength - BATCH_HEADER_BYTES) / MIN_RECORD_BYTES)) {
    throw malformed(`${count} records cannot fit in ${byteLength} bytes`);
  }
  const baseOffset = buf.readDoubleBE(16);
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0 || !Number.isSafeInteger(baseOffset + (count - 1))) {
    throw malformed(`base offset ${baseOffset} is not a safe integer >= 0`);
  }
  const firstTimestamp = buf.readDoubleBE(24);
  const maxTimestamp = buf.readDoubleBE(32);
  if (!isTimestamp(firstTimestamp) || !isTimestamp(maxTimestamp) || firstTimestamp > maxTimestamp) {
    throw malformed('the header timestamps are invalid');
  }
  return { version, flags, count, byteLength, baseOffset, lastOffset: baseOffset + count - 1, firstTimestamp, maxTimestamp };
}

/**
 * Calls `visit` with each record of the batch in `buf` (which must hold exactly one batch), in offset order,
 * decoding as it goes: the fast path of readers and filters. `visit` returns `false` to stop early. Records
 * are handed over as soon as they are decoded, so a malformed record further on throws after earlier ones
 * were visited: use {@link decodeBatch} for all-or-nothing decoding of untrusted bytes. Records below
 * `options.fromOffset` are skipped by their length without being decoded. Returns the number of records
 * visited.
 */
export function forEachRecord(
  buf: Buffer,
  topic: string,
  visit: (record: EvqRecord) => boolean | void,
  options: ForEachRecordOptions = {},
): number {
  const limits = options.limits ?? LIMITS;
  const partition = options.partition ?? 0;
  const header = readBatchHeader(buf, limits);
  if (header.byteLength !== buf.length) {
    throw malformed(`the buffer holds ${buf.length} bytes but the batch says ${header.byteLength}`);
  }
  const end = header.byteLength;
  const fromOffset = options.fromOffset ?? 0;
  let skip = Math.min(Math.max(0, fromOffset - header.baseOffset), header.count);
  let pos = BATCH_HEADER_BYTES;
  let index = 0;
  let visited = 0;
  let maxTimestamp = 0;
  const size = { bytes: 0 };
  const complete = skip === 0;
  for (; skip > 0; skip--, index++) {
    if (pos + 4 > end) throw malformed(`record ${index} is cut short`);
    const length = buf.readUInt32BE(pos);
    if (length < MIN_RECORD_BYTES - 4 || length > end - pos - 4) throw malformed(`record ${index} has an invalid length`);
    pos += 4 + length;
  }
  for (; index < header.count; index++) {
    if (pos + 4 > end) throw malformed(`record ${index} is cut short`);
    const length = buf.readUInt32BE(pos);
    if (length < MIN_RECORD_BYTES - 4 || length > end - pos - 4) throw malformed(`record ${index} has an invalid length`);
    const recordEnd = pos + 4 + length;
    const record = decodeRecord(buf, pos + 4, recordEnd, index, limits, size);
    record.topic = topic;
    record.partition = partition;
    record.offset = header.baseOffset + index;
    if (index === 0 && record.timestamp !== header.firstTimestamp) throw malformed('the first timestamp does not match record 0');
    if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp;
    if (size.bytes > limits.maxBatchBytes) throw malformed(`the batch is larger than the limit of ${limits.maxBatchBytes} bytes`);
    pos = recordEnd;
    visited++;
    if (visit(record) === false) return visited;
  }
  if (pos !== end) throw malformed(`${end - pos} bytes are left after the last record`);
  if (complete && maxTimestamp !== header.maxTimestamp) throw malformed('the maximum timestamp does not match the records');
  return visited;
}

/** Decodes the record in `buf[start, end)` (after its length field); adds its key, header and value bytes to `size`. */
function decodeRecord(buf: Buffer, start: number, end: number, index: number, limits: CodecLimits, size: { bytes: number }): EvqRecord {
  let pos = start;
  const timestamp = buf.readDoubleBE(pos);
  pos += 8;
  if (!isTimestamp(timestamp)) throw malformed(`record ${index} has an invalid timestamp`);
  const keyLength = buf.readInt32BE(pos);
  pos += 4;
  let key: string | null = null;
  if (keyLength !== NULL_KEY) {
    if (keyLength < 0 || keyLength > end - pos) throw malformed(`record ${index} has an invalid key length`);
    if (keyLength > limits.maxKeyBytes) throw malformed(`record ${index} has a key larger than ${limits.maxKeyBytes} bytes`);
    key = text(buf, pos, pos + keyLength, index, 'key');
    pos += keyLength;
  }
  if (pos + 2 > end) throw malformed(`record ${index} is cut short before its headers`);
  const headerCount = buf.readUInt16BE(pos);
  pos += 2;
  let headers: Record<string, string> | null = null;
  let headerBytes = 0;
  if (headerCount !== NULL_HEADERS) {
    if (headerCount > limits.maxHeaderCount) throw malformed(`record ${index} has more than ${limits.maxHeaderCount} headers`);
    headers = Object.create(null) as Record<string, string>;
    for (let h = 0; h < headerCount; h++) {
      if (pos + 2 > end) throw malformed(`record ${index} is cut short in its headers`);
      const nameLength = buf.readUInt16BE(pos);
      pos += 2;
      if (nameLength === 0 || nameLength > end - pos) throw malformed(`record ${index} has an invalid header name length`);
      const name = text(buf, pos, pos + nameLength, index, 'header name');
      pos += nameLength;
      if (FORBIDDEN_HEADER_NAMES.has(name)) throw malformed(`record ${index} has the refused header name "${name}"`);
      if (Object.hasOwn(headers, name)) throw malformed(`record ${index} repeats the header "${name}"`);
      if (pos + 4 > end) throw malformed(`record ${index} is cut short in its headers`);
      const valueLength = buf.readUInt32BE(pos);
      pos += 4;
      if (valueLength > end - pos) throw malformed(`record ${index} has an invalid header value length`);
      headers[name] = text(buf, pos, pos + valueLength, index, 'header value');
      pos += valueLength;
      headerBytes += nameLength + valueLength;
      if (headerBytes > limits.maxHeaderBytes) throw malformed(`record ${index} has headers larger than ${limits.maxHeaderBytes} bytes`);
    }
  }
  if (pos + 4 > end) throw malformed(`record ${index} is cut short before its value`);
  const valueLength = buf.readUInt32BE(pos);
  pos += 4;
  if (valueLength !== end - pos) throw malformed(`record ${index} has a value length that does not match the record length`);
  if (valueLength > limits.maxMessageBytes) throw malformed(`record ${index} has a value larger than ${limits.maxMessageBytes} bytes`);
  size.bytes += (keyLength > 0 ? keyLength : 0) + headerBytes + valueLength;
  return { topic: '', partition: 0, offset: 0, timestamp, key, headers, value: buf.subarray(pos, end) };
}

function text(buf: Buffer, start: number, end: number, index: number, what: string): string {
  const decoded = readUtf8(buf, start, end);
  if (decoded === null) throw malformed(`record ${index} has a ${what} that is not valid UTF-8`);
  return decoded;
}

/**
 * Decodes and checks the whole batch in `buf` (exactly one batch): all records or an `EVQ_ERR_MALFORMED`
 * error, never a part. Values are views into `buf`.
 */
export function decodeBatch(buf: Buffer, topic: string, limits: CodecLimits = LIMITS, partition = 0): EvqRecord[] {
  const records: EvqRecord[] = [];
  forEachRecord(
    buf,
    topic,
    (record) => {
      records.push(record);
    },
    { limits, partition },
  );
  return records;
}
