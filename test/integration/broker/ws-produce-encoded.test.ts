// Binary produce frames without delay, idempotency key or gzip are stored as the bytes that arrived (the
// fast path); the others are decoded. Both must refuse the same batches with the same errors.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../src/protocol/batch-encode.js';
import { encodeProduceFrame } from '../../../src/protocol/ws-frames.js';
import { readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { WsTestClient } from '../../helpers/ws-client.js';
import type { MessageInput } from '../../../src/protocol/record.js';

let broker: TestBroker | undefined;
const clients: WsTestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await broker?.close();
  broker = undefined;
});

async function connect(): Promise<WsTestClient> {
  const client = await WsTestClient.connect((broker as TestBroker).url);
  clients.push(client);
  return client;
}

function batchOf(messages: MessageInput[]): Buffer {
  return encodeBatch(
    0,
    messages.map((m) => ({ ...m, timestamp: m.timestamp ?? 0 })),
  );
}

/** Sends `batch` as a produce frame and waits for its answer. */
async function produce(
  client: WsTestClient,
  req: number,
  topic: string,
  batch: Buffer,
  idempotencyKey: string | null = null,
): Promise<any> {
  client.ws.send(encodeProduceFrame({ req, topic, gzip: false, dueAt: 0, idempotencyKey }, batch));
  await client.until(() => client.controls.some((c) => c.req === req), 10_000, `the answer to ${req}`);
  return client.controls.find((c) => c.req === req);
}

describe('binary produce: the encoded fast path and the decode path', () => {
  it('refuse the same batches with the same code and message, and append nothing of them', async () => {
    broker = await startTestBroker({ maxMessageBytes: 100 });
    const client = await connect();
    const headers: Record<string, string> = {};
    for (let i = 0; i < 65; i++) headers[`h${i}`] = 'v';
    const badKey = batchOf([{ value: 'a' }, { value: 'b', key: 'kk' }]);
    badKey[badKey.lastIndexOf('kk')] = 0xff;
    const badAfterLarge = batchOf([{ value: 'x'.repeat(101) }, { value: 'b', key: 'kk' }]);
    badAfterLarge[badAfterLarge.lastIndexOf('kk')] = 0xc0;
    const cases: [string, string, Buffer, string][] = [
      ['value', 't1', batchOf([{ value: 'ok' }, { value: 'x'.repeat(101) }]), 'EVQ_ERR_MESSAGE_TOO_LARGE'],
      ['key', 't2', batchOf([{ value: 'a', key: 'k'.repeat(16 * 1024 + 1) }]), 'EVQ_ERR_MESSAGE_TOO_LARGE'],
      ['header count', 't3', batchOf([{ value: 'a', headers }]), 'EVQ_ERR_MESSAGE_TOO_LARGE'],
      ['header bytes', 't4', batchOf([{ value: 'a', headers: { h: 'v'.repeat(16 * 1024) } }]), 'EVQ_ERR_MESSAGE_TOO_LARGE'],
      ['count', 't5', batchOf(Array.from({ length: 1001 }, () => ({ value: 'a' }))), 'EVQ_ERR_BATCH_TOO_LARGE'],
      ['malformed', 't6', badKey, 'EVQ_ERR_MALFORMED'],
      ['malformed after too large', 't7', badAfterLarge, 'EVQ_ERR_MALFORMED'],
      ['cut short', 't8', batchOf([{ value: 'abc' }]).subarray(0, 50), 'EVQ_ERR_MALFORMED'],
      ['bad topic', '../x', batchOf([{ value: 'a' }]), 'EVQ_ERR_INVALID_TOPIC'],
      ['bad topic and too large', '../x', batchOf([{ value: 'x'.repeat(101) }]), 'EVQ_ERR_INVALID_TOPIC'],
      ['bad topic and malformed', '../x', badKey, 'EVQ_ERR_MALFORMED'],
    ];
    let req = 0;
    for (const [what, topic, batch, code] of cases) {
      const fast = await produce(client, ++req, topic, Buffer.from(batch));
      const decoded = await produce(client, ++req, topic, Buffer.from(batch), `key-${req}`);
      expect(fast, what).toMatchObject({ op: 'error', code });
      expect({ code: fast.code, message: fast.message }, what).toEqual({ code: decoded.code, message: decoded.message });
    }
    for (let i = 1; i <= 8; i++) expect((await readAll(broker.url, `t${i}`)).records).toEqual([]);
    // the connection still works
    expect(await produce(client, ++req, 't1', batchOf([{ value: 'fine' }]))).toMatchObject({ op: 'ack', baseOffset: 0, lastOffset: 0 });
  });

  it('stores the batch as it arrived, stamped on arrival, and delivers those bytes to subscribers', async () => {
    broker = await startTestBroker();
    const producer = await connect();
    const subscriber = await connect();
    subscriber.subscribe(1, 'fast');
    await subscriber.until(() => subscriber.controls.some((c) => c.op === 'subscribed'));
    const before = Date.now();
    const first = batchOf([
      { value: 'a', key: 'k', headers: { type: 'x' } },
      { value: 'b', timestamp: 42 },
    ]);
    expect(await produce(producer, 1, 'fast', first)).toMatchObject({ op: 'ack', baseOffset: 0, lastOffset: 1 });
    // the same producer mixes the decode path (idempotency key) and the fast path: offsets follow the order
    producer.ws.send(
      encodeProduceFrame({ req: 2, topic: 'fast', gzip: false, dueAt: 0, idempotencyKey: 'once' }, batchOf([{ value: 'c' }])),
    );
    producer.ws.send(
      encodeProduceFrame({ req: 3, topic: 'fast', gzip: false, dueAt: 0, idempotencyKey: null }, batchOf([{ value: 'd' }, { value: 'e' }])),
    );
    await producer.until(() => producer.controls.filter((c) => c.op === 'ack').length === 3);
    // answered as they complete (in any order); numbered in the order they were sent
    const acks = producer.controls.filter((c) => c.op === 'ack').sort((a, b) => a.req - b.req);
    expect(acks.map((c) => [c.req, c.baseOffset, c.lastOffset])).toEqual([
      [1, 0, 1],
      [2, 2, 2],
      [3, 3, 4],
    ]);
    await subscriber.until(() => subscriber.received(1).length === 5);
    expect(subscriber.received(1).map((r) => [r.offset, r.value, r.key])).toEqual([
      [0, 'a', 'k'],
      [1, 'b', null],
      [2, 'c', null],
      [3, 'd', null],
      [4, 'e', null],
    ]);
    const { records } = await readAll(broker.url, 'fast');
    expect(records.map((r) => r.value)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(records[0].headers).toEqual({ type: 'x' });
    expect(records[1].timestamp).toBe(42);
    for (const i of [0, 2, 3, 4]) {
      expect(records[i].timestamp).toBeGreaterThanOrEqual(before);
      expect(records[i].timestamp).toBeLessThanOrEqual(Date.now());
    }
    const metrics = await (await fetch(`${broker.url}/metrics`)).text();
    expect(metrics).toMatch(/evq_messages_in_total\{topic="fast"\} 5/);
    expect(metrics).toMatch(/evq_bytes_in_total\{topic="fast"\} 5/);
  });
});
