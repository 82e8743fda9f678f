import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../../src/core/partitioner.js';
import { getJson, makeTempDir, postBatch, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { WsTestClient } from '../../helpers/ws-client.js';

const brokers: TestBroker[] = [];
const clients: WsTestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const b of brokers.splice(0)) await b.close();
});

async function start(options: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
  const broker = await startTestBroker(options);
  brokers.push(broker);
  return broker;
}

async function createTopic(url: string, topic: string, partitions: number): Promise<Response> {
  return fetch(`${url}/topics/${topic}`, {
    method: 'PUT',
    body: JSON.stringify({ partitions }),
    headers: { 'content-type': 'application/json' },
  });
}

async function produceKeyed(url: string, topic: string, messages: Array<{ key?: string; value: string }>, query = ''): Promise<any> {
  const res = await fetch(`${url}/topics/${topic}/batch${query}`, {
    method: 'POST',
    body: messages.map((m) => JSON.stringify(m)).join('\n'),
    headers: { 'content-type': 'application/x-ndjson' },
  });
  return { status: res.status, json: await res.json() };
}

describe('topics with partitions over HTTP', () => {
  it('creates a topic of 3 partitions, each its own log on disk with offsets from 0', async () => {
    const broker = await start();
    const created = await createTopic(broker.url, 'orders', 3);
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ topic: 'orders', partitions: 3, created: true });
    // the same count again is fine; another count is a conflict that says how to grow it
    expect((await createTopic(broker.url, 'orders', 3)).status).toBe(200);
    const other = await createTopic(broker.url, 'orders', 5);
    expect(other.status).toBe(409);
    expect(((await other.json()) as any).error.message).toMatch(/evq topics alter orders --partitions 5/);
    // fewer is never a way to grow: the answer says so instead of suggesting an alter that would fail
    const fewer = await createTopic(broker.url, 'orders', 2);
    expect(fewer.status).toBe(409);
    expect(((await fewer.json()) as any).error.message).toMatch(/never has fewer partitions: delete it and create it again to have 2/);

    const { topics } = await getJson(`${broker.url}/topics`);
    expect(topics).toEqual([
      expect.objectContaining({
        topic: 'orders',
        messageCount: 0,
        partitions: [0, 1, 2].map((p) => expect.objectContaining({ partition: p, startOffset: 0, endOffset: 0 })),
      }),
    ]);
    const dir = join(broker.dataDir, 'topics', 'orders');
    expect((await readdir(dir)).sort()).toEqual(expect.arrayContaining(['1', '2', 'topic.json']));
    expect(JSON.parse(await readFile(join(dir, 'topic.json'), 'utf8'))).toEqual({ version: 1, partitions: 3 });
  });

  it("places a keyed message where Kafka's default partitioner would, and keeps order per partition", async () => {
    const broker = await start();
    await createTopic(broker.url, 'orders', 3);
    const keys = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
    const messages = keys.flatMap((key) => [1, 2].map((n) => ({ key, value: `${key}-${n}` })));
    const { status, json } = await produceKeyed(broker.url, 'orders', messages);
    expect(status).toBe(201);
    const expected = messages.map((m) => partitionForKey(m.key, 3));
    expect(json.placement).toEqual(expected);
    expect(json.count).toBe(12);
    expect(json.partitions.reduce((n: number, p: any) => n + p.count, 0)).toBe(12);
    for (let p = 0; p < 3; p++) {
      const { status: readStatus, records } = await readAll(broker.url, 'orders', `?partition=${p}`);
      expect(readStatus).toBe(200);
      const mine = messages.filter((_, i) => expected[i] === p);
      expect(records.map((r) => [r.partition, r.offset, r.value])).toEqual(mine.map((m, i) => [p, i, m.value]));
    }
    // a plain read of a topic of several partitions must say which
    const all = await fetch(`${broker.url}/topics/orders/messages`);
    expect(all.status).toBe(400);
    expect(((await all.json()) as any).error.message).toMatch(/has 3 partitions: read one with \?partition=N/);
    expect((await fetch(`${broker.url}/topics/orders/messages?partition=3`)).status).toBe(400);
  });

  it('sends an unkeyed batch whole to one partition and the next batch to another (sticky)', async () => {
    const broker = await start();
    await createTopic(broker.url, 'events', 3);
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { json } = await postBatch(broker.url, 'events', ['a', 'b', 'c']);
      expect(json.partitions).toHaveLength(1);
      expect(json.placement).toBeUndefined();
      seen.push(json.partition);
    }
    expect(new Set(seen).size).toBe(3);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1]);
  });

  it('an explicit partition wins over the key; a partition the topic lacks is refused', async () => {
    const broker = await start();
    await createTopic(broker.url, 'orders', 4);
    const { json } = await produceKeyed(broker.url, 'orders', [{ key: 'alice', value: 'x' }], '?partition=2');
    expect(json).toMatchObject({ partition: 2, offset: 0, partitions: [{ partition: 2, baseOffset: 0, lastOffset: 0, count: 1 }] });
    const one = await fetch(`${broker.url}/topics/orders/messages`, {
      method: 'POST',
      body: 'y',
      headers: { 'evq-partition': '3', 'content-type': 'application/octet-stream' },
    });
    expect(await one.json()).toMatchObject({ partition: 3, offset: 0 });
    const bad = await produceKeyed(broker.url, 'orders', [{ value: 'z' }], '?partition=4');
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/has 4 partitions \(0 to 3\): there is no partition 4/);
  });

  it('grows a topic (never shrinks it) and keeps every partition across a restart', async () => {
    const dataDir = await makeTempDir();
    const broker = await start({ dataDir });
    await createTopic(broker.url, 'orders', 2);
    await produceKeyed(broker.url, 'orders', [{ value: 'before' }], '?partition=1');
    const patch = (partitions: number): Promise<Response> =>
      fetch(`${broker.url}/topics/orders`, {
        method: 'PATCH',
        body: JSON.stringify({ partitions }),
        headers: { 'content-type': 'application/json' },
      });
    const grown = await patch(5);
    expect(await grown.json()).toEqual({ topic: 'orders', partitions: 5, previous: 2 });
    const shrink = await patch(3);
    expect(shrink.status).toBe(400);
    expect(((await shrink.json()) as any).error.message).toMatch(/never fewer/);
    await produceKeyed(broker.url, 'orders', [{ value: 'after' }], '?partition=4');
    await broker.close();

    const again = await start({ dataDir });
    const info = await getJson(`${again.url}/topics/orders`);
    expect(info.partitions.map((p: any) => [p.partition, p.endOffset])).toEqual([
      [0, 0],
      [1, 1],
      [2, 0],
      [3, 0],
      [4, 1],
    ]);
    expect((await readAll(again.url, 'orders', '?partition=1')).records.map((r) => r.value)).toEqual(['before']);
    expect((await readAll(again.url, 'orders', '?partition=4')).records.map((r) => r.value)).toEqual(['after']);
  });

  it('a topic created by its first produce has --default-partitions partitions', async () => {
    const broker = await start({ defaultPartitions: 4 });
    await postBatch(broker.url, 'auto', ['x']);
    expect((await getJson(`${broker.url}/topics/auto`)).partitions).toHaveLength(4);
  });

  it('finds the first offset at or after a time in each partition', async () => {
    const broker = await start();
    await createTopic(broker.url, 'clock', 2);
    const T = Date.UTC(2026, 11, 1, 9);
    const lines = (p: number): string =>
      [0, 1, 2, 3].map((i) => JSON.stringify({ value: `p${p}-${i}`, timestamp: T + i * 1000 + p * 500 })).join('\n');
    for (const p of [0, 1]) {
      await fetch(`${broker.url}/topics/clock/batch?partition=${p}`, {
        method: 'POST',
        body: lines(p),
        headers: { 'content-type': 'application/x-ndjson' },
      });
    }
    const at = await getJson(`${broker.url}/topics/clock/offsets?time=${new Date(T + 1200).toISOString()}`);
    expect(at).toEqual({
      topic: 'clock',
      time: T + 1200,
      partitions: [
        { partition: 0, offset: 2, timestamp: T + 2000 },
        { partition: 1, offset: 1, timestamp: T + 1500 },
      ],
    });
    const late = await getJson(`${broker.url}/topics/clock/offsets?time=${T + 60_000}&partition=1`);
    expect(late.partitions).toEqual([{ partition: 1, offset: 4, timestamp: null }]);
    const early = await getJson(`${broker.url}/topics/clock/offsets?time=0`);
    expect(early.partitions.map((p: any) => p.offset)).toEqual([0, 0]);
    const { records } = await readAll(broker.url, 'clock', `?partition=1&time=${T + 2600}`);
    expect(records.map((r) => r.value)).toEqual(['p1-3']);
  });
});

