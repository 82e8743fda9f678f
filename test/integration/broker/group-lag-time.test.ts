/**
 * GET /groups/{group} tells the lag in time too: per partition, when the oldest record the group has not
 * read was stamped (`oldestUnreadAt`); null once the group has read everything. The lookup is not counted
 * as a delivery.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTopic, getJson, startTestBroker, type TestBroker } from '../../helpers/broker.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

async function produceStamped(url: string, topic: string, partition: number, stamps: number[]): Promise<void> {
  const body = stamps.map((timestamp, i) => JSON.stringify({ value: `v${i}`, timestamp })).join('\n');
  const res = await fetch(`${url}/topics/${topic}/batch?partition=${partition}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-ndjson' },
  });
  expect(res.status, await res.text()).toBe(201);
}

async function commit(url: string, topic: string, group: string, partition: number, offset: number): Promise<void> {
  const res = await fetch(`${url}/topics/${topic}/groups/${group}/commit`, {
    method: 'POST',
    body: JSON.stringify({ offset, partition }),
    headers: { 'content-type': 'application/json' },
  });
  expect(res.status, await res.text()).toBe(200);
}

describe('GET /groups/{group}: oldestUnreadAt', () => {
  it('is the timestamp of the record at the committed offset, per partition; null where nothing is unread', async () => {
    broker = await startTestBroker({ memory: true });
    const { url } = broker;
    await createTopic(url, 'orders', 3);
    const t0 = Date.UTC(2026, 0, 1);
    await produceStamped(url, 'orders', 0, [t0, t0 + 1000, t0 + 2000, t0 + 3000]);
    await produceStamped(url, 'orders', 1, [t0 + 500, t0 + 600]);
    await commit(url, 'orders', 'billing', 0, 2);
    await commit(url, 'orders', 'billing', 1, 2);
    const outBefore = (await getJson(`${url}/info`)).counters.messagesOut;

    const described = await getJson(`${url}/groups/billing`);
    expect(described.partitions.map((p: any) => [p.partition, p.committed, p.lag, p.oldestUnreadAt])).toEqual([
      [0, 2, 2, t0 + 2000],
      [1, 2, 0, null],
      [2, null, 0, null],
    ]);
    expect((await getJson(`${url}/info`)).counters.messagesOut).toBe(outBefore);

    // a partition without a commit counts from its log's start
    await produceStamped(url, 'orders', 2, [t0 + 42]);
    const again = await getJson(`${url}/groups/billing`);
    expect(again.partitions[2]).toMatchObject({ committed: null, lag: 1, oldestUnreadAt: t0 + 42 });
  });
});
