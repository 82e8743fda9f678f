/**
 * Encoded batches taken as they are: the broker's fast path for binary produce frames. A batch that
 * arrives in the record-codec format is checked in one pass over its bytes, without decoding it into
 * objects, stamped with the broker's clock where it says "stamp on arrival" (timestamp 0), and stored and
 * sent to subscribers as the bytes that arrived.
 *
 * {@link validateEncodedBatch} refuses exactly what decoding the batch (`decodeBatch` with
 * `TRUSTED_CODEC_LIMITS`, as the broker's decode path does) and then checking the decoded messages against
 * the limits (`validateMessage` / `validateBatch`, as `Ingest` does) refuses, with the same code and the same
 * words: every malformation first (`EVQ_ERR_MALFORMED`, whichever record it is in), then the batch count,
 * then the first message over a limit, in record order. Pure: no I/O.
 */
import { LIMITS } from '../core/limits.js';
import type { EvqError } from '../errors.js';
import { BATCH_HEADER_BYTES, MIN_RECORD_BYTES, NULL_HEADERS, NULL_KEY } from './batch-layout.js';
import { TRUSTED_CODEC_LIMITS, malformed, readBatchHeader } from './record-codec.js';
import { FORBIDDEN_HEADER_NAMES } from './record.js';
import { isUtf8Range, readUtf8 } from './utf8.js';
import { batchTooLarge, headersTooLarge, keyTooLarge, messageTooLarge, tooManyHeaders, tooManyMessages } from './validate.js';
import type { BatchLimits } from './validate.js';

/** What {@link validateEncodedBatch} found in a batch it accepted. */
export interface EncodedBatchInfo {
  /** Number of records. */
  count: number;
  /** Bytes of the values. */
  valueBytes: number;
  /** Bytes of the keys, header names and values, and values: what `validateBatch` returns. */
  payloadBytes: number;
  /** Records whose timestamp is 0 ("stamp it on arrival"). */
  unstamped: number;
  /** Records with a key. */
  keyed: number;
}

/** Up to this many headers, repeated names are found by comparing bytes; past it, with a set. */
const PAIRWISE_HEADERS = 16;
/** Start and length of the header names of the record being checked (reused: the check is synchronous). */
const names = new Int32Array(2 * PAIRWISE_HEADERS);

/**
 * Checks the batch that fills `buf` (exactly one batch) in one pass over its bytes: its structure (what
 * `readBatchHeader` and `forEachRecord` check: lengths, UTF-8 keys and header names and values, refused and
 * repeated header names, the header's timestamps) and the limits. Its base offset is not looked at beyond
 * being a valid one. Throws the error the decode path would (see the module notes); returns what the
 * broker needs to store and count the batch. Does not modify `buf`.
 */
