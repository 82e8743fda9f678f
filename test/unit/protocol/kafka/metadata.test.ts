import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { frame, readRequestHeader, writeRequestHeader } from '../../../../src/protocol/kafka/header.js';
import {
  readMetadataRequest,
  readMetadataResponse,
  writeMetadataRequest,
  writeMetadataResponse,
  type MetadataResponse,
} from '../../../../src/protocol/kafka/metadata.js';
import { KafkaReader } from '../../../../src/protocol/kafka/reader.js';
import { KafkaWriter } from '../../../../src/protocol/kafka/writer.js';
import { fixtureBytes, fixtureJson, frameBody } from './fixture.js';

const require = createRequire(import.meta.url);

interface MetadataFixture {
  header: Record<string, unknown>;
  body: { topics: string[] | null; allowAutoTopicCreation?: boolean };
}

const fixtures = ['kcat-2-Metadata-v4', 'kafkajs-2-Metadata-v6', ...[0, 1, 2, 3, 4, 5, 6].map((v) => `kafkajs-metadata-v${v}`)];

const response: MetadataResponse = {
  throttleTimeMs: 0,
  brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }],
  clusterId: 'evq',
  controllerId: 1,
  topics: [
    {
      errorCode: 0,
      name: 'orders',
      isInternal: false,
      partitions: [0, 1, 2].map((i) => ({
        errorCode: 0,
        partitionIndex: i,
        leaderId: 1,
        replicaNodes: [1],
        isrNodes: [1],
        offlineReplicas: [],
      })),
    },
    { errorCode: 3, name: 'missing', isInternal: false, partitions: [] },
  ],
};

describe('Metadata v0–v6', () => {
  it.each(fixtures)('decodes %s and writes the same bytes', (name) => {
    const bytes = frameBody(fixtureBytes(name));
    const stated = fixtureJson<MetadataFixture>(name);
    const r = new KafkaReader(bytes);
    const header = readRequestHeader(r);
    expect(header).toMatchObject(stated.header);
    const request = readMetadataRequest(r, header.apiVersion);
    r.expectEnd('Metadata');
    expect(request.topics).toEqual(stated.body.topics);
    if (stated.body.allowAutoTopicCreation !== undefined) expect(request.allowAutoTopicCreation).toBe(stated.body.allowAutoTopicCreation);
    const ours = frame((w) => {
      writeRequestHeader(w, header);
      writeMetadataRequest(w, header.apiVersion, request);
    });
    expect(frameBody(ours)).toEqual(bytes);
  });

  it('v0 asks for every topic with an empty array, v1+ with null', () => {
    const v0 = new KafkaWriter();
    writeMetadataRequest(v0, 0, { topics: null, allowAutoTopicCreation: true });
    expect(v0.finish()).toEqual(Buffer.from([0, 0, 0, 0]));
    expect(readMetadataRequest(new KafkaReader(Buffer.from([0, 0, 0, 0])), 1).topics).toEqual([]);
    expect(readMetadataRequest(new KafkaReader(Buffer.from([0xff, 0xff, 0xff, 0xff])), 1).topics).toBeNull();
  });

  it("kafkajs's decoders read our responses, v0 to v6", async () => {
    for (let version = 0; version <= 6; version++) {
      const w = new KafkaWriter();
      writeMetadataResponse(w, version, response);
      const body = w.finish();
      const decoder = require(`kafkajs/src/protocol/requests/metadata/v${version}/response`) as {
        decode(b: Buffer): Promise<{
          brokers: { nodeId: number; host: string; port: number }[];
          controllerId?: number;
          clusterId?: string;
          topicMetadata: {
            topicErrorCode: number;
            topic: string;
            partitionMetadata: { partitionId: number; leader: number; replicas: number[]; isr: number[] }[];
          }[];
        }>;
      };
      const theirs = await decoder.decode(body);
      expect(theirs.brokers).toEqual([expect.objectContaining({ nodeId: 1, host: '127.0.0.1', port: 9092 })]);
      if (version >= 1) expect(theirs.controllerId).toBe(1);
      if (version >= 2) expect(theirs.clusterId).toBe('evq');
      expect(
        theirs.topicMetadata.map((t) => [
          t.topicErrorCode,
          t.topic,
          t.partitionMetadata.map((p) => [p.partitionId, p.leader, p.replicas, p.isr]),
        ]),
      ).toEqual([
        [0, 'orders', [0, 1, 2].map((i) => [i, 1, [1], [1]])],
        [3, 'missing', []],
      ]);
      const r = new KafkaReader(body);
      const back = readMetadataResponse(r, version);
      r.expectEnd('Metadata response');
      expect(back.topics.map((t) => t.name)).toEqual(['orders', 'missing']);
      if (version >= 2) expect(back).toEqual(response);
    }
  });

  it('a topic count beyond the limit is refused', () => {
    const w = new KafkaWriter().int32(5).string('a').string('b').string('c').string('d').string('e');
    expect(() => readMetadataRequest(new KafkaReader(w.finish()), 1, 4)).toThrow(/at most 4/);
  });
});
