/**
 * Kafka's RecordBatch v2 (magic 2): the unit of records in Produce requests, Fetch responses and, should the
 * broker keep batches as they came, on disk.
 *
 * ```text
 *   off size field
 *   0   8    baseOffset            INT64
 *   8   4    batchLength           INT32, bytes after this field
 *   12  4    partitionLeaderEpoch  INT32
 *   16  1    magic                 INT8 = 2
 *   17  4    crc                   UINT32, CRC-32C of bytes 21..end
 *   21  2    attributes            INT16: bits 0-2 compression, 3 timestampType (1 = LogAppendTime),
 *                                  4 transactional, 5 control
 *   23  4    lastOffsetDelta       INT32
 *   27  8    baseTimestamp         INT64
 *   35  8    maxTimestamp          INT64
 *   43  8    producerId            INT64
 *   51  2    producerEpoch         INT16
 *   53  4    baseSequence          INT32
 *   57  4    recordCount           INT32
 *   61  …    records, compressed as one block when attributes say so, each
 *              length VARINT, attributes INT8, timestampDelta VARLONG, offsetDelta VARINT,
 *              key VARINT-length bytes (-1 null), value likewise,
 *              headers: VARINT count, each key VARINT-length UTF-8, value VARINT-length bytes (-1 null)
 * ```
 *
 * The CRC does not cover baseOffset nor partitionLeaderEpoch, so a broker assigns offsets with
 * setBaseOffset without touching it. Every length and count is checked against the bytes (and the caller's
 * limits) before anything is allocated; a batch that does not hold together is CORRUPT_MESSAGE. Pure.
 */
import { KafkaCodecError } from './codec-error.js';
import { COMPRESSION, compress, decompress } from './compression.js';
import { crc32c } from './crc32c.js';
import { KafkaReader } from './reader.js';
import { KafkaWriter } from './writer.js';

export const RECORD_BATCH_MAGIC = 2;
/** Bytes before the records: header through recordCount. */
export const RECORD_BATCH_HEADER_BYTES = 61;
/** Bytes of baseOffset and batchLength: a batch is this plus batchLength long. */
export const RECORD_BATCH_LOG_OVERHEAD = 12;
/** The CRC covers the batch from this byte. */
const CRC_START = 21;
/** The fewest bytes after the length of an entry of a RECORDS field: a magic 0 message with null key and value. */
const MIN_ENTRY_LENGTH = 14;
/** The fewest bytes a record takes: length, attributes, timestampDelta, offsetDelta, key, value, header count. */
const MIN_RECORD_BYTES = 7;

export const BATCH_ATTRIBUTE = {
  compressionMask: 0x07,
  logAppendTime: 0x08,
  transactional: 0x10,
  control: 0x20,
} as const;

export interface KafkaHeader {
  key: string;
  value: Buffer | null;
}

export interface KafkaRecord {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkaHeader[];
}

export interface RecordBatchHeader {
  baseOffset: number;
  /** Bytes after the batchLength field. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  /** Attributes bits 0–2: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  compression: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  transactional: boolean;
  control: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export interface RecordBatch extends RecordBatchHeader {
  records: KafkaRecord[];
}

export interface RecordBatchLimits {
  /** The most records one batch may hold. */
  maxRecords: number;
  /** The most bytes a compressed record block may inflate to. */
  maxUncompressedBytes: number;
  /** Insist that record i has offsetDelta i and lastOffsetDelta is count - 1 (what a producer must send). */
  denseOffsets?: boolean;
}

function corrupt(message: string): KafkaCodecError {
  return new KafkaCodecError('CORRUPT_MESSAGE', `corrupt record batch: ${message}`);
}

/** Reads the 61-byte header of the batch at `at` (nothing of the records, no CRC check). */
export function readBatchHeader(buf: Buffer, at = 0): RecordBatchHeader {
  if (buf.length - at < RECORD_BATCH_HEADER_BYTES)
    throw corrupt(`${buf.length - at} bytes, a batch header takes ${RECORD_BATCH_HEADER_BYTES}`);
  const r = new KafkaReader(buf, at, buf.length, 'CORRUPT_MESSAGE');
  const baseOffset = r.int64Number();
  const batchLength = r.int32();
  const partitionLeaderEpoch = r.int32();
  const magic = r.int8();
  if (magic !== RECORD_BATCH_MAGIC) {
    throw new KafkaCodecError('UNSUPPORTED_FOR_MESSAGE_FORMAT', `record batch magic ${magic}: only magic 2 (RecordBatch v2) is supported`);
  }
  if (batchLength < RECORD_BATCH_HEADER_BYTES - RECORD_BATCH_LOG_OVERHEAD)
    throw corrupt(`batchLength ${batchLength} is shorter than the header`);
  const crc = r.uint32();
  const attributes = r.int16();
  return {
    baseOffset,
    batchLength,
    partitionLeaderEpoch,
    magic,
    crc,
    attributes,
    compression: attributes & BATCH_ATTRIBUTE.compressionMask,
    timestampType: attributes & BATCH_ATTRIBUTE.logAppendTime ? 'LogAppendTime' : 'CreateTime',
    transactional: (attributes & BATCH_ATTRIBUTE.transactional) !== 0,
    control: (attributes & BATCH_ATTRIBUTE.control) !== 0,
    lastOffsetDelta: r.int32(),
    baseTimestamp: r.int64Number(),
    maxTimestamp: r.int64Number(),
    producerId: r.int64Number(),
    producerEpoch: r.int16(),
    baseSequence: r.int32(),
    recordCount: r.int32(),
  };
}

