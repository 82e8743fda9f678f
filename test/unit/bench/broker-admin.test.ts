import { describe, expect, it } from 'vitest';
import { groupView } from '../../../src/bench/broker-admin.js';
import type { GroupDescription } from '../../../src/protocol/http.js';
import { lagAtEnd } from '../../../bench/lib/lag-at-end.js';

const member = (memberId: string, partitions: number[]) => ({
  memberId,
  clientId: 'evq-bench',
  protocol: 'http',
  joinedAt: 0,
  lastSeenAt: 0,
  sessionTimeoutMs: 10_000,
  assignment: partitions.map((partition) => ({ topic: 't', partition })),
});
const part = (topic: string, partition: number, owner: string | null) => ({
  topic,
  partition,
  committed: null,
  endOffset: 0,
  lag: 0,
  missed: 0,
  owner,
});

describe('groupView: when the bench may start producing for a group', () => {
  it('counts the members and the partitions of the topic that have an owner', () => {
    const description: GroupDescription = {
      group: 'g',
      generation: 3,
      state: 'stable',
      members: [member('a', [0, 1]), member('b', [2])],
      partitions: [part('t', 0, 'a'), part('t', 1, 'a'), part('t', 2, 'b'), part('t', 3, null), part('other', 0, 'a')],
    };
    expect(groupView(description, 't')).toEqual({ members: 2, owned: 3 });
    expect(groupView({ ...description, members: [], partitions: [] }, 't')).toEqual({ members: 0, owned: 0 });
  });
});

describe('lagAtEnd (bench:compare target 10)', () => {
  it('acknowledged minus delivered up to the last second with acknowledgements', () => {
    const timeline = [
      { second: -1, sent: 10, acked: 10, delivered: 10, errors: 0 },
      { second: 0, sent: 100, acked: 100, delivered: 90, errors: 0 },
      { second: 1, sent: 100, acked: 100, delivered: 80, errors: 0 },
      { second: 2, sent: 0, acked: 0, delivered: 30, errors: 0 },
    ];
    expect(lagAtEnd(timeline)).toBe(30);
    expect(lagAtEnd([])).toBe(0);
  });
});
