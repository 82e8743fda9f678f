import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KafkaCodecError } from '../../../../src/protocol/kafka/codec-error.js';
import { COMPRESSION, compress, decompress } from '../../../../src/protocol/kafka/compression.js';
import { crc32c } from '../../../../src/protocol/kafka/crc32c.js';
import {
  RECORD_BATCH_HEADER_BYTES,
  batchCrcMatches,
  decodeRecordBatch,
  encodeRecordBatch,
  readBatchHeader,
  setBaseOffset,
  setPartitionLeaderEpoch,
  splitBatches,
  type EncodeRecord,
} from '../../../../src/protocol/kafka/record-batch.js';
import { fixtureBytes, fixtureJson } from './fixture.js';

const require = createRequire(import.meta.url);
type KafkajsEncoder = { buffer: Buffer };
const { RecordBatch: kafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (options: Record<string, unknown>) => Promise<KafkajsEncoder>;
};
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (options: Record<string, unknown>) => KafkajsEncoder;
const kafkajsBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<{
  records: { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer>; offset: string; timestamp: string }[];
}>;
const KafkajsDecoder = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => unknown;

/** evq's snappy and lz4 as kafkajs plug-ins (`CompressionCodecs`: kafkajs ships neither), as an application adds them. */
const { CompressionCodecs } = require('kafkajs') as {
  CompressionCodecs: Record<number, () => { compress(e: KafkajsEncoder): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
};
for (const id of [COMPRESSION.snappy, COMPRESSION.lz4]) {
  CompressionCodecs[id] = () => ({
    compress: async (encoder) => compress(id, encoder.buffer),
    decompress: async (buffer) => decompress(id, buffer, 1 << 20),
  });
}
const Long = require('kafkajs/src/utils/long') as { fromValue(v: number): unknown };

const LIMITS = { maxRecords: 10_000, maxUncompressedBytes: 1 << 20 };
const T0 = 1_700_000_000_000;

const three: EncodeRecord[] = [
  { timestamp: T0, key: Buffer.from('k1'), value: Buffer.from('hello'), headers: [{ key: 'h', value: Buffer.from('v') }] },
  { timestamp: T0 + 5, key: null, value: Buffer.from([0, 1, 2, 255]), headers: [] },
  {
    timestamp: T0 + 2,
    key: Buffer.from('clé'),
    value: null,
    headers: [
      { key: 'évq', value: Buffer.from('välue') },
      { key: 'empty', value: Buffer.alloc(0) },
    ],
  },
];

/** kafkajs's encoding of the same three records (its producer's batch shape; it cannot encode a null header value). */
async function kafkajsBatch(compression: number): Promise<Buffer> {
  const records = [
    kafkajsRecord({
      offsetDelta: 0,
      timestampDelta: 0,
      key: Buffer.from('k1'),
      value: Buffer.from('hello'),
      headers: { h: Buffer.from('v') },
    }),
    kafkajsRecord({ offsetDelta: 1, timestampDelta: 5, key: null, value: Buffer.from([0, 1, 2, 255]), headers: {} }),
    kafkajsRecord({
      offsetDelta: 2,
      timestampDelta: 2,
      key: Buffer.from('clé'),
      value: null,
      headers: { évq: Buffer.from('välue'), empty: Buffer.alloc(0) },
    }),
  ];
  const batch = await kafkajsRecordBatch({
    compression,
    records,
    firstTimestamp: T0,
    maxTimestamp: T0 + 5,
    partitionLeaderEpoch: 0,
    lastOffsetDelta: 2,
    producerId: Long.fromValue(-1),
    producerEpoch: 0,
    firstSequence: 0,
  });
  return batch.buffer;
}

const kafkajsShape = { partitionLeaderEpoch: 0, producerEpoch: 0, baseSequence: 0 };

function codecError(fn: () => unknown): KafkaCodecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaCodecError);
    return e as KafkaCodecError;
  }
  throw new Error('expected a KafkaCodecError');
}

