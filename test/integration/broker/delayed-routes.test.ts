import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { jsonOf, makeTempDir, postBatch, postMessage, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { expectQuietFor } from '../../helpers/wait.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

const list = async (query = '', init?: RequestInit): Promise<any> => jsonOf(await fetch(`${broker?.url}/delayed${query}`, init));

describe('GET /delayed', () => {
  it('lists what waits in due order, with topic, key, headers, value, due and produce time, and narrows by topic and filter', async () => {
    broker = await startTestBroker();
    const before = Date.now();
    const late = await postMessage(broker.url, 'reminders', '{"who":"ann","n":2}', {
      'evq-delay': '1h',
      'evq-key': 'k1',
      'evq-header-type': 'call',
    });
    const early = await postMessage(broker.url, 'reminders', '{"who":"bob","n":1}', { 'evq-delay': '30m' });
    await postMessage(broker.url, 'other', 'plain text', { 'evq-delay': '45m' });
    expect(late.status).toBe(202);

    const all = await list();
    expect(all.waiting).toBe(3);
    expect(all.next).toBeNull();
    expect(all.delayed.map((d: any) => d.value)).toEqual(['{"who":"bob","n":1}', 'plain text', '{"who":"ann","n":2}']);
    const ann = all.delayed[2];
    expect(ann).toMatchObject({ topic: 'reminders', key: 'k1', dueAt: late.json.dueAt });
    expect(ann.headers.type).toBe('call');
    expect(ann.producedAt).toBeGreaterThanOrEqual(before);
    expect(typeof ann.id).toBe('string');
    expect(all.delayed[0].dueAt).toBe(early.json.dueAt);

    expect((await list('?topic=other')).delayed.map((d: any) => d.value)).toEqual(['plain text']);
    const filtered = await list(`?filter=${encodeURIComponent('value.n > 1')}`);
    expect(filtered.delayed.map((d: any) => d.key)).toEqual(['k1']);
    expect(filtered.scanned).toBe(3);
    const bad = await fetch(`${broker.url}/delayed?filter=${encodeURIComponent('value.n >')}`);
    expect(bad.status).toBe(400);
    expect((await jsonOf(bad)).error.message).toMatch(/column/);
  });

  it('pages with limit and after, each message of a batch on its own', async () => {
    broker = await startTestBroker();
    await postBatch(broker.url, 'b', ['a', 'b', 'c', 'd', 'e'], { 'evq-delay': '1h' });
    const seen: string[] = [];
    let after = '';
    for (let page = 0; page < 10; page++) {
      const reply = await list(`?limit=2${after === '' ? '' : `&after=${encodeURIComponent(after)}`}`);
      seen.push(...reply.delayed.map((d: any) => d.value));
      if (reply.next === null) break;
      after = reply.next;
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect((await fetch(`${broker.url}/delayed?limit=0`)).status).toBe(400);
    expect((await fetch(`${broker.url}/delayed?limit=5000`)).status).toBe(400);
    expect((await fetch(`${broker.url}/delayed?after=nonsense`)).status).toBe(400);
  });

  it('counts due times in a histogram, with the filter applied', async () => {
    broker = await startTestBroker();
    await postMessage(broker.url, 'h', '1', { 'evq-delay': '10m' });
    await postMessage(broker.url, 'h', '2', { 'evq-delay': '20m' });
    await postMessage(broker.url, 'h', '3', { 'evq-delay': '60m' });
    const h = await list('/histogram?buckets=5');
    expect(h.counts).toHaveLength(5);
    expect(h.counts.reduce((a: number, b: number) => a + b, 0)).toBe(3);
    expect(h.counts[4]).toBe(1);
    expect(h.matched).toBe(3);
    expect(h.complete).toBe(true);
    const narrowed = await list(`/histogram?buckets=5&filter=${encodeURIComponent('value >= 2')}`);
    expect(narrowed.matched).toBe(2);
  });
});

describe('DELETE /delayed/{id} and POST /delayed/{id}/deliver', () => {
  it('cancels one message of a batch: the rest is delivered when due, the cancelled one never, also after a restart', async () => {
    const dataDir = await makeTempDir();
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    broker = await startTestBroker({ dataDir });
    await postBatch(broker.url, 'c', ['keep', 'drop'], { 'evq-delay': '1500ms' });
    await postMessage(broker.url, 'c', 'alone', { 'evq-delay': '1500ms' });
    const { delayed } = await list();
    const drop = delayed.find((d: any) => d.value === 'drop');
    const alone = delayed.find((d: any) => d.value === 'alone');
    const res = await fetch(`${broker.url}/delayed/${encodeURIComponent(drop.id)}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await jsonOf(res)).toEqual({ id: drop.id, cancelled: true });
    expect((await fetch(`${broker.url}/delayed/${encodeURIComponent(alone.id)}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${broker.url}/delayed/${encodeURIComponent(drop.id)}`, { method: 'DELETE' })).status).toBe(404);
    expect((await list()).delayed.map((d: any) => d.value)).toEqual(['keep']);
    await broker.close();
    broker = await startTestBroker({ dataDir });
    expect((await list()).delayed.map((d: any) => d.value)).toEqual(['keep']);
    const { records } = await readAll(broker.url, 'c', '?from=0&wait=5s');
    expect(records.map((r) => r.value)).toEqual(['keep']);
    // nothing else arrives after the due time has passed
    const url = broker.url;
    await expectQuietFor(400, 'no cancelled message to arrive', async () => (await readAll(url, 'c')).records.length !== 1, {
      everyMs: 50,
    });
  });

  it('delivers one now: it is in the topic at once and no longer waits', async () => {
    broker = await startTestBroker();
    await postMessage(broker.url, 'now', 'hurry', { 'evq-delay': '1h', 'evq-key': 'k' });
    const [waiting] = (await list()).delayed;
    const res = await fetch(`${broker.url}/delayed/${encodeURIComponent(waiting.id)}/deliver`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await jsonOf(res)).toMatchObject({ id: waiting.id, delivered: true, topic: 'now', partition: 0, offset: 0 });
    const { records } = await readAll(broker.url, 'now');
    expect(records.map((r) => [r.key, r.value])).toEqual([['k', 'hurry']]);
    expect((await list()).waiting).toBe(0);
    expect((await fetch(`${broker.url}/delayed/${encodeURIComponent(waiting.id)}/deliver`, { method: 'POST' })).status).toBe(404);
  });

  it('needs the token, and refuses the console under --ui-read-only', async () => {
    broker = await startTestBroker({ token: 's3cret', uiReadOnly: true });
    const auth = { authorization: 'Bearer s3cret' };
    await postMessage(broker.url, 't', 'x', { 'evq-delay': '1h', ...auth });
    expect((await fetch(`${broker.url}/delayed`)).status).toBe(401);
    expect((await fetch(`${broker.url}/delayed/histogram`)).status).toBe(401);
    const [waiting] = (await list('', { headers: auth })).delayed;
    const url = `${broker.url}/delayed/${encodeURIComponent(waiting.id)}`;
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(401);
    const fromConsole = await fetch(url, { method: 'DELETE', headers: { ...auth, 'evq-console': '1' } });
    expect(fromConsole.status).toBe(403);
    expect((await jsonOf(fromConsole)).error.code).toBe('EVQ_ERR_READ_ONLY');
    expect((await fetch(`${url}/deliver`, { method: 'POST', headers: { ...auth, 'evq-console': '1' } })).status).toBe(403);
    expect((await list('', { headers: { ...auth, 'evq-console': '1' } })).waiting).toBe(1);
    expect((await fetch(url, { method: 'DELETE', headers: auth })).status).toBe(200);
  });
});
