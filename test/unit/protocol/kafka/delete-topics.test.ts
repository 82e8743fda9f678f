import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  readDeleteTopicsRequest,
  readDeleteTopicsResponse,
  writeDeleteTopicsRequest,
  writeDeleteTopicsResponse,
  type DeleteTopicsResponse,
} from '../../../../src/protocol/kafka/delete-topics.js';
import { bytesOf, checkRequestFixture, expectInvalid, expectTruncationsInvalid, fixtureRequestBody, roundTrip } from './codec-check.js';

const require = createRequire(import.meta.url);

const response: DeleteTopicsResponse = {
  throttleTimeMs: 10,
  responses: [
    { name: 'orders', errorCode: 0 },
    { name: 'audit', errorCode: 3 },
  ],
};

describe('DeleteTopics v0–v3', () => {
  it.each([0, 1])('decodes kafkajs-delete-topics-v%i and writes the same bytes', (version) => {
    const request = checkRequestFixture(
      `kafkajs-delete-topics-v${version}`,
      version,
      readDeleteTopicsRequest,
      writeDeleteTopicsRequest,
      'DeleteTopics',
    );
    expect(request).toEqual({ topicNames: ['orders', 'audit'], timeoutMs: 3000 });
  });

  it('v2 and v3 (which kafkajs lacks) are the v1 bytes, and round-trip', () => {
    const v1 = fixtureRequestBody('kafkajs-delete-topics-v1');
    for (const version of [2, 3]) {
      const request = roundTrip(
        version,
        { topicNames: ['orders', 'audit'], timeoutMs: 3000 },
        writeDeleteTopicsRequest,
        readDeleteTopicsRequest,
      );
      expect(request).toEqual(v1);
    }
  });

  it.each([0, 1, 2, 3])("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    const expected = { ...response, throttleTimeMs: version >= 1 ? 10 : 0 };
    const body = roundTrip(version, response, writeDeleteTopicsResponse, readDeleteTopicsResponse, expected);
    // kafkajs has v0 and v1 only; v2–v3 responses are the v1 bytes
    const decoder = require(`kafkajs/src/protocol/requests/deleteTopics/v${Math.min(version, 1)}/response`) as {
      decode(b: Buffer): Promise<{ clientSideThrottleTime?: number; topicErrors: { topic: string; errorCode: number }[] }>;
    };
    const theirs = await decoder.decode(body);
    expect(theirs.topicErrors).toEqual([
      { topic: 'audit', errorCode: 3 },
      { topic: 'orders', errorCode: 0 },
    ]);
    if (version >= 1) expect(theirs.clientSideThrottleTime).toBe(10);
  });

  it('hostile requests are INVALID_REQUEST: counts beyond the bytes or the limit, truncations', () => {
    expectInvalid(
      (r) => readDeleteTopicsRequest(r, 0),
      bytesOf((w) => w.int32(5000).int32(0)),
      /ARRAY of 5000 elements in 4 bytes/,
    );
    const body = fixtureRequestBody('kafkajs-delete-topics-v1');
    expectInvalid((r) => readDeleteTopicsRequest(r, 1, { maxTopics: 1 }), body, /at most 1/);
    expectTruncationsInvalid((r) => readDeleteTopicsRequest(r, 1), body);
  });
});
