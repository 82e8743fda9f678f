/**
 * Consumer groups of real Kafka clients against the Kafka listener: kcat `-G` (librdkafka's range and
 * roundrobin assignors) and kafkajs (its RoundRobinAssigner) join, split the partitions, read every message
 * exactly once while nobody is killed, commit, and a restarted group resumes after its commit. A member that
 * joins or leaves mid-stream moves partitions without losing a message. evq's own API shows the group.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { bootstrap, hasKcat, killKcat, runKcat, startKcat, type KcatProcess } from '../../helpers/kcat.js';
import { waitFor } from '../../helpers/wait.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await killKcat();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(): Promise<TestBroker> {
  const b = await startTestBroker({ kafkaPort: 0, defaultPartitions: 4 });
  cleanups.push(() => b.close());
  return b;
}

async function createTopic(b: TestBroker, topic: string, partitions: number): Promise<void> {
  const res = await fetch(`${b.url}/topics/${topic}`, {
    method: 'PUT',
    body: JSON.stringify({ partitions }),
    headers: { 'content-type': 'application/json' },
  });
  expect(res.status).toBeLessThan(300);
}

/** Produces `values` (key = value) with kcat -P, all acknowledged (acks=all) before it exits. */
async function kcatProduce(b: TestBroker, topic: string, values: string[]): Promise<void> {
  const r = await runKcat(bootstrap(b.kafkaUrl), ['-P', '-t', topic, '-K:', '-X', 'acks=all'], {
    stdin: values.map((v) => `${v}:${v}\n`).join(''),
  });
  expect(r.code, r.err).toBe(0);
}

/** A kcat group member printing `partition offset value` per message, unbuffered. */
function kcatMember(b: TestBroker, group: string, topic: string, assignor: string): KcatProcess {
  const args = ['-G', group, '-u', '-X', 'auto.offset.reset=earliest', '-X', `partition.assignment.strategy=${assignor}`];
  return startKcat(bootstrap(b.kafkaUrl), [...args, '-f', '%p %o %s\n', topic], { timeoutMs: 60_000 });
}

/** The values a member printed. */
const read = (member: KcatProcess): string[] =>
  member
    .out()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(' ')[2] as string);

/** Stops a kcat member cleanly (it commits and leaves the group) and waits for it to exit. */
async function stop(member: KcatProcess): Promise<void> {
  member.kill('SIGTERM');
  await member.done;
}

const values = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `m${from + i}`);

describe.skipIf(!hasKcat)('kcat -G: a group of two members over 4 partitions', () => {
  it.each(['range', 'roundrobin'])(
    'reads each message exactly once with the %s assignor, and resumes after the commit when restarted',
    async (assignor) => {
      const b = await broker();
      await createTopic(b, 'orders', 4);
      await kcatProduce(b, 'orders', values(0, 4000));
      const one = kcatMember(b, 'billing', 'orders', assignor);
      const two = kcatMember(b, 'billing', 'orders', assignor);
      // both are members before the reading ends: the group has two
      await waitFor(
        async () => ((await (await fetch(`${b.url}/groups/billing`)).json()) as { members?: unknown[] }).members?.length === 2,
        {
          what: 'both kcat members to be in group billing',
          timeoutMs: 20_000,
        },
      );
      await waitFor(() => read(one).length + read(two).length >= 4000, {
        what: () => `4000 messages between the members (have ${read(one).length} + ${read(two).length})`,
        timeoutMs: 30_000,
      });
      const all = [...read(one), ...read(two)];
      expect(new Set(all).size).toBe(4000);
      expect(all).toHaveLength(4000);
      // the group settles with two partitions each (evq's API shows the members' assignments)
      await waitFor(
        async () => {
          const group = (await (await fetch(`${b.url}/groups/billing`)).json()) as { members: { assignment: unknown[] }[] };
          return group.members.map((m) => m.assignment.length).join(',') === '2,2';
        },
        { what: 'the two members to own two partitions each', timeoutMs: 20_000 },
      );
      await Promise.all([stop(one), stop(two)]);
      const committed = (await (await fetch(`${b.url}/groups/billing`)).json()) as {
        partitions: { committed: number; endOffset: number }[];
      };
      expect(committed.partitions.every((p) => p.committed === p.endOffset)).toBe(true);

      await kcatProduce(b, 'orders', values(4000, 100));
      const again = kcatMember(b, 'billing', 'orders', assignor);
      await waitFor(() => read(again).length >= 100, {
        what: () => `the 100 new messages (have ${read(again).length})`,
        timeoutMs: 30_000,
      });
      expect(read(again).sort()).toEqual(values(4000, 100).sort());
      await stop(again);
    },
  );

  it('two members with no assignor in common: the second gets INCONSISTENT_GROUP_PROTOCOL', async () => {
    const b = await broker();
    await createTopic(b, 'orders', 2);
    const one = kcatMember(b, 'mixed', 'orders', 'range');
    await waitFor(async () => ((await (await fetch(`${b.url}/groups/mixed`)).json()) as { members?: unknown[] }).members?.length === 1, {
      what: 'the first member to join',
      timeoutMs: 20_000,
    });
    const two = kcatMember(b, 'mixed', 'orders', 'roundrobin');
    await two.waitForErr((err) => /INCONSISTENT_GROUP_PROTOCOL|Inconsistent group protocol/i.test(err), 20_000);
    await stop(one);
  });
});

