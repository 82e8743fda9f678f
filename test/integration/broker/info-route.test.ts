/**
 * GET /info (the console's overview): how the broker runs, its totals after produces, reads and a group
 * commit, and the per-second rates of produced and delivered messages taken from its own counters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTopic, getJson, postBatch, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

const sum = (xs: number[]): number => xs.reduce((n, x) => n + x, 0);

describe('GET /info', () => {
  it('says version, uptime, data dir, fsync and listeners, with the Kafka port when it is on', async () => {
    broker = await startTestBroker({ fsync: 'interval', kafkaPort: 0 });
    const info = await getJson(`${broker.url}/info`);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.uptimeMs).toBeGreaterThanOrEqual(0);
    expect(info.startedAt).toBeLessThanOrEqual(Date.now());
    expect(info).toMatchObject({ dataDir: broker.dataDir, memory: false, fsync: 'interval' });
    expect(info.listeners).toEqual({ http: broker.url, kafka: broker.kafkaUrl, console: `${broker.url}/ui/` });
    expect(info.listeners.kafka).toMatch(/^kafka:\/\/127\.0\.0\.1:\d+$/);
    expect(info.rates.intervalMs).toBe(1000);
  });

  it('a memory broker without a console has no data dir, no Kafka and no console listener', async () => {
    broker = await startTestBroker({ memory: true, ui: false });
    const info = await getJson(`${broker.url}/info`);
    expect(info).toMatchObject({ dataDir: null, memory: true, fsync: 'always' });
    expect(info.listeners).toEqual({ http: broker.url, kafka: null, console: null });
    const head = await fetch(`${broker.url}/info`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect((await fetch(`${broker.url}/info`, { method: 'POST' })).status).toBe(405);
  });

  it('totals topics, partitions, messages, bytes and groups, and counts produced and delivered messages per second', async () => {
    broker = await startTestBroker({ memory: true });
    const empty = await getJson(`${broker.url}/info`);
    expect(empty.totals).toMatchObject({ topics: 0, partitions: 0, messages: 0, bytes: 0, groups: 0, subscribers: 0, delayedPending: 0 });

    await createTopic(broker.url, 'wide', 3);
    expect((await postBatch(broker.url, 'orders', ['a', 'b', 'c', 'd', 'e'])).status).toBe(201);
    expect((await readAll(broker.url, 'orders')).records).toHaveLength(5);
    const read = await fetch(`${broker.url}/topics/orders/groups/billing/messages?limit=2&autocommit=true`);
    expect(read.status).toBe(200);
    await read.text();

    const info = await getJson(`${broker.url}/info`);
    expect(info.totals).toMatchObject({ topics: 2, partitions: 4, messages: 5, groups: 1 });
    expect(info.totals.bytes).toBeGreaterThan(0);
    expect(info.totals.connections.http).toBeGreaterThanOrEqual(1);
    expect(info.counters).toMatchObject({ messagesIn: 5, messagesOut: 7 });
    expect(info.counters.bytesIn).toBe(5);

    // the sampler takes the counters once a second: within a few seconds every message is in a sample
    const sampled = await waitFor(
      async () => {
        const now = await getJson(`${broker!.url}/info`);
        return sum(now.rates.produced) === 5 && sum(now.rates.delivered) === 7 ? now : null;
      },
      { what: 'the 5 produced and 7 delivered messages to be in the rate samples', timeoutMs: 5000, everyMs: 200 },
    );
    const { times, produced, delivered } = sampled.rates;
    expect(produced).toHaveLength(times.length);
    expect(delivered).toHaveLength(times.length);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]);
  });

  it('needs the token as every data route does', async () => {
    broker = await startTestBroker({ memory: true, token: 'secret' });
    expect((await fetch(`${broker.url}/info`)).status).toBe(401);
    const ok = await fetch(`${broker.url}/info`, { headers: { authorization: 'Bearer secret' } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).totals.topics).toBe(0);
  });
});