describe('RecordBatch v2', () => {
  it('encodes three keyed records with headers to kafkajs bytes, uncompressed, gzip, snappy and lz4', async () => {
    for (const compression of [COMPRESSION.none, COMPRESSION.gzip, COMPRESSION.snappy, COMPRESSION.lz4]) {
      const ours = encodeRecordBatch({ records: three, compression, ...kafkajsShape });
      expect(ours).toEqual(await kafkajsBatch(compression));
    }
  });

  it('decodes every field of a kafkajs batch, and kafkajs decodes ours, with every codec evq encodes', async () => {
    for (const compression of [COMPRESSION.none, COMPRESSION.gzip, COMPRESSION.snappy, COMPRESSION.lz4]) {
      const batch = decodeRecordBatch(await kafkajsBatch(compression), { ...LIMITS, denseOffsets: true });
      expect(batch).toMatchObject({
        baseOffset: 0,
        partitionLeaderEpoch: 0,
        magic: 2,
        compression,
        timestampType: 'CreateTime',
        transactional: false,
        control: false,
        lastOffsetDelta: 2,
        baseTimestamp: T0,
        maxTimestamp: T0 + 5,
        producerId: -1,
        producerEpoch: 0,
        baseSequence: 0,
        recordCount: 3,
      });
      expect(batch.records.map((r) => [r.offsetDelta, r.timestampDelta, r.key?.toString(), r.value])).toEqual([
        [0, 0, 'k1', Buffer.from('hello')],
        [1, 5, undefined, Buffer.from([0, 1, 2, 255])],
        [2, 2, 'clé', null],
      ]);
      expect(batch.records[2]?.headers).toEqual(three[2]?.headers);

      const ours = encodeRecordBatch({ records: three, compression, baseOffset: 40 });
      const theirs = await kafkajsBatchDecoder(new KafkajsDecoder(ours));
      expect(theirs.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null])).toEqual([
        ['40', String(T0), 'k1'],
        ['41', String(T0 + 5), null],
        ['42', String(T0 + 2), 'clé'],
      ]);
      expect(theirs.records[2]?.headers).toEqual({ évq: Buffer.from('välue'), empty: Buffer.alloc(0) });
    }
  });

  it('round-trips any records', () => {
    const record = fc.record({
      timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
      key: fc.option(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a))),
      value: fc.option(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a))),
      headers: fc.array(
        fc.record({ key: fc.string({ maxLength: 10 }), value: fc.option(fc.uint8Array({ maxLength: 10 }).map((a) => Buffer.from(a))) }),
        {
          maxLength: 4,
        },
      ),
    });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), fc.constantFrom(0, 1), (records, compression) => {
        const decoded = decodeRecordBatch(encodeRecordBatch({ records, compression }), { ...LIMITS, denseOffsets: true });
        expect(
          decoded.records.map((r) => ({
            timestamp: decoded.baseTimestamp + r.timestampDelta,
            key: r.key,
            value: r.value,
            headers: r.headers,
          })),
        ).toEqual(records.map((r) => ({ ...r, headers: r.headers.map((h) => ({ key: Buffer.from(h.key).toString(), value: h.value })) })));
      }),
      { numRuns: 200 },
    );
  });

  it('flags: transactional, control, LogAppendTime, producer fields', () => {
    const buf = encodeRecordBatch({
      records: three,
      transactional: true,
      control: true,
      logAppendTime: true,
      producerId: 7_000_000_000,
      producerEpoch: 3,
      baseSequence: 12,
      baseTimestamp: T0 - 1,
      maxTimestamp: T0 + 9,
    });
    expect(readBatchHeader(buf)).toMatchObject({
      attributes: 0x38,
      transactional: true,
      control: true,
      timestampType: 'LogAppendTime',
      producerId: 7_000_000_000,
      producerEpoch: 3,
      baseSequence: 12,
      baseTimestamp: T0 - 1,
      maxTimestamp: T0 + 9,
    });
    expect(decodeRecordBatch(buf, LIMITS).records[0]?.timestampDelta).toBe(1);
  });

  it('setBaseOffset and setPartitionLeaderEpoch leave the CRC valid', () => {
    const buf = encodeRecordBatch({ records: three });
    const crc = readBatchHeader(buf).crc;
    setBaseOffset(buf, 2 ** 40 + 17);
    setPartitionLeaderEpoch(buf, 5);
    expect(readBatchHeader(buf)).toMatchObject({ baseOffset: 2 ** 40 + 17, partitionLeaderEpoch: 5, crc });
    expect(batchCrcMatches(buf)).toBe(true);
    expect(decodeRecordBatch(buf, LIMITS).records).toHaveLength(3);
    expect(() => setBaseOffset(buf, -1)).toThrow(RangeError);
  });

  it('splits a RECORDS field into batches; a fetch may end in a cut batch, a produce may not', () => {
    const a = encodeRecordBatch({ records: three });
    const b = encodeRecordBatch({ records: three.slice(0, 1), baseOffset: 3 });
    const both = Buffer.concat([a, b]);
    expect(splitBatches(both)).toEqual([
      [0, a.length],
      [a.length, both.length],
    ]);
    const cut = both.subarray(0, both.length - 5);
    expect(splitBatches(cut, true)).toEqual([[0, a.length]]);
    expect(codecError(() => splitBatches(cut)).kafkaError).toBe('CORRUPT_MESSAGE');
    codecError(() => splitBatches(Buffer.concat([a, Buffer.alloc(3)])));
    expect(decodeRecordBatch(both, LIMITS, a.length, both.length).baseOffset).toBe(3);
  });
});

