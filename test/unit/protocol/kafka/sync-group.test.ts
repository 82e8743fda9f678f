import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { readConsumerAssignment } from '../../../../src/protocol/kafka/consumer-protocol.js';
import type { KafkaReader } from '../../../../src/protocol/kafka/reader.js';
import {
  readSyncGroupRequest,
  readSyncGroupResponse,
  writeSyncGroupRequest,
  writeSyncGroupResponse,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '../../../../src/protocol/kafka/sync-group.js';
import type { KafkaWriter } from '../../../../src/protocol/kafka/writer.js';
import { bytesOf, checkRequestFixture, expectInvalid, expectTruncationsInvalid, fixtureRequestBody, roundTrip } from './codec-check.js';
import { fixtureJson } from './fixture.js';

const require = createRequire(import.meta.url);

const MEMBER = 'evq-fixture-6b1f4c2e-0f3a-4d57-9a8e-1c2b3d4e5f60';
const OTHER = 'evq-fixture-0c9d8e7f-1a2b-4c3d-8e4f-5a6b7c8d9e0f';

/** A request as its fixture's `.json` states it: the assignments in hex. */
type Stated = Omit<SyncGroupRequest, 'assignments'> & { assignments: { memberId: string; assignmentHex: string }[] };

function readStated(r: KafkaReader, version: number): Stated {
  const { assignments, ...rest } = readSyncGroupRequest(r, version);
  return { ...rest, assignments: assignments.map((a) => ({ memberId: a.memberId, assignmentHex: a.assignment.toString('hex') })) };
}

function writeStated(w: KafkaWriter, version: number, { assignments, ...rest }: Stated): void {
  writeSyncGroupRequest(w, version, {
    ...rest,
    assignments: assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignmentHex, 'hex') })),
  });
}

describe('SyncGroup v0–v3', () => {
  it.each([0, 1, 2, 3])("decodes kafkajs-sync-group-v%i (the leader's assignments) and writes the same bytes", (version) => {
    const name = `kafkajs-sync-group-v${version}`;
    const request = checkRequestFixture(name, version, readStated, writeStated, 'SyncGroup');
    expect(request).toEqual(fixtureJson<{ body: Stated }>(name).body);
    expect(request).toMatchObject({
      groupId: 'billing',
      generationId: 7,
      memberId: MEMBER,
      groupInstanceId: version >= 3 ? 'pod-0' : null,
    });
    // the assignments are kafkajs's MemberAssignment blobs, which the consumer-protocol codec reads
    expect(request.assignments.map((a) => [a.memberId, readConsumerAssignment(Buffer.from(a.assignmentHex, 'hex')).assigned])).toEqual([
      [
        MEMBER,
        [
          { topic: 'orders', partitions: [0, 2] },
          { topic: 'audit', partitions: [1] },
        ],
      ],
      [OTHER, [{ topic: 'orders', partitions: [1] }]],
    ]);
  });

  it('a follower (no assignments) and a null instance id round-trip at v3', () => {
    const follower: SyncGroupRequest = { groupId: 'billing', generationId: 7, memberId: OTHER, groupInstanceId: null, assignments: [] };
    const bytes = roundTrip(3, follower, writeSyncGroupRequest, readSyncGroupRequest);
    expect(bytes.subarray(-6)).toEqual(Buffer.from([0xff, 0xff, 0, 0, 0, 0]));
  });

  it.each([0, 1, 2, 3])("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    const assignment = Buffer.from(fixtureJson<{ body: Stated }>('kafkajs-sync-group-v0').body.assignments[0]!.assignmentHex, 'hex');
    const response: SyncGroupResponse = { throttleTimeMs: 8, errorCode: 0, assignment };
    const body = roundTrip(version, response, writeSyncGroupResponse, readSyncGroupResponse, {
      ...response,
      throttleTimeMs: version >= 1 ? 8 : 0,
    });
    const decoder = require(`kafkajs/src/protocol/requests/syncGroup/v${version}/response`) as {
      decode(b: Buffer): Promise<{ throttleTime?: number; clientSideThrottleTime?: number; errorCode: number; memberAssignment: Buffer }>;
    };
    const theirs = await decoder.decode(body);
    expect([theirs.errorCode, theirs.memberAssignment]).toEqual([0, assignment]);
    if (version === 1) expect(theirs.throttleTime).toBe(8);
    if (version >= 2) expect(theirs.clientSideThrottleTime).toBe(8);
  });

  it('an error answer (REBALANCE_IN_PROGRESS, no assignment) round-trips', () => {
    roundTrip(3, { throttleTimeMs: 0, errorCode: 27, assignment: Buffer.alloc(0) }, writeSyncGroupResponse, readSyncGroupResponse);
  });

  it('hostile requests are INVALID_REQUEST: counts beyond the bytes or the limit, overlong assignments, truncations', () => {
    const head = (w: KafkaWriter) => w.string('billing').int32(7).string(MEMBER);
    expectInvalid(
      (r) => readSyncGroupRequest(r, 0),
      bytesOf((w) => head(w).int32(90_000).string('m')),
      /ARRAY of 90000 elements in 3 bytes/,
    );
    expectInvalid(
      (r) => readSyncGroupRequest(r, 0),
      bytesOf((w) =>
        head(w)
          .int32(1)
          .string('m')
          .int32(1 << 30),
      ),
      /BYTES needs 1073741824 bytes, 0 left/,
    );
    expectInvalid((r) => readSyncGroupRequest(r, 0, { maxAssignments: 1 }), fixtureRequestBody('kafkajs-sync-group-v0'), /at most 1/);
    for (const version of [0, 1, 2, 3]) {
      expectTruncationsInvalid((r) => readSyncGroupRequest(r, version), fixtureRequestBody(`kafkajs-sync-group-v${version}`));
    }
  });
});
