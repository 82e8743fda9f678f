import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  readDescribeGroupsRequest,
  readDescribeGroupsResponse,
  writeDescribeGroupsRequest,
  writeDescribeGroupsResponse,
  type DescribeGroupsResponse,
} from '../../../../src/protocol/kafka/describe-groups.js';
import { bytesOf, checkRequestFixture, expectInvalid, expectTruncationsInvalid, fixtureRequestBody, roundTrip } from './codec-check.js';

const require = createRequire(import.meta.url);

const response: DescribeGroupsResponse = {
  throttleTimeMs: 4,
  groups: [
    {
      errorCode: 0,
      groupId: 'billing',
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'RoundRobinAssigner',
      members: [
        {
          memberId: 'c-1-4f2a',
          groupInstanceId: 'pod-0',
          clientId: 'billing-app',
          clientHost: '/10.0.0.7',
          memberMetadata: Buffer.from([0, 1, 0, 0, 0, 1, 0, 6, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x73]),
          memberAssignment: Buffer.from([0, 1, 0, 0, 0, 0]),
        },
      ],
      authorizedOperations: 0b1011_0000,
    },
    {
      errorCode: 69,
      groupId: 'audit-readers',
      groupState: 'Dead',
      protocolType: '',
      protocolData: '',
      members: [],
      authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    },
  ],
};

/** What a version carries of `response`: no throttle time below v1, no operations below v3, no instance ids below v4. */
function at(version: number): DescribeGroupsResponse {
  return {
    throttleTimeMs: version >= 1 ? response.throttleTimeMs : 0,
    groups: response.groups.map((g) => ({
      ...g,
      authorizedOperations: version >= 3 ? g.authorizedOperations : AUTHORIZED_OPERATIONS_OMITTED,
      members: g.members.map((m) => ({ ...m, groupInstanceId: version >= 4 ? m.groupInstanceId : null })),
    })),
  };
}

describe('DescribeGroups v0–v4', () => {
  it.each([0, 1, 2])('decodes kafkajs-describe-groups-v%i and writes the same bytes', (version) => {
    const request = checkRequestFixture(
      `kafkajs-describe-groups-v${version}`,
      version,
      readDescribeGroupsRequest,
      writeDescribeGroupsRequest,
      'DescribeGroups',
    );
    expect(request).toEqual({ groups: ['billing', 'audit-readers'], includeAuthorizedOperations: false });
  });

  it('v3–v4 (which kafkajs lacks) add include_authorized_operations after the v2 bytes', () => {
    const v2 = fixtureRequestBody('kafkajs-describe-groups-v2');
    for (const version of [3, 4]) {
      const request = { groups: ['billing', 'audit-readers'], includeAuthorizedOperations: true };
      const bytes = roundTrip(version, request, writeDescribeGroupsRequest, readDescribeGroupsRequest);
      expect(bytes).toEqual(Buffer.concat([v2, Buffer.from([1])]));
    }
  });

  it.each([0, 1, 2, 3, 4])('our v%i response reads back whole', (version) => {
    roundTrip(version, response, writeDescribeGroupsResponse, readDescribeGroupsResponse, at(version));
  });

  it("v4 (which kafkajs lacks) lays a response out as Kafka's schema does: instance id after member id, operations last", () => {
    const str = (t: string) => Buffer.concat([Buffer.from([0, Buffer.byteLength(t)]), Buffer.from(t)]);
    const int32 = (v: number) => Buffer.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
    const one: DescribeGroupsResponse = {
      throttleTimeMs: 1,
      groups: [
        {
          errorCode: 0,
          groupId: 'g',
          groupState: 'Stable',
          protocolType: 'consumer',
          protocolData: 'range',
          members: [
            {
              memberId: 'm',
              groupInstanceId: 'i',
              clientId: 'c',
              clientHost: 'h',
              memberMetadata: Buffer.from([7]),
              memberAssignment: Buffer.from([8, 9]),
            },
          ],
          authorizedOperations: 0x0f,
        },
      ],
    };
    const expected = Buffer.concat([
      int32(1),
      int32(1),
      Buffer.from([0, 0]),
      str('g'),
      str('Stable'),
      str('consumer'),
      str('range'),
      int32(1),
      str('m'),
      str('i'),
      str('c'),
      str('h'),
      int32(1),
      Buffer.from([7]),
      int32(2),
      Buffer.from([8, 9]),
      int32(0x0f),
    ]);
    expect(roundTrip(4, one, writeDescribeGroupsResponse, readDescribeGroupsResponse)).toEqual(expected);
  });

  it.each([0, 1, 2])("kafkajs's v%i decoder reads our response", async (version) => {
    const body = roundTrip(version, response, writeDescribeGroupsResponse, readDescribeGroupsResponse, at(version));
    const decoder = require(`kafkajs/src/protocol/requests/describeGroups/v${version}/response`) as {
      decode(b: Buffer): Promise<{
        throttleTime?: number;
        clientSideThrottleTime?: number;
        groups: {
          errorCode: number;
          groupId: string;
          state: string;
          protocolType: string;
          protocol: string;
          members: { memberId: string; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }[];
        }[];
      }>;
    };
    const theirs = await decoder.decode(body);
    expect(theirs.groups).toEqual(
      response.groups.map((g) => ({
        errorCode: g.errorCode,
        groupId: g.groupId,
        state: g.groupState,
        protocolType: g.protocolType,
        protocol: g.protocolData,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.memberMetadata,
          memberAssignment: m.memberAssignment,
        })),
      })),
    );
    if (version === 1) expect(theirs.throttleTime).toBe(4);
    if (version === 2) expect(theirs.clientSideThrottleTime).toBe(4);
  });

  it('hostile requests are INVALID_REQUEST: counts beyond the bytes or the limit, truncations', () => {
    expectInvalid(
      (r) => readDescribeGroupsRequest(r, 3),
      bytesOf((w) => w.int32(3).string('a').boolean(true)),
      /ARRAY of 3 elements in 4 bytes/,
    );
    const body = fixtureRequestBody('kafkajs-describe-groups-v0');
    expectInvalid((r) => readDescribeGroupsRequest(r, 0, { maxGroups: 1 }), body, /at most 1/);
    for (const version of [0, 1, 2]) {
      expectTruncationsInvalid((r) => readDescribeGroupsRequest(r, version), fixtureRequestBody(`kafkajs-describe-groups-v${version}`));
    }
    expectTruncationsInvalid(
      (r) => readDescribeGroupsRequest(r, 4),
      bytesOf((w) => writeDescribeGroupsRequest(w, 4, { groups: ['billing'], includeAuthorizedOperations: true })),
    );
  });
});
