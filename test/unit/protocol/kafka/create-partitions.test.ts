import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  readCreatePartitionsRequest,
  readCreatePartitionsResponse,
  writeCreatePartitionsRequest,
  writeCreatePartitionsResponse,
  type CreatePartitionsResponse,
} from '../../../../src/protocol/kafka/create-partitions.js';
import { bytesOf, checkRequestFixture, expectInvalid, expectTruncationsInvalid, fixtureRequestBody, roundTrip } from './codec-check.js';

const require = createRequire(import.meta.url);

const response: CreatePartitionsResponse = {
  throttleTimeMs: 7,
  results: [
    { name: 'orders', errorCode: 0, errorMessage: null },
    { name: 'audit', errorCode: 37, errorMessage: 'Topic already has 4 partitions.' },
  ],
};

describe('CreatePartitions v0–v1', () => {
  it.each([0, 1])('decodes kafkajs-create-partitions-v%i and writes the same bytes', (version) => {
    const request = checkRequestFixture(
      `kafkajs-create-partitions-v${version}`,
      version,
      readCreatePartitionsRequest,
      writeCreatePartitionsRequest,
      'CreatePartitions',
    );
    expect(request.topics.map((t) => [t.name, t.count, t.assignments])).toEqual([
      ['orders', 6, [[1], [2], [1, 2]]],
      ['audit', 4, null],
    ]);
    expect([request.timeoutMs, request.validateOnly]).toEqual([3000, false]);
  });

  it.each([0, 1])("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    const body = roundTrip(version, response, writeCreatePartitionsResponse, readCreatePartitionsResponse);
    const decoder = require(`kafkajs/src/protocol/requests/createPartitions/v${version}/response`) as {
      decode(b: Buffer): Promise<{
        throttleTime: number;
        clientSideThrottleTime?: number;
        topicErrors: { topic: string; errorCode: number; errorMessage: string | null }[];
      }>;
    };
    const theirs = await decoder.decode(body);
    expect(theirs.topicErrors).toEqual([
      { topic: 'audit', errorCode: 37, errorMessage: 'Topic already has 4 partitions.' },
      { topic: 'orders', errorCode: 0, errorMessage: null },
    ]);
    expect(version === 0 ? theirs.throttleTime : theirs.clientSideThrottleTime).toBe(7);
  });

  it('hostile requests are INVALID_REQUEST: counts beyond the bytes or the limits, truncations', () => {
    const read = (r: Parameters<typeof readCreatePartitionsRequest>[0]) => readCreatePartitionsRequest(r, 0);
    expectInvalid(
      read,
      bytesOf((w) => w.int32(0x7fffffff)),
      /ARRAY of 2147483647 elements/,
    );
    // one topic whose assignment count is far beyond the bytes
    expectInvalid(
      read,
      bytesOf((w) =>
        w
          .int32(1)
          .string('t')
          .int32(2)
          .int32(1 << 30)
          .int32(0)
          .boolean(false),
      ),
      /ARRAY of 1073741824/,
    );
    const body = fixtureRequestBody('kafkajs-create-partitions-v0');
    const limited = (limits: { maxTopics: number; maxAssignments: number; maxReplicas: number }) => (r: Parameters<typeof read>[0]) =>
      readCreatePartitionsRequest(r, 0, limits);
    expectInvalid(limited({ maxTopics: 1, maxAssignments: 10, maxReplicas: 10 }), body, /ARRAY of 2 elements \(at most 1\)/);
    expectInvalid(limited({ maxTopics: 10, maxAssignments: 2, maxReplicas: 10 }), body, /ARRAY of 3 elements \(at most 2\)/);
    expectInvalid(limited({ maxTopics: 10, maxAssignments: 10, maxReplicas: 1 }), body, /ARRAY of 2 elements \(at most 1\)/);
    // a null broker list inside an assignment is not Kafka's schema
    expectInvalid(
      read,
      bytesOf((w) => w.int32(1).string('t').int32(2).int32(1).int32(-1).int32(0).boolean(false)),
      /ARRAY of length -1/,
    );
    expectTruncationsInvalid(read, body);
  });
});
