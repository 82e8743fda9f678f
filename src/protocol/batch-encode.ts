/**
 * Encoding messages as a record batch (the format is described in `record-codec.ts`, the decoder): into a
 * new buffer of its own ({@link encodeBatch}) or into a caller's buffer ({@link encodeBatchInto}, what evq's
 * client uses to encode straight into pooled buffers). Pure.
 */
import { FORBIDDEN_HEADER_NAMES } from './record.js';
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
import { malformed } from './record-codec.js';
import { utf8ByteLength, writeUtf8 } from './utf8.js';
import type { MessageInput, TimestampedMessage } from './record.js';

/** Options of {@link encodeBatchInto} and {@link encodedBatchLength}. */
export interface EncodeOptions {
  /**
   * The timestamp written in every record instead of the messages' own, which are then not looked at. evq's
   * client writes 0, which in a produce frame means "stamp it on arrival".
   */
  timestamp?: number;
}

/**
 * Encodes messages as one batch whose first record gets `baseOffset`. Every message must carry a timestamp
 * (a safe integer >= 0). Throws `EVQ_ERR_MALFORMED` for what the format cannot hold (no message, a header
 * name that is empty, forbidden or longer than 65,535 bytes, 65,535 headers or more, a key of 2 GiB or
 * more, a value or header value of 4 GiB or more). Limits are checked by `validateMessage`, not here.
 */
export function encodeBatch(baseOffset: number, messages: readonly TimestampedMessage[]): Buffer {
  checkBaseOffset(baseOffset, messages);
  const buf = Buffer.allocUnsafe(encodedBatchLength(messages));
  writeBatch(buf, 0, baseOffset, messages, undefined, false);
  return buf;
}

/**
 * Bytes the batch of `messages` takes (header included), checking what {@link encodeBatch} checks: a
 * buffer of this size holds `encodeBatchInto(buf, 0, …, messages)`.
 */
export function encodedBatchLength(messages: readonly MessageInput[], options: EncodeOptions = {}): number {
  checkCount(messages);
  const checkTimestamps = options.timestamp === undefined;
  let total = BATCH_HEADER_BYTES;
  for (let i = 0; i < messages.length; i++) total += encodedRecordLength(messages[i] as MessageInput, checkTimestamps, false);
  if (total > MAX_U32) throw malformed(`a batch of ${total} bytes is larger than the format allows`);
  return total;
}

/**
 * Encodes messages as one batch into `target` from `position` on (the bytes of {@link encodeBatch}, or, with
 * `options.timestamp`, those of messages that all carry that timestamp) and returns the position after
 * it. Throws what {@link encodeBatch} throws, and a `RangeError` when `target` has no room for the batch
 * (size it with {@link encodedBatchLength}); after an error the bytes of `target` from `position` on are
 * undefined.
 */
export function encodeBatchInto(
  target: Buffer,
  position: number,
  baseOffset: number,
  messages: readonly MessageInput[],
  options: EncodeOptions = {},
): number {
  checkCount(messages);
  checkBaseOffset(baseOffset, messages);
  if (!Number.isSafeInteger(position) || position < 0 || position > target.length) {
    throw new RangeError(`position ${String(position)} is outside the target of ${target.length} bytes`);
  }
  const stamp = options.timestamp;
  if (stamp !== undefined && !isTimestamp(stamp)) throw malformed(`timestamp ${String(stamp)} is not a safe integer >= 0`);
  return writeBatch(target, position, baseOffset, messages, stamp, true);
}

function checkCount(messages: readonly MessageInput[]): void {
  const count = messages.length;
  if (count === 0) throw malformed('a batch needs at least one message');
  if (count > MAX_U32) throw malformed('too many messages for one batch');
}

function checkBaseOffset(baseOffset: number, messages: readonly MessageInput[]): void {
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0 || !Number.isSafeInteger(baseOffset + (messages.length - 1))) {
    throw malformed(`base offset ${baseOffset} is not a safe integer >= 0`);
  }
}

/**
 * Writes the batch at `position` and returns the position after it. With `measure`, each record is checked
 * and measured before it is written (the caller sized nothing); without, `encodedBatchLength` did it and
 * `target` has the room.
 */
function writeBatch(
  target: Buffer,
  position: number,
  baseOffset: number,
  messages: readonly MessageInput[],
  stamp: number | undefined,
  measure: boolean,
): number {
  const count = messages.length;
  if (measure && position + BATCH_HEADER_BYTES > target.length) throw noRoom(target, position);
  let pos = position + BATCH_HEADER_BYTES;
  let firstTimestamp = 0;
  let maxTimestamp = 0;
  for (let i = 0; i < count; i++) {
    const msg = messages[i] as MessageInput;
    if (measure) {
      // a bound (3 bytes per UTF-16 unit) is enough when it fits; exact lengths only when it does not
      let size = encodedRecordLength(msg, stamp === undefined, true);
      if (pos + size > target.length || pos - position + size > MAX_U32) {
        size = encodedRecordLength(msg, stamp === undefined, false);
        if (pos - position + size > MAX_U32) throw malformed('the batch is larger than the format allows');
        if (pos + size > target.length) throw noRoom(target, position);
      }
    }
    const timestamp = stamp ?? (msg.timestamp as number);
    if (i === 0) firstTimestamp = timestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    pos = writeRecord(target, pos, msg, timestamp);
  }
  target[position] = BATCH_VERSION;
  target[position + 1] = 0;
  target.writeUInt16BE(0, position + 2);
  target.writeUInt32BE(count, position + 4);
  target.writeUInt32BE(pos - position, position + 8);
  target.writeUInt32BE(0, position + 12);
  target.writeDoubleBE(baseOffset, position + 16);
  target.writeDoubleBE(firstTimestamp, position + 24);
  target.writeDoubleBE(maxTimestamp, position + 32);
  return pos;
}

