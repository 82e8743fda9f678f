import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../../src/client/connect.js';
import type { EvqSubscription } from '../../../src/client/evq/subscription.js';
import type { EvqClient, EvqRecord, MessageAck, Subscription, SubscriptionStatus } from '../../../src/client/types.js';
import { partitionForKey } from '../../../src/core/partitioner.js';
import { EvqError } from '../../../src/errors.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';

let broker: TestBroker | undefined;
let client: EvqClient | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await client?.close();
  client = undefined;
  await broker?.close();
  broker = undefined;
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function setup(): Promise<{ broker: TestBroker; client: EvqClient }> {
  broker = await startTestBroker({ fsync: 'never' });
  client = await connect(broker.url);
  return { broker, client };
}

/** Takes `count` records from a subscription (closes it after 10 s, so a missing record fails the test, not hangs it). */
async function take(subscription: Subscription, count: number): Promise<EvqRecord[]> {
  const records: EvqRecord[] = [];
  const timer = setTimeout(() => void subscription.close(), 10_000);
  for await (const record of subscription) {
    records.push(record);
    if (records.length >= count) break;
  }
  clearTimeout(timer);
  return records;
}

/** Records as `partition:offset value`, sorted (a subscription of every partition has no order across them). */
const byPartition = (records: EvqRecord[]): string[] =>
  records.map((r) => `${r.partition}:${r.offset} ${r.value.toString()}`).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

