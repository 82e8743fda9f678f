import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  readOffsetCommitRequest,
  readOffsetCommitResponse,
  readOffsetFetchRequest,
  readOffsetFetchResponse,
  writeOffsetCommitRequest,
  writeOffsetCommitResponse,
  writeOffsetFetchRequest,
  writeOffsetFetchResponse,
  type OffsetCommitResponse,
  type OffsetFetchResponse,
} from '../../../../src/protocol/kafka/offset-commit.js';
import type { KafkaWriter } from '../../../../src/protocol/kafka/writer.js';
import { bytesOf, checkRequestFixture, expectInvalid, expectTruncationsInvalid, fixtureRequestBody, roundTrip } from './codec-check.js';

const require = createRequire(import.meta.url);

const MEMBER = 'evq-fixture-6b1f4c2e-0f3a-4d57-9a8e-1c2b3d4e5f60';

describe('OffsetCommit v2–v5', () => {
  it.each([2, 3, 4, 5])('decodes kafkajs-offset-commit-v%i and writes the same bytes', (version) => {
    const request = checkRequestFixture(
      `kafkajs-offset-commit-v${version}`,
      version,
      readOffsetCommitRequest,
      writeOffsetCommitRequest,
      'OffsetCommit',
    );
    expect(request).toMatchObject({ groupId: 'billing', generationId: 7, memberId: MEMBER, retentionTimeMs: version <= 4 ? 86400000 : -1 });
    expect(
      request.topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex, p.committedOffset, p.committedMetadata])),
    ).toEqual([
      ['orders', 0, 42, null],
      ['orders', 2, 2 ** 40, 'checkpoint-7'],
      ['audit', 1, 0, ''],
    ]);
  });

  const response: OffsetCommitResponse = {
    throttleTimeMs: 5,
    topics: [
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, errorCode: 0 },
          { partitionIndex: 2, errorCode: 22 },
        ],
      },
      { name: 'audit', partitions: [{ partitionIndex: 1, errorCode: 0 }] },
    ],
  };

  it.each([2, 3, 4, 5])("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    const body = roundTrip(version, response, writeOffsetCommitResponse, readOffsetCommitResponse, {
      ...response,
      throttleTimeMs: version >= 3 ? 5 : 0,
    });
    const decoder = require(`kafkajs/src/protocol/requests/offsetCommit/v${version}/response`) as {
      decode(b: Buffer): Promise<{
        throttleTime?: number;
        clientSideThrottleTime?: number;
        responses: { topic: string; partitions: { partition: number; errorCode: number }[] }[];
      }>;
    };
    const theirs = await decoder.decode(body);
    expect(theirs.responses).toEqual(
      response.topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode })),
      })),
    );
    if (version === 3) expect(theirs.throttleTime).toBe(5);
    if (version >= 4) expect(theirs.clientSideThrottleTime).toBe(5);
  });

  it('hostile requests are INVALID_REQUEST: counts beyond the bytes or the limit, an offset beyond 2^53, truncations', () => {
    const head = (w: KafkaWriter) => w.string('billing').int32(7).string(MEMBER).int64(-1);
    expectInvalid(
      (r) => readOffsetCommitRequest(r, 2),
      bytesOf((w) => head(w).int32(1).string('orders').int32(50_000).int32(0)),
      /ARRAY of 50000 elements in 4 bytes/,
    );
    expectInvalid(
      (r) => readOffsetCommitRequest(r, 2),
      bytesOf((w) => head(w).int32(5_000).string('orders')),
      /ARRAY of 5000 elements in 8 bytes/,
    );
    expectInvalid(
      (r) => readOffsetCommitRequest(r, 2, { maxTopics: 10, maxPartitions: 1 }),
      fixtureRequestBody('kafkajs-offset-commit-v2'),
      /at most 1/,
    );
    expectInvalid(
      (r) => readOffsetCommitRequest(r, 2),
      bytesOf((w) =>
        head(w)
          .int32(1)
          .string('orders')
          .int32(1)
          .int32(0)
          .int64(2n ** 60n)
          .nullableString(null),
      ),
      /INT64 1152921504606846976 beyond 2\^53/,
    );
    for (const version of [2, 3, 4, 5]) {
      expectTruncationsInvalid((r) => readOffsetCommitRequest(r, version), fixtureRequestBody(`kafkajs-offset-commit-v${version}`));
    }
  });
});

