import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../src/protocol/batch-encode.js';
import { encodeProduceFrame } from '../../../src/protocol/ws-frames.js';
import { jsonOf, postBatch, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait.js';
import { WsTestClient } from '../../helpers/ws-client.js';

let broker: TestBroker | undefined;
const clients: WsTestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await broker?.close();
  broker = undefined;
});

async function connect(options: Parameters<typeof WsTestClient.connect>[1] = {}): Promise<WsTestClient> {
  const client = await WsTestClient.connect((broker as TestBroker).url, options);
  clients.push(client);
  return client;
}

describe('WebSocket subscriptions', () => {
  it('replays from earliest and switches to live with no gap and no duplicate', async () => {
    broker = await startTestBroker();
    await postBatch(
      broker.url,
      't',
      Array.from({ length: 500 }, (_, i) => `m${i}`),
    );
    const client = await connect();
    client.subscribe(1, 't', { from: 'earliest' });
    // produce while the replay is running
    const more = (async () => {
      for (let i = 0; i < 10; i++)
        await postBatch(
          broker!.url,
          't',
          Array.from({ length: 50 }, (_, j) => `m${500 + i * 50 + j}`),
        );
    })();
    await more;
    await client.until(() => client.received(1).length >= 1000, 10_000, '1000 records');
    expect(client.received(1).map((r) => r.offset)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(client.received(1).map((r) => r.value)).toEqual(Array.from({ length: 1000 }, (_, i) => `m${i}`));
    expect(client.controls[0]).toEqual({ op: 'subscribed', sub: 1, topic: 't', offset: 0 });
  });

  it('subscribes from latest and from an offset', async () => {
    broker = await startTestBroker();
    await postBatch(broker.url, 't', ['a', 'b', 'c']);
    const client = await connect();
    client.subscribe(1, 't');
    client.subscribe(2, 't', { from: 1 });
    await client.until(() => client.controls.length === 2);
    await postBatch(broker.url, 't', ['d']);
    await client.until(() => client.received(1).length === 1 && client.received(2).length === 3);
    expect(client.received(1).map((r) => r.value)).toEqual(['d']);
    expect(client.received(2).map((r) => r.value)).toEqual(['b', 'c', 'd']);
  });

  it('gives plain clients one JSON record per text frame, and the tutorial route works', async () => {
    broker = await startTestBroker();
    const plain = await connect({ binary: false });
    plain.subscribe(1, 'p', { from: 'earliest' });
    const tutorial = await connect({ binary: false, path: '/subscribe/p' });
    await plain.until(() => plain.controls.length === 1);
    // the tutorial route sends no `subscribed` reply: the broker's count says when it is live
    await waitFor(() => broker?.stats().subscriptions === 2, { what: 'both subscriptions counted by the broker' });
    await postBatch(broker.url, 'p', ['{"x":1}', 'two']);
    await plain.until(() => plain.received(-1).length === 2);
    await tutorial.until(() => tutorial.received(-1).length === 2);
    expect(plain.received(-1)).toEqual([
      { partition: 0, offset: 0, value: '{"x":1}', key: null, headers: null },
      { partition: 0, offset: 1, value: 'two', key: null, headers: null },
    ]);
    expect(tutorial.received(-1).map((r) => r.value)).toEqual(['{"x":1}', 'two']);
  });

  it('produces over the binary fast path with acks carrying offsets, in order', async () => {
    broker = await startTestBroker();
    const client = await connect();
    for (let req = 1; req <= 20; req++) {
      const batch = encodeBatch(
        0,
        Array.from({ length: 100 }, (_, i) => ({ value: `r${req}-${i}`, timestamp: 0 })),
      );
      client.ws.send(encodeProduceFrame({ req, topic: 'fast', gzip: false, dueAt: 0, idempotencyKey: null }, batch));
    }
    await client.until(() => client.controls.filter((c) => c.op === 'ack').length === 20);
    const acks = client.controls.filter((c) => c.op === 'ack').sort((a, b) => a.req - b.req);
    expect(acks.map((a) => [a.baseOffset, a.lastOffset])).toEqual(Array.from({ length: 20 }, (_, i) => [i * 100, i * 100 + 99]));
    const { records } = await readAll(broker.url, 'fast', '?from=1999&limit=1');
    expect(records[0].value).toBe('r20-99');
  });

  it('refuses an oversized message inside a produce frame, appending nothing', async () => {
    broker = await startTestBroker();
    const client = await connect();
    const batch = encodeBatch(0, [
      { value: 'ok', timestamp: 0 },
      { value: Buffer.alloc(1024 * 1024 + 1), timestamp: 0 },
    ]);
    client.ws.send(encodeProduceFrame({ req: 1, topic: 'big', gzip: false, dueAt: 0, idempotencyKey: null }, batch));
    await client.until(() => client.controls.some((c) => c.op === 'error'));
    expect(client.controls.find((c) => c.op === 'error')).toMatchObject({ req: 1, code: 'EVQ_ERR_MESSAGE_TOO_LARGE' });
    expect((await readAll(broker.url, 'big')).records).toEqual([]);
  });

  it('closes with 1009 on a frame past maxPayload', async () => {
    broker = await startTestBroker();
    const client = await connect();
    client.ws.send(Buffer.alloc(9 * 1024 * 1024));
    await client.until(() => client.closeCode !== null);
    expect(client.closeCode).toBe(1009);
  });

  it('answers malformed frames with an error frame and keeps the connection', async () => {
    broker = await startTestBroker();
    const client = await connect();
    client.ws.send('not json');
    client.send({ op: 'dance' });
    client.ws.send(Buffer.from([0x01, 0, 0]));
    client.subscribe(1, '../x');
    client.subscribe(2, 't', { filter: 'value >' });
    client.subscribe(3, 't', { from: -1 });
    await client.until(() => client.controls.length >= 6);
    expect(client.controls.map((c) => c.code)).toEqual([
      'EVQ_ERR_MALFORMED',
      'EVQ_ERR_MALFORMED',
      'EVQ_ERR_MALFORMED',
      'EVQ_ERR_INVALID_TOPIC',
      'EVQ_ERR_INVALID_FILTER',
      'EVQ_ERR_INVALID_OFFSET',
    ]);
    client.subscribe(4, 't');
    await client.until(() => client.controls.some((c) => c.op === 'subscribed'));
  });
});

describe('50 subscribers with different filters (test group 8)', () => {
  it('each receives exactly its matching messages in order, and nothing is held after they leave', async () => {
    broker = await startTestBroker();
    const subscribers: WsTestClient[] = [];
    for (let s = 0; s < 50; s++) {
      const client = await connect({ binary: s % 5 !== 0 });
      // subscriber s wants the messages whose n modulo 50 equals s, or, for a few, a header test
      const filter = s % 10 === 9 ? `headers.bucket == "${s % 7}"` : `value.bucket == ${s} && exists(value.n)`;
      client.subscribe(s, 'events', { from: 'earliest', filter });
      subscribers.push(client);
    }
    await Promise.all(subscribers.map((c) => c.until(() => c.controls.length === 1)));
    const total = 5000;
    for (let start = 0; start < total; start += 500) {
      const body = Array.from({ length: 500 }, (_, i) => {
        const n = start + i;
        return JSON.stringify({ value: JSON.stringify({ n, bucket: n % 50 }), headers: { bucket: String(n % 7) } });
      }).join('\n');
      const res = await fetch(`${broker.url}/topics/events/batch`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-ndjson' },
      });
      expect(res.status).toBe(201);
    }
    for (let s = 0; s < 50; s++) {
      const client = subscribers[s] as WsTestClient;
      const expected: number[] = [];
      for (let n = 0; n < total; n++) {
        if (s % 10 === 9 ? n % 7 === s % 7 : n % 50 === s) expected.push(n);
      }
      const key = s % 5 === 0 ? -1 : s;
      await client.until(() => client.received(key).length >= expected.length, 15_000, `subscriber ${s}`);
      expect(
        client.received(key).map((r) => JSON.parse(r.value).n),
        `subscriber ${s}`,
      ).toEqual(expected);
      expect(client.received(key).map((r) => r.offset)).toEqual(expected);
    }
    expect(broker.stats().subscriptions).toBe(50);
    await Promise.all(subscribers.map((c) => c.close()));
    await waitFor(() => broker?.stats().connections === 0, { timeoutMs: 5000, what: 'the broker to drop the 50 connections' });
    expect(broker.stats()).toMatchObject({ connections: 0, subscriptions: 0, feeds: 0 });
  });
});

