import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { frame, readRequestHeader, writeRequestHeader } from '../../../../src/protocol/kafka/header.js';
import {
  readProduceRequest,
  readProduceResponse,
  writeProduceRequest,
  writeProduceResponse,
  type ProduceResponse,
} from '../../../../src/protocol/kafka/produce.js';
import { KafkaReader } from '../../../../src/protocol/kafka/reader.js';
import {
  batchCrcMatches,
  decodeRecordBatch,
  readBatchHeader,
  splitBatches,
  type RecordBatch,
} from '../../../../src/protocol/kafka/record-batch.js';
import { KafkaWriter } from '../../../../src/protocol/kafka/writer.js';
import { fixtureBytes, fixtureJson, frameBody } from './fixture.js';

const require = createRequire(import.meta.url);
type KafkajsProduceResponse = {
  topics: {
    topicName: string;
    partitions: {
      partition: number;
      errorCode: number;
      baseOffset?: string;
      offset?: string;
      logAppendTime?: string;
      logStartOffset?: string;
    }[];
  }[];
};

interface ExpectedRecord {
  offsetDelta: number;
  timestamp: number;
  key: string | null;
  valueHex: string;
  headers: { key: string; value: string }[];
}
interface ExpectedBatch extends Record<string, unknown> {
  records: ExpectedRecord[];
}
interface ProduceFixture {
  header: Record<string, unknown>;
  body: {
    transactionalId: string | null;
    acks: number;
    timeoutMs: number;
    topics: { name: string; partitions: { index: number; batch: ExpectedBatch }[] }[];
  };
}

const LIMITS = { maxRecords: 1000, maxUncompressedBytes: 1 << 20, denseOffsets: true };

/** The batch as the fixture's JSON states it (timestamps absolute, values hex). */
function asStated(batch: RecordBatch): ExpectedBatch {
  const { records, ...header } = batch;
  return {
    ...header,
    records: records.map((r) => ({
      offsetDelta: r.offsetDelta,
      timestamp: batch.baseTimestamp + r.timestampDelta,
      key: r.key === null ? null : r.key.toString('utf8'),
      valueHex: (r.value ?? Buffer.alloc(0)).toString('hex'),
      headers: r.headers.map((h) => ({ key: h.key, value: (h.value ?? Buffer.alloc(0)).toString('utf8') })),
    })),
  };
}

describe('Produce v3–v7 (record batches)', () => {
  it.each([
    'kafkajs-produce-v3-none',
    'kafkajs-produce-v3-gzip',
    'kafkajs-produce-v7-gzip-idempotent',
    'kafkajs-produce-v7-snappy',
    'kafkajs-produce-v7-lz4',
  ])('decodes %s and writes the same bytes', (name) => {
    const bytes = frameBody(fixtureBytes(name));
    const stated = fixtureJson<ProduceFixture>(name);
    const r = new KafkaReader(bytes);
    const header = readRequestHeader(r);
    expect(header).toMatchObject(stated.header);
    const request = readProduceRequest(r, header.apiVersion);
    r.expectEnd('Produce');
    expect({ transactionalId: request.transactionalId, acks: request.acks, timeoutMs: request.timeoutMs }).toEqual({
      transactionalId: stated.body.transactionalId,
      acks: stated.body.acks,
      timeoutMs: stated.body.timeoutMs,
    });
    expect(request.topics.map((t) => [t.name, t.partitions.map((p) => p.index)])).toEqual(
      stated.body.topics.map((t) => [t.name, t.partitions.map((p) => p.index)]),
    );
    const records = request.topics[0]?.partitions[0]?.records as Buffer;
    const extents = splitBatches(records);
    expect(extents).toHaveLength(1);
    const batch = decodeRecordBatch(records, LIMITS);
    expect(asStated(batch)).toMatchObject(stated.body.topics[0]?.partitions[0]?.batch as ExpectedBatch);

    const ours = frame((w) => {
      writeRequestHeader(w, header);
      writeProduceRequest(w, header.apiVersion, request);
    });
    expect(frameBody(ours)).toEqual(bytes);
  });

  it("kafkajs's decoders read our responses, v0 to v7", async () => {
    const response: ProduceResponse = {
      topics: [
        {
          name: 'orders',
          partitions: [
            { index: 2, errorCode: 0, baseOffset: 2 ** 40, logAppendTimeMs: -1, logStartOffset: 7 },
            { index: 0, errorCode: 3, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 },
          ],
        },
      ],
      throttleTimeMs: 0,
    };
    for (let version = 0; version <= 7; version++) {
      const w = new KafkaWriter();
      writeProduceResponse(w, version, response);
      const body = w.finish();
      const decoder = require(`kafkajs/src/protocol/requests/produce/v${version}/response`) as {
        decode(b: Buffer): Promise<KafkajsProduceResponse>;
      };
      const theirs = await decoder.decode(body);
      expect(theirs.topics[0]?.topicName).toBe('orders');
      // kafkajs calls the base offset `offset` before v3
      expect(theirs.topics[0]?.partitions.map((p) => [p.partition, p.errorCode, p.baseOffset ?? p.offset, p.logStartOffset])).toEqual([
        [2, 0, String(2 ** 40), version >= 5 ? '7' : undefined],
        [0, 3, '-1', version >= 5 ? '-1' : undefined],
      ]);
      const r = new KafkaReader(body);
      expect(readProduceResponse(r, version)).toEqual(
        version >= 5
          ? response
          : {
              ...response,
              topics: response.topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, logStartOffset: -1 })) })),
            },
      );
      expect(body.length).toBe(4 + 2 + 6 + 4 + 2 * (4 + 2 + 8 + (version >= 2 ? 8 : 0) + (version >= 5 ? 8 : 0)) + (version >= 1 ? 4 : 0));
      r.expectEnd('Produce response');
    }
  });

  it('a partition count the frame cannot hold is INVALID_REQUEST before anything is allocated', () => {
    const w = new KafkaWriter().nullableString(null).int16(1).int32(1000).int32(1).string('t').int32(0x7fffffff);
    expect(() => readProduceRequest(new KafkaReader(w.finish()), 3)).toThrow(/ARRAY of 2147483647 elements/);
  });
});

