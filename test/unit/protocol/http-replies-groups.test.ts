import { describe, expect, it } from 'vitest';
import { malformedMessage } from '../../helpers/refusal.js';
import {
  decodeGeneration,
  decodeGroupDescription,
  decodeGroupMembership,
  decodeMemberCommit,
  decodeNextOffsets,
} from '../../../src/protocol/http-replies.js';

const membership = {
  group: 'billing',
  memberId: 'm-1',
  generation: 4,
  sessionTimeoutMs: 10_000,
  assignment: [
    { topic: 'orders', partition: 0 },
    { topic: 'orders', partition: 2 },
  ],
};

const description = {
  group: 'billing',
  generation: 4,
  state: 'stable',
  members: [
    {
      memberId: 'm-1',
      clientId: 'evq-consume',
      protocol: 'http',
      joinedAt: 1,
      lastSeenAt: 2,
      sessionTimeoutMs: 10_000,
      assignment: membership.assignment,
    },
  ],
  partitions: [
    { topic: 'orders', partition: 0, committed: 3, endOffset: 5, lag: 2, missed: 0, owner: 'm-1' },
    { topic: 'orders', partition: 1, committed: null, endOffset: 4, lag: 4, missed: 0, owner: null },
  ],
};

describe('decodeGroupMembership (join, heartbeat)', () => {
  it('returns exactly the fields of GroupMembership', () => {
    expect(decodeGroupMembership({ ...membership, extra: true })).toEqual(membership);
    expect(decodeGroupMembership({ ...membership, assignment: [] }).assignment).toEqual([]);
  });

  it('refuses another shape, naming the field', () => {
    expect(malformedMessage(() => decodeGroupMembership({ ...membership, memberId: 7 }))).toMatch(/"memberId" is not a string/);
    expect(malformedMessage(() => decodeGroupMembership({ ...membership, generation: -1 }))).toMatch(/"generation"/);
    expect(malformedMessage(() => decodeGroupMembership({ ...membership, assignment: {} }))).toMatch(/"assignment" is not a list/);
    expect(malformedMessage(() => decodeGroupMembership({ ...membership, assignment: [{ topic: 'o', partition: 1.5 }] }))).toMatch(
      /"partition"/,
    );
  });
});

describe('decodeMemberCommit', () => {
  it('returns the committed offsets per partition', () => {
    const body = { group: 'billing', committed: [{ topic: 'orders', partition: 2, committed: 40 }] };
    expect(decodeMemberCommit(body)).toEqual(body);
  });

  it('refuses a partition without its offset', () => {
    expect(malformedMessage(() => decodeMemberCommit({ group: 'g', committed: [{ topic: 'o', partition: 0 }] }))).toMatch(/"committed"/);
  });
});

describe('decodeGroupDescription (GET /groups/{group})', () => {
  it('returns members and partitions; null committed and owner stay null', () => {
    expect(decodeGroupDescription(description)).toEqual(description);
    expect(decodeGroupDescription({ ...description, state: 'empty', members: [] }).state).toBe('empty');
  });

  it('refuses another state, a bad member or partition', () => {
    expect(malformedMessage(() => decodeGroupDescription({ ...description, state: 'rebalancing' }))).toMatch(/"state"/);
    expect(malformedMessage(() => decodeGroupDescription({ ...description, members: [{ memberId: 'm' }] }))).toMatch(/"clientId"/);
    const bad = { ...description.partitions[0], lag: '2' };
    expect(malformedMessage(() => decodeGroupDescription({ ...description, partitions: [bad] }))).toMatch(/GET \/groups\/\{group\}.*"lag"/);
  });
});

describe('the headers of a member read', () => {
  it('evq-next-offsets: a list in topic then partition order', () => {
    expect(decodeNextOffsets('{"orders":{"10":7,"2":0,"0":41},"audit":{"0":3}}')).toEqual([
      { topic: 'audit', partition: 0, offset: 3 },
      { topic: 'orders', partition: 0, offset: 41 },
      { topic: 'orders', partition: 2, offset: 0 },
      { topic: 'orders', partition: 10, offset: 7 },
    ]);
    expect(decodeNextOffsets('{}')).toEqual([]);
  });

  it.each([
    [undefined, /has no evq-next-offsets header/],
    ['{"orders":', /evq-next-offsets is not JSON/],
    ['[1]', /evq-next-offsets is not an object/],
    ['{"orders":{"x":1}}', /names partition "x" of "orders"/],
    ['{"orders":{"-1":1}}', /names partition "-1"/],
    ['{"orders":{"0":-3}}', /"0" is not a whole number/],
    ['{"orders":{"0":"3"}}', /"0" is not a whole number/],
    ['{"orders":5}', /of "orders" is not an object/],
  ])('evq-next-offsets %j is EVQ_ERR_MALFORMED', (value, message) => {
    expect(malformedMessage(() => decodeNextOffsets(value))).toMatch(message);
  });

  it('evq-generation: a whole number, else EVQ_ERR_MALFORMED', () => {
    expect(decodeGeneration('0')).toBe(0);
    expect(decodeGeneration('12')).toBe(12);
    for (const bad of [undefined, '', '-1', '1.5', '01', 'x', '99999999999999999']) {
      expect(malformedMessage(() => decodeGeneration(bad))).toMatch(/evq-generation/);
    }
  });
});
