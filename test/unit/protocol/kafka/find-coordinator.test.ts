import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  COORDINATOR_KEY_TYPE,
  readFindCoordinatorRequest,
  readFindCoordinatorResponse,
  writeFindCoordinatorRequest,
  writeFindCoordinatorResponse,
  type FindCoordinatorResponse,
} from '../../../../src/protocol/kafka/find-coordinator.js';
import { bytesOf, checkRequestFixture, expectInvalid, expectTruncationsInvalid, fixtureRequestBody, roundTrip } from './codec-check.js';

const require = createRequire(import.meta.url);

const response: FindCoordinatorResponse = {
  throttleTimeMs: 3,
  errorCode: 0,
  errorMessage: null,
  nodeId: 1,
  host: '127.0.0.1',
  port: 19092,
};

describe('FindCoordinator v0–v2', () => {
  it.each([
    [0, 'billing', COORDINATOR_KEY_TYPE.group],
    [1, 'billing', COORDINATOR_KEY_TYPE.group],
    [2, 'orders-tx', COORDINATOR_KEY_TYPE.transaction],
  ])('decodes kafkajs-find-coordinator-v%i and writes the same bytes', (version, key, keyType) => {
    const request = checkRequestFixture(
      `kafkajs-find-coordinator-v${version}`,
      version,
      readFindCoordinatorRequest,
      writeFindCoordinatorRequest,
      'FindCoordinator',
    );
    expect(request).toEqual({ key, keyType });
  });

  it.each([0, 1, 2])("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    const expected = { ...response, throttleTimeMs: version >= 1 ? 3 : 0 };
    const body = roundTrip(version, response, writeFindCoordinatorResponse, readFindCoordinatorResponse, expected);
    const decoder = require(`kafkajs/src/protocol/requests/findCoordinator/v${version}/response`) as {
      decode(b: Buffer): Promise<{
        throttleTime?: number;
        clientSideThrottleTime?: number;
        errorCode: number;
        errorMessage?: string | null;
        coordinator: { nodeId: number; host: string; port: number };
      }>;
    };
    const theirs = await decoder.decode(body);
    expect(theirs.errorCode).toBe(0);
    expect(theirs.coordinator).toEqual({ nodeId: 1, host: '127.0.0.1', port: 19092 });
    if (version >= 1) expect(theirs.errorMessage).toBeNull();
    if (version === 1) expect(theirs.throttleTime).toBe(3);
    if (version === 2) expect(theirs.clientSideThrottleTime).toBe(3);
  });

  it("an error answer with its message (v1+) reaches kafkajs's decoder", async () => {
    const failure: FindCoordinatorResponse = {
      throttleTimeMs: 0,
      errorCode: 15,
      errorMessage: 'The coordinator is not available.',
      nodeId: -1,
      host: '',
      port: -1,
    };
    const body = roundTrip(1, failure, writeFindCoordinatorResponse, readFindCoordinatorResponse);
    const decoder = require('kafkajs/src/protocol/requests/findCoordinator/v1/response') as {
      decode(b: Buffer): Promise<{ errorCode: number; errorMessage: string | null; coordinator: { nodeId: number } }>;
    };
    const theirs = await decoder.decode(body);
    expect([theirs.errorCode, theirs.errorMessage, theirs.coordinator.nodeId]).toEqual([15, failure.errorMessage, -1]);
  });

  it('hostile requests are INVALID_REQUEST: a null or overlong key, truncations', () => {
    expectInvalid(
      (r) => readFindCoordinatorRequest(r, 1),
      bytesOf((w) => w.int16(-1).int8(0)),
      /STRING of length -1/,
    );
    expectInvalid(
      (r) => readFindCoordinatorRequest(r, 0),
      bytesOf((w) => w.int16(0x7fff).raw(Buffer.from('billing'))),
      /STRING needs 32767 bytes, 7 left/,
    );
    for (const version of [0, 1, 2]) {
      expectTruncationsInvalid((r) => readFindCoordinatorRequest(r, version), fixtureRequestBody(`kafkajs-find-coordinator-v${version}`));
    }
  });
});