interface KcatProduceFixture {
  header: Record<string, unknown>;
  body: {
    transactionalId: null;
    acks: number;
    timeoutMs: number;
    topics: { name: string; partitions: { index: number; batch: Record<string, unknown> }[] }[];
  };
  records: { offsetDelta: number; key: string; value: string; headers: unknown[] }[];
}

describe('Produce v7 from kcat (librdkafka 2.0), every codec it offers', () => {
  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('-z %s: header, request and batch header decode; the CRC holds', (codec) => {
    const name = `kcat-produce-${codec}-v7`;
    const bytes = frameBody(fixtureBytes(name));
    const stated = fixtureJson<KcatProduceFixture>(name);
    const r = new KafkaReader(bytes);
    const header = readRequestHeader(r);
    expect(header).toMatchObject(stated.header);
    const request = readProduceRequest(r, header.apiVersion);
    r.expectEnd('Produce');
    expect(request).toMatchObject({ transactionalId: null, acks: stated.body.acks, timeoutMs: stated.body.timeoutMs });
    const partition = request.topics[0]?.partitions[0];
    expect([request.topics[0]?.name, partition?.index]).toEqual(['orders', 0]);
    const records = partition?.records as Buffer;
    expect(batchCrcMatches(records)).toBe(true);
    expect(readBatchHeader(records)).toMatchObject(stated.body.topics[0]?.partitions[0]?.batch as Record<string, unknown>);
    const ours = frame((w) => {
      writeRequestHeader(w, header);
      writeProduceRequest(w, header.apiVersion, request);
    });
    expect(frameBody(ours)).toEqual(bytes);
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('-z %s: every record as kcat read it from its input', (codec) => {
    const name = `kcat-produce-${codec}-v7`;
    const r = new KafkaReader(frameBody(fixtureBytes(name)));
    readRequestHeader(r);
    const records = readProduceRequest(r, 7).topics[0]?.partitions[0]?.records as Buffer;
    const batch = decodeRecordBatch(records, LIMITS);
    expect(
      batch.records.map((x) => ({
        offsetDelta: x.offsetDelta,
        key: x.key?.toString('utf8'),
        value: x.value?.toString('utf8'),
        headers: x.headers,
      })),
    ).toEqual(fixtureJson<KcatProduceFixture>(name).records);
    expect(batch.records.every((x) => x.timestampDelta === 0)).toBe(true);
  });
});
