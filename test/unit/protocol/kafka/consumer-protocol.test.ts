import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { KafkaCodecError } from '../../../../src/protocol/kafka/codec-error.js';
import {
  CONSUMER_PROTOCOL_LIMITS,
  readConsumerAssignment,
  readConsumerSubscription,
  writeConsumerAssignment,
  writeConsumerSubscription,
  type ConsumerAssignment,
  type ConsumerSubscription,
} from '../../../../src/protocol/kafka/consumer-protocol.js';
import { bytesOf, codecError } from './codec-check.js';
import { fixtureBytes, fixtureJson } from './fixture.js';

const require = createRequire(import.meta.url);

/** kafkajs 2.2.4's consumer-protocol codec (what its consumers put in JoinGroup and SyncGroup). */
const { MemberMetadata, MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol') as {
  MemberMetadata: { decode(b: Buffer): { version: number; topics: string[]; userData: Buffer | null } };
  MemberAssignment: { decode(b: Buffer): { version: number; assignment: Record<string, number[]>; userData: Buffer | null } | null };
};

type StatedSubscription = Omit<ConsumerSubscription, 'userData'> & { userDataHex: string | null };
type StatedAssignment = Omit<ConsumerAssignment, 'userData'> & { userDataHex: string | null };

const hex = (b: Buffer | null) => (b === null ? null : b.toString('hex'));
const unhex = (h: string | null) => (h === null ? null : Buffer.from(h, 'hex'));

/** What the fixture's `.json` states, as the codec's value (user data from hex). */
function statedSubscription(name: string): ConsumerSubscription {
  const { userDataHex, version, topics, ownedPartitions } = fixtureJson<StatedSubscription>(name);
  return { version, topics, userData: unhex(userDataHex), ownedPartitions };
}

function statedAssignment(name: string): ConsumerAssignment {
  const { userDataHex, version, assigned } = fixtureJson<StatedAssignment>(name);
  return { version, assigned, userData: unhex(userDataHex) };
}

/** Every strict prefix of `bytes` reads as something or fails as INVALID_REQUEST: never another exception. */
function expectPrefixesSafe(read: (b: Buffer) => unknown, bytes: Buffer): void {
  for (let cut = 0; cut < bytes.length; cut++) {
    try {
      read(bytes.subarray(0, cut));
    } catch (e) {
      expect(e).toBeInstanceOf(KafkaCodecError);
      expect((e as KafkaCodecError).kafkaError).toBe('INVALID_REQUEST');
    }
  }
}

describe('consumer protocol: subscriptions', () => {
  it("decodes kafkajs-consumer-subscription-v0 (RoundRobinAssigner's) and writes the same bytes", () => {
    const bytes = fixtureBytes('kafkajs-consumer-subscription-v0');
    const ours = readConsumerSubscription(bytes);
    expect(ours).toEqual(statedSubscription('kafkajs-consumer-subscription-v0'));
    // kafkajs writes empty user data, not null: it must stay empty BYTES
    expect(ours.userData).toEqual(Buffer.alloc(0));
    expect(writeConsumerSubscription(ours)).toEqual(bytes);
  });

  it('decodes kafkajs-consumer-subscription-v1 (no owned_partitions: kafkajs omits them) as owning nothing', () => {
    const bytes = fixtureBytes('kafkajs-consumer-subscription-v1');
    const ours = readConsumerSubscription(bytes);
    expect(ours).toEqual(statedSubscription('kafkajs-consumer-subscription-v1'));
    expect(hex(ours.userData)).toBe('00ff10');
    // Kafka's v1 schema has the array: ours writes it, empty, after kafkajs's bytes
    expect(writeConsumerSubscription(ours)).toEqual(Buffer.concat([bytes, Buffer.from([0, 0, 0, 0])]));
  });

  it.each<ConsumerSubscription>([
    { version: 0, topics: ['orders', 'audit'], userData: null, ownedPartitions: [] },
    { version: 0, topics: [], userData: Buffer.from('sticky'), ownedPartitions: [] },
    {
      version: 1,
      topics: ['orders', 'clé'],
      userData: Buffer.from([1, 2, 3]),
      ownedPartitions: [
        { topic: 'orders', partitions: [0, 2] },
        { topic: 'clé', partitions: [] },
      ],
    },
  ])("ours reads back and kafkajs's decoder reads it (%#)", (subscription) => {
    const bytes = writeConsumerSubscription(subscription);
    expect(readConsumerSubscription(bytes)).toEqual(subscription);
    expect(MemberMetadata.decode(bytes)).toEqual({
      version: subscription.version,
      topics: subscription.topics,
      userData: subscription.userData,
    });
  });

  it("a subscription of 2000 topics (a pattern subscription; far past the writer's first 64 bytes) reads back in kafkajs too", () => {
    const topics = Array.from({ length: 2000 }, (_, i) => `orders.region-${i}`);
    const subscription: ConsumerSubscription = {
      version: 1,
      topics,
      userData: null,
      ownedPartitions: [{ topic: topics[1999]!, partitions: [0, 1] }],
    };
    const bytes = writeConsumerSubscription(subscription);
    expect(readConsumerSubscription(bytes)).toEqual(subscription);
    expect(MemberMetadata.decode(bytes).topics).toEqual(topics);
  });

  it("a newer version (Java's v3: generation_id, rack_id after owned_partitions) reads as far as v1 knows", () => {
    const v1Fields: ConsumerSubscription = {
      version: 3,
      topics: ['orders'],
      userData: null,
      ownedPartitions: [{ topic: 'orders', partitions: [1] }],
    };
    const v3 = bytesOf((w) =>
      w
        .int16(3)
        .array(['orders'], (x, t) => x.string(t))
        .nullableBytes(null)
        .array(v1Fields.ownedPartitions, (x, t) => x.string(t.topic).array(t.partitions, (y, p) => y.int32(p)))
        .int32(12)
        .nullableString('rack-a'),
    );
    expect(readConsumerSubscription(v3)).toEqual(v1Fields);
  });

  it('hostile subscriptions are INVALID_REQUEST before allocating: counts beyond the bytes or the limit, truncations', () => {
    let e = codecError(() => readConsumerSubscription(bytesOf((w) => w.int16(0).int32(5000).string('orders'))));
    expect([e.kafkaError, e.message]).toEqual(['INVALID_REQUEST', expect.stringMatching(/ARRAY of 5000 elements in 8 bytes/)]);
    e = codecError(() => readConsumerSubscription(bytesOf((w) => w.int16(0).int32(CONSUMER_PROTOCOL_LIMITS.maxTopics + 1))));
    expect(e.message).toMatch(/at most 10000/);
    e = codecError(() =>
      readConsumerSubscription(bytesOf((w) => w.int16(1).int32(0).nullableBytes(null).int32(1).string('orders').int32(0x7fffffff))),
    );
    expect(e.message).toMatch(/ARRAY of 2147483647 elements \(at most 100000\)/);
    e = codecError(() =>
      readConsumerSubscription(
        bytesOf((w) =>
          w
            .int16(0)
            .int32(0)
            .int32(1 << 20),
        ),
      ),
    );
    expect(e.message).toMatch(/NULLABLE_BYTES needs 1048576 bytes, 0 left/);
    expectPrefixesSafe(readConsumerSubscription, fixtureBytes('kafkajs-consumer-subscription-v0'));
    expectPrefixesSafe(readConsumerSubscription, writeConsumerSubscription(statedSubscription('kafkajs-consumer-subscription-v1')));
  });
});