describe('kafkajs consumer groups', () => {
  function kafka(b: TestBroker) {
    return new Kafka({
      brokers: [`127.0.0.1:${b.kafkaPort}`],
      clientId: 'evq-test',
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 50 },
    });
  }

  it('eachMessage and eachBatch members split the partitions; a member joining and one leaving mid-stream lose nothing', async () => {
    const b = await broker();
    await createTopic(b, 'events', 4);
    const k = kafka(b);
    const producer = k.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const seen = new Map<string, string[]>();
    const note = (who: string, value: string): void => void seen.set(value, [...(seen.get(value) ?? []), who]);
    const consumers: { name: string; c: ReturnType<typeof k.consumer> }[] = [];
    const start = async (name: string, batch: boolean): Promise<void> => {
      const c = k.consumer({ groupId: 'audit', sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10_000 });
      await c.connect();
      await c.subscribe({ topic: 'events', fromBeginning: true });
      if (batch) {
        await c.run({
          eachBatch: async ({ batch: b, resolveOffset, heartbeat }) => {
            for (const m of b.messages) {
              note(name, m.value?.toString() ?? '');
              resolveOffset(m.offset);
            }
            await heartbeat();
          },
        });
      } else {
        await c.run({ eachMessage: async ({ message }) => note(name, message.value?.toString() ?? '') });
      }
      consumers.push({ name, c });
      cleanups.push(() => c.disconnect());
    };
    await start('a', false);
    await start('b', true);
    const send = async (from: number, n: number): Promise<void> => {
      await producer.send({ topic: 'events', acks: -1, messages: values(from, n).map((v) => ({ key: v, value: v })) });
    };
    await send(0, 1000);
    await waitFor(() => seen.size >= 1000, { what: () => `1000 messages read (have ${seen.size})`, timeoutMs: 30_000 });
    await start('c', false); // joins mid-stream
    await send(1000, 1000);
    await waitFor(() => seen.size >= 2000, { what: () => `2000 messages read (have ${seen.size})`, timeoutMs: 30_000 });
    const a = consumers.find((x) => x.name === 'a');
    await a?.c.disconnect(); // leaves mid-stream
    await send(2000, 1000);
    await waitFor(() => seen.size >= 3000, { what: () => `3000 messages read (have ${seen.size})`, timeoutMs: 30_000 });
    for (const v of values(0, 3000)) expect(seen.has(v), v).toBe(true);
    // nothing read twice: a member commits before it gives a partition up
    const twice = [...seen].filter(([, who]) => who.length > 1);
    expect(twice).toEqual([]);
    const group = (await (await fetch(`${b.url}/groups/audit`)).json()) as { members: { protocol: string; assignment: unknown[] }[] };
    expect(group.members.map((m) => m.protocol)).toEqual(['kafka', 'kafka']);
    expect(group.members.reduce((n, m) => n + m.assignment.length, 0)).toBe(4);
    // three rebalances (a join, a join, a leave), each bounded by the members' 10 s rebalance timeout, and three
    // waits of at most 30 s: vitest's default 30 s for the whole test cut it short on a loaded machine (46 s once)
  }, 120_000);

  it('admin: listGroups, describeGroups, fetchOffsets (with the committed metadata), deleteGroups once empty', async () => {
    const b = await broker();
    await createTopic(b, 'ledger', 2);
    const k = kafka(b);
    const admin = k.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const c = k.consumer({ groupId: 'books' });
    await c.connect();
    await c.subscribe({ topic: 'ledger', fromBeginning: true });
    await c.run({ autoCommit: false, eachMessage: async () => undefined });
    await waitFor(async () => (await admin.describeGroups(['books'])).groups[0]?.state === 'Stable', {
      what: 'group books to be stable',
      timeoutMs: 20_000,
    });
    await c.commitOffsets([{ topic: 'ledger', partition: 1, offset: '0' }]);
    expect((await admin.listGroups()).groups).toContainEqual({ groupId: 'books', protocolType: 'consumer' });
    const described = (await admin.describeGroups(['books'])).groups[0];
    expect(described).toMatchObject({ groupId: 'books', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
    expect(described?.members).toHaveLength(1);
    await expect(admin.deleteGroups(['books'])).rejects.toThrow();
    await c.disconnect();
    const offsets = await admin.fetchOffsets({ groupId: 'books', topics: ['ledger'] });
    expect(offsets[0]?.partitions.find((p) => p.partition === 1)?.offset).toBe('0');
    await admin.deleteGroups(['books']);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('books');
  });
});
