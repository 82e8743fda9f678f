import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  readListGroupsRequest,
  readListGroupsResponse,
  writeListGroupsRequest,
  writeListGroupsResponse,
  type ListGroupsResponse,
} from '../../../../src/protocol/kafka/list-groups.js';
import { checkRequestFixture, fixtureRequestBody, roundTrip } from './codec-check.js';

const require = createRequire(import.meta.url);

const response: ListGroupsResponse = {
  throttleTimeMs: 5,
  errorCode: 0,
  groups: [
    { groupId: 'billing', protocolType: 'consumer' },
    { groupId: 'audit-readers', protocolType: 'consumer' },
  ],
};

describe('ListGroups v0–v2', () => {
  it.each([0, 1, 2])('decodes kafkajs-list-groups-v%i (an empty body) and writes the same bytes', (version) => {
    expect(fixtureRequestBody(`kafkajs-list-groups-v${version}`)).toHaveLength(0);
    expect(
      checkRequestFixture(`kafkajs-list-groups-v${version}`, version, readListGroupsRequest, writeListGroupsRequest, 'ListGroups'),
    ).toEqual({});
  });

  it.each([0, 1, 2])("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    const expected = { ...response, throttleTimeMs: version >= 1 ? 5 : 0 };
    const body = roundTrip(version, response, writeListGroupsResponse, readListGroupsResponse, expected);
    const decoder = require(`kafkajs/src/protocol/requests/listGroups/v${version}/response`) as {
      decode(b: Buffer): Promise<{ throttleTime?: number; clientSideThrottleTime?: number; errorCode: number; groups: unknown[] }>;
    };
    const theirs = await decoder.decode(body);
    expect(theirs.errorCode).toBe(0);
    expect(theirs.groups).toEqual(response.groups);
    if (version === 1) expect(theirs.throttleTime).toBe(5);
    if (version === 2) expect(theirs.clientSideThrottleTime).toBe(5);
  });

  it('an error code with no groups round-trips', () => {
    roundTrip(2, { throttleTimeMs: 0, errorCode: 15, groups: [] }, writeListGroupsResponse, readListGroupsResponse);
  });
});