export function validateEncodedBatch(buf: Buffer, limits: BatchLimits = LIMITS): EncodedBatchInfo {
  const header = readBatchHeader(buf, TRUSTED_CODEC_LIMITS);
  if (header.byteLength !== buf.length) {
    throw malformed(`the buffer holds ${buf.length} bytes but the batch says ${header.byteLength}`);
  }
  const count = header.count;
  const end = buf.length;
  // DataView reads are inlined by the optimizing compiler; Buffer's read methods check their arguments
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  // a limit error is kept, not thrown, until the whole batch is known to be well formed: decoding comes
  // first on the decode path, so a malformed record anywhere wins over a limit
  let limitError: EvqError | null = count > limits.maxBatchCount ? tooManyMessages(count, limits.maxBatchCount) : null;
  let pos = BATCH_HEADER_BYTES;
  let maxTimestamp = 0;
  let valueBytes = 0;
  let payloadBytes = 0;
  let unstamped = 0;
  let keyed = 0;
  for (let index = 0; index < count; index++) {
    if (pos + 4 > end) throw malformed(`record ${index} is cut short`);
    const length = view.getUint32(pos);
    if (length < MIN_RECORD_BYTES - 4 || length > end - pos - 4) throw malformed(`record ${index} has an invalid length`);
    const recordEnd = pos + 4 + length;
    let p = pos + 4;
    const timestamp = view.getFloat64(p);
    p += 8;
    if (!(Number.isSafeInteger(timestamp) && timestamp >= 0)) throw malformed(`record ${index} has an invalid timestamp`);
    const keyLength = view.getInt32(p);
    p += 4;
    if (keyLength !== NULL_KEY) {
      keyed++;
      if (keyLength < 0 || keyLength > recordEnd - p) throw malformed(`record ${index} has an invalid key length`);
      if (!isUtf8Range(buf, p, p + keyLength)) throw malformed(`record ${index} has a key that is not valid UTF-8`);
      p += keyLength;
    }
    if (p + 2 > recordEnd) throw malformed(`record ${index} is cut short before its headers`);
    const headerCount = view.getUint16(p);
    p += 2;
    let headerBytes = 0;
    if (headerCount !== NULL_HEADERS) {
      const seen = headerCount > PAIRWISE_HEADERS ? new Set<string>() : null;
      for (let h = 0; h < headerCount; h++) {
        if (p + 2 > recordEnd) throw malformed(`record ${index} is cut short in its headers`);
        const nameLength = view.getUint16(p);
        p += 2;
        if (nameLength === 0 || nameLength > recordEnd - p) throw malformed(`record ${index} has an invalid header name length`);
        if (!isUtf8Range(buf, p, p + nameLength)) throw malformed(`record ${index} has a header name that is not valid UTF-8`);
        // the refused names are ASCII, and valid UTF-8 is equal as bytes exactly when it is equal as text
        if ((nameLength === 9 || nameLength === 11) && FORBIDDEN_HEADER_NAMES.has(buf.toString('latin1', p, p + nameLength))) {
          throw malformed(`record ${index} has the refused header name "${headerName(buf, p, nameLength)}"`);
        }
        if (seen === null ? repeatsName(buf, p, nameLength, h) : seenBefore(seen, buf.toString('latin1', p, p + nameLength))) {
          throw malformed(`record ${index} repeats the header "${headerName(buf, p, nameLength)}"`);
        }
        p += nameLength;
        if (p + 4 > recordEnd) throw malformed(`record ${index} is cut short in its headers`);
        const valueLength = view.getUint32(p);
        p += 4;
        if (valueLength > recordEnd - p) throw malformed(`record ${index} has an invalid header value length`);
        if (!isUtf8Range(buf, p, p + valueLength)) throw malformed(`record ${index} has a header value that is not valid UTF-8`);
        p += valueLength;
        headerBytes += nameLength + valueLength;
      }
    }
    if (p + 4 > recordEnd) throw malformed(`record ${index} is cut short before its value`);
    const valueLength = view.getUint32(p);
    p += 4;
    if (valueLength !== recordEnd - p) throw malformed(`record ${index} has a value length that does not match the record length`);
    if (index === 0 && timestamp !== header.firstTimestamp) throw malformed('the first timestamp does not match record 0');
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    if (timestamp === 0) unstamped++;
    const keyBytes = keyLength > 0 ? keyLength : 0;
    valueBytes += valueLength;
    payloadBytes += valueLength + keyBytes + headerBytes;
    if (limitError === null) {
      // the order of validateMessage, then of the batch's running total
      if (valueLength > limits.maxMessageBytes) limitError = messageTooLarge(valueLength, limits.maxMessageBytes);
      else if (keyBytes > limits.maxKeyBytes) limitError = keyTooLarge(keyBytes, limits.maxKeyBytes);
      else if (headerCount !== NULL_HEADERS && headerCount > limits.maxHeaderCount)
        limitError = tooManyHeaders(headerCount, limits.maxHeaderCount);
      else if (headerBytes > limits.maxHeaderBytes) limitError = headersTooLarge(limits.maxHeaderBytes);
      else if (payloadBytes > limits.maxBatchBytes) limitError = batchTooLarge(limits.maxBatchBytes);
    }
    pos = recordEnd;
  }
  if (pos !== end) throw malformed(`${end - pos} bytes are left after the last record`);
  if (maxTimestamp !== header.maxTimestamp) throw malformed('the maximum timestamp does not match the records');
  if (limitError !== null) throw limitError;
  return { count, valueBytes, payloadBytes, unstamped, keyed };
}

/** Whether the header name at `buf[start, start + length)` equals one of the `h` names before it (kept in `names`). */
function repeatsName(buf: Buffer, start: number, length: number, h: number): boolean {
  for (let j = 0; j < h; j++) {
    const other = names[2 * j] as number;
    if (names[2 * j + 1] !== length) continue;
    let k = 0;
    while (k < length && buf[start + k] === buf[other + k]) k++;
    if (k === length) return true;
  }
  names[2 * h] = start;
  names[2 * h + 1] = length;
  return false;
}

function seenBefore(seen: Set<string>, name: string): boolean {
  if (seen.has(name)) return true;
  seen.add(name);
  return false;
}

function headerName(buf: Buffer, start: number, length: number): string {
  return readUtf8(buf, start, start + length) ?? '';
}

/**
 * Stamps the batch that fills `buf` (checked by {@link validateEncodedBatch}): every record whose timestamp
 * is 0 gets `now`, and the header's first and largest timestamps are set to match. Modifies `buf` in place.
 * It reads only the record lengths and timestamps: a batch that was not checked may be left half stamped
 * when it turns out malformed (`EVQ_ERR_MALFORMED`).
 */
export function stampBatch(buf: Buffer, now: number): void {
  if (!Number.isSafeInteger(now) || now < 0) throw new RangeError(`timestamp ${String(now)} is not a safe integer >= 0`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const count = view.getUint32(4);
  const end = buf.length;
  let pos = BATCH_HEADER_BYTES;
  let firstTimestamp = 0;
  let maxTimestamp = 0;
  for (let i = 0; i < count; i++) {
    if (pos + 12 > end) throw malformed(`record ${i} is cut short`);
    let timestamp = view.getFloat64(pos + 4);
    if (timestamp === 0) {
      timestamp = now;
      view.setFloat64(pos + 4, now);
    }
    if (i === 0) firstTimestamp = timestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    pos += 4 + view.getUint32(pos);
  }
  if (pos !== end) throw malformed('the records do not fill the batch');
  view.setFloat64(24, firstTimestamp);
  view.setFloat64(32, maxTimestamp);
}