describe('WebSocket subscriptions of partitioned topics', () => {
  it('a subscription without a partition reads every partition, in order within each, and says where each starts', async () => {
    const broker = await start();
    await createTopic(broker.url, 'orders', 3);
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    await produceKeyed(
      broker.url,
      'orders',
      keys.map((key) => ({ key, value: `${key}-1` })),
    );
    const client = await WsTestClient.connect(broker.url);
    clients.push(client);
    client.subscribe(1, 'orders', { from: 'earliest' });
    await client.until(() => client.received(1).length === keys.length);
    await produceKeyed(
      broker.url,
      'orders',
      keys.map((key) => ({ key, value: `${key}-2` })),
    );
    await client.until(() => client.received(1).length === 2 * keys.length);
    const subscribed = client.controls.find((c) => c.op === 'subscribed');
    expect(subscribed.partitions).toEqual([0, 1, 2].map((partition) => ({ partition, offset: 0 })));
    for (const key of keys) {
      const p = partitionForKey(key, 3);
      const mine = client.received(1).filter((r) => r.key === key);
      expect(mine.map((r) => [r.partition, r.value])).toEqual([
        [p, `${key}-1`],
        [p, `${key}-2`],
      ]);
    }
    for (let p = 0; p < 3; p++) {
      const offsets = client
        .received(1)
        .filter((r) => r.partition === p)
        .map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });

  it('resumes per partition from the offsets it names; an offset without a partition is refused', async () => {
    const broker = await start();
    await createTopic(broker.url, 'orders', 2);
    for (const p of [0, 1])
      await produceKeyed(
        broker.url,
        'orders',
        ['x', 'y', 'z'].map((value) => ({ value })),
        `?partition=${p}`,
      );
    const client = await WsTestClient.connect(broker.url);
    clients.push(client);
    client.subscribe(1, 'orders', { from: 1 });
    await client.until(() => client.controls.some((c) => c.op === 'error'));
    expect(client.controls.find((c) => c.op === 'error')).toMatchObject({ sub: 1, code: 'EVQ_ERR_INVALID_ARGUMENT' });
    client.subscribe(2, 'orders', { from: 'earliest', offsets: { '0': 2, '1': 1 } });
    await client.until(() => client.received(2).length === 3);
    expect(
      client
        .received(2)
        .map((r) => [r.partition, r.offset, r.value])
        .sort(),
    ).toEqual([
      [0, 2, 'z'],
      [1, 1, 'y'],
      [1, 2, 'z'],
    ]);
    client.subscribe(3, 'orders', { from: { last: 1 } });
    await client.until(() => client.received(3).length === 2);
    expect(
      client
        .received(3)
        .map((r) => [r.partition, r.offset])
        .sort(),
    ).toEqual([
      [0, 2],
      [1, 2],
    ]);
    client.subscribe(4, 'orders', { partition: 1, from: 0 });
    await client.until(() => client.received(4).length === 3);
    expect(client.received(4).every((r) => r.partition === 1)).toBe(true);
  });

  it('a subscription of every partition also reads the partitions the topic gets when it grows', async () => {
    const broker = await start();
    await createTopic(broker.url, 'orders', 1);
    const client = await WsTestClient.connect(broker.url);
    clients.push(client);
    client.subscribe(1, 'orders');
    await client.until(() => client.controls.some((c) => c.op === 'subscribed'));
    await fetch(`${broker.url}/topics/orders`, {
      method: 'PATCH',
      body: '{"partitions": 3}',
      headers: { 'content-type': 'application/json' },
    });
    await produceKeyed(broker.url, 'orders', [{ value: 'new' }], '?partition=2');
    await client.until(() => client.received(1).length === 1);
    expect(client.received(1)[0]).toMatchObject({ partition: 2, offset: 0, value: 'new' });
  });
});

describe('replay by time across segments', () => {
  it('finds, per partition, the first record stamped at or after T in a log of many segments, as a scan of every record would', async () => {
    const broker = await start({ segmentBytes: 1024 });
    await createTopic(broker.url, 'history', 3);
    const T = Date.UTC(2026, 11, 1, 9);
    // 3 × 120 records of ~60 bytes: dozens of 1 KiB segments per partition; timestamps grow, with a few
    // out of order as producers' clocks are
    for (let p = 0; p < 3; p++) {
      const lines = Array.from({ length: 120 }, (_, i) =>
        JSON.stringify({ value: `p${p}-${i}-${'x'.repeat(20)}`, timestamp: T + i * 1000 + (i % 7 === 3 ? -2500 : 0) + p }),
      );
      // batches of 10: a stored batch is never split, so segments roll between batches
      for (let i = 0; i < lines.length; i += 10) {
        const res = await fetch(`${broker.url}/topics/history/batch?partition=${p}`, {
          method: 'POST',
          body: lines.slice(i, i + 10).join('\n'),
          headers: { 'content-type': 'application/x-ndjson' },
        });
        expect(res.status).toBe(201);
      }
    }
    const segments = (await readdir(join(broker.dataDir, 'topics', 'history', '2'))).filter((f) => f.endsWith('.log'));
    expect(segments.length).toBeGreaterThan(5);
    const all = await Promise.all([0, 1, 2].map(async (p) => (await readAll(broker.url, 'history', `?partition=${p}&limit=1000`)).records));
    for (const t of [T - 1, T + 0, T + 33_500, T + 59_999, T + 60_000, T + 118_000, T + 200_000]) {
      const { partitions } = await getJson(`${broker.url}/topics/history/offsets?time=${t}`);
      const expected = all.map((records, p) => {
        const hit = records.find((r) => r.timestamp >= t);
        return { partition: p, offset: hit?.offset ?? 120, timestamp: hit?.timestamp ?? null };
      });
      expect(partitions).toEqual(expected);
    }
    // a subscription from that time starts each partition there
    const client = await WsTestClient.connect(broker.url);
    clients.push(client);
    client.subscribe(1, 'history', { from: { time: T + 100_000 } });
    await client.until(() => client.received(1).length === 3 * 20);
    for (let p = 0; p < 3; p++) {
      expect(client.received(1).filter((r) => r.partition === p)[0]?.offset).toBe(100);
    }
  });
});
