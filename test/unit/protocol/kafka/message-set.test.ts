import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { COMPRESSION, compress } from '../../../../src/protocol/kafka/compression.js';
import { frame, readRequestHeader, writeRequestHeader } from '../../../../src/protocol/kafka/header.js';
import { xxh32 } from '../../../../src/protocol/kafka/lz4.js';
import { decodeLegacyEntry, encodeLegacySet, encodeLegacyWrapper } from '../../../../src/protocol/kafka/message-set.js';
import { readProduceRequest, writeProduceRequest } from '../../../../src/protocol/kafka/produce.js';
import { KafkaReader } from '../../../../src/protocol/kafka/reader.js';
import { splitBatches, type RecordBatch } from '../../../../src/protocol/kafka/record-batch.js';
import { fixtureBytes, fixtureJson, frameBody } from './fixture.js';

const LIMITS = { maxRecords: 1000, maxUncompressedBytes: 1 << 20, denseOffsets: true };

/** Every record of every entry of a RECORDS field, as one list. */
function decodeAll(records: Buffer, limits = LIMITS): RecordBatch[] {
  return splitBatches(records).map(([at, end]) => decodeLegacyEntry(records, limits, at, end));
}

function requestOf(name: string) {
  const bytes = frameBody(fixtureBytes(name));
  const r = new KafkaReader(bytes);
  const header = readRequestHeader(r);
  const request = readProduceRequest(r, header.apiVersion);
  r.expectEnd('Produce');
  return { bytes, header, request };
}

interface KcatLegacyFixture {
  header: Record<string, unknown>;
  body: { acks: number; timeoutMs: number; topic: string; partition: number; magic: number; compression: number };
  records: { key: string; value: string }[];
}

describe('Produce v1 from kcat as a client of Kafka 0.9 (magic 0 message sets)', () => {
  it.each(['none', 'gzip', 'snappy'])(
    '-z %s: every line comes back with its key, no timestamp; the request re-encodes to the same bytes',
    (codec) => {
      const name = `kcat-produce-${codec}-v1`;
      const stated = fixtureJson<KcatLegacyFixture>(name);
      const { bytes, header, request } = requestOf(name);
      expect(header).toMatchObject(stated.header);
      expect(request).toMatchObject({ transactionalId: null, acks: stated.body.acks, timeoutMs: stated.body.timeoutMs });
      const partition = request.topics[0]?.partitions[0];
      expect([request.topics[0]?.name, partition?.index]).toEqual([stated.body.topic, stated.body.partition]);
      const batches = decodeAll(partition?.records as Buffer);
      // a compressed set is one wrapper entry; an uncompressed one an entry per message
      expect(batches).toHaveLength(codec === 'none' ? 3 : 1);
      expect(batches.every((b) => b.magic === 0 && b.compression === stated.body.compression)).toBe(true);
      const records = batches.flatMap((b) => b.records);
      expect(records.map((x) => ({ key: x.key?.toString('utf8'), value: x.value?.toString('utf8') }))).toEqual(stated.records);
      expect(records.every((x) => x.timestampDelta === -1 && x.headers.length === 0)).toBe(true);
      const ours = frame((w) => {
        writeRequestHeader(w, header);
        writeProduceRequest(w, header.apiVersion, request);
      });
      expect(frameBody(ours)).toEqual(bytes);
    },
  );
});

interface KafkajsLegacyFixture {
  header: Record<string, unknown>;
  body: { acks: number; timeoutMs: number; topic: string; partition: number; magic: number; compression: number };
  records: { timestamp: number; key: string | null; valueHex: string }[];
}

describe('Produce v0 and v2 from kafkajs 2.2.4 (magic 0 and magic 1)', () => {
  it.each(['kafkajs-produce-v0-none', 'kafkajs-produce-v2-none', 'kafkajs-produce-v2-gzip'])(
    '%s: keys, values and (magic 1) timestamps as kafkajs was given them',
    (name) => {
      const stated = fixtureJson<KafkajsLegacyFixture>(name);
      const { bytes, header, request } = requestOf(name);
      expect(header).toMatchObject(stated.header);
      expect(request).toMatchObject({ transactionalId: null, acks: stated.body.acks, timeoutMs: stated.body.timeoutMs });
      const batches = decodeAll(request.topics[0]?.partitions[0]?.records as Buffer);
      expect(batches.every((b) => b.magic === stated.body.magic && b.compression === stated.body.compression)).toBe(true);
      expect(
        batches
          .flatMap((b) => b.records)
          .map((x) => ({ timestamp: x.timestampDelta, key: x.key?.toString('utf8') ?? null, valueHex: x.value?.toString('hex') })),
      ).toEqual(stated.records);
      const ours = frame((w) => {
        writeRequestHeader(w, header);
        writeProduceRequest(w, header.apiVersion, request);
      });
      expect(frameBody(ours)).toEqual(bytes);
    },
  );
});

