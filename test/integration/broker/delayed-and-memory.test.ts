import { readdir, rm } from 'node:fs/promises';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { getJson, makeTempDir, postBatch, postMessage, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait.js';
import { WsTestClient } from '../../helpers/ws-client.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

describe('delayed delivery', () => {
  it('holds a delayed message until it is due, then appends it with its produce time in a header', async () => {
    broker = await startTestBroker();
    const before = Date.now();
    const { status, json } = await postMessage(broker.url, 'later', 'wake up', { 'evq-delay': '400ms', 'evq-key': 'k' });
    expect(status).toBe(202);
    expect(json).toMatchObject({ delayed: true, count: 1 });
    expect(json.dueAt).toBeGreaterThanOrEqual(before + 400);
    expect((await readAll(broker.url, 'later')).records).toEqual([]);
    expect(broker.stats().delayedPending).toBe(1);
    const { records } = await readAll(broker.url, 'later', '?from=0&wait=5s');
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record.value).toBe('wake up');
    expect(record.key).toBe('k');
    expect(record.timestamp).toBeGreaterThanOrEqual(json.dueAt);
    expect(Number(record.headers['evq-produced-at'])).toBeGreaterThanOrEqual(before);
    expect(Number(record.headers['evq-produced-at'])).toBeLessThan(json.dueAt);
    // the journal marks it done right after the append that readers already see
    await waitFor(() => broker?.stats().delayedPending === 0, { timeoutMs: 5000, what: 'the delay queue to mark the message done' });
  });

  it('delivers a delayed batch whole, at a given time, and refuses a bad time', async () => {
    broker = await startTestBroker();
    const at = new Date(Date.now() + 300).toISOString();
    const { status } = await postBatch(broker.url, 'at', ['a', 'b', 'c'], { 'evq-at': at });
    expect(status).toBe(202);
    const { records } = await readAll(broker.url, 'at', '?from=0&wait=5s');
    expect(records.map((r) => r.value)).toEqual(['a', 'b', 'c']);
    expect(records[0].timestamp).toBeGreaterThanOrEqual(Date.parse(at));
    expect((await postMessage(broker.url, 'at', 'x', { 'evq-at': 'tomorrow-ish' })).status).toBe(400);
    expect((await postMessage(broker.url, 'at', 'x', { 'evq-delay': '5 minutes' })).status).toBe(400);
    expect((await postMessage(broker.url, 'at', 'x', { 'evq-delay': '1s', 'evq-at': at })).status).toBe(400);
  });

  it('survives a clean restart while pending', async () => {
    const dataDir = await makeTempDir();
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    broker = await startTestBroker({ dataDir });
    await postMessage(broker.url, 'persist', 'still here', { 'evq-delay': '600ms' });
    await broker.close();
    broker = await startTestBroker({ dataDir });
    expect(broker.stats().delayedPending).toBe(1);
    const { records } = await readAll(broker.url, 'persist', '?from=0&wait=5s');
    expect(records.map((r) => r.value)).toEqual(['still here']);
    await broker.close();
    broker = await startTestBroker({ dataDir });
    expect(broker.stats().delayedPending).toBe(0);
    expect((await readAll(broker.url, 'persist')).records).toHaveLength(1);
  });
});

describe('delayed delivery with an idempotency key', () => {
  it('schedules a repeated request once, also after a restart', async () => {
    const dataDir = await makeTempDir();
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    broker = await startTestBroker({ dataDir });
    const headers = { 'evq-delay': '700ms', 'evq-idempotency-key': 'remind-1' };
    const first = await postMessage(broker.url, 'once', 'ping', headers);
    const again = await postMessage(broker.url, 'once', 'ping', headers);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.json.dueAt).toBe(first.json.dueAt);
    await broker.close();
    broker = await startTestBroker({ dataDir });
    expect((await postMessage(broker.url, 'once', 'ping', headers)).json.dueAt).toBe(first.json.dueAt);
    expect(broker.stats().delayedPending).toBe(1);
    const { records } = await readAll(broker.url, 'once', '?from=0&wait=5s');
    expect(records.map((r) => r.value)).toEqual(['ping']);
  });
});

describe('--memory', () => {
  it('keeps topics in memory only: nothing is written under the data dir', async () => {
    broker = await startTestBroker({ memory: true });
    await postBatch(broker.url, 'mem', ['a', 'b']);
    expect((await readAll(broker.url, 'mem')).records.map((r) => r.value)).toEqual(['a', 'b']);
    expect(await readdir(broker.dataDir)).toEqual([]);
  });

  it('bounds a topic by retention, oldest first', async () => {
    broker = await startTestBroker({ memory: true, retentionBytes: 64 * 1024 });
    for (let i = 0; i < 20; i++)
      await postBatch(
        broker.url,
        'ring',
        Array.from({ length: 10 }, () => 'x'.repeat(1000)),
      );
    const info = (await getJson(`${broker.url}/topics`)).topics[0];
    expect(info.endOffset).toBe(200);
    expect(info.startOffset).toBeGreaterThan(0);
    expect(info.sizeBytes).toBeLessThanOrEqual(64 * 1024 + 11 * 1024);
    const { records } = await readAll(broker.url, 'ring', '?from=earliest&limit=1');
    expect(records[0].offset).toBe(info.startOffset);
  });
});

describe('subscriptions come and go on one connection', () => {
  it('unsubscribes one subscription while another goes on, and ends those of a deleted topic', async () => {
    broker = await startTestBroker();
    const client = await WsTestClient.connect(broker.url);
    try {
      client.subscribe(1, 'a');
      client.subscribe(2, 'a');
      client.subscribe(3, 'gone');
      await client.until(() => client.controls.length === 3);
      client.send({ op: 'unsubscribe', sub: 1 });
      await client.until(() => client.controls.some((c) => c.op === 'unsubscribed'));
      await postBatch(broker.url, 'a', ['x']);
      await client.until(() => client.received(2).length === 1);
      expect(client.received(1)).toEqual([]);
      await postMessage(broker.url, 'gone', 'y');
      await client.until(() => client.received(3).length === 1);
      expect((await fetch(`${broker.url}/topics/gone`, { method: 'DELETE' })).status).toBe(200);
      await client.until(() => client.controls.some((c) => c.op === 'closed'));
      expect(client.controls.find((c) => c.op === 'closed')).toMatchObject({ sub: 3, code: 'EVQ_ERR_NOT_FOUND' });
      expect(broker.stats().subscriptions).toBe(1);
    } finally {
      await client.close();
    }
  });
});