/**
 * The extents of the batches in a RECORDS field, each `[start, end)`. A produced RECORDS field must be
 * whole batches (`allowPartial` false); a fetched one may end in a cut batch, which is left out. Legacy
 * messages (magic 0/1, message-set.ts) are framed the same way (offset, then the bytes that follow), so an
 * entry is taken from the size of the smallest of them; the decoders check the rest.
 */
export function splitBatches(buf: Buffer, allowPartial = false): [number, number][] {
  const out: [number, number][] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < RECORD_BATCH_LOG_OVERHEAD) {
      if (allowPartial) break;
      throw corrupt(`${buf.length - at} trailing bytes after the last batch`);
    }
    const length = buf.readInt32BE(at + 8);
    if (length < MIN_ENTRY_LENGTH) throw corrupt(`batchLength ${length} at byte ${at}`);
    const end = at + RECORD_BATCH_LOG_OVERHEAD + length;
    if (end > buf.length) {
      if (allowPartial) break;
      throw corrupt(`batch at byte ${at} claims ${length} bytes, ${buf.length - at - RECORD_BATCH_LOG_OVERHEAD} left`);
    }
    out.push([at, end]);
    at = end;
  }
  return out;
}

/** Whether the stored CRC matches the bytes of the batch at `[at, end)`. */
export function batchCrcMatches(buf: Buffer, at = 0, end = buf.length): boolean {
  return buf.readUInt32BE(at + 17) === crc32c(buf, at + CRC_START, end);
}

function readRecord(r: KafkaReader): KafkaRecord {
  const length = r.varint();
  if (length < MIN_RECORD_BYTES - 1 || length > r.remaining) throw r.fail(`record length ${length} with ${r.remaining} bytes left`);
  const end = r.offset + length;
  const attributes = r.int8();
  const timestampDelta = r.varlongNumber();
  const offsetDelta = r.varint();
  const key = r.varintBytes();
  const value = r.varintBytes();
  const count = r.varint();
  if (count < 0 || count * 2 > end - r.offset) throw r.fail(`header count ${count} with ${end - r.offset} bytes of record left`);
  const headers: KafkaHeader[] = new Array<KafkaHeader>(count);
  for (let i = 0; i < count; i++) {
    const name = r.varintBytes();
    if (name === null) throw r.fail('record header with a null key');
    headers[i] = { key: name.toString('utf8'), value: r.varintBytes() };
  }
  if (r.offset !== end) throw r.fail(`record fields end at byte ${r.offset}, its length says ${end}`);
  return { attributes, timestampDelta, offsetDelta, key, value, headers };
}

/**
 * Decodes the batch at `[at, end)` (default: the whole buffer, which must be exactly one batch): checks
 * magic, length, CRC-32C, decompresses, reads every record. Keys, values and header values of an
 * uncompressed batch are views into `buf`.
 */
export function decodeRecordBatch(buf: Buffer, limits: RecordBatchLimits, at = 0, end = buf.length): RecordBatch {
  const header = readBatchHeader(buf.subarray(0, end), at);
  if (at + RECORD_BATCH_LOG_OVERHEAD + header.batchLength !== end) {
    throw corrupt(`batchLength ${header.batchLength} but the batch has ${end - at - RECORD_BATCH_LOG_OVERHEAD} bytes`);
  }
  const actual = crc32c(buf, at + CRC_START, end);
  if (actual !== header.crc) throw corrupt(`CRC-32C ${actual.toString(16)} does not match the stored ${header.crc.toString(16)}`);
  const count = header.recordCount;
  if (count < 0 || count > limits.maxRecords) throw corrupt(`record count ${count} (at most ${limits.maxRecords})`);
  let block = buf.subarray(at + RECORD_BATCH_HEADER_BYTES, end);
  block = decompress(header.compression, block, limits.maxUncompressedBytes);
  if (count * MIN_RECORD_BYTES > block.length) throw corrupt(`record count ${count} in ${block.length} bytes of records`);
  const r = new KafkaReader(block, 0, block.length, 'CORRUPT_MESSAGE');
  const records = new Array<KafkaRecord>(count);
  for (let i = 0; i < count; i++) records[i] = readRecord(r);
  if (r.remaining !== 0) throw corrupt(`${r.remaining} bytes after record ${count}`);
  if (limits.denseOffsets === true) checkDense(header, records);
  return { ...header, records };
}

