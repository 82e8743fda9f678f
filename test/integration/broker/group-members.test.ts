/**
 * Consumer groups with several members over HTTP (POST /groups/{g}/members and the member routes): a real
 * broker on port 0, 3-partition topics, members that join, read, commit, leave and stop heart-beating.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { GroupDescription, GroupMembership, GroupPartition } from '../../../src/protocol/http.js';
import { createTopic, getJson, jsonOf, makeTempDir, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/data-dir-v1/', import.meta.url));

let broker: TestBroker | undefined;
let dir: string | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const json = { 'content-type': 'application/json' };

async function joinAs(url: string, group: string, body: Record<string, unknown>): Promise<GroupMembership> {
  const res = await fetch(`${url}/groups/${group}/members`, { method: 'POST', headers: json, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await jsonOf(res)) as GroupMembership;
}

async function heartbeat(url: string, group: string, member: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/groups/${group}/members/${encodeURIComponent(member)}/heartbeat`, { method: 'POST' });
  return { status: res.status, body: await res.json() };
}

interface MemberPage {
  status: number;
  records: any[];
  generation: number;
  next: Record<string, Record<string, number>>;
  body: string;
}

async function readMember(url: string, group: string, member: string, query = ''): Promise<MemberPage> {
  const res = await fetch(`${url}/groups/${group}/members/${encodeURIComponent(member)}/messages${query}`);
  const body = await res.text();
  if (!res.ok) return { status: res.status, records: [], generation: -1, next: {}, body };
  return {
    status: res.status,
    records: body
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l)),
    generation: Number(res.headers.get('evq-generation')),
    next: JSON.parse(res.headers.get('evq-next-offsets') ?? '{}'),
    body,
  };
}

async function commit(
  url: string,
  group: string,
  member: string,
  generation: number,
  next: MemberPage['next'],
): Promise<{ status: number; body: any }> {
  const offsets = Object.entries(next).flatMap(([topic, parts]) =>
    Object.entries(parts).map(([partition, offset]) => ({ topic, partition: Number(partition), offset })),
  );
  const res = await fetch(`${url}/groups/${group}/members/${encodeURIComponent(member)}/commit`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ generation, offsets }),
  });
  return { status: res.status, body: await res.json() };
}

async function describe_(url: string, group: string): Promise<GroupDescription> {
  return (await (await fetch(`${url}/groups/${group}`)).json()) as GroupDescription;
}

function keys(parts: GroupPartition[]): string[] {
  return parts.map((p) => `${p.topic}/${p.partition}`).sort();
}

/** Produces `count` messages `m0..`, spread over the partitions by key. */
async function produce(url: string, topic: string, count: number, prefix = 'm'): Promise<string[]> {
  const values = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const body = values.map((value, i) => JSON.stringify({ key: `k${i}`, value })).join('\n');
  const res = await fetch(`${url}/topics/${topic}/batch`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
  expect(res.status).toBe(201);
  return values;
}

describe('consumer groups with several members', () => {
  it('two members get disjoint partitions covering the topic, read it once between them, and one leaving gives the other all', async () => {
    broker = await startTestBroker();
    const { url } = broker;
    await createTopic(url, 'orders', 3);
    const a = await joinAs(url, 'billing', { topics: ['orders'], clientId: 'a' });
    expect(a.generation).toBe(1);
    expect(keys(a.assignment)).toEqual(['orders/0', 'orders/1', 'orders/2']);
    const b = await joinAs(url, 'billing', { topics: ['orders'], clientId: 'b' });
    expect(b.generation).toBe(2);
    const aNow = (await heartbeat(url, 'billing', a.memberId)).body as GroupMembership;
    expect(aNow.generation).toBe(2);
    const all = [...keys(aNow.assignment), ...keys(b.assignment)].sort();
    expect(all).toEqual(['orders/0', 'orders/1', 'orders/2']);
    expect(aNow.assignment.length).toBeGreaterThan(0);
    expect(b.assignment.length).toBeGreaterThan(0);

    const produced = await produce(url, 'orders', 300);
    const seen: string[] = [];
    const consume = async (member: string): Promise<void> => {
      for (let round = 0; round < 100 && seen.length < produced.length; round++) {
        const page = await readMember(url, 'billing', member, '?limit=17&wait=50ms');
        expect(page.status).toBe(200);
        for (const r of page.records) seen.push(r.value as string);
        if (Object.keys(page.next).length > 0) expect((await commit(url, 'billing', member, page.generation, page.next)).status).toBe(200);
      }
    };
    await Promise.all([consume(a.memberId), consume(b.memberId)]);
    expect(seen.length).toBe(produced.length);
    expect([...seen].sort()).toEqual([...produced].sort());

    const described = await describe_(url, 'billing');
    expect(described.state).toBe('stable');
    expect(described.members.map((m) => m.clientId).sort()).toEqual(['a', 'b']);
    expect(described.partitions.map((p) => p.lag)).toEqual([0, 0, 0]);
    expect(described.partitions.reduce((n, p) => n + (p.committed ?? 0), 0)).toBe(300);

    const left = await fetch(`${url}/groups/billing/members/${encodeURIComponent(b.memberId)}`, { method: 'DELETE' });
    expect(left.status).toBe(204);
    const after = (await heartbeat(url, 'billing', a.memberId)).body as GroupMembership;
    expect(after.generation).toBe(3);
    expect(keys(after.assignment)).toEqual(['orders/0', 'orders/1', 'orders/2']);
    const gone = await heartbeat(url, 'billing', b.memberId);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('EVQ_ERR_UNKNOWN_MEMBER');
  });

  it('moves the partitions of a member that stops heart-beating after its session timeout, and its uncommitted page is read again', async () => {
    broker = await startTestBroker();
    const { url } = broker;
    await createTopic(url, 'orders', 3);
    const produced = await produce(url, 'orders', 30);
    const a = await joinAs(url, 'billing', { topics: ['orders'], clientId: 'a', sessionTimeoutMs: 300 });
    const taken = await readMember(url, 'billing', a.memberId, '?limit=1000');
    expect(taken.records).toHaveLength(30); // taken, never committed: a is killed here
    const b = await joinAs(url, 'billing', { topics: ['orders'], clientId: 'b' });
    expect(b.assignment.length).toBeLessThan(3);
    const moved = await waitFor(
      async () => {
        const d = await describe_(url, 'billing');
        return d.members.length === 1 && d.partitions.every((p) => p.owner === b.memberId) ? d : null;
      },
      { what: 'member a to expire and b to own every partition', timeoutMs: 5000 },
    );
    if (moved === null) throw new Error('unreachable');
    expect(moved.generation).toBe(3);
    expect(moved.members[0]?.memberId).toBe(b.memberId);
    // b keeps reading past its session timeout of a: its reads are heartbeats
    const again: string[] = [];
    for (let round = 0; round < 20 && again.length < 30; round++) {
      const page = await readMember(url, 'billing', b.memberId, '?limit=7');
      expect(page.generation).toBe(3);
      again.push(...page.records.map((r) => r.value as string));
      expect((await commit(url, 'billing', b.memberId, page.generation, page.next)).status).toBe(200);
    }
    expect(again.sort()).toEqual([...produced].sort());
    const late = await heartbeat(url, 'billing', a.memberId);
    expect(late.status).toBe(404);
    expect(late.body.error.code).toBe('EVQ_ERR_UNKNOWN_MEMBER');
    expect(late.body.error.message).toMatch(/join again/);
  });

  it('refuses a commit of an old generation with 409 EVQ_ERR_REBALANCE and keeps the offset', async () => {
    broker = await startTestBroker();
    const { url } = broker;
    await createTopic(url, 'orders', 3);
    await produce(url, 'orders', 30);
    const a = await joinAs(url, 'billing', { topics: ['orders'] });
    const page = await readMember(url, 'billing', a.memberId, '?limit=1000');
    expect(page.generation).toBe(1);
    await joinAs(url, 'billing', { topics: ['orders'] });
    const stale = await commit(url, 'billing', a.memberId, page.generation, page.next);
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('EVQ_ERR_REBALANCE');
    expect(stale.body.error.message).not.toMatch(/\n/);
    expect((await describe_(url, 'billing')).partitions.map((p) => p.committed)).toEqual([null, null, null]);
    // a partition it does not own in the new generation: refused too, nothing committed
    const now = (await heartbeat(url, 'billing', a.memberId)).body as GroupMembership;
    const notOwned = [0, 1, 2].find((p) => !now.assignment.some((x) => x.partition === p)) as number;
    const mixed = await commit(url, 'billing', a.memberId, now.generation, {
      orders: { [String(now.assignment[0]?.partition)]: 1, [String(notOwned)]: 1 },
    });
    expect(mixed.status).toBe(409);
    expect((await describe_(url, 'billing')).partitions.map((p) => p.committed)).toEqual([null, null, null]);
    const past = await commit(url, 'billing', a.memberId, now.generation, { orders: { [String(now.assignment[0]?.partition)]: 1000 } });
    expect(past.status).toBe(400);
    expect(past.body.error.code).toBe('EVQ_ERR_INVALID_OFFSET');
  });

  it('rebalances when a subscribed topic grows partitions', async () => {
    broker = await startTestBroker();
    const { url } = broker;
    await createTopic(url, 'orders', 3);
    const a = await joinAs(url, 'billing', { topics: ['orders'] });
    const grown = await fetch(`${url}/topics/orders`, { method: 'PATCH', headers: json, body: JSON.stringify({ partitions: 4 }) });
    expect(grown.status).toBe(200);
    const now = (await heartbeat(url, 'billing', a.memberId)).body as GroupMembership;
    expect(now.generation).toBe(2);
    expect(keys(now.assignment)).toEqual(['orders/0', 'orders/1', 'orders/2', 'orders/3']);
  });

  it('answers a long poll at once when a record lands on any owned partition, and with the new generation at a rebalance', async () => {
    broker = await startTestBroker();
    const { url } = broker;
    await createTopic(url, 'orders', 3);
    const a = await joinAs(url, 'billing', { topics: ['orders'] });
    const started = Date.now();
    const polling = readMember(url, 'billing', a.memberId, '?wait=20s');
    await waitFor(() => broker?.stats().longPolls === 1, { what: 'the member read to wait' });
    const res = await fetch(`${url}/topics/orders/messages?partition=2`, {
      method: 'POST',
      body: 'late',
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(201);
    const page = await polling;
    expect(page.records.map((r) => [r.value, r.partition])).toEqual([['late', 2]]);
    expect(Date.now() - started).toBeLessThan(15_000);
    const committed = await commit(url, 'billing', a.memberId, page.generation, page.next);
    expect(committed.status).toBe(200);

    const waiting = readMember(url, 'billing', a.memberId, '?wait=20s');
    await waitFor(() => broker?.stats().longPolls === 1, { what: 'the member read to wait' });
    await joinAs(url, 'billing', { topics: ['orders'] });
    const empty = await waiting;
    expect(empty.records).toEqual([]);
    expect(empty.generation).toBe(2);
  });

  it('keeps per-partition commits across a restart of the broker (groups.json version 2)', async () => {
    dir = await makeTempDir();
    broker = await startTestBroker({ dataDir: dir });
    await createTopic(broker.url, 'orders', 3);
    await produce(broker.url, 'orders', 30);
    const a = await joinAs(broker.url, 'billing', { topics: ['orders'] });
    const page = await readMember(broker.url, 'billing', a.memberId, '?limit=1000');
    expect((await commit(broker.url, 'billing', a.memberId, page.generation, page.next)).status).toBe(200);
    const before = (await describe_(broker.url, 'billing')).partitions.map((p) => p.committed);
    expect(before.reduce<number>((n, c) => n + (c ?? 0), 0)).toBe(30);
    await broker.close();
    const saved = JSON.parse(await readFile(join(dir, 'groups.json'), 'utf8'));
    expect(saved.version).toBe(2);
    broker = await startTestBroker({ dataDir: dir });
    const after = await describe_(broker.url, 'billing');
    expect(after.state).toBe('empty');
    expect(after.members).toEqual([]);
    expect(after.partitions.map((p) => p.committed)).toEqual(before);
    expect(after.partitions.map((p) => p.lag)).toEqual([0, 0, 0]);
  });

  it('opens a v1 data dir with its group commit as partition 0: the old routes answer as before, a member resumes there', async () => {
    dir = await mkdtemp(join(tmpdir(), 'evq-v1-groups-'));
    await cp(FIXTURE, dir, { recursive: true });
    broker = await startTestBroker({ dataDir: dir });
    const { url } = broker;
    const old = await getJson(`${url}/topics/orders/groups/billing`);
    expect(old).toMatchObject({ topic: 'orders', group: 'billing', committed: 5, endOffset: 12, lag: 7, missed: 0, members: 0 });
    expect(old.partitions).toBeUndefined();
    expect((await getJson(`${url}/groups`)).groups).toEqual([old]);
    const described = await describe_(url, 'billing');
    expect(described.partitions).toEqual([
      { topic: 'orders', partition: 0, committed: 5, endOffset: 12, lag: 7, missed: 0, owner: null, oldestUnreadAt: expect.any(Number) },
    ]);
    const a = await joinAs(url, 'billing', { topics: ['orders'] });
    const page = await readMember(url, 'billing', a.memberId, '?limit=3');
    expect(page.records.map((r) => r.offset)).toEqual([5, 6, 7]);
    expect(page.next).toEqual({ orders: { '0': 8 } });
  });

  it('refuses a member past the limit of a group with one line, and a join of a missing topic with 404', async () => {
    broker = await startTestBroker({ groupLimits: { maxGroupMembers: 2 } });
    const { url } = broker;
    await createTopic(url, 'orders', 3);
    await joinAs(url, 'billing', { topics: ['orders'] });
    await joinAs(url, 'billing', { topics: ['orders'] });
    const res = await fetch(`${url}/groups/billing/members`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ topics: ['orders'] }),
    });
    expect(res.status).toBe(429);
    const body = await jsonOf(res);
    expect(body.error.code).toBe('EVQ_ERR_LIMIT_EXCEEDED');
    expect(body.error.message).toMatch(/has 2 members/);
    expect(body.error.message).not.toMatch(/\n/);
    expect((await describe_(url, 'billing')).members).toHaveLength(2);

    const missing = await fetch(`${url}/groups/other/members`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ topics: ['nope'] }),
    });
    expect(missing.status).toBe(404);
    expect((await jsonOf(missing)).error).toMatchObject({ code: 'EVQ_ERR_NOT_FOUND', details: { reason: 'missing' } });
    const bad = await fetch(`${url}/groups/other/members`, { method: 'POST', headers: json, body: JSON.stringify({ topics: 'orders' }) });
    expect(bad.status).toBe(400);
    expect((await jsonOf(bad)).error.code).toBe('EVQ_ERR_MALFORMED');
    const form = await fetch(`${url}/groups/other/members`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"topics":["orders"]}',
    });
    expect(form.status).toBe(415);
    const short = await fetch(`${url}/groups/other/members`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ topics: ['orders'], sessionTimeoutMs: 5 }),
    });
    expect(short.status).toBe(400);
    expect(await getJson(`${url}/groups/other`)).toMatchObject({ error: { code: 'EVQ_ERR_NOT_FOUND' } });
  });

  it('keeps the anonymous group routes on a topic of several partitions: a partition named, or a 400 that says to join', async () => {
    broker = await startTestBroker();
    const { url } = broker;
    await createTopic(url, 'orders', 3);
    await produce(url, 'orders', 30);
    const unnamed = await fetch(`${url}/topics/orders/groups/g/messages`);
    expect(unnamed.status).toBe(400);
    expect((await jsonOf(unnamed)).error.message).toMatch(/POST \/groups\/g\/members/);
    const one = await fetch(`${url}/topics/orders/groups/g/messages?partition=1&autocommit=true&limit=1000`);
    expect(one.status).toBe(200);
    const count = (await one.text()).split('\n').filter((l) => l !== '').length;
    expect(Number(one.headers.get('evq-committed-offset'))).toBe(count);
    const c = await fetch(`${url}/topics/orders/groups/g/commit`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ offset: 0, partition: 2 }),
    });
    expect(c.status).toBe(200);
    const info = await getJson(`${url}/topics/orders/groups/g`);
    expect(info.partitions.map((p: any) => p.committed)).toEqual([null, count, 0]);
    expect(info.lag).toBe(30 - count);

    const reset = await fetch(`${url}/topics/orders/groups/g/reset`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ to: 'latest' }),
    });
    expect(reset.status).toBe(200);
    const moved = await jsonOf(reset);
    expect(moved.lag).toBe(0);
    expect(moved.partitions).toHaveLength(3);
    expect(moved.committed).toBe(30);

    await joinAs(url, 'g', { topics: ['orders'] });
    const refused = await fetch(`${url}/topics/orders/groups/g/reset`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ to: 'earliest' }),
    });
    expect(refused.status).toBe(409);
    expect((await jsonOf(refused)).error.message).toMatch(/stop it first/);
  });
});

describe('the lag of a group on a topic of several partitions', () => {
  it('is the same in /metrics (evq_group_lag) as in GET /groups: a partition without a commit counts from its start', async () => {
    broker = await startTestBroker();
    const { url } = broker;
    await createTopic(url, 'orders', 3);
    await produce(url, 'orders', 30);
    const m = await joinAs(url, 'lagging', { topics: ['orders'] });
    const page = await readMember(url, 'lagging', m.memberId, '?limit=5');
    expect(page.records.length).toBe(5);
    // commit only the partition the page read first: the other two have no commit at all
    const [topic, parts] = Object.entries(page.next)[0] as [string, Record<string, number>];
    const [partition, offset] = Object.entries(parts)[0] as [string, number];
    expect((await commit(url, 'lagging', m.memberId, page.generation, { [topic]: { [partition]: offset } })).status).toBe(200);

    const groups = (await getJson(`${url}/groups`)) as { groups: Array<{ group: string; lag: number }> };
    const lag = groups.groups.find((g) => g.group === 'lagging')?.lag;
    expect(lag).toBe(30 - offset);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(`evq_group_lag{topic="orders",group="lagging"} ${30 - offset}`);
  });
});
