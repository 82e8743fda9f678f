import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/core/clock.js';
import { GroupCoordinator } from '../../../../src/broker/groups/coordinator.js';
import { TopicStore } from '../../../../src/broker/storage/topic-store.js';

const limits = { maxGroups: 2, maxGroupMembers: 3, minSessionTimeoutMs: 100, maxSessionTimeoutMs: 60_000, defaultSessionTimeoutMs: 10_000 };

async function setUp(): Promise<{ store: TopicStore; clock: ManualClock; coordinator: GroupCoordinator }> {
  const store = TopicStore.memory();
  await store.getOrCreate('orders', 3);
  const clock = new ManualClock(1000);
  return { store, clock, coordinator: new GroupCoordinator(store, clock, limits) };
}

function owners(c: GroupCoordinator, group: string): Array<string | null> {
  const d = c.describe(group);
  return [0, 1, 2].map((p) => d?.owner('orders', p) ?? null);
}

describe('the group coordinator', () => {
  it('expires a member without heartbeats after its session timeout (and not before), giving its partitions to the others', async () => {
    const { clock, coordinator } = await setUp();
    const a = coordinator.join('g', { topics: ['orders'], sessionTimeoutMs: 300, protocol: 'http' });
    const b = coordinator.join('g', { topics: ['orders'], sessionTimeoutMs: 1000, protocol: 'http' });
    expect(new Set(owners(coordinator, 'g'))).toEqual(new Set([a.memberId, b.memberId]));
    clock.advance(299);
    coordinator.heartbeat('g', b.memberId);
    expect(coordinator.describe('g')?.members).toHaveLength(2);
    clock.advance(1);
    expect(coordinator.describe('g')?.generation).toBe(3);
    expect(owners(coordinator, 'g')).toEqual([b.memberId, b.memberId, b.memberId]);
    expect(() => coordinator.heartbeat('g', a.memberId)).toThrow(expect.objectContaining({ code: 'EVQ_ERR_UNKNOWN_MEMBER' }));
    coordinator.close();
  });

  it('keeps a member that is reading alive past its session timeout, and times it from the end of the read', async () => {
    const { clock, coordinator } = await setUp();
    const a = coordinator.join('g', { topics: ['orders'], sessionTimeoutMs: 100, protocol: 'http' });
    const read = coordinator.beginRead('g', a.memberId);
    clock.advance(5000);
    expect(read.current()?.assignment).toHaveLength(3);
    read.end();
    clock.advance(99);
    expect(coordinator.describe('g')?.members).toHaveLength(1);
    clock.advance(1);
    expect(coordinator.describe('g')).toBeNull();
    expect(read.current()).toBeNull();
  });

  it('fences commits by generation and ownership, and checks limits before adding', async () => {
    const { coordinator } = await setUp();
    const a = coordinator.join('g', { topics: ['orders'], protocol: 'http' });
    expect(() => coordinator.checkCommit('g', a.memberId, 1, [{ topic: 'orders', partition: 2 }])).not.toThrow();
    const b = coordinator.join('g', { topics: ['orders'], protocol: 'http' });
    expect(() => coordinator.checkCommit('g', a.memberId, 1, [{ topic: 'orders', partition: 0 }])).toThrow(
      expect.objectContaining({ code: 'EVQ_ERR_REBALANCE' }),
    );
    const bOwns = b.assignment[0]?.partition as number;
    expect(() => coordinator.checkCommit('g', a.memberId, 2, [{ topic: 'orders', partition: bOwns }])).toThrow(
      expect.objectContaining({ code: 'EVQ_ERR_REBALANCE' }),
    );
    coordinator.join('g', { topics: ['orders'], protocol: 'http' });
    expect(() => coordinator.join('g', { topics: ['orders'], protocol: 'http' })).toThrow(
      expect.objectContaining({ code: 'EVQ_ERR_LIMIT_EXCEEDED' }),
    );
    coordinator.join('h', { topics: ['orders'], protocol: 'http' });
    expect(() => coordinator.join('i', { topics: ['orders'], protocol: 'http' })).toThrow(
      expect.objectContaining({ code: 'EVQ_ERR_LIMIT_EXCEEDED' }),
    );
    expect(() => coordinator.join('h', { topics: ['missing'], protocol: 'http' })).toThrow(
      expect.objectContaining({ code: 'EVQ_ERR_NOT_FOUND' }),
    );
    coordinator.close();
  });

  it('never gives a partition two owners, nor leaves one unowned, through joins, leaves and growth', async () => {
    const { store, coordinator } = await setUp();
    const ids: string[] = [];
    const check = (): void => {
      const d = coordinator.describe('g');
      if (d === null) return;
      const count = store.get('orders')?.partitionCount ?? 0;
      const owned = d.members.flatMap((m) => m.assignment.map((p) => `${p.topic}/${p.partition}`));
      expect(new Set(owned).size).toBe(owned.length);
      expect(owned.length).toBe(count);
    };
    for (let i = 0; i < 3; i++) {
      ids.push(coordinator.join('g', { topics: ['orders'], protocol: 'http' }).memberId);
      check();
    }
    await store.grow('orders', 5);
    check();
    expect(coordinator.describe('g')?.generation).toBe(4);
    coordinator.leave('g', ids[1] as string);
    check();
    coordinator.leave('g', ids[0] as string);
    check();
    expect(owners(coordinator, 'g')).toEqual([ids[2], ids[2], ids[2]]);
    coordinator.close();
  });

  it('takes an assignment computed elsewhere (a Kafka leader) for the current generation, and refuses one that breaks the rules', async () => {
    const { coordinator } = await setUp();
    const a = coordinator.join('g', { topics: ['orders'], protocol: 'kafka' });
    const b = coordinator.join('g', { topics: ['orders'], protocol: 'kafka' });
    const mine = new Map([
      [a.memberId, [{ topic: 'orders', partition: 2 }]],
      [
        b.memberId,
        [
          { topic: 'orders', partition: 0 },
          { topic: 'orders', partition: 1 },
        ],
      ],
    ]);
    expect(() => coordinator.install('g', 1, mine)).toThrow(expect.objectContaining({ code: 'EVQ_ERR_REBALANCE' }));
    coordinator.install('g', 2, mine);
    expect(owners(coordinator, 'g')).toEqual([b.memberId, b.memberId, a.memberId]);
    const twice = new Map([
      [a.memberId, [{ topic: 'orders', partition: 0 }]],
      [b.memberId, [{ topic: 'orders', partition: 0 }]],
    ]);
    expect(() => coordinator.install('g', 2, twice)).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_ARGUMENT' }));
    expect(() => coordinator.install('g', 2, new Map([[a.memberId, [{ topic: 'orders', partition: 9 }]]]))).toThrow(/does not exist/);
    expect(owners(coordinator, 'g')).toEqual([b.memberId, b.memberId, a.memberId]);
    coordinator.close();
  });
});
