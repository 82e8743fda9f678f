/**
 * Kafka's legacy messages (magic 0 and 1), what Produce v0–2 carries from clients of Kafka before 0.11
 * (librdkafka with `broker.version.fallback` 0.9/0.10 and `api.version.request=false`, old Java and Go
 * clients). A RECORDS field of such a request is a message set: entries of
 *
 * ```text
 *   offset INT64 (the producer's, ignored), message_size INT32, message:
 *     crc UINT32 (CRC-32, IEEE, of magic … end), magic INT8 (0 or 1),
 *     attributes INT8 (bits 0–2 compression, bit 3 LogAppendTime: magic 1 only),
 *     timestamp INT64 (magic 1 only; -1 none), key BYTES (-1 null), value BYTES (-1 null)
 * ```
 *
 * A compressed message is a wrapper: its value, inflated, is a message set of uncompressed messages of the
 * same magic (their offsets relative from 0 under magic 1, anything under magic 0; the broker assigns
 * offsets either way). LZ4 under magic 0 is the frame format with Kafka's old header checksum (KAFKA-3160:
 * computed over the magic bytes too), which is taken as well. The messages of one entry are returned as one
 * `RecordBatch` (baseTimestamp 0, each record's timestampDelta its own timestamp, offsetDelta its index, no
 * headers), so that record-translation.ts keeps them as it keeps RecordBatch v2 records. Every length is
 * checked against the bytes, the CRC is verified before anything is inflated, inflation is bounded by the
 * caller's limit, and a wrapper inside a wrapper is refused: CORRUPT_MESSAGE. Pure.
 */
import { crc32 } from 'node:zlib';
import { KafkaCodecError } from './codec-error.js';
import { decompress } from './compression.js';
import type { KafkaRecord, RecordBatch, RecordBatchLimits } from './record-batch.js';

/** offset and message_size before every message. */
const ENTRY_OVERHEAD = 12;
/** crc, magic, attributes, key length, value length. */
const MIN_MESSAGE_BYTES_V0 = 14;
/** The smallest entry of a message set (a magic 0 message with null key and value), in bytes. */
export const MIN_LEGACY_ENTRY_BYTES = ENTRY_OVERHEAD + MIN_MESSAGE_BYTES_V0;
const ATTRIBUTE_COMPRESSION = 0x07;
const ATTRIBUTE_LOG_APPEND_TIME = 0x08;

function corrupt(message: string): KafkaCodecError {
  return new KafkaCodecError('CORRUPT_MESSAGE', `corrupt message set: ${message}`);
}

interface Walk {
  records: KafkaRecord[];
  limits: RecordBatchLimits;
  /** Bytes that wrappers may still inflate to. */
  budget: number;
}

/** A BYTES field at `at` (INT32 length, -1 null) ending by `end`: [value, next offset]. */
function bytesAt(buf: Buffer, at: number, end: number, what: string): [Buffer | null, number] {
  if (at + 4 > end) throw corrupt(`message ends inside its ${what} length`);
  const length = buf.readInt32BE(at);
  if (length === -1) return [null, at + 4];
  if (length < 0 || length > end - at - 4) throw corrupt(`${what} of ${length} bytes with ${end - at - 4} left in the message`);
  return [buf.subarray(at + 4, at + 4 + length), at + 4 + length];
}

/** Reads the messages of the set `[at, end)` into `walk.records`; `magic` is the wrapper's when inside one. */
function readSet(buf: Buffer, at: number, end: number, walk: Walk, wrapper: { magic: number } | null): void {
  if (at >= end) throw corrupt(wrapper === null ? 'no message' : 'a compressed message holds no message');
  while (at < end) {
    if (end - at < ENTRY_OVERHEAD) throw corrupt(`${end - at} trailing bytes after the last message`);
    const size = buf.readInt32BE(at + 8);
    const start = at + ENTRY_OVERHEAD;
    if (size < MIN_MESSAGE_BYTES_V0 || size > end - start) throw corrupt(`message of ${size} bytes with ${end - start} left`);
    readMessage(buf, start, start + size, walk, wrapper);
    at = start + size;
  }
}

function readMessage(buf: Buffer, at: number, end: number, walk: Walk, wrapper: { magic: number } | null): void {
  const crc = buf.readUInt32BE(at);
  const magic = buf.readInt8(at + 4);
  if (magic !== 0 && magic !== 1) {
    throw new KafkaCodecError('CORRUPT_MESSAGE', `message magic ${magic} in a message set (magic 0 or 1; RecordBatch v2 is not nested)`);
  }
  if (wrapper !== null && magic !== wrapper.magic) throw corrupt(`a magic ${magic} message inside a magic ${wrapper.magic} one`);
  const actual = crc32(buf.subarray(at + 4, end));
  if (actual !== crc) throw corrupt(`CRC-32 ${actual.toString(16)} does not match the stored ${crc.toString(16)}`);
  const attributes = buf.readInt8(at + 5);
  let p = at + 6;
  let timestamp = -1;
  if (magic === 1) {
    if (p + 8 > end) throw corrupt('message ends inside its timestamp');
    timestamp = Number(buf.readBigInt64BE(p));
    p += 8;
  }
  const [key, afterKey] = bytesAt(buf, p, end, 'key');
  const [value, afterValue] = bytesAt(buf, afterKey, end, 'value');
  if (afterValue !== end) throw corrupt(`message fields end at byte ${afterValue}, its size says ${end}`);
  const codec = attributes & ATTRIBUTE_COMPRESSION;
  if (codec === 0) {
    if (walk.records.length >= walk.limits.maxRecords) throw corrupt(`more than ${walk.limits.maxRecords} messages`);
    walk.records.push({ attributes: 0, timestampDelta: timestamp, offsetDelta: walk.records.length, key, value, headers: [] });
    return;
  }
  if (wrapper !== null) throw corrupt('a compressed message inside a compressed message');
  if (value === null) throw corrupt('a compressed message without a value');
  const inner = decompress(codec, value, walk.budget, { lz4LegacyHeaderChecksum: magic === 0 });
  walk.budget -= inner.length;
  readSet(inner, 0, inner.length, walk, { magic });
}

