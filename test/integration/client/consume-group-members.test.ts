/**
 * Consumer groups of several members, against a real broker: two `consume(topic, {group, follow})` at once on
 * a 3-partition topic share its partitions (each message read by exactly one of them), and when one closes
 * the other gets its partitions and reads the rest; a member that stops early commits what it took.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../../src/client/connect.js';
import type { ConsumeOptions, EvqClient, EvqRecord, GroupDescription } from '../../../src/client/types.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait.js';

let broker: TestBroker | undefined;
const clients: EvqClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await broker?.close();
  broker = undefined;
});

async function setup(): Promise<TestBroker> {
  broker = await startTestBroker({ fsync: 'never' });
  const put = await fetch(`${broker.url}/topics/orders`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ partitions: 3 }),
  });
  expect(put.status).toBe(201);
  return broker;
}

async function newClient(url: string): Promise<EvqClient> {
  const c = await connect(url);
  clients.push(c);
  return c;
}

async function describeGroup(url: string, group: string): Promise<GroupDescription | null> {
  const res = await fetch(`${url}/groups/${group}`);
  return res.status === 200 ? ((await res.json()) as GroupDescription) : null;
}

/** Produces `values` keyed k0…k9 (placed on every partition by their keys) in one NDJSON batch. */
async function produce(url: string, values: string[]): Promise<void> {
  const res = await fetch(`${url}/topics/orders/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: values.map((value, i) => JSON.stringify({ value, key: `k${i % 10}` })).join('\n'),
  });
  expect(res.status).toBe(201);
}

/** A member reading in the background into `seen`, until `stop` is aborted. */
function member(c: EvqClient, group: string, seen: EvqRecord[], stop: AbortController, sessionTimeoutMs = 3000): Promise<void> {
  return (async () => {
    for await (const r of c.consume('orders', { group, follow: true, waitMs: 1000, sessionTimeoutMs, signal: stop.signal })) seen.push(r);
  })();
}

const ids = (records: EvqRecord[]): string[] => records.map((r) => `${r.partition}:${r.offset}`);
const range = (from: number, to: number, prefix = 'm'): string[] => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

describe('a consumer group of two members on a 3-partition topic', () => {
  it('reads every message exactly once between them; when one closes the other gets its partitions and reads the rest', async () => {
    const { url } = await setup();
    const a: EvqRecord[] = [];
    const b: EvqRecord[] = [];
    const stopA = new AbortController();
    const stopB = new AbortController();
    const readingA = member(await newClient(url), 'billing', a, stopA);
    const readingB = member(await newClient(url), 'billing', b, stopB);
    // both are members, and every partition has an owner, before anything is produced
    const both = await waitFor(
      async () => {
        const d = await describeGroup(url, 'billing');
        return d !== null && d.members.length === 2 && d.members.every((m) => m.assignment.length > 0) ? d : null;
      },
      { what: 'two members owning the three partitions' },
    );
    expect(both!.members.flatMap((m) => m.assignment.map((p) => p.partition)).sort()).toEqual([0, 1, 2]);

    await produce(url, range(0, 300));
    await waitFor(() => a.length + b.length >= 300, { what: () => `300 records between them (${a.length} + ${b.length})` });
    const union = [...a, ...b];
    expect(new Set(ids(union)).size).toBe(300); // no duplicate
    expect(new Set(union.map((r) => r.value.toString()))).toEqual(new Set(range(0, 300)));
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    // no partition read by both
    const partitionsOf = (rs: EvqRecord[]): Set<number> => new Set(rs.map((r) => r.partition));
    for (const p of partitionsOf(a)) expect(partitionsOf(b).has(p)).toBe(false);

    // A closes (its client leaves the group): B gets every partition and reads what comes next
    stopA.abort();
    await readingA;
    await waitFor(
      async () => {
        const d = await describeGroup(url, 'billing');
        return d?.members.length === 1 && d.members[0]?.assignment.length === 3;
      },
      { what: 'the one member left to own all three partitions' },
    );
    const bBefore = b.length;
    await produce(url, range(300, 450));
    await waitFor(() => b.length - bBefore >= 150, { what: () => `B to read the 150 new records (${b.length - bBefore})` });
    const after = b.slice(bBefore).map((r) => r.value.toString());
    expect(new Set(after)).toEqual(new Set(range(300, 450)));
    expect(after).toHaveLength(150);
    stopB.abort();
    await readingB;
    // the group committed everything: nothing left to read, no lag
    const d = await describeGroup(url, 'billing');
    expect(d?.partitions.map((p) => p.lag)).toEqual([0, 0, 0]);
  });

  it('a member that stops early commits what it took: the next member starts right after it, per partition', async () => {
    const { url } = await setup();
    await produce(url, range(0, 60));
    const c = await newClient(url);
    const first: EvqRecord[] = [];
    for await (const r of c.consume('orders', { group: 'audit', limit: 25, pageSize: 10 })) first.push(r);
    expect(first).toHaveLength(25);
    const rest: EvqRecord[] = [];
    for await (const r of c.consume('orders', { group: 'audit' })) rest.push(r);
    expect(rest).toHaveLength(35);
    expect(new Set([...ids(first), ...ids(rest)]).size).toBe(60);
    const d = await describeGroup(url, 'audit');
    expect(d?.members).toEqual([]); // both left at their end
    expect(d?.partitions.every((p) => p.lag === 0)).toBe(true);
  });

  it('a 1-partition topic: one member reads it, the group resumes where it stopped', async () => {
    const { url } = await setup();
    const c = await newClient(url);
    await c.produce(
      'single',
      range(0, 10).map((value) => ({ value })),
    );
    const one: string[] = [];
    for await (const r of c.consume('single', { group: 'g1', limit: 4 })) one.push(r.value.toString());
    const two: string[] = [];
    for await (const r of c.consume('single', { group: 'g1' })) two.push(r.value.toString());
    expect([...one, ...two]).toEqual(range(0, 10));
  });

  it('a slow reader keeps its partitions: heartbeats while it holds a page past its session timeout', async () => {
    const { url } = await setup();
    await produce(url, range(0, 30));
    const c = await newClient(url);
    const seen: string[] = [];
    let generation: number | null = null;
    for await (const r of c.consume('orders', { group: 'slow', sessionTimeoutMs: 300, pageSize: 100 })) {
      seen.push(r.value.toString());
      if (seen.length !== 1) continue;
      // hold the first record for more than three session timeouts: the member stays, in the same generation
      const d0 = await describeGroup(url, 'slow');
      generation = d0?.generation ?? null;
      const joinedAt = d0?.members[0]?.joinedAt ?? Date.now();
      await waitFor(
        async () => {
          const d = await describeGroup(url, 'slow');
          expect(d?.members).toHaveLength(1);
          expect(d?.generation).toBe(generation);
          return Date.now() - joinedAt > 1000;
        },
        { what: 'a second to pass with the slow member still in the group', everyMs: 50 },
      );
    }
    expect(seen).toHaveLength(30); // nothing read twice: its commit was taken in its generation
    const d = await describeGroup(url, 'slow');
    expect(d?.partitions.every((p) => p.lag === 0)).toBe(true);
  });

  it('a member the broker forgot (expired) joins again and reads its uncommitted page again: at least once', async () => {
    const { url } = await setup();
    await produce(url, range(0, 12));
    const c = await newClient(url);
    const seen: string[] = [];
    for await (const r of c.consume('orders', { group: 'gone', pageSize: 100 })) {
      seen.push(r.value.toString());
      if (seen.length !== 1) continue;
      // the broker forgets the member while it holds the page (as after its session timeout)
      const d = await describeGroup(url, 'gone');
      const id = d?.members[0]?.memberId ?? '';
      expect((await fetch(`${url}/groups/gone/members/${id}`, { method: 'DELETE' })).status).toBe(204);
    }
    // the first page was not committed (its commit was refused): read again after the new join
    expect(seen.length).toBeGreaterThan(12);
    expect(new Set(seen)).toEqual(new Set(range(0, 12)));
    const d = await describeGroup(url, 'gone');
    expect(d?.members).toEqual([]);
    expect(d?.partitions.every((p) => p.lag === 0)).toBe(true);
  });

  it('from {time} and {last} place a new group per partition; once placed, from changes nothing', async () => {
    const { url } = await setup();
    const t0 = Date.UTC(2026, 11, 1, 9);
    const res = await fetch(`${url}/topics/orders/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: range(0, 30)
        .map((value, i) => JSON.stringify({ value, key: `k${i % 10}`, timestamp: t0 + i * 1000 }))
        .join('\n'),
    });
    expect(res.status).toBe(201);
    const c = await newClient(url);
    const read = async (group: string, from: ConsumeOptions['from']): Promise<EvqRecord[]> => {
      const out: EvqRecord[] = [];
      for await (const r of c.consume('orders', { group, from })) out.push(r);
      return out;
    };
    const timed = await read('timed', { time: t0 + 20_000 });
    expect(timed.map((r) => r.value.toString()).sort()).toEqual(range(20, 30).sort());
    expect(await read('timed', 'earliest')).toEqual([]); // placed: from is only for partitions without a commit
    const last = await read('tail', { last: 1 });
    expect(last).toHaveLength(3);
    expect(new Set(last.map((r) => r.partition))).toEqual(new Set([0, 1, 2]));
  });
});

describe('a group member commits only what its caller has written out', () => {
  it('awaits beforeCommit before each commit: the committed offsets never pass what the caller had taken then', async () => {
    const b = await setup();
    await produce(b.url, range(0, 60));
    const c = await newClient(b.url);
    let taken = 0;
    const checks: Array<{ taken: number; committed: number }> = [];
    const beforeCommit = async (): Promise<void> => {
      const d = await describeGroup(b.url, 'careful');
      const committed = (d?.partitions ?? []).reduce((sum, p) => sum + (p.committed ?? 0), 0);
      checks.push({ taken, committed });
    };
    for await (const r of c.consume('orders', { group: 'careful', pageSize: 10, beforeCommit })) {
      expect(r.topic).toBe('orders');
      taken++;
    }
    expect(taken).toBe(60);
    // one call per page at least, and at each the commit so far is behind what had been taken
    expect(checks.length).toBeGreaterThanOrEqual(6);
    for (const check of checks) expect(check.committed).toBeLessThan(check.taken);
    const after = await describeGroup(b.url, 'careful');
    expect((after?.partitions ?? []).reduce((sum, p) => sum + (p.committed ?? 0), 0)).toBe(60);
  });
});
