import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { frame, readRequestHeader, writeRequestHeader } from '../../../../src/protocol/kafka/header.js';
import {
  readListOffsetsRequest,
  readListOffsetsResponse,
  writeListOffsetsRequest,
  writeListOffsetsResponse,
  type ListOffsetsResponse,
} from '../../../../src/protocol/kafka/list-offsets.js';
import { KafkaReader } from '../../../../src/protocol/kafka/reader.js';
import { KafkaWriter } from '../../../../src/protocol/kafka/writer.js';
import { fixtureBytes, fixtureJson, frameBody } from './fixture.js';

const require = createRequire(import.meta.url);

describe('ListOffsets v1–v3', () => {
  it.each([1, 2, 3])('decodes kafkajs-list-offsets-v%i and writes the same bytes', (version) => {
    const name = `kafkajs-list-offsets-v${version}`;
    const bytes = frameBody(fixtureBytes(name));
    const stated = fixtureJson<{ header: Record<string, unknown>; body: Record<string, unknown> }>(name);
    const r = new KafkaReader(bytes);
    const header = readRequestHeader(r);
    expect(header).toMatchObject(stated.header);
    const request = readListOffsetsRequest(r, version);
    r.expectEnd('ListOffsets');
    expect(request).toEqual(stated.body);
    const ours = frame((w) => {
      writeRequestHeader(w, header);
      writeListOffsetsRequest(w, version, request);
    });
    expect(frameBody(ours)).toEqual(bytes);
  });

  it("kafkajs's decoders read our responses", async () => {
    const response: ListOffsetsResponse = {
      throttleTimeMs: 0,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, errorCode: 0, timestamp: -1, offset: 42 },
            { partitionIndex: 2, errorCode: 0, timestamp: 1_767_225_600_000, offset: 7 },
          ],
        },
      ],
    };
    for (const version of [1, 2, 3]) {
      const w = new KafkaWriter();
      writeListOffsetsResponse(w, version, response);
      const body = w.finish();
      const decoder = require(`kafkajs/src/protocol/requests/listOffsets/v${version}/response`) as {
        decode(b: Buffer): Promise<{
          responses: { topic: string; partitions: { partition: number; errorCode: number; timestamp: string; offset: string }[] }[];
        }>;
      };
      const theirs = await decoder.decode(body);
      expect(theirs.responses[0]?.partitions.map((p) => [p.partition, p.errorCode, p.timestamp, p.offset])).toEqual([
        [0, 0, '-1', '42'],
        [2, 0, '1767225600000', '7'],
      ]);
      const r = new KafkaReader(body);
      expect(readListOffsetsResponse(r, version)).toEqual(response);
      r.expectEnd('ListOffsets response');
    }
  });
});
