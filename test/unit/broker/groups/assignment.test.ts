import { describe, expect, it } from 'vitest';
import { roundRobin } from '../../../../src/broker/groups/assignment.js';

function all(result: Map<string, Array<{ topic: string; partition: number }>>): string[] {
  return [...result.values()].flat().map((p) => `${p.topic}/${p.partition}`);
}

describe('round-robin assignment', () => {
  it('gives every partition of the subscribed topics to exactly one member, counts within one of each other', () => {
    const members = ['m-c', 'm-a', 'm-b'].map((memberId) => ({ memberId, topics: ['orders', 'audit'] }));
    const partitions = new Map([
      ['orders', 7],
      ['audit', 2],
    ]);
    const result = roundRobin.assign(members, partitions);
    const owned = all(result);
    expect(owned).toHaveLength(9);
    expect(new Set(owned).size).toBe(9); // disjoint
    expect(owned.sort()).toEqual([...['audit/0', 'audit/1'], ...Array.from({ length: 7 }, (_, i) => `orders/${i}`)].sort()); // complete
    const counts = [...result.values()].map((p) => p.length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  it('is deterministic: the same members in any order give the same answer', () => {
    const partitions = new Map([['orders', 5]]);
    const one = roundRobin.assign(
      ['x', 'y', 'z'].map((memberId) => ({ memberId, topics: ['orders'] })),
      partitions,
    );
    const two = roundRobin.assign(
      ['z', 'x', 'y'].map((memberId) => ({ memberId, topics: ['orders'] })),
      partitions,
    );
    expect([...two.entries()].sort()).toEqual([...one.entries()].sort());
    expect(one.get('x')).toEqual([
      { topic: 'orders', partition: 0 },
      { topic: 'orders', partition: 3 },
    ]);
  });

  it('gives a topic only to members that subscribe to it, and every member an entry', () => {
    const result = roundRobin.assign(
      [
        { memberId: 'a', topics: ['orders'] },
        { memberId: 'b', topics: ['audit'] },
        { memberId: 'c', topics: ['nothing-here'] },
      ],
      new Map([
        ['orders', 3],
        ['audit', 1],
        ['nothing-here', 0],
      ]),
    );
    expect(result.get('a')?.map((p) => p.topic)).toEqual(['orders', 'orders', 'orders']);
    expect(result.get('b')).toEqual([{ topic: 'audit', partition: 0 }]);
    expect(result.get('c')).toEqual([]);
  });

  it('gives more members than partitions one partition each at most', () => {
    const result = roundRobin.assign(
      ['a', 'b', 'c', 'd'].map((memberId) => ({ memberId, topics: ['t'] })),
      new Map([['t', 2]]),
    );
    expect(all(result).sort()).toEqual(['t/0', 't/1']);
    expect([...result.values()].filter((p) => p.length === 0)).toHaveLength(2);
  });
});
