import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  readCreateTopicsRequest,
  readCreateTopicsResponse,
  writeCreateTopicsRequest,
  writeCreateTopicsResponse,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
} from '../../../../src/protocol/kafka/create-topics.js';
import { bytesOf, checkRequestFixture, expectInvalid, expectTruncationsInvalid, fixtureRequestBody, roundTrip } from './codec-check.js';

const require = createRequire(import.meta.url);
const VERSIONS = [0, 1, 2, 3];

interface TheirResponse {
  throttleTime: number;
  clientSideThrottleTime?: number;
  topicErrors: { topic: string; errorCode: number; errorMessage?: string | null }[];
}

const response: CreateTopicsResponse = {
  throttleTimeMs: 25,
  topics: [
    { name: 'orders', errorCode: 0, errorMessage: null },
    { name: 'audit', errorCode: 36, errorMessage: "Topic 'audit' already exists." },
  ],
};

describe('CreateTopics v0–v3', () => {
  it.each(VERSIONS)('decodes kafkajs-create-topics-v%i field by field and writes the same bytes', (version) => {
    const request = checkRequestFixture(
      `kafkajs-create-topics-v${version}`,
      version,
      readCreateTopicsRequest,
      writeCreateTopicsRequest,
      'CreateTopics',
    );
    expect(request.topics.map((t) => [t.name, t.numPartitions, t.replicationFactor])).toEqual([
      ['orders', 3, 1],
      ['audit', -1, -1],
    ]);
    expect(request.topics[1]?.assignments).toEqual([
      { partitionIndex: 0, brokerIds: [1, 2] },
      { partitionIndex: 1, brokerIds: [2] },
    ]);
    expect(request.topics[0]?.configs).toContainEqual({ name: 'retention.ms', value: '86400000' });
    expect(request.validateOnly).toBe(version >= 1);
  });

  it('a null config value round-trips (Kafka allows it; kafkajs never sends one)', () => {
    const request: CreateTopicsRequest = {
      topics: [{ name: 't', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'x', value: null }] }],
      timeoutMs: 0,
      validateOnly: false,
    };
    for (const version of VERSIONS) roundTrip(version, request, writeCreateTopicsRequest, readCreateTopicsRequest);
  });

  it.each(VERSIONS)("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    // below v1 there is no error message, below v2 no throttle time: those read back as null and 0
    const expected: CreateTopicsResponse = {
      throttleTimeMs: version >= 2 ? response.throttleTimeMs : 0,
      topics: response.topics.map((t) => ({ ...t, errorMessage: version >= 1 ? t.errorMessage : null })),
    };
    const body = roundTrip(version, response, writeCreateTopicsResponse, readCreateTopicsResponse, expected);
    const decoder = require(`kafkajs/src/protocol/requests/createTopics/v${version}/response`) as {
      decode(b: Buffer): Promise<TheirResponse>;
    };
    const theirs = await decoder.decode(body);
    // kafkajs sorts by topic name
    expect(theirs.topicErrors).toEqual([
      { topic: 'audit', errorCode: 36, ...(version >= 1 ? { errorMessage: "Topic 'audit' already exists." } : {}) },
      { topic: 'orders', errorCode: 0, ...(version >= 1 ? { errorMessage: null } : {}) },
    ]);
    if (version === 2) expect(theirs.throttleTime).toBe(25);
    if (version === 3) expect(theirs.clientSideThrottleTime).toBe(25);
  });

  describe('hostile requests are INVALID_REQUEST', () => {
    it('a topic count the bytes cannot hold fails before anything is read', () => {
      expectInvalid(
        (r) => readCreateTopicsRequest(r, 1),
        bytesOf((w) => w.int32(0x7fffffff).int32(0)),
        /ARRAY of 2147483647 elements/,
      );
    });

    it('counts above the limits fail, at every level', () => {
      const limits = { maxTopics: 1, maxAssignments: 1, maxReplicas: 1, maxConfigs: 1 };
      const read = (version: number) => (r: Parameters<typeof readCreateTopicsRequest>[0]) => readCreateTopicsRequest(r, version, limits);
      const body = fixtureRequestBody('kafkajs-create-topics-v1');
      // the fixture has 2 topics: over maxTopics 1
      expectInvalid(read(1), body, /ARRAY of 2 elements \(at most 1\)/);
      const one = (t: CreateTopicsRequest['topics'][number]) =>
        bytesOf((w) => writeCreateTopicsRequest(w, 1, { topics: [t], timeoutMs: 0, validateOnly: false }));
      const base = { name: 't', numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] };
      expectInvalid(
        read(1),
        one({
          ...base,
          configs: [
            { name: 'a', value: 'b' },
            { name: 'c', value: 'd' },
          ],
        }),
        /at most 1/,
      );
      expectInvalid(read(1), one({ ...base, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }] }), /at most 1/);
      expectInvalid(
        read(1),
        one({
          ...base,
          assignments: [
            { partitionIndex: 0, brokerIds: [1] },
            { partitionIndex: 1, brokerIds: [1] },
          ],
        }),
        /at most 1/,
      );
    });

    it('a null topic name and every truncation fail', () => {
      expectInvalid(
        (r) => readCreateTopicsRequest(r, 0),
        bytesOf((w) => w.int32(1).int16(-1).raw(Buffer.alloc(20))),
        /STRING of length -1/,
      );
      for (const version of VERSIONS) {
        expectTruncationsInvalid((r) => readCreateTopicsRequest(r, version), fixtureRequestBody(`kafkajs-create-topics-v${version}`));
      }
    });
  });
});