describe('decodeLegacyEntry', () => {
  const messages = [
    { key: Buffer.from('k1'), value: Buffer.from('one'), timestamp: 1_700_000_000_000 },
    { key: null, value: null, timestamp: 1_700_000_000_005 },
  ];

  it('reads a magic 1 set inside an lz4 wrapper, and a magic 0 one whose LZ4 header checksum is Kafka 0.9 style', () => {
    for (const magic of [0, 1] as const) {
      const inner = compress(COMPRESSION.lz4, encodeLegacySet(magic, messages));
      if (magic === 0) {
        // KAFKA-3160: the header checksum of magic 0 frames covers the 4 magic bytes too
        const descriptorEnd = 4 + 2 + ((inner[4] as number) & 0x08 ? 8 : 0);
        inner[descriptorEnd] = (xxh32(inner, 0, descriptorEnd) >>> 8) & 0xff;
      }
      const set = encodeLegacyWrapper(magic, COMPRESSION.lz4, inner, messages.length, { timestamp: 1_700_000_000_009 });
      const [batch] = decodeAll(set);
      expect(batch?.records.map((r) => [r.key?.toString(), r.value?.toString() ?? null, r.timestampDelta, r.offsetDelta])).toEqual([
        ['k1', 'one', magic === 1 ? 1_700_000_000_000 : -1, 0],
        [undefined, null, magic === 1 ? 1_700_000_000_005 : -1, 1],
      ]);
    }
  });

  it('a magic 1 wrapper stamped LogAppendTime says so (the broker then stamps on arrival)', () => {
    const inner = compress(COMPRESSION.gzip, encodeLegacySet(1, messages));
    const set = encodeLegacyWrapper(1, COMPRESSION.gzip, inner, 2, { logAppendTime: true });
    expect(decodeAll(set)[0]?.timestampType).toBe('LogAppendTime');
  });

  it('refuses what does not hold together: a bad CRC, a cut value, a wrapper in a wrapper, mixed magics, too many messages, an inflation past the limit', () => {
    const good = encodeLegacySet(0, messages);
    const badCrc = Buffer.from(good);
    badCrc[good.length - 1] = (badCrc[good.length - 1] as number) ^ 1;
    expect(() => decodeAll(badCrc)).toThrow(/CRC-32 .* does not match/);

    const cut = Buffer.from(good.subarray(0, good.readInt32BE(8) + 12));
    cut.writeInt32BE(1000, 12 + 4 + 2 + 4 + 2); // the first value claims 1000 bytes
    cut.writeUInt32BE(crc32(cut.subarray(16)), 12);
    expect(() => decodeAll(cut)).toThrow(/value of 1000 bytes/);

    const wrapper = encodeLegacyWrapper(0, COMPRESSION.gzip, compress(COMPRESSION.gzip, good), 2);
    const nested = encodeLegacyWrapper(0, COMPRESSION.gzip, compress(COMPRESSION.gzip, wrapper), 1);
    expect(() => decodeAll(nested)).toThrow(/a compressed message inside a compressed message/);

    const mixed = encodeLegacyWrapper(1, COMPRESSION.gzip, compress(COMPRESSION.gzip, good), 2);
    expect(() => decodeAll(mixed)).toThrow(/a magic 0 message inside a magic 1 one/);

    const many = encodeLegacyWrapper(0, COMPRESSION.gzip, compress(COMPRESSION.gzip, encodeLegacySet(0, Array(5).fill(messages[0]))), 5);
    expect(() => decodeAll(many, { ...LIMITS, maxRecords: 4 })).toThrow(/more than 4 messages/);

    const bomb = encodeLegacyWrapper(
      0,
      COMPRESSION.gzip,
      compress(COMPRESSION.gzip, encodeLegacySet(0, [{ key: null, value: Buffer.alloc(1 << 20) }])),
      1,
    );
    expect(() => decodeAll(bomb, { ...LIMITS, maxUncompressedBytes: 1 << 16 })).toThrow(/inflates past 65536 bytes/);

    expect(() => decodeAll(Buffer.alloc(12 + 13))).toThrow(/batchLength 0|message/);
  });
});
