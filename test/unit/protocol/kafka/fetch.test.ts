import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  readFetchRequest,
  readFetchResponse,
  writeFetchRequest,
  writeFetchResponse,
  type FetchResponse,
} from '../../../../src/protocol/kafka/fetch.js';
import { frame, readRequestHeader, writeRequestHeader } from '../../../../src/protocol/kafka/header.js';
import { KafkaReader } from '../../../../src/protocol/kafka/reader.js';
import { encodeRecordBatch } from '../../../../src/protocol/kafka/record-batch.js';
import { KafkaWriter } from '../../../../src/protocol/kafka/writer.js';
import { fixtureBytes, fixtureJson, frameBody } from './fixture.js';

const require = createRequire(import.meta.url);
type KafkajsFetch = {
  errorCode?: number;
  responses: {
    topicName: string;
    partitions: {
      partition: number;
      errorCode: number;
      highWatermark: string;
      messages: { offset: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> }[];
    }[];
  }[];
};

const T0 = 1_790_000_000_000;

describe('Fetch v4–v11', () => {
  it.each([4, 7, 11])('decodes kafkajs-fetch-v%i and writes the same bytes', (version) => {
    const name = `kafkajs-fetch-v${version}`;
    const bytes = frameBody(fixtureBytes(name));
    const stated = fixtureJson<{ header: Record<string, unknown>; body: Record<string, unknown> }>(name);
    const r = new KafkaReader(bytes);
    const header = readRequestHeader(r);
    expect(header).toMatchObject(stated.header);
    const request = readFetchRequest(r, version);
    r.expectEnd('Fetch');
    expect(request).toEqual(stated.body);
    const ours = frame((w) => {
      writeRequestHeader(w, header);
      writeFetchRequest(w, version, request);
    });
    expect(frameBody(ours)).toEqual(bytes);
  });

  it("kafkajs's decoders read our responses with a real batch, v4 to v11", async () => {
    // the stored batch starts at offset 40; the client asked for 41 and skips record 40 itself
    const batch = encodeRecordBatch({
      baseOffset: 40,
      records: [
        { timestamp: T0, key: Buffer.from('a'), value: Buffer.from('one'), headers: [{ key: 'h', value: Buffer.from('1') }] },
        { timestamp: T0 + 1, key: null, value: Buffer.from('two') },
      ],
    });
    const response: FetchResponse = {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 'orders',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: 42,
              lastStableOffset: 42,
              logStartOffset: 0,
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: batch,
            },
            {
              partitionIndex: 1,
              errorCode: 1,
              highWatermark: -1,
              lastStableOffset: -1,
              logStartOffset: -1,
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: null,
            },
          ],
        },
      ],
    };
    for (let version = 4; version <= 11; version++) {
      const w = new KafkaWriter();
      writeFetchResponse(w, version, response);
      const body = w.finish();
      const decoder = require(`kafkajs/src/protocol/requests/fetch/v${version}/response`) as { decode(b: Buffer): Promise<KafkajsFetch> };
      const theirs = await decoder.decode(body);
      const [p0, p1] = theirs.responses[0]?.partitions ?? [];
      expect(p0?.highWatermark).toBe('42');
      expect(p0?.messages.map((m) => [m.offset, m.key?.toString() ?? null, m.value?.toString(), Object.keys(m.headers)])).toEqual([
        ['40', 'a', 'one', ['h']],
        ['41', null, 'two', []],
      ]);
      expect([p1?.partition, p1?.errorCode, p1?.messages]).toEqual([1, 1, []]);
      const r = new KafkaReader(body);
      const back = readFetchResponse(r, version);
      r.expectEnd('Fetch response');
      expect(back.responses[0]?.partitions[0]?.records).toEqual(batch);
      if (version >= 11) expect(back).toEqual(response);
    }
  });

  it('a partition count the frame cannot hold is refused before allocating', () => {
    const w = new KafkaWriter().int32(-1).int32(500).int32(1).int32(1000).int8(0).int32(1).string('t').int32(1_000_000);
    expect(() => readFetchRequest(new KafkaReader(w.finish()), 4)).toThrow(/ARRAY of 1000000 elements/);
  });
});