describe('token (test group 9)', () => {
  it('refuses HTTP and WebSocket without the right token, and serves with it', async () => {
    broker = await startTestBroker({ token: 's3cret' });
    expect((await fetch(`${broker.url}/topics`)).status).toBe(401);
    expect((await fetch(`${broker.url}/topics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const post = await fetch(`${broker.url}/topics/t/messages`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(401);
    expect((await jsonOf(post)).error.code).toBe('EVQ_ERR_UNAUTHORIZED');
    expect((await fetch(`${broker.url}/healthz`)).status).toBe(401);
    const ok = await fetch(`${broker.url}/topics`, { headers: { authorization: 'Bearer s3cret' } });
    expect(ok.status).toBe(200);
    expect((await jsonOf(ok)).topics).toEqual([]);

    for (const headers of [{}, { authorization: 'Bearer nope' }]) {
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(broker!.url.replace('http', 'ws') + '/ws', { headers });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => undefined);
      });
      expect(status).toBe(401);
    }
    const client = await connect({ headers: { authorization: 'Bearer s3cret' } });
    client.subscribe(1, 't');
    await client.until(() => client.controls.length === 1);
    expect(client.controls[0].op).toBe('subscribed');
  });

  it('refuses to start on a non-loopback address without a token', async () => {
    await expect(startTestBroker({ host: '0.0.0.0' })).rejects.toThrow(/without a token/);
  });
});
