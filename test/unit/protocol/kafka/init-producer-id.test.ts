import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  readInitProducerIdRequest,
  readInitProducerIdResponse,
  writeInitProducerIdRequest,
  writeInitProducerIdResponse,
  type InitProducerIdResponse,
} from '../../../../src/protocol/kafka/init-producer-id.js';
import { bytesOf, checkRequestFixture, expectInvalid, expectTruncationsInvalid, fixtureRequestBody, roundTrip } from './codec-check.js';

const require = createRequire(import.meta.url);

describe('InitProducerId v0–v1', () => {
  it.each([
    [0, null],
    [1, 'orders-tx'],
  ])('decodes kafkajs-init-producer-id-v%i and writes the same bytes', (version, transactionalId) => {
    const request = checkRequestFixture(
      `kafkajs-init-producer-id-v${version}`,
      version,
      readInitProducerIdRequest,
      writeInitProducerIdRequest,
      'InitProducerId',
    );
    expect(request).toEqual({ transactionalId, transactionTimeoutMs: 60000 });
  });

  it.each([0, 1])("our v%i response reads back and kafkajs's decoder reads it (a producer id beyond 2^32)", async (version) => {
    const response: InitProducerIdResponse = { throttleTimeMs: 9, errorCode: 0, producerId: 2 ** 40 + 17, producerEpoch: 3 };
    const body = roundTrip(version, response, writeInitProducerIdResponse, readInitProducerIdResponse);
    const decoder = require(`kafkajs/src/protocol/requests/initProducerId/v${version}/response`) as {
      decode(
        b: Buffer,
      ): Promise<{ throttleTime: number; clientSideThrottleTime?: number; errorCode: number; producerId: string; producerEpoch: number }>;
    };
    const theirs = await decoder.decode(body);
    expect([theirs.errorCode, theirs.producerId, theirs.producerEpoch]).toEqual([0, String(2 ** 40 + 17), 3]);
    expect(version === 0 ? theirs.throttleTime : theirs.clientSideThrottleTime).toBe(9);
  });

  it('an error answer (-1 producer id) round-trips', () => {
    roundTrip(
      1,
      { throttleTimeMs: 0, errorCode: 53, producerId: -1, producerEpoch: -1 },
      writeInitProducerIdResponse,
      readInitProducerIdResponse,
    );
  });

  it('hostile requests are INVALID_REQUEST: a string longer than the bytes, a bad length, truncations', () => {
    expectInvalid(
      (r) => readInitProducerIdRequest(r, 0),
      bytesOf((w) => w.int16(0x7fff).int32(0)),
      /NULLABLE_STRING needs 32767 bytes/,
    );
    expectInvalid(
      (r) => readInitProducerIdRequest(r, 0),
      bytesOf((w) => w.int16(-2).int32(0)),
      /NULLABLE_STRING of length -2/,
    );
    for (const version of [0, 1]) {
      expectTruncationsInvalid((r) => readInitProducerIdRequest(r, version), fixtureRequestBody(`kafkajs-init-producer-id-v${version}`));
    }
  });
});
