import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  readGroupErrorResponse,
  readHeartbeatRequest,
  readLeaveGroupRequest,
  writeGroupErrorResponse,
  writeHeartbeatRequest,
  writeLeaveGroupRequest,
} from '../../../../src/protocol/kafka/heartbeat.js';
import { bytesOf, checkRequestFixture, expectInvalid, expectTruncationsInvalid, fixtureRequestBody, roundTrip } from './codec-check.js';

const require = createRequire(import.meta.url);

const MEMBER = 'evq-fixture-6b1f4c2e-0f3a-4d57-9a8e-1c2b3d4e5f60';

type TheirErrorResponse = { decode(b: Buffer): Promise<{ throttleTime?: number; clientSideThrottleTime?: number; errorCode: number }> };

describe('Heartbeat v0–v3', () => {
  it.each([0, 1, 2, 3])('decodes kafkajs-heartbeat-v%i and writes the same bytes', (version) => {
    const request = checkRequestFixture(`kafkajs-heartbeat-v${version}`, version, readHeartbeatRequest, writeHeartbeatRequest, 'Heartbeat');
    expect(request).toEqual({ groupId: 'billing', generationId: 7, memberId: MEMBER, groupInstanceId: version >= 3 ? 'pod-0' : null });
  });

  it('a member without an instance id writes a null string at v3 (as kafkajs does)', () => {
    const bytes = roundTrip(
      3,
      { groupId: 'billing', generationId: 7, memberId: MEMBER, groupInstanceId: null },
      writeHeartbeatRequest,
      readHeartbeatRequest,
    );
    expect(bytes.subarray(-2)).toEqual(Buffer.from([0xff, 0xff]));
  });

  it.each([0, 1, 2, 3])("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    const response = { throttleTimeMs: 2, errorCode: 27 };
    const body = roundTrip(version, response, writeGroupErrorResponse, readGroupErrorResponse, {
      ...response,
      throttleTimeMs: version >= 1 ? 2 : 0,
    });
    const decoder = require(`kafkajs/src/protocol/requests/heartbeat/v${version}/response`) as TheirErrorResponse;
    const theirs = await decoder.decode(body);
    expect(theirs.errorCode).toBe(27);
    if (version === 1) expect(theirs.throttleTime).toBe(2);
    if (version >= 2) expect(theirs.clientSideThrottleTime).toBe(2);
  });

  it('hostile requests are INVALID_REQUEST: a null group, an overlong member id, truncations', () => {
    expectInvalid(
      (r) => readHeartbeatRequest(r, 0),
      bytesOf((w) => w.int16(-1).int32(7).string(MEMBER)),
      /STRING of length -1/,
    );
    expectInvalid(
      (r) => readHeartbeatRequest(r, 3),
      bytesOf((w) => w.string('billing').int32(7).int16(0x7fff).raw(Buffer.from('m'))),
      /STRING needs 32767 bytes, 1 left/,
    );
    for (const version of [0, 1, 2, 3]) {
      expectTruncationsInvalid((r) => readHeartbeatRequest(r, version), fixtureRequestBody(`kafkajs-heartbeat-v${version}`));
    }
  });
});

describe('LeaveGroup v0–v1', () => {
  it.each([0, 1])('decodes kafkajs-leave-group-v%i and writes the same bytes', (version) => {
    const request = checkRequestFixture(
      `kafkajs-leave-group-v${version}`,
      version,
      readLeaveGroupRequest,
      writeLeaveGroupRequest,
      'LeaveGroup',
    );
    expect(request).toEqual({ groupId: 'billing', memberId: MEMBER });
  });

  it.each([0, 1])("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    const response = { throttleTimeMs: 4, errorCode: 25 };
    const body = roundTrip(version, response, writeGroupErrorResponse, readGroupErrorResponse, {
      ...response,
      throttleTimeMs: version >= 1 ? 4 : 0,
    });
    const decoder = require(`kafkajs/src/protocol/requests/leaveGroup/v${version}/response`) as TheirErrorResponse;
    const theirs = await decoder.decode(body);
    expect(theirs.errorCode).toBe(25);
    if (version === 1) expect(theirs.throttleTime).toBe(4);
  });

  it('hostile requests are INVALID_REQUEST: an overlong group id, truncations', () => {
    expectInvalid(
      (r) => readLeaveGroupRequest(r, 1),
      bytesOf((w) => w.int16(200).raw(Buffer.from('billing'))),
      /STRING needs 200 bytes, 7 left/,
    );
    for (const version of [0, 1]) {
      expectTruncationsInvalid((r) => readLeaveGroupRequest(r, version), fixtureRequestBody(`kafkajs-leave-group-v${version}`));
    }
  });
});