/**
 * Decodes the message-set entry `[at, end)` (one message, or one compressed wrapper and the messages it
 * holds) as a RecordBatch; CORRUPT_MESSAGE when it does not hold together, UNSUPPORTED_COMPRESSION_TYPE for
 * a codec Kafka does not define.
 */
export function decodeLegacyEntry(buf: Buffer, limits: RecordBatchLimits, at = 0, end = buf.length): RecordBatch {
  if (end - at < MIN_LEGACY_ENTRY_BYTES) throw corrupt(`${end - at} bytes, a message takes at least ${MIN_LEGACY_ENTRY_BYTES}`);
  const walk: Walk = { records: [], limits, budget: limits.maxUncompressedBytes };
  readSet(buf, at, end, walk, null);
  const magic = buf.readInt8(at + ENTRY_OVERHEAD + 4);
  const attributes = buf.readInt8(at + ENTRY_OVERHEAD + 5);
  const logAppendTime = magic === 1 && (attributes & ATTRIBUTE_LOG_APPEND_TIME) !== 0;
  const count = walk.records.length;
  return {
    baseOffset: 0,
    batchLength: end - at - ENTRY_OVERHEAD,
    partitionLeaderEpoch: -1,
    magic,
    crc: buf.readUInt32BE(at + ENTRY_OVERHEAD),
    attributes,
    compression: attributes & ATTRIBUTE_COMPRESSION,
    timestampType: logAppendTime ? 'LogAppendTime' : 'CreateTime',
    transactional: false,
    control: false,
    lastOffsetDelta: count - 1,
    baseTimestamp: 0,
    maxTimestamp: walk.records.reduce((max, r) => Math.max(max, r.timestampDelta), -1),
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    recordCount: count,
    records: walk.records,
  };
}

export interface EncodeLegacyMessage {
  key: Buffer | null;
  value: Buffer | null;
  /** Magic 1 only; -1 for none. */
  timestamp?: number;
}

function encodeMessage(magic: 0 | 1, attributes: number, m: EncodeLegacyMessage, offset: number): Buffer {
  const keyLength = m.key?.length ?? 0;
  const valueLength = m.value?.length ?? 0;
  const size = MIN_MESSAGE_BYTES_V0 + (magic === 1 ? 8 : 0) + keyLength + valueLength;
  const out = Buffer.alloc(ENTRY_OVERHEAD + size);
  out.writeBigInt64BE(BigInt(offset), 0);
  out.writeInt32BE(size, 8);
  let p = ENTRY_OVERHEAD + 4;
  out.writeInt8(magic, p++);
  out.writeInt8(attributes, p++);
  if (magic === 1) {
    out.writeBigInt64BE(BigInt(m.timestamp ?? -1), p);
    p += 8;
  }
  for (const field of [m.key, m.value]) {
    out.writeInt32BE(field === null ? -1 : field.length, p);
    p += 4;
    if (field !== null) p += field.copy(out, p);
  }
  out.writeUInt32BE(crc32(out.subarray(ENTRY_OVERHEAD + 4)), ENTRY_OVERHEAD);
  return out;
}

/**
 * Encodes a message set of `magic` 0 or 1, uncompressed (for tests and tools that play an old client; a
 * compressed set is a wrapper whose value is `compress(codec, encodeLegacySet(...))`, see
 * `encodeLegacyWrapper`).
 */
export function encodeLegacySet(magic: 0 | 1, messages: readonly EncodeLegacyMessage[]): Buffer {
  return Buffer.concat(messages.map((m, i) => encodeMessage(magic, 0, m, i)));
}

/** One wrapper message of codec `codec` whose value is `compressed` (an inflated set of the same magic). */
export function encodeLegacyWrapper(
  magic: 0 | 1,
  codec: number,
  compressed: Buffer,
  innerCount: number,
  options: { timestamp?: number; logAppendTime?: boolean } = {},
): Buffer {
  const attributes = (codec & ATTRIBUTE_COMPRESSION) | (options.logAppendTime === true ? ATTRIBUTE_LOG_APPEND_TIME : 0);
  return encodeMessage(
    magic,
    attributes,
    { key: null, value: compressed, timestamp: options.timestamp ?? -1 },
    Math.max(0, innerCount - 1),
  );
}