describe('OffsetFetch v1–v4', () => {
  it.each([1, 2, 3, 4])('decodes kafkajs-offset-fetch-v%i and writes the same bytes', (version) => {
    const request = checkRequestFixture(
      `kafkajs-offset-fetch-v${version}`,
      version,
      readOffsetFetchRequest,
      writeOffsetFetchRequest,
      'OffsetFetch',
    );
    expect(request).toEqual({
      groupId: 'billing',
      topics: [
        { name: 'orders', partitionIndexes: [0, 2] },
        { name: 'audit', partitionIndexes: [1] },
      ],
    });
  });

  it('decodes kafkajs-offset-fetch-v4-all-topics: no topics is a null array (every committed partition)', () => {
    const request = checkRequestFixture(
      'kafkajs-offset-fetch-v4-all-topics',
      4,
      readOffsetFetchRequest,
      writeOffsetFetchRequest,
      'OffsetFetch',
    );
    expect(request).toEqual({ groupId: 'billing', topics: null });
    // from v2 the null array reads the same at every version; v1 has no null: an empty list is written
    for (const version of [2, 3]) roundTrip(version, request, writeOffsetFetchRequest, readOffsetFetchRequest);
    roundTrip(1, request, writeOffsetFetchRequest, readOffsetFetchRequest, { groupId: 'billing', topics: [] });
  });

  const response: OffsetFetchResponse = {
    throttleTimeMs: 7,
    topics: [
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, committedOffset: 42, metadata: null, errorCode: 0 },
          { partitionIndex: 2, committedOffset: 2 ** 40, metadata: 'checkpoint-7', errorCode: 0 },
        ],
      },
      { name: 'audit', partitions: [{ partitionIndex: 1, committedOffset: -1, metadata: '', errorCode: 0 }] },
    ],
    errorCode: 16,
  };

  it.each([1, 2, 3, 4])("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    const body = roundTrip(version, response, writeOffsetFetchResponse, readOffsetFetchResponse, {
      ...response,
      throttleTimeMs: version >= 3 ? 7 : 0,
      errorCode: version >= 2 ? 16 : 0,
    });
    const decoder = require(`kafkajs/src/protocol/requests/offsetFetch/v${version}/response`) as {
      decode(b: Buffer): Promise<{
        throttleTime?: number;
        clientSideThrottleTime?: number;
        errorCode?: number;
        responses: { topic: string; partitions: { partition: number; offset: string; metadata: string | null; errorCode: number }[] }[];
      }>;
    };
    const theirs = await decoder.decode(body);
    expect(theirs.responses).toEqual(
      response.topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => ({
          partition: p.partitionIndex,
          offset: String(p.committedOffset),
          metadata: p.metadata,
          errorCode: p.errorCode,
        })),
      })),
    );
    expect(theirs.errorCode).toBe(version >= 2 ? 16 : undefined);
    if (version === 3) expect(theirs.throttleTime).toBe(7);
    if (version === 4) expect(theirs.clientSideThrottleTime).toBe(7);
  });

  it('hostile requests are INVALID_REQUEST: a null array at v1, counts beyond the bytes or the limit, truncations', () => {
    expectInvalid(
      (r) => readOffsetFetchRequest(r, 1),
      bytesOf((w) => w.string('billing').int32(-1)),
      /ARRAY of length -1/,
    );
    expectInvalid(
      (r) => readOffsetFetchRequest(r, 3),
      bytesOf((w) => w.string('billing').int32(1).string('orders').int32(99_999).int32(0)),
      /ARRAY of 99999 elements in 4 bytes/,
    );
    expectInvalid(
      (r) => readOffsetFetchRequest(r, 4, { maxTopics: 1, maxPartitions: 10 }),
      fixtureRequestBody('kafkajs-offset-fetch-v4'),
      /at most 1/,
    );
    for (const [version, name] of [
      [1, 'kafkajs-offset-fetch-v1'],
      [2, 'kafkajs-offset-fetch-v2'],
      [3, 'kafkajs-offset-fetch-v3'],
      [4, 'kafkajs-offset-fetch-v4'],
      [4, 'kafkajs-offset-fetch-v4-all-topics'],
    ] as const) {
      expectTruncationsInvalid((r) => readOffsetFetchRequest(r, version), fixtureRequestBody(name));
    }
  });
});
