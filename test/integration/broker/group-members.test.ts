/**
 * Consumer groups with several members over HTTP (POST /groups/{g}/members and the member routes): a real
 * broker on port 0, 3-partition topics, members that join, read, commit, leave and stop heart-beating.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GroupDescription, GroupMembership, GroupPartition } from '../../../src/protocol/http.js';
import { postBatch, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

const json = { 'content-type': 'application/json' };

async function createTopic(url: string, topic: string, partitions: number): Promise<void> {
  const res = await fetch(`${url}/topics/${topic}`, { method: 'PUT', headers: json, body: JSON.stringify({ partitions }) });
  expect(res.status).toBe(201);
}

async function join(url: string, group: string, body: Record<string, unknown>): Promise<GroupMembership> {
  const res = await fetch(`${url}/groups/${group}/members`, { method: 'POST', headers: json, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as GroupMembership;
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

async function commit(url: string, group: string, member: string, generation: number, next: MemberPage['next']): Promise<{ status: number; body: any }> {
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
    const a = await join(url, 'billing', { topics: ['orders'], clientId: 'a' });
    expect(a.generation).toBe(1);
    expect(keys(a.assignment)).toEqual(['orders/0', 'orders/1', 'orders/2']);
    const b = await join(url, 'billing', { topics: ['orders'], clientId: 'b' });
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
});