describe('consumer protocol: assignments', () => {
  it.each(['kafkajs-consumer-assignment-v0', 'kafkajs-consumer-assignment-v1'])('decodes %s and writes the same bytes', (name) => {
    const bytes = fixtureBytes(name);
    const ours = readConsumerAssignment(bytes);
    expect(ours).toEqual(statedAssignment(name));
    expect(writeConsumerAssignment(ours)).toEqual(bytes);
  });

  it('an empty assignment (a member SyncGroup gave nothing) owns nothing', () => {
    expect(readConsumerAssignment(Buffer.alloc(0))).toEqual({ version: 0, assigned: [], userData: null });
  });

  it.each<ConsumerAssignment>([
    {
      version: 0,
      assigned: [
        { topic: 'orders', partitions: [0, 2] },
        { topic: 'audit', partitions: [1] },
      ],
      userData: Buffer.alloc(0),
    },
    { version: 1, assigned: [], userData: Buffer.from('gen-7') },
    { version: 0, assigned: [{ topic: 'orders', partitions: [3] }], userData: null },
  ])("ours reads back and kafkajs's decoder reads it (%#)", (assignment) => {
    const bytes = writeConsumerAssignment(assignment);
    expect(readConsumerAssignment(bytes)).toEqual(assignment);
    expect(MemberAssignment.decode(bytes)).toEqual({
      version: assignment.version,
      assignment: Object.fromEntries(assignment.assigned.map((t) => [t.topic, t.partitions])),
      userData: assignment.userData,
    });
  });

  it('hostile assignments are INVALID_REQUEST before allocating: counts beyond the bytes or the limit, truncations', () => {
    let e = codecError(() => readConsumerAssignment(bytesOf((w) => w.int16(0).int32(9000).string('a'))));
    expect([e.kafkaError, e.message]).toEqual(['INVALID_REQUEST', expect.stringMatching(/ARRAY of 9000 elements in 3 bytes/)]);
    e = codecError(() => readConsumerAssignment(bytesOf((w) => w.int16(0).int32(1).string('orders').int32(80_000).int32(0))));
    expect(e.message).toMatch(/ARRAY of 80000 elements in 4 bytes/);
    e = codecError(() => readConsumerAssignment(bytesOf((w) => w.int16(0).int32(-1))));
    expect(e.message).toMatch(/ARRAY of length -1/);
    expectPrefixesSafe(readConsumerAssignment, fixtureBytes('kafkajs-consumer-assignment-v0'));
    expectPrefixesSafe(readConsumerAssignment, fixtureBytes('kafkajs-consumer-assignment-v1'));
  });
});
