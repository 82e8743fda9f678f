import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/core/clock.js';
import { ClassicGroups, type JoinRequest, type JoinResult } from '../../../../src/broker/groups/classic-groups.js';

const LIMITS = { minSessionTimeoutMs: 100, maxSessionTimeoutMs: 60_000, maxGroupMembers: 10, maxGroups: 10 };

function request(memberId = '', protocols = ['range', 'roundrobin'], extra: Partial<JoinRequest> = {}): JoinRequest {
  return {
    memberId,
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: protocols.map((name) => ({ name, metadata: Buffer.from(`${name}-meta`) })),
    ...extra,
  };
}

/** Lets the promises settled by the coordinator run their callbacks. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ClassicGroups: the classic consumer-group protocol', () => {
  it('a lone member joins, is the leader, syncs its own assignment and is stable', async () => {
    const groups = new ClassicGroups(new ManualClock(), LIMITS);
    const joined = await groups.join('g', request());
    expect(joined).toMatchObject({ error: 'NONE', generationId: 1, protocolName: 'range' });
    expect(joined.leader).toBe(joined.memberId);
    expect(joined.members.map((m) => m.metadata.toString())).toEqual(['range-meta']);
    const sync = await groups.sync('g', joined.memberId, 1, new Map([[joined.memberId, Buffer.from('A')]]));
    expect(sync).toEqual({ error: 'NONE', assignment: Buffer.from('A') });
    expect(groups.heartbeat('g', joined.memberId, 1)).toBe('NONE');
    expect(groups.describe('g')?.state).toBe('Stable');
  });

  it('a second member makes the first rejoin: both wait at the barrier, only the leader gets the members, each syncs its part', async () => {
    const clock = new ManualClock();
    const groups = new ClassicGroups(clock, LIMITS);
    const a = await groups.join('g', request());
    await groups.sync('g', a.memberId, 1, new Map([[a.memberId, Buffer.from('all')]]));
    let bDone: JoinResult | null = null;
    const bJoin = groups.join('g', request('', ['roundrobin'])).then((r) => (bDone = r));
    await flush();
    expect(bDone).toBeNull(); // waits for a to rejoin
    expect(groups.heartbeat('g', a.memberId, 1)).toBe('REBALANCE_IN_PROGRESS');
    const aJoin = groups.join('g', request(a.memberId));
    const [a2, b] = await Promise.all([aJoin, bJoin]);
    expect(a2.generationId).toBe(2);
    expect(b.generationId).toBe(2);
    expect(a2.protocolName).toBe('roundrobin'); // the only protocol both have
    expect(a2.leader).toBe(a.memberId);
    expect(a2.members).toHaveLength(2);
    expect(b.members).toEqual([]);
    const bSync = groups.sync('g', b.memberId, 2, new Map());
    const aSync = groups.sync(
      'g',
      a.memberId,
      2,
      new Map([
        [a.memberId, Buffer.from('p0')],
        [b.memberId, Buffer.from('p1')],
      ]),
    );
    expect((await aSync).assignment.toString()).toBe('p0');
    expect((await bSync).assignment.toString()).toBe('p1');
    expect(groups.heartbeat('g', b.memberId, 1)).toBe('ILLEGAL_GENERATION');
  });

  it('a member that does not rejoin within the rebalance timeout is dropped; a silent member expires after its session timeout', async () => {
    const clock = new ManualClock();
    const groups = new ClassicGroups(clock, LIMITS);
    const a = await groups.join('g', request('', ['range'], { rebalanceTimeoutMs: 5000 }));
    await groups.sync('g', a.memberId, 1, new Map());
    const bJoin = groups.join('g', request('', ['range'], { sessionTimeoutMs: 1000, rebalanceTimeoutMs: 5000 }));
    clock.advance(5000);
    const b = await bJoin;
    expect(b.generationId).toBe(2);
    expect(b.leader).toBe(b.memberId);
    expect(groups.heartbeat('g', a.memberId, 1)).toBe('UNKNOWN_MEMBER_ID');
    await groups.sync('g', b.memberId, 2, new Map());
    clock.advance(999);
    expect(groups.heartbeat('g', b.memberId, 2)).toBe('NONE');
    clock.advance(1000);
    expect(groups.has('g')).toBe(false);
    expect(groups.heartbeat('g', b.memberId, 2)).toBe('UNKNOWN_MEMBER_ID');
  });

  it('refuses members with no common protocol, bad session timeouts and unknown member ids', async () => {
    const groups = new ClassicGroups(new ManualClock(), LIMITS);
    const a = await groups.join('g', request('', ['range']));
    expect((await groups.join('g', request('', ['roundrobin']))).error).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect((await groups.join('g', request('', ['range'], { protocolType: 'connect' }))).error).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect((await groups.join('h', request('', ['range'], { sessionTimeoutMs: 10 }))).error).toBe('INVALID_SESSION_TIMEOUT');
    expect((await groups.join('g', request('nobody'))).error).toBe('UNKNOWN_MEMBER_ID');
    await expect(groups.sync('g', a.memberId, 7, new Map())).resolves.toMatchObject({ error: 'ILLEGAL_GENERATION' });
  });

  it('commits: fenced by member and generation, taken while preparing a rebalance, refused while the assignment is awaited', async () => {
    const groups = new ClassicGroups(new ManualClock(), LIMITS);
    expect(groups.checkCommit('g', '', -1)).toBe('NONE'); // a consumer outside group management
    const a = await groups.join('g', request());
    expect(groups.checkCommit('g', a.memberId, 1)).toBe('REBALANCE_IN_PROGRESS'); // CompletingRebalance
    await groups.sync('g', a.memberId, 1, new Map());
    expect(groups.checkCommit('g', a.memberId, 1)).toBe('NONE');
    expect(groups.checkCommit('g', a.memberId, 0)).toBe('ILLEGAL_GENERATION');
    expect(groups.checkCommit('g', 'x', 1)).toBe('UNKNOWN_MEMBER_ID');
    expect(groups.checkCommit('g', '', -1)).toBe('UNKNOWN_MEMBER_ID');
    void groups.join('g', request()); // another member: PreparingRebalance
    expect(groups.checkCommit('g', a.memberId, 1)).toBe('NONE');
  });

  it('a leave rebalances the others at once; the last one out empties and forgets the group', async () => {
    const groups = new ClassicGroups(new ManualClock(), LIMITS);
    const a = await groups.join('g', request());
    await groups.sync('g', a.memberId, 1, new Map());
    expect(groups.leave('g', a.memberId)).toBe('NONE');
    expect(groups.has('g')).toBe(false);
    expect(groups.describe('g')).toBeNull();
    expect(groups.leave('g', a.memberId)).toBe('UNKNOWN_MEMBER_ID');
  });
});
