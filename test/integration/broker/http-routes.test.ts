import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getJson, jsonOf, postBatch, postMessage, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait.js';

let broker: TestBroker;
beforeEach(async () => {
  broker = await startTestBroker();
});
afterEach(async () => {
  await broker.close();
});

describe('HTTP produce and read', () => {
  it('produces one message with key and headers and reads it back', async () => {
    const produced = await postMessage(broker.url, 'orders', '{"amount": 120}', { 'evq-key': 'c-7', 'evq-header-type': 'deposit' });
    expect(produced.status).toBe(201);
    expect(produced.json).toMatchObject({ topic: 'orders', offset: 0, lastOffset: 0 });
    const { records, next } = await readAll(broker.url, 'orders');
    expect(records).toEqual([
      {
        topic: 'orders',
        partition: 0,
        offset: 0,
        timestamp: expect.any(Number),
        key: 'c-7',
        headers: { type: 'deposit' },
        value: '{"amount": 120}',
      },
    ]);
    expect(next).toBe(1);
  });

  it('appends an NDJSON batch whole, with consecutive offsets', async () => {
    await postMessage(broker.url, 't', 'first');
    const { status, json } = await postBatch(broker.url, 't', ['a', 'b', 'c']);
    expect(status).toBe(201);
    expect(json).toMatchObject({ baseOffset: 1, lastOffset: 3, count: 3 });
    const { records } = await readAll(broker.url, 't', '?from=1&limit=10');
    expect(records.map((r) => [r.offset, r.value])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
  });

  it('serves the classic tutorial routes', async () => {
    // curl -d sends a form type: the seed route takes it from clients that send no Origin
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const res = await fetch(`${broker.url}/produce/legacy`, { method: 'POST', body: 'hello', headers: form });
    expect(res.status).toBe(201);
    await fetch(`${broker.url}/produce/legacy`, { method: 'POST', body: 'world', headers: form });
    const body = await (await fetch(`${broker.url}/consume/legacy`)).text();
    expect(
      body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).value),
    ).toEqual(['hello', 'world']);
  });

  it('reads with from, limit, a filter and next offsets', async () => {
    const values = Array.from({ length: 20 }, (_, i) => JSON.stringify({ n: i, kind: i % 2 === 0 ? 'even' : 'odd' }));
    await postBatch(broker.url, 'nums', values);
    const page = await readAll(broker.url, 'nums', '?from=5&limit=3');
    expect(page.records.map((r) => r.offset)).toEqual([5, 6, 7]);
    expect(page.next).toBe(8);
    const filtered = await readAll(broker.url, 'nums', `?filter=${encodeURIComponent('value.kind == "odd" && value.n > 10')}`);
    expect(filtered.records.map((r) => JSON.parse(r.value).n)).toEqual([11, 13, 15, 17, 19]);
    // what a scan looked at, matched or not: every record and its value bytes
    const scan = await fetch(`${broker.url}/topics/nums/messages?filter=${encodeURIComponent('value.n == 3')}`);
    expect(scan.headers.get('evq-scanned')).toBe('20');
    expect(scan.headers.get('evq-scanned-bytes')).toBe(String(values.reduce((sum, v) => sum + Buffer.byteLength(v), 0)));
    await scan.text();
    // a read that asks to look at fewer stops there and says where to go on
    const step = await fetch(`${broker.url}/topics/nums/messages?scan=8&filter=${encodeURIComponent('value.n > 5')}`);
    expect(step.headers.get('evq-scanned')).toBe('8');
    expect(step.headers.get('evq-next-offset')).toBe('8');
    expect((await step.text()).trim().split('\n')).toHaveLength(2);
    expect((await fetch(`${broker.url}/topics/nums/messages?scan=0`)).status).toBe(400);
    const latest = await readAll(broker.url, 'nums', '?from=latest');
    expect(latest.records).toEqual([]);
    expect(latest.next).toBe(20);
  });

  it('long-polls until a record arrives', async () => {
    expect((await fetch(`${broker.url}/topics/later`, { method: 'PUT' })).status).toBe(201); // a missing topic is 404
    let answered = false;
    const pending = readAll(broker.url, 'later', '?from=0&wait=10s').finally(() => (answered = true));
    // the read is held by the broker, unanswered, before anything is produced…
    await waitFor(() => broker.stats().longPolls === 1, { what: 'the read to wait in a long poll on the broker' });
    expect(answered).toBe(false);
    await postMessage(broker.url, 'later', 'arrived');
    // …and answered with the record produced while it waited, not at the end of its 10 s
    const { records } = await pending;
    expect(records.map((r) => r.value)).toEqual(['arrived']);
    expect(broker.stats().longPolls).toBe(0);
  });

  it('deduplicates a repeated idempotency key', async () => {
    const first = await postBatch(broker.url, 'idem', ['x', 'y'], { 'evq-idempotency-key': 'order-1' });
    const again = await postBatch(broker.url, 'idem', ['x', 'y'], { 'evq-idempotency-key': 'order-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ baseOffset: 0, lastOffset: 1, duplicate: true });
    expect((await readAll(broker.url, 'idem')).records).toHaveLength(2);
  });

  it('lists topics with counts and offsets, describes and deletes one', async () => {
    await postBatch(broker.url, 'a', ['1', '2']);
    await postMessage(broker.url, 'b', 'x');
    const list = await await getJson(`${broker.url}/topics`);
    expect(list.topics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ topic: 'a', startOffset: 0, endOffset: 2, messageCount: 2, subscribers: 0 }),
        expect.objectContaining({ topic: 'b', endOffset: 1, messageCount: 1 }),
      ]),
    );
    expect((await fetch(`${broker.url}/topics/a`)).status).toBe(200);
    expect((await fetch(`${broker.url}/topics/a`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${broker.url}/topics/a`)).status).toBe(404);
  });

  it('answers /healthz and /metrics', async () => {
    await postMessage(broker.url, 'm', 'x');
    expect(await await getJson(`${broker.url}/healthz`)).toEqual({ status: 'ok' });
    const metrics = await (await fetch(`${broker.url}/metrics`)).text();
    expect(metrics).toMatch(/^evq_messages_in_total\{topic="m"\} 1$/m);
    expect(metrics).toMatch(/# TYPE evq_fsync_seconds summary/);
  });
});

describe('consumer groups over HTTP', () => {
  it('reads from the committed offset and commits with autocommit', async () => {
    await postBatch(broker.url, 'g', ['a', 'b', 'c', 'd']);
    const first = await fetch(`${broker.url}/topics/g/groups/billing/messages?limit=2&autocommit=true`);
    expect(
      (await first.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).value),
    ).toEqual(['a', 'b']);
    expect(first.headers.get('evq-committed-offset')).toBe('2');
    const second = await fetch(`${broker.url}/topics/g/groups/billing/messages?limit=10&autocommit=true`);
    expect(
      (await second.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).value),
    ).toEqual(['c', 'd']);
    const state = await await getJson(`${broker.url}/topics/g/groups/billing`);
    expect(state).toMatchObject({ committed: 4, lag: 0 });
    await postMessage(broker.url, 'g', 'e');
    expect((await await getJson(`${broker.url}/groups`)).groups).toEqual([
      { topic: 'g', group: 'billing', committed: 4, endOffset: 5, lag: 1, missed: 0, members: 0, updatedAt: expect.any(Number) },
    ]);
  });

  it('commits explicitly and never moves backwards without reset', async () => {
    await postBatch(broker.url, 'g2', ['a', 'b', 'c']);
    const commit = (body: unknown) =>
      fetch(`${broker.url}/topics/g2/groups/x/commit`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    expect((await jsonOf(await commit({ offset: 2 }))).committed).toBe(2);
    expect((await jsonOf(await commit({ offset: 1 }))).committed).toBe(2);
    expect((await jsonOf(await commit({ offset: 1, reset: true }))).committed).toBe(1);
    expect((await commit({ offset: 99 })).status).toBe(400);
    expect((await commit({ offset: -1 })).status).toBe(400);
  });
});

describe('bad input gets a clear 4xx and writes nothing (test group 6)', () => {
  async function expectNothingAppended(topic: string): Promise<void> {
    const list = await await getJson(`${broker.url}/topics`);
    const info = list.topics.find((t: { topic: string }) => t.topic === topic);
    expect(info?.messageCount ?? 0).toBe(0);
  }

  it('refuses an oversized message with 413', async () => {
    const { status, json } = await postMessage(broker.url, 'big', Buffer.alloc(1024 * 1024 + 1, 'x'));
    expect(status).toBe(413);
    expect(json.error.code).toBe('EVQ_ERR_MESSAGE_TOO_LARGE');
    await expectNothingAppended('big');
  });

  it('refuses an oversized batch (bytes and count) with 413, whole', async () => {
    const tooMany = await postBatch(
      broker.url,
      'big',
      Array.from({ length: 1001 }, () => 'x'),
    );
    expect(tooMany.status).toBe(413);
    expect(tooMany.json.error.code).toBe('EVQ_ERR_BATCH_TOO_LARGE');
    const huge = Array.from({ length: 10 }, () => 'y'.repeat(1024 * 1024 - 100));
    const tooBig = await postBatch(broker.url, 'big', huge);
    expect(tooBig.status).toBe(413);
    const oneTooLarge = await postBatch(broker.url, 'big', ['ok', 'z'.repeat(1024 * 1024 + 1)]);
    expect(oneTooLarge.status).toBe(413);
    expect(oneTooLarge.json.error.code).toBe('EVQ_ERR_MESSAGE_TOO_LARGE');
    await expectNothingAppended('big');
  });

  it('refuses malformed NDJSON naming the line, appending nothing', async () => {
    const res = await fetch(`${broker.url}/topics/nd/batch`, {
      method: 'POST',
      body: '{"value":"ok"}\n{"value": nope}\n',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(res.status).toBe(400);
    const json = await jsonOf(res);
    expect(json.error.code).toBe('EVQ_ERR_MALFORMED');
    expect(json.error.message).toMatch(/line 2/);
    const noValue = await fetch(`${broker.url}/topics/nd/batch`, {
      method: 'POST',
      body: '{"key":"k"}',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(noValue.status).toBe(400);
    await expectNothingAppended('nd');
  });

  it.each(['!!!', '@@@@', 'A', 'AAE', 'AA=A', 'AB==', 'AA AA', 'AA-_'])(
    'refuses the valueBase64 %j (not RFC 4648 base64) with 400 naming the line, appending nothing',
    async (b64) => {
      const body = `{"valueBase64":"AAEC"}\n${JSON.stringify({ valueBase64: b64 })}\n`;
      const res = await fetch(`${broker.url}/topics/b64/batch`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-ndjson' },
      });
      expect(res.status).toBe(400);
      const json = await jsonOf(res);
      expect(json.error.code).toBe('EVQ_ERR_MALFORMED');
      expect(json.error.message).toMatch(/line 2: "valueBase64" is not valid base64/);
      await expectNothingAppended('b64');
    },
  );

  it('stores strict base64 as its bytes', async () => {
    const body = ['', 'AA==', 'AAE=', 'AAEC', '/+8='].map((b) => JSON.stringify({ valueBase64: b })).join('\n');
    expect(
      (await fetch(`${broker.url}/topics/b64ok/batch`, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson' } }))
        .status,
    ).toBe(201);
    const { records } = await readAll(broker.url, 'b64ok', '?from=0');
    const bytes = records.map((r) => (r.valueBase64 !== undefined ? Buffer.from(r.valueBase64, 'base64') : Buffer.from(r.value, 'utf8')));
    expect(bytes.map((b) => [...b])).toEqual([[], [0], [0, 1], [0, 1, 2], [0xff, 0xef]]);
  });

  it.each([
    ['..%2Fx', 'a path'],
    ['a%00b', 'NUL'],
    ['x'.repeat(10_000), '10,000 characters'],
    ['..', 'dot-dot'],
    ['a%2Fb', 'a slash'],
    ['caf%C3%A9', 'non-ASCII'],
  ])('refuses the topic name %s (%s) and creates nothing', async (name) => {
    const res = await fetch(`${broker.url}/topics/${name}/messages`, { method: 'POST', body: 'x' });
    expect([400, 404, 414, 431]).toContain(res.status);
    if (res.status === 400) expect((await jsonOf(res)).error.code).toMatch(/EVQ_ERR_INVALID_TOPIC|EVQ_ERR_MALFORMED/);
    const entries = await readdir(broker.dataDir, { recursive: true });
    expect(entries.filter((e) => e.includes('..') || e.includes('\0'))).toEqual([]);
    expect((await await getJson(`${broker.url}/topics`)).topics).toEqual([]);
  });

  it.each(['-1', '1e309', '9007199254740993', '1.5', 'abc', '0x10', ''])('refuses the offset %j with 400', async (from) => {
    await postMessage(broker.url, 'off', 'x');
    const { status, body } = await readAll(broker.url, 'off', `?from=${encodeURIComponent(from)}`);
    expect(status).toBe(400);
    expect(JSON.parse(body).error.code).toBe('EVQ_ERR_INVALID_OFFSET');
  });

  it('reads of a topic that does not exist are 404 EVQ_ERR_NOT_FOUND (plain, long poll and group reads)', async () => {
    for (const path of ['/topics/nope/messages', '/consume/nope', '/topics/nope/messages?wait=50ms', '/topics/nope/groups/g/messages']) {
      const res = await fetch(`${broker.url}${path}`);
      expect(res.status, path).toBe(404);
      const json = await jsonOf(res);
      expect(json.error.code).toBe('EVQ_ERR_NOT_FOUND');
      expect(json.error.message).toBe('topic "nope" does not exist');
      expect(json.error.details, path).toEqual({ reason: 'missing' }); // what a program branches on, not the words
    }
    // a 404 that is not about a topic has no reason
    await postBatch(broker.url, 'here', ['a']);
    const group = await fetch(`${broker.url}/topics/here/groups/nobody`);
    expect(group.status).toBe(404);
    expect((await jsonOf(group)).error).toEqual({ code: 'EVQ_ERR_NOT_FOUND', message: 'group "nobody" has no committed offset on "here"' });
    expect((await getJson(`${broker.url}/topics`)).topics.map((t: { topic: string }) => t.topic)).toEqual(['here']); // a read creates nothing
  });

  it('a long poll of a topic that is deleted meanwhile ends with 404, and reads tell the end offset', async () => {
    await postBatch(broker.url, 'gone', ['a', 'b']);
    const read = await fetch(`${broker.url}/topics/gone/messages?from=0&limit=5`);
    expect(read.headers.get('evq-end-offset')).toBe('2');
    // without the deletion this poll would wait 30 s (past the test's timeout) for a record
    const polling = fetch(`${broker.url}/topics/gone/messages?from=2&wait=30s`);
    expect((await fetch(`${broker.url}/topics/gone`, { method: 'DELETE' })).status).toBe(200);
    const res = await polling;
    expect(res.status).toBe(404);
    // "was deleted" when the poll was waiting, "does not exist" when the delete came first
    const { error } = await jsonOf(res);
    expect(error.message).toMatch(/^topic "gone" (was deleted|does not exist)$/);
    expect(error.details).toEqual({ reason: error.message.endsWith('was deleted') ? 'deleted' : 'missing' });
  });

  it('refuses a bad filter with 400 naming the column', async () => {
    await postMessage(broker.url, 'f', 'x');
    const { status, body } = await readAll(broker.url, 'f', `?filter=${encodeURIComponent('value.amount > ')}`);
    expect(status).toBe(400);
    const error = JSON.parse(body).error;
    expect(error.code).toBe('EVQ_ERR_INVALID_FILTER');
    expect(error.message).toMatch(/column \d+/);
    const hostile = await readAll(broker.url, 'f', `?filter=${encodeURIComponent('value.constructor.constructor("x")')}`);
    expect(hostile.status).toBe(400);
  });

  it('answers unknown routes with 404 and wrong methods with 405', async () => {
    expect((await fetch(`${broker.url}/nope`)).status).toBe(404);
    const res = await fetch(`${broker.url}/topics`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });
});
