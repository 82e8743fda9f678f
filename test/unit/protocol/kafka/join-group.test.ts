import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { readConsumerSubscription } from '../../../../src/protocol/kafka/consumer-protocol.js';
import {
  readJoinGroupRequest,
  readJoinGroupResponse,
  writeJoinGroupRequest,
  writeJoinGroupResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
} from '../../../../src/protocol/kafka/join-group.js';
import type { KafkaReader } from '../../../../src/protocol/kafka/reader.js';
import type { KafkaWriter } from '../../../../src/protocol/kafka/writer.js';
import { bytesOf, checkRequestFixture, expectInvalid, expectTruncationsInvalid, fixtureRequestBody, roundTrip } from './codec-check.js';
import { fixtureJson } from './fixture.js';

const require = createRequire(import.meta.url);

const MEMBER = 'evq-fixture-6b1f4c2e-0f3a-4d57-9a8e-1c2b3d4e5f60';

/** A request as its fixture's `.json` states it: the protocols' metadata in hex. */
type Stated = Omit<JoinGroupRequest, 'protocols'> & { protocols: { name: string; metadataHex: string }[] };

function readStated(r: KafkaReader, version: number): Stated {
  const { protocols, ...rest } = readJoinGroupRequest(r, version);
  return { ...rest, protocols: protocols.map((p) => ({ name: p.name, metadataHex: p.metadata.toString('hex') })) };
}

function writeStated(w: KafkaWriter, version: number, { protocols, ...rest }: Stated): void {
  writeJoinGroupRequest(w, version, {
    ...rest,
    protocols: protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadataHex, 'hex') })),
  });
}

const response: JoinGroupResponse = {
  throttleTimeMs: 6,
  errorCode: 0,
  generationId: 7,
  protocolName: 'RoundRobinAssigner',
  leader: MEMBER,
  memberId: MEMBER,
  members: [
    { memberId: MEMBER, groupInstanceId: 'pod-0', metadata: Buffer.from([0, 0, 0, 0, 0, 1, 0, 6, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x73]) },
    { memberId: 'evq-fixture-other', groupInstanceId: null, metadata: Buffer.alloc(0) },
  ],
};

/** What a version carries of `response`: no throttle time below v2, no instance ids below v5. */
function at(version: number): JoinGroupResponse {
  return {
    ...response,
    throttleTimeMs: version >= 2 ? response.throttleTimeMs : 0,
    members: response.members.map((m) => ({ ...m, groupInstanceId: version >= 5 ? m.groupInstanceId : null })),
  };
}

describe('JoinGroup v0–v5', () => {
  it.each([0, 1, 2, 3, 4, 5])('decodes kafkajs-join-group-v%i and writes the same bytes', (version) => {
    const name = `kafkajs-join-group-v${version}`;
    const request = checkRequestFixture(name, version, readStated, writeStated, 'JoinGroup');
    expect(request).toEqual(fixtureJson<{ body: Stated }>(name).body);
    expect(request).toMatchObject({
      groupId: 'billing',
      sessionTimeoutMs: 30000,
      // v0 has no rebalance timeout: Kafka takes the session timeout
      rebalanceTimeoutMs: version >= 1 ? 60000 : 30000,
      memberId: version >= 4 ? MEMBER : '',
      groupInstanceId: version >= 5 ? 'pod-0' : null,
      protocolType: 'consumer',
    });
    // the metadata are kafkajs's subscriptions, which the consumer-protocol codec reads
    const subscriptions = request.protocols.map((p) => readConsumerSubscription(Buffer.from(p.metadataHex, 'hex')));
    expect(subscriptions.map((s) => [s.version, s.topics, s.userData?.toString('hex')])).toEqual([
      [0, ['orders', 'audit'], ''],
      [0, ['orders'], '00ff'],
    ]);
  });

  it.each([0, 1, 2, 3, 4, 5])("our v%i response reads back and kafkajs's decoder reads it", async (version) => {
    const body = roundTrip(version, response, writeJoinGroupResponse, readJoinGroupResponse, at(version));
    const decoder = require(`kafkajs/src/protocol/requests/joinGroup/v${version}/response`) as {
      decode(b: Buffer): Promise<{
        throttleTime?: number;
        clientSideThrottleTime?: number;
        errorCode: number;
        generationId: number;
        groupProtocol: string;
        leaderId: string;
        memberId: string;
        members: { memberId: string; groupInstanceId?: string | null; memberMetadata: Buffer }[];
      }>;
    };
    const theirs = await decoder.decode(body);
    expect([theirs.errorCode, theirs.generationId, theirs.groupProtocol, theirs.leaderId, theirs.memberId]).toEqual([
      0,
      7,
      'RoundRobinAssigner',
      MEMBER,
      MEMBER,
    ]);
    expect(theirs.members).toEqual(
      at(version).members.map((m) => ({
        memberId: m.memberId,
        ...(version >= 5 ? { groupInstanceId: m.groupInstanceId } : {}),
        memberMetadata: m.metadata,
      })),
    );
    if (version === 2) expect(theirs.throttleTime).toBe(6);
    if (version >= 3) expect(theirs.clientSideThrottleTime).toBe(6);
  });

  it('MEMBER_ID_REQUIRED (v4+) hands kafkajs the member id to join again with', async () => {
    const required: JoinGroupResponse = {
      throttleTimeMs: 0,
      errorCode: 79,
      generationId: -1,
      protocolName: '',
      leader: '',
      memberId: MEMBER,
      members: [],
    };
    const body = roundTrip(4, required, writeJoinGroupResponse, readJoinGroupResponse);
    const v4 = require('kafkajs/src/protocol/requests/joinGroup/v4/response') as {
      decode(b: Buffer): Promise<unknown>;
      parse(d: unknown): Promise<unknown>;
    };
    await expect(v4.parse(await v4.decode(body))).rejects.toMatchObject({ name: 'KafkaJSMemberIdRequired', memberId: MEMBER });
  });

  it('hostile requests are INVALID_REQUEST: counts beyond the bytes or the limit, overlong metadata, truncations', () => {
    const head = (w: KafkaWriter) => w.string('billing').int32(30000).int32(60000).string('').string('consumer');
    expectInvalid(
      (r) => readJoinGroupRequest(r, 1),
      bytesOf((w) => head(w).int32(50).string('range')),
      /ARRAY of 50 elements in 7 bytes/,
    );
    expectInvalid(
      (r) => readJoinGroupRequest(r, 1),
      bytesOf((w) => head(w).int32(1).string('range').int32(0x7fffffff)),
      /BYTES needs 2147483647 bytes, 0 left/,
    );
    expectInvalid((r) => readJoinGroupRequest(r, 0, { maxProtocols: 1 }), fixtureRequestBody('kafkajs-join-group-v0'), /at most 1/);
    for (const version of [0, 1, 2, 3, 4, 5]) {
      expectTruncationsInvalid((r) => readJoinGroupRequest(r, version), fixtureRequestBody(`kafkajs-join-group-v${version}`));
    }
  });
});
