import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  readDeleteGroupsRequest,
  readDeleteGroupsResponse,
  writeDeleteGroupsRequest,
  writeDeleteGroupsResponse,
  type DeleteGroupsResponse,
} from '../../../../src/protocol/kafka/delete-groups.js';
import { bytesOf, checkRequestFixture, expectInvalid, expectTruncationsInvalid, fixtureRequestBody, roundTrip } from './codec-check.js';

const require = createRequire(import.meta.url);

const response: DeleteGroupsResponse = {
  throttleTimeMs: 3,
  results: [
    { groupId: 'billing', errorCode: 0 },
    { groupId: 'audit-readers', errorCode: 68 },
  ],
};

describe('DeleteGroups v0–v1', () => {
  it.each([0, 1])('decodes kafkajs-delete-groups-v%i and writes the same bytes', (version) => {
    const request = checkRequestFixture(
      `kafkajs-delete-groups-v${version}`,
      version,
      readDeleteGroupsRequest,
      writeDeleteGroupsRequest,
      'DeleteGroups',
    );
    expect(request.groupsNames).toEqual(['billing', 'audit-readers']);
  });

  it.each([0, 1])("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    const body = roundTrip(version, response, writeDeleteGroupsResponse, readDeleteGroupsResponse);
    const decoder = require(`kafkajs/src/protocol/requests/deleteGroups/v${version}/response`) as {
      decode(b: Buffer): Promise<{ throttleTimeMs: number; results: { groupId: string; errorCode: number; error?: { type: string } }[] }>;
    };
    const theirs = await decoder.decode(body);
    expect(theirs.throttleTimeMs).toBe(3);
    expect(theirs.results.map((g) => [g.groupId, g.errorCode, g.error?.type])).toEqual([
      ['billing', 0, undefined],
      ['audit-readers', 68, 'NON_EMPTY_GROUP'],
    ]);
  });

  it('hostile requests are INVALID_REQUEST: counts beyond the bytes or the limit, truncations', () => {
    expectInvalid(
      (r) => readDeleteGroupsRequest(r, 0),
      bytesOf((w) => w.int32(3).string('a')),
      /ARRAY of 3 elements in 3 bytes/,
    );
    const body = fixtureRequestBody('kafkajs-delete-groups-v0');
    expectInvalid((r) => readDeleteGroupsRequest(r, 0, { maxGroups: 1 }), body, /at most 1/);
    expectTruncationsInvalid((r) => readDeleteGroupsRequest(r, 0), body);
  });
});
