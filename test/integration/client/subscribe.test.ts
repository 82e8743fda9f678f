import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../../src/client/connect.js';
import type { EvqSubscription } from '../../../src/client/evq/subscription.js';
import type { EvqClient, EvqRecord, Subscription, SubscriptionStatus } from '../../../src/client/types.js';
import { EvqError } from '../../../src/errors.js';
import { postBatch, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait.js';

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

async function setup(options: Parameters<typeof startTestBroker>[0] = {}): Promise<{ broker: TestBroker; client: EvqClient }> {
  broker = await startTestBroker({ fsync: 'never', ...options });
  client = await connect(broker.url);
  return { broker, client };
}

const json = (n: number): string => JSON.stringify({ n });

/** Takes `count` records from a subscription (fails after 10 s). */
async function take(subscription: Subscription, count: number): Promise<EvqRecord[]> {
  const records: EvqRecord[] = [];
  if (count === 0) return records;
  const timer = setTimeout(() => void subscription.close(), 10_000);
  for await (const record of subscription) {
    records.push(record);
    if (records.length >= count) break;
  }
  clearTimeout(timer);
  return records;
}

describe('subscribe', () => {
  it('from earliest with a filter: only the matching records, with their own offsets', async () => {
    const { broker, client } = await setup();
    await postBatch(
      broker.url,
      'f',
      Array.from({ length: 100 }, (_, i) => json(i)),
    );
    const sub = client.subscribe('f', { from: 'earliest', filter: 'value.n >= 90 || value.n == 3' });
    const records = await take(sub, 11);
    expect(records.map((r) => r.offset)).toEqual([3, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
    expect(records.map((r) => r.value.toString())).toEqual([3, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99].map(json));
    expect(records[0]!.topic).toBe('f');
    expect(await sub.closed).toBeNull();
  });

  it('from latest: only what is produced after the subscription started', async () => {
    const { broker, client } = await setup();
    await postBatch(broker.url, 'l', ['old1', 'old2']);
    const sub = client.subscribe('l'); // latest by default
    expect(await sub.ready).toBe(2);
    await client.produce('l', [{ value: 'new1' }, { value: 'new2', key: 'k' }]);
    const records = await take(sub, 2);
    expect(records.map((r) => [r.offset, r.key, r.value.toString()])).toEqual([
      [2, null, 'new1'],
      [3, 'k', 'new2'],
    ]);
  });

  it('from an offset and from { last: N }, with a filter', async () => {
    const { broker, client } = await setup();
    await postBatch(
      broker.url,
      'o',
      Array.from({ length: 50 }, (_, i) => json(i)),
    );
    const fromOffset = client.subscribe('o', { from: 45 });
    expect((await take(fromOffset, 5)).map((r) => r.offset)).toEqual([45, 46, 47, 48, 49]);
    const last = client.subscribe('o', { from: { last: 10 }, filter: 'value.n in [40, 42, 44, 46, 48]' });
    expect(await last.ready).toBe(40);
    expect((await take(last, 5)).map((r) => r.offset)).toEqual([40, 42, 44, 46, 48]);
    const more = client.subscribe('o', { from: { last: 1000 } });
    expect(await more.ready).toBe(0);
    await more.close();
  });

  it('waits for a topic that does not exist yet', async () => {
    const { client } = await setup();
    const sub = client.subscribe('not-yet', { from: { last: 5 } });
    expect(await sub.ready).toBe(0);
    await client.produce('not-yet', [{ value: 'first' }]);
    expect((await take(sub, 1)).map((r) => r.value.toString())).toEqual(['first']);
  });

  it('resumes after a broker restart: every record once, in order', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'evq-client-'));
    dirs.push(dataDir);
    broker = await startTestBroker({ dataDir, fsync: 'never' });
    const port = broker.port;
    client = await connect(broker.url);
    await postBatch(
      broker.url,
      'r',
      Array.from({ length: 500 }, (_, i) => `m${i}`),
    );
    const statuses: SubscriptionStatus['type'][] = [];
    const sub = client.subscribe('r', { from: 'earliest', onStatus: (s) => statuses.push(s.type) });
    const records: EvqRecord[] = [];
    let restarted = false;
    const timer = setTimeout(() => void sub.close(), 20_000);
    for await (const record of sub) {
      records.push(record);
      if (records.length === 300 && !restarted) {
        restarted = true;
        await broker.close();
        broker = await startTestBroker({ dataDir, port, fsync: 'never' });
        await postBatch(
          broker.url,
          'r',
          Array.from({ length: 500 }, (_, i) => `m${500 + i}`),
        );
      }
      if (records.length === 1000) break;
    }
    clearTimeout(timer);
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(records.map((r) => r.value.toString())).toEqual(Array.from({ length: 1000 }, (_, i) => `m${i}`));
    expect(statuses).toContain('disconnected');
    expect(statuses).toContain('reconnected');
    expect((sub as EvqSubscription).stats().reconnects).toBe(1);
  });

  it('a slow consumer stays bounded: the socket is paused, the broker falls back to its log, nothing is lost', async () => {
    const { broker, client } = await setup({ subscriberSoftLimitBytes: 256 * 1024 });
    const sub = client.subscribe('slow', { from: 'earliest', highWaterMark: 100 }) as EvqSubscription;
    await sub.ready;
    const value = 'x'.repeat(1000);
    const total = 30_000; // 30 MB, far more than the queue and the broker's soft limit
    const producing = client.produce(
      'slow',
      (function* () {
        for (let i = 0; i < total; i++) yield { value: `${i} ${value}` };
      })(),
      { batchSize: 100 },
    );
    let seen = 0;
    let ordered = true;
    for await (const record of sub) {
      if (record.offset !== seen || !record.value.toString().startsWith(`${seen} `)) ordered = false;
      seen++;
      if (seen < 3000 && seen % 50 === 0) await new Promise((r) => setTimeout(r, 5)); // slow at first
      if (seen === total) break;
    }
    expect((await producing).acknowledged).toBe(total);
    expect(ordered).toBe(true);
    expect(seen).toBe(total);
    const stats = sub.stats();
    expect(stats.maxQueued).toBeGreaterThanOrEqual(100); // the high-water mark was reached: the socket was paused
    expect(stats.pauses).toBeGreaterThanOrEqual(1);
    // the broker saw the backpressure: it stopped pushing live data and caught the subscriber up from its log
    const metrics = await (await fetch(`${broker.url}/metrics`)).text();
    const catchUps = /evq_slow_subscriber_events_total\{topic="slow",action="catch-up"\} (\d+)/.exec(metrics);
    expect(Number(catchUps?.[1] ?? 0)).toBeGreaterThanOrEqual(1);
    await sub.close();
    await waitFor(() => broker.stats().subscriptions === 0, { timeoutMs: 5000, what: 'the broker to drop the closed subscription' });
  });

  it('ends with EVQ_ERR_SLOW_CONSUMER when the broker drops it (memory topic), saying how to resume', async () => {
    const { client } = await setup({ memory: true, subscriberSoftLimitBytes: 64 * 1024 });
    const sub = client.subscribe('mem', { highWaterMark: 10 });
    await sub.ready;
    const value = 'y'.repeat(2000);
    await client.produce(
      'mem',
      Array.from({ length: 5000 }, (_, i) => ({ value: `${i} ${value}` })),
      { batchSize: 50 },
    );
    let seen = 0;
    let lastOffset = -1;
    const error = await (async () => {
      for await (const record of sub) {
        seen++;
        lastOffset = record.offset;
      }
      return null;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvqError);
    expect((error as EvqError).code).toBe('EVQ_ERR_SLOW_CONSUMER');
    expect((error as EvqError).message).toContain(`after offset ${lastOffset}`);
    expect((error as EvqError).message).toContain(`--from ${lastOffset + 1}`);
    expect(seen).toBeLessThan(5000);
    expect(await sub.closed).toBe(error);
  });

  it('close(), signal and await using end the iteration; closed resolves with null', async () => {
    const { client } = await setup();
    const sub = client.subscribe('c', { from: 'earliest' });
    await sub.ready;
    const iterating = (async () => {
      const seen: EvqRecord[] = [];
      for await (const r of sub) seen.push(r);
      return seen;
    })();
    await sub.close();
    expect(await iterating).toEqual([]);
    expect(await sub.closed).toBeNull();

    const controller = new AbortController();
    const aborted = client.subscribe('c', { signal: controller.signal });
    controller.abort();
    expect(await aborted.closed).toBeNull();

    let disposed: Subscription | undefined;
    {
      await using scoped = client.subscribe('c');
      disposed = scoped;
      await scoped.ready;
    }
    expect(await disposed.closed).toBeNull();
  });

  it("ends with the broker's reason when the topic is deleted", async () => {
    const { client } = await setup();
    await client.produce('doomed', [{ value: 'a' }]);
    const sub = client.subscribe('doomed', { from: 'earliest' });
    expect((await take(sub, 1)).length).toBe(1);
    const again = client.subscribe('doomed');
    await again.ready;
    await client.deleteTopic('doomed');
    expect(await again.closed).toMatchObject({ code: 'EVQ_ERR_NOT_FOUND' });
    await expect(take(again, 1)).rejects.toMatchObject({ code: 'EVQ_ERR_NOT_FOUND' });
  });

  it('a bad filter fails the subscription with EVQ_ERR_INVALID_FILTER', async () => {
    const { client } = await setup();
    const sub = client.subscribe('bad', { filter: 'value.amount >' });
    await expect(sub.ready).rejects.toMatchObject({ code: 'EVQ_ERR_INVALID_FILTER' });
    await expect(take(sub, 1)).rejects.toMatchObject({ code: 'EVQ_ERR_INVALID_FILTER' });
    expect(await sub.closed).toMatchObject({ code: 'EVQ_ERR_INVALID_FILTER' });
  });

  it('refuses a bad topic name and a bad position at once, as usage errors', async () => {
    const { client } = await setup();
    expect(() => client.subscribe('no spaces')).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_TOPIC' }));
    expect(() => client.subscribe('t', { from: -1 })).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_OFFSET' }));
    expect(() => client.subscribe('t', { from: { last: 1.5 } })).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_OFFSET' }));
  });
});