describe('RecordBatch v2 against corrupt input', () => {
  const good = encodeRecordBatch({ records: three });

  it('a flipped bit anywhere the CRC covers is CORRUPT_MESSAGE', () => {
    for (let at = 21; at < good.length; at += 7) {
      const bad = Buffer.from(good);
      bad[at] = (bad[at] as number) ^ 0x10;
      const e = codecError(() => decodeRecordBatch(bad, LIMITS));
      expect(e.kafkaError).toBe(at < 23 ? e.kafkaError : 'CORRUPT_MESSAGE');
    }
    const bad = Buffer.from(good);
    bad[good.length - 1] = (bad[good.length - 1] as number) ^ 1;
    expect(codecError(() => decodeRecordBatch(bad, LIMITS)).message).toMatch(/CRC-32C .* does not match/);
  });

  /** A batch whose header and records are as given, with a correct CRC (so only the structure is wrong). */
  function withCrc(buf: Buffer): Buffer {
    buf.writeUInt32BE(crc32c(buf, 21), 17);
    return buf;
  }

  it('a record count the bytes cannot hold, or past the limit, fails before records are read', () => {
    const huge = withCrc(Buffer.from(good).fill(0x7f, 57, 58));
    expect(codecError(() => decodeRecordBatch(huge, LIMITS)).message).toMatch(/record count 2\d+ \(at most 10000\)/);
    const four = Buffer.from(good);
    four.writeInt32BE(4, 57);
    expect(codecError(() => decodeRecordBatch(withCrc(four), LIMITS)).kafkaError).toBe('CORRUPT_MESSAGE');
    const many = Buffer.from(good);
    many.writeInt32BE(1000, 57);
    expect(codecError(() => decodeRecordBatch(withCrc(many), { ...LIMITS, maxRecords: 1_000_000 })).message).toMatch(/1000 in \d+ bytes/);
    const negative = Buffer.from(good);
    negative.writeInt32BE(-1, 57);
    codecError(() => decodeRecordBatch(withCrc(negative), LIMITS));
  });

  it('wrong magic, batchLength, and records that do not fill their lengths', () => {
    const magic = Buffer.from(good);
    magic[16] = 1;
    expect(codecError(() => decodeRecordBatch(magic, LIMITS)).kafkaError).toBe('UNSUPPORTED_FOR_MESSAGE_FORMAT');
    const length = Buffer.from(good);
    length.writeInt32BE(good.length, 8);
    codecError(() => decodeRecordBatch(length, LIMITS));
    codecError(() => decodeRecordBatch(good.subarray(0, 40), LIMITS));
    const record = Buffer.from(good);
    record[RECORD_BATCH_HEADER_BYTES] = (record[RECORD_BATCH_HEADER_BYTES] as number) + 2; // first record's length
    expect(codecError(() => decodeRecordBatch(withCrc(record), LIMITS)).kafkaError).toBe('CORRUPT_MESSAGE');
  });

  it('offsets a producer may not send are INVALID_RECORD when dense offsets are asked for', () => {
    const gaps = encodeRecordBatch({ records: three.map((r, i) => ({ ...r, offsetDelta: i * 2 })) });
    expect(decodeRecordBatch(gaps, LIMITS).records.map((r) => r.offsetDelta)).toEqual([0, 2, 4]);
    expect(codecError(() => decodeRecordBatch(gaps, { ...LIMITS, denseOffsets: true })).kafkaError).toBe('INVALID_RECORD');
  });

  it('unknown codecs are UNSUPPORTED_COMPRESSION_TYPE, records that are not the codec’s CORRUPT_MESSAGE; a gzip bomb is refused at the limit', () => {
    for (const codec of [5, 6, 7]) {
      const buf = Buffer.from(good);
      buf.writeInt16BE(codec, 21);
      expect(codecError(() => decodeRecordBatch(withCrc(buf), LIMITS)).kafkaError).toBe('UNSUPPORTED_COMPRESSION_TYPE');
      expect(() => encodeRecordBatch({ records: three, compression: codec })).toThrow(KafkaCodecError);
    }
    expect(codecError(() => encodeRecordBatch({ records: three, compression: COMPRESSION.zstd })).kafkaError).toBe(
      'UNSUPPORTED_COMPRESSION_TYPE',
    );
    for (const codec of [COMPRESSION.snappy, COMPRESSION.lz4, COMPRESSION.zstd]) {
      const buf = Buffer.from(good); // uncompressed records labelled with a codec
      buf.writeInt16BE(codec, 21);
      expect(codecError(() => decodeRecordBatch(withCrc(buf), LIMITS)).kafkaError).toBe('CORRUPT_MESSAGE');
    }
    const bomb = encodeRecordBatch({
      records: [{ timestamp: T0, key: null, value: Buffer.alloc(1 << 20) }],
      compression: COMPRESSION.gzip,
    });
    expect(bomb.length).toBeLessThan(2000);
    expect(codecError(() => decodeRecordBatch(bomb, { ...LIMITS, maxUncompressedBytes: 64 * 1024 })).message).toMatch(
      /inflates past 65536 bytes/,
    );
    const notGzip = Buffer.concat([good.subarray(0, RECORD_BATCH_HEADER_BYTES), gzipSync(Buffer.from('x')).subarray(0, 5)]);
    notGzip.writeInt32BE(notGzip.length - 12, 8);
    notGzip.writeInt16BE(1, 21);
    expect(codecError(() => decodeRecordBatch(withCrc(notGzip), LIMITS)).message).toMatch(/does not inflate/);
  });

  it('random corruption only ever throws KafkaCodecError', () => {
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bad = Buffer.from(good);
        bad[at] = (bad[at] as number) ^ xor;
        if (at >= 17) withCrc(bad);
        try {
          decodeRecordBatch(bad, LIMITS);
        } catch (e) {
          expect(e).toBeInstanceOf(KafkaCodecError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('RecordBatch v2 golden bytes (test/fixtures/kafka/kafkajs-record-batch-none)', () => {
  const bytes = fixtureBytes('kafkajs-record-batch-none');
  const stated = fixtureJson<{
    batch: Record<string, unknown> & {
      records: {
        offsetDelta: number;
        timestamp: number;
        key: string | null;
        valueHex: string;
        headers: { key: string; value: string }[];
      }[];
    };
  }>('kafkajs-record-batch-none').batch;

  it('decodes every field kafkajs wrote', () => {
    const batch = decodeRecordBatch(bytes, { ...LIMITS, denseOffsets: true });
    const { records, ...header } = stated;
    expect(batch).toMatchObject(header);
    expect(
      batch.records.map((r) => ({
        offsetDelta: r.offsetDelta,
        timestamp: batch.baseTimestamp + r.timestampDelta,
        key: r.key === null ? null : r.key.toString('utf8'),
        valueHex: r.value?.toString('hex'),
        headers: r.headers.map((h) => ({ key: h.key, value: h.value?.toString('utf8') })),
      })),
    ).toEqual(records);
  });

  it('re-encodes to the same bytes', () => {
    const batch = decodeRecordBatch(bytes, LIMITS);
    const ours = encodeRecordBatch({
      ...batch,
      records: batch.records.map((r) => ({
        timestamp: batch.baseTimestamp + r.timestampDelta,
        key: r.key,
        value: r.value,
        headers: r.headers,
      })),
    });
    expect(ours).toEqual(bytes);
  });
});