function noRoom(target: Buffer, position: number): RangeError {
  return new RangeError(`the batch does not fit in the ${target.length - position} bytes after position ${position}`);
}

/** Strings up to this many UTF-16 units take at most 65,535 bytes: within every length field of the format. */
const MAX_BOUNDED_STRING = Math.floor(MAX_U16 / 3);

/**
 * Checks the shape of `msg` and returns the bytes of its record: exactly, or with `bound`, at least as many
 * (strings of up to {@link MAX_BOUNDED_STRING} units counted as 3 bytes per unit, without being measured).
 * A bound never trips a check that the exact length would pass, except the total, which is not checked.
 */
function encodedRecordLength(msg: MessageInput, checkTimestamp: boolean, bound: boolean): number {
  if (msg === null || typeof msg !== 'object') throw malformed('a message must be an object');
  if (checkTimestamp && !isTimestamp(msg.timestamp)) throw malformed(`timestamp ${String(msg.timestamp)} is not a safe integer >= 0`);
  let size = MIN_RECORD_BYTES;
  const { key, headers, value } = msg;
  if (key !== null && key !== undefined) {
    if (typeof key !== 'string') throw malformed('a key must be a string or null');
    const keyBytes = bytesOf(key, bound);
    if (keyBytes > MAX_I32) throw malformed('the key is larger than the format allows');
    size += keyBytes;
  }
  if (headers !== null && headers !== undefined) {
    if (typeof headers !== 'object' || Array.isArray(headers)) throw malformed('headers must be an object or null');
    const names = Object.keys(headers);
    if (names.length >= NULL_HEADERS) throw malformed(`${names.length} headers are more than the format allows`);
    for (const name of names) {
      const headerValue = headers[name];
      if (typeof headerValue !== 'string') throw malformed(`header "${name}" must have a string value`);
      if (name.length === 0 || FORBIDDEN_HEADER_NAMES.has(name)) throw malformed(`header name "${name}" is refused`);
      const nameBytes = bytesOf(name, bound);
      const valueBytes = bytesOf(headerValue, bound);
      if (nameBytes > MAX_U16) throw malformed('a header name is longer than 65,535 bytes');
      if (valueBytes > MAX_U32) throw malformed('a header value is larger than the format allows');
      size += 2 + nameBytes + 4 + valueBytes;
    }
  }
  if (typeof value === 'string') size += bytesOf(value, bound);
  else if (Buffer.isBuffer(value)) size += value.length;
  else throw malformed('a message value must be a Buffer or a string');
  if (!bound && size - MIN_RECORD_BYTES > MAX_U32) throw malformed('a message is larger than the format allows');
  return size;
}

function bytesOf(text: string, bound: boolean): number {
  return bound && text.length <= MAX_BOUNDED_STRING ? 3 * text.length : utf8ByteLength(text);
}

function writeRecord(buf: Buffer, start: number, msg: MessageInput, timestamp: number): number {
  let pos = start + 4;
  buf.writeDoubleBE(timestamp, pos);
  pos += 8;
  const { key, headers, value } = msg;
  if (key === null || key === undefined) {
    buf.writeInt32BE(NULL_KEY, pos);
    pos += 4;
  } else {
    const n = writeUtf8(buf, key, pos + 4);
    buf.writeInt32BE(n, pos);
    pos += 4 + n;
  }
  if (headers === null || headers === undefined) {
    buf.writeUInt16BE(NULL_HEADERS, pos);
    pos += 2;
  } else {
    const names = Object.keys(headers);
    buf.writeUInt16BE(names.length, pos);
    pos += 2;
    for (const name of names) {
      const nameBytes = writeUtf8(buf, name, pos + 2);
      buf.writeUInt16BE(nameBytes, pos);
      pos += 2 + nameBytes;
      const valueBytes = writeUtf8(buf, headers[name] as string, pos + 4);
      buf.writeUInt32BE(valueBytes, pos);
      pos += 4 + valueBytes;
    }
  }
  if (typeof value === 'string') {
    const n = writeUtf8(buf, value, pos + 4);
    buf.writeUInt32BE(n, pos);
    pos += 4 + n;
  } else {
    buf.writeUInt32BE(value.length, pos);
    buf.set(value, pos + 4);
    pos += 4 + value.length;
  }
  buf.writeUInt32BE(pos - start - 4, start);
  return pos;
}
