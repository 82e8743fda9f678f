import { describe, expect, it } from 'vitest';
import { malformedMessage } from '../../helpers/refusal.js';
import { decodeGroupList, decodeGroupReset, decodeTopicDescription, decodeTopicList } from '../../../src/protocol/http-replies.js';

const offsets = { startOffset: 2, endOffset: 5, messageCount: 3, sizeBytes: 120 };
const topic = { topic: 'orders', ...offsets, subscribers: 1, partitions: [{ partition: 0, ...offsets }] };
const group = { group: 'billing', topic: 'orders', committed: 3, endOffset: 5, lag: 2, missed: 0, members: 1, updatedAt: 1700000000000 };

describe('decodeTopicList (GET /topics)', () => {
  it('returns the topics with exactly the fields of TopicInfo', () => {
    expect(decodeTopicList({ topics: [{ ...topic, extra: 'dropped' }] })).toEqual([topic]);
    expect(decodeTopicList({ topics: [] })).toEqual([]);
  });

  it('reads a topic of a broker of the release before partitions as one partition', () => {
    const { partitions: _, ...old } = topic;
    expect(decodeTopicList({ topics: [old] })).toEqual([topic]);
  });

  it('refuses a body of another shape, naming the field', () => {
    expect(malformedMessage(() => decodeTopicList(null))).toMatch(/the body is not an object/);
    expect(malformedMessage(() => decodeTopicList({ topic: [] }))).toMatch(/"topics" is not a list/);
    expect(malformedMessage(() => decodeTopicList({ topics: [{ ...topic, endOffset: '5' }] }))).toMatch(/GET \/topics.*"endOffset"/);
    expect(malformedMessage(() => decodeTopicList({ topics: [{ ...topic, subscribers: -1 }] }))).toMatch(/"subscribers"/);
    expect(malformedMessage(() => decodeTopicList({ topics: [{ ...topic, topic: 7 }] }))).toMatch(/"topic" is not a string/);
  });
});

describe('decodeTopicDescription (GET /topics/{topic})', () => {
  it('returns the topic and its groups', () => {
    const body = { ...topic, groups: [{ group: 'billing', committed: 3, lag: 2 }] };
    expect(decodeTopicDescription(body)).toEqual(body);
  });

  it('refuses a group without its lag', () => {
    expect(malformedMessage(() => decodeTopicDescription({ ...topic, groups: [{ group: 'billing', committed: 3 }] }))).toMatch(/"lag"/);
  });
});

describe('decodeGroupList (GET /groups)', () => {
  it('returns the groups as the broker sends them', () => {
    expect(decodeGroupList({ groups: [group] })).toEqual([group]);
  });

  it('fills the fields of later releases when an older broker leaves them out', () => {
    const old = { group: 'billing', topic: 'orders', committed: 3, lag: 2 };
    expect(decodeGroupList({ groups: [old] })).toEqual([{ ...old, endOffset: 5, missed: 0, members: 0, updatedAt: 0 }]);
  });

  it('refuses a group whose fields have the wrong type', () => {
    expect(malformedMessage(() => decodeGroupList({ groups: [{ ...group, committed: 1.5 }] }))).toMatch(/"committed"/);
    expect(malformedMessage(() => decodeGroupList({ groups: [{ ...group, members: '1' }] }))).toMatch(/"members"/);
    expect(malformedMessage(() => decodeGroupList({ groups: ['billing'] }))).toMatch(/a group is not an object/);
  });
});

describe('decodeGroupReset (POST …/groups/{group}/reset)', () => {
  const reset = { topic: 'orders', group: 'billing', previous: 3, committed: 0, lag: 5, dryRun: true };

  it('returns the reset, previous null for a group that had no offset', () => {
    expect(decodeGroupReset(reset)).toEqual(reset);
    expect(decodeGroupReset({ ...reset, previous: null })).toEqual({ ...reset, previous: null });
  });

  it('refuses a reply without dryRun or with a wrong previous', () => {
    const { dryRun: _dryRun, ...noDryRun } = reset;
    expect(malformedMessage(() => decodeGroupReset(noDryRun))).toMatch(/"dryRun"/);
    expect(malformedMessage(() => decodeGroupReset({ ...reset, previous: 'none' }))).toMatch(/"previous"/);
    expect(malformedMessage(() => decodeGroupReset({ ...reset, previous: undefined }))).toMatch(/"previous"/);
  });
});