function checkDense(header: RecordBatchHeader, records: KafkaRecord[]): void {
  for (let i = 0; i < records.length; i++) {
    const delta = (records[i] as KafkaRecord).offsetDelta;
    if (delta !== i)
      throw new KafkaCodecError(
        'INVALID_RECORD',
        `record ${i} of the batch has offsetDelta ${delta}: a producer numbers records 0, 1, 2 …`,
      );
  }
  if (records.length > 0 && header.lastOffsetDelta !== records.length - 1) {
    throw new KafkaCodecError('INVALID_RECORD', `lastOffsetDelta ${header.lastOffsetDelta} for ${records.length} records`);
  }
}

/** Sets the baseOffset of the batch at `at` in place: the CRC does not cover it. */
export function setBaseOffset(buf: Buffer, offset: number, at = 0): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`baseOffset ${offset} is not an offset`);
  buf.writeUInt32BE(Math.floor(offset / 2 ** 32), at);
  buf.writeUInt32BE(offset % 2 ** 32, at + 4);
}

/** Sets the partitionLeaderEpoch of the batch at `at` in place (outside the CRC too). */
export function setPartitionLeaderEpoch(buf: Buffer, epoch: number, at = 0): void {
  buf.writeInt32BE(epoch, at + 12);
}

export interface EncodeRecord {
  /** Absolute timestamp, ms since the Unix epoch. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: readonly KafkaHeader[];
  /** Defaults to the record's index. */
  offsetDelta?: number;
}

export interface EncodeBatchOptions {
  records: readonly EncodeRecord[];
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  compression?: number;
  logAppendTime?: boolean;
  transactional?: boolean;
  control?: boolean;
  /** Default: the smallest record timestamp. */
  baseTimestamp?: number;
  /** Default: the largest record timestamp. */
  maxTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
}

function writeRecord(w: KafkaWriter, record: EncodeRecord, index: number, baseTimestamp: number): void {
  const body = new KafkaWriter(64 + (record.value?.length ?? 0) + (record.key?.length ?? 0));
  body.int8(0);
  body.varlong(record.timestamp - baseTimestamp);
  body.varint(record.offsetDelta ?? index);
  body.varintBytes(record.key);
  body.varintBytes(record.value);
  const headers = record.headers ?? [];
  body.varint(headers.length);
  for (const h of headers) {
    body.varintBytes(Buffer.from(h.key, 'utf8'));
    body.varintBytes(h.value);
  }
  w.varint(body.length);
  w.raw(body.finish());
}

/** Encodes one RecordBatch v2 (CRC-32C computed; compressed when `compression` says so). */
export function encodeRecordBatch(options: EncodeBatchOptions): Buffer {
  const { records } = options;
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    if (r.timestamp < minTs) minTs = r.timestamp;
    if (r.timestamp > maxTs) maxTs = r.timestamp;
  }
  const baseTimestamp = options.baseTimestamp ?? (records.length > 0 ? minTs : -1);
  const maxTimestamp = options.maxTimestamp ?? (records.length > 0 ? maxTs : -1);
  const compression = options.compression ?? COMPRESSION.none;
  const block = new KafkaWriter(256);
  records.forEach((record, i) => writeRecord(block, record, i, baseTimestamp));
  const recordBytes = compress(compression, block.finish());
  const attributes =
    (compression & BATCH_ATTRIBUTE.compressionMask) |
    (options.logAppendTime === true ? BATCH_ATTRIBUTE.logAppendTime : 0) |
    (options.transactional === true ? BATCH_ATTRIBUTE.transactional : 0) |
    (options.control === true ? BATCH_ATTRIBUTE.control : 0);
  const lastOffsetDelta = records.length === 0 ? 0 : (records[records.length - 1]?.offsetDelta ?? records.length - 1);

  const w = new KafkaWriter(RECORD_BATCH_HEADER_BYTES + recordBytes.length);
  w.int64(options.baseOffset ?? 0);
  w.int32(RECORD_BATCH_HEADER_BYTES - RECORD_BATCH_LOG_OVERHEAD + recordBytes.length);
  w.int32(options.partitionLeaderEpoch ?? -1);
  w.int8(RECORD_BATCH_MAGIC);
  const crcAt = w.reserve(4);
  w.int16(attributes);
  w.int32(lastOffsetDelta);
  w.int64(baseTimestamp);
  w.int64(maxTimestamp);
  w.int64(options.producerId ?? -1);
  w.int16(options.producerEpoch ?? -1);
  w.int32(options.baseSequence ?? -1);
  w.int32(records.length);
  w.raw(recordBytes);
  w.setUint32(crcAt, crc32c(w.view(), CRC_START, w.length));
  return w.finish();
}