describe('a topic of 3 partitions through the client', () => {
  it('creates, describes and grows a topic; refuses to shrink it or to create it again with another count', async () => {
    const { client } = await setup();
    expect(await client.createTopic('grow', { partitions: 3 })).toBe(true);
    expect(await client.createTopic('grow', { partitions: 3 })).toBe(false);
    await expect(client.createTopic('grow', { partitions: 2 })).rejects.toMatchObject({ code: 'EVQ_ERR_CONFLICT' });
    expect((await client.describeTopic('grow'))?.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(await client.alterTopic('grow', { partitions: 5 })).toMatchObject({ topic: 'grow', partitions: 5, previous: 3 });
    await expect(client.alterTopic('grow', { partitions: 2 })).rejects.toMatchObject({ code: 'EVQ_ERR_INVALID_ARGUMENT' });
    expect((await client.topics()).find((t) => t.topic === 'grow')?.partitions).toHaveLength(5);
    expect(await client.describeTopic('none-such')).toBeNull();
  });

  it("acks every keyed message with the partition of Kafka's partitioner and consecutive offsets there", async () => {
    const { client } = await setup();
    await client.createTopic('keyed', { partitions: 3 });
    const keys = Array.from({ length: 60 }, (_, i) => `customer-${i % 12}`);
    const acks: MessageAck[] = [];
    const result = await client.produce(
      'keyed',
      keys.map((key, i) => ({ key, value: `v${i}` })),
      { batchSize: 25, onAck: (ack) => acks.push(ack) },
    );
    expect(result.acknowledged).toBe(60);
    expect(acks.map((a) => a.index)).toEqual(keys.map((_, i) => i));
    expect(acks.map((a) => a.partition)).toEqual(keys.map((key) => partitionForKey(key, 3)));
    // within each partition, offsets from 0 without gaps, in input order
    const perPartition = new Map<number, number[]>();
    for (const ack of acks) perPartition.set(ack.partition, [...(perPartition.get(ack.partition) ?? []), ack.offset]);
    expect(perPartition.size).toBeGreaterThan(1);
    for (const offsets of perPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => i));
    expect(result.partitions).toEqual(
      [...perPartition]
        .sort(([a], [b]) => a - b)
        .map(([partition, offsets]) => ({ partition, count: offsets.length, firstOffset: 0, lastOffset: offsets.length - 1 })),
    );
    // what the broker stored agrees with the acks
    const stored = await take(client.subscribe('keyed', { from: 'earliest' }), 60);
    const where = new Map(stored.map((r) => [r.value.toString(), `${r.partition}:${r.offset}`]));
    expect(acks.map((a) => where.get(`v${a.index}`))).toEqual(acks.map((a) => `${a.partition}:${a.offset}`));
  });

  it('appends to an explicit partition, and refuses one the topic does not have', async () => {
    const { client } = await setup();
    await client.createTopic('explicit', { partitions: 3 });
    const acks: MessageAck[] = [];
    await client.produce(
      'explicit',
      [
        { value: 'a', key: 'x' },
        { value: 'b', key: 'y' },
      ],
      { partition: 2, onAck: (a) => acks.push(a) },
    );
    expect(acks.map((a) => `${a.partition}:${a.offset}`)).toEqual(['2:0', '2:1']);
    await expect(client.produce('explicit', [{ value: 'c' }], { partition: 3 })).rejects.toMatchObject({
      code: 'EVQ_ERR_INVALID_ARGUMENT',
    });
  });

  it('subscribes to every partition, to one, from the last N of each and from a time', async () => {
    const { client } = await setup();
    await client.createTopic('read', { partitions: 3 });
    for (let p = 0; p < 3; p++) {
      await client.produce(
        'read',
        [0, 1, 2].map((i) => ({ value: `p${p}-${i}`, timestamp: 1_000 * (i + 1) })),
        { partition: p },
      );
    }
    const all = await take(client.subscribe('read', { from: 'earliest' }), 9);
    expect(byPartition(all)).toEqual([0, 1, 2].flatMap((p) => [0, 1, 2].map((i) => `${p}:${i} p${p}-${i}`)));
    const one = await take(client.subscribe('read', { from: 1, partition: 1 }), 2);
    expect(one.map((r) => `${r.partition}:${r.offset}`)).toEqual(['1:1', '1:2']);
    const last = await take(client.subscribe('read', { from: { last: 2 } }), 6);
    expect(byPartition(last)).toEqual([0, 1, 2].flatMap((p) => [1, 2].map((i) => `${p}:${i} p${p}-${i}`)));
    const since = await take(client.subscribe('read', { from: { time: 3_000 } }), 3);
    expect(byPartition(since)).toEqual(['0:2 p0-2', '1:2 p1-2', '2:2 p2-2']);
    // an offset without a partition means nothing on a topic of 3
    const refused = client.subscribe('read', { from: 1 });
    await expect(refused.ready).rejects.toMatchObject({ code: 'EVQ_ERR_INVALID_ARGUMENT' });
  });

  it('resumes every partition where it stopped after the broker drops the connection: each record once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'evq-client-'));
    dirs.push(dataDir);
    broker = await startTestBroker({ dataDir, fsync: 'never' });
    const port = broker.port;
    client = await connect(broker.url);
    await client.createTopic('resume', { partitions: 3 });
    const batch = (from: number): Array<{ key: string; value: string }> =>
      Array.from({ length: 150 }, (_, i) => ({ key: `k${(from + i) % 17}`, value: `m${from + i}` }));
    await client.produce('resume', batch(0));
    const statuses: SubscriptionStatus[] = [];
    const sub = client.subscribe('resume', { from: 'earliest', onStatus: (s) => statuses.push(s) });
    const records: EvqRecord[] = [];
    let restarted = false;
    const timer = setTimeout(() => void sub.close(), 20_000);
    for await (const record of sub) {
      records.push(record);
      if (records.length === 100 && !restarted) {
        restarted = true;
        await broker.close(); // every connection to it drops
        broker = await startTestBroker({ dataDir, port, fsync: 'never' });
        const producer = await connect(broker.url);
        await producer.produce('resume', batch(150));
        await producer.close();
      }
      if (records.length === 300) break;
    }
    clearTimeout(timer);
    expect(new Set(records.map((r) => r.value.toString())).size).toBe(300);
    expect(records.map((r) => r.value.toString()).sort()).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`).sort());
    for (let p = 0; p < 3; p++) {
      const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i)); // in order, no gap, no repeat
    }
    expect(statuses.map((s) => s.type)).toContain('reconnected');
    const reconnected = statuses.find((s) => s.type === 'reconnected');
    expect(reconnected?.type === 'reconnected' ? reconnected.positions?.length : 0).toBe(3);
    expect((sub as EvqSubscription).stats().reconnects).toBe(1);
  }, 30_000);

  it('refuses a bad partition at once as a usage error', async () => {
    const { client } = await setup();
    expect(() => client.subscribe('t', { partition: -1 })).toThrow(EvqError);
    await expect(client.produce('t', [{ value: 'x' }], { partition: 1.5 })).rejects.toMatchObject({ code: 'EVQ_ERR_INVALID_ARGUMENT' });
  });
});
