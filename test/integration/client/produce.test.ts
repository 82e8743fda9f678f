import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../../src/client/connect.js';
import { EvqProduceError } from '../../../src/client/errors.js';
import type { EvqClient, MessageAck, MessageRejection, ProduceMessage } from '../../../src/client/types.js';
import { readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
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

async function setup(): Promise<{ broker: TestBroker; client: EvqClient }> {
  broker = await startTestBroker({ fsync: 'never' });
  client = await connect(broker.url);
  return { broker, client };
}

/** Every record of a topic, read back over plain HTTP (not the client under test). */
async function readTopic(url: string, topic: string): Promise<any[]> {
  const records: any[] = [];
  let from = 0;
  for (;;) {
    const page = await readAll(url, topic, `?from=${from}&limit=10000`);
    if (page.records.length === 0) return records;
    records.push(...page.records);
    from = page.next as number;
  }
}

async function* lines(n: number, prefix = 'line'): AsyncGenerator<ProduceMessage> {
  for (let i = 0; i < n; i++) yield { value: `${prefix} ${i}` };
}

describe('produce', () => {
  it('produces 100,000 messages from an async generator: acks in input order, consecutive offsets, content exact', async () => {
    const { broker, client } = await setup();
    const acks: MessageAck[] = [];
    const result = await client.produce('big', lines(100_000), { onAck: (ack) => acks.push(ack) });
    expect(result.acknowledged).toBe(100_000);
    expect(result.rejected).toBe(0);
    expect(result.firstOffset).toBe(0);
    expect(result.lastOffset).toBe(99_999);
    expect(result.wireBytes).toBeGreaterThan(100_000 * 10);
    expect(acks).toHaveLength(100_000);
    for (let i = 0; i < acks.length; i++) {
      if (acks[i]!.index !== i || acks[i]!.offset !== i || acks[i]!.delayed) throw new Error(`ack ${i} is ${JSON.stringify(acks[i])}`);
    }
    const records = await readTopic(broker.url, 'big');
    expect(records).toHaveLength(100_000);
    for (let i = 0; i < records.length; i++) {
      if (records[i].offset !== i || records[i].value !== `line ${i}`) throw new Error(`record ${i} is ${JSON.stringify(records[i])}`);
    }
  });

  it('keeps keys, headers and binary values', async () => {
    const { broker, client } = await setup();
    const messages: ProduceMessage[] = [
      { value: 'plain' },
      { value: Buffer.from([0, 1, 2, 255]), key: 'k1' },
      { value: '{"amount":5}', key: 'k2', headers: { type: 'deposit', 'x-trace': 'abc' } },
    ];
    const result = await client.produce('kv', messages);
    expect(result).toMatchObject({ acknowledged: 3, firstOffset: 0, lastOffset: 2 });
    const records = await readTopic(broker.url, 'kv');
    expect(records.map((r) => [r.key, r.headers, r.value ?? r.valueBase64])).toEqual([
      [null, null, 'plain'],
      ['k1', null, Buffer.from([0, 1, 2, 255]).toString('base64')],
      ['k2', { type: 'deposit', 'x-trace': 'abc' }, '{"amount":5}'],
    ]);
  });

  it('gzips batches on the wire; the broker inflates them', async () => {
    const { broker, client } = await setup();
    const values = Array.from({ length: 5000 }, (_, i) => ({ value: `{"n":${i},"padding":"${'x'.repeat(200)}"}` }));
    const plain = await client.produce('gz-plain', values);
    const gzipped = await client.produce('gz', values, { compression: 'gzip' });
    expect(gzipped.acknowledged).toBe(5000);
    expect(gzipped.wireBytes).toBeLessThan(plain.wireBytes / 5);
    const records = await readTopic(broker.url, 'gz');
    expect(records.map((r) => r.value)).toEqual(values.map((v) => v.value));
  });

  it('never has more than maxInFlight batches awaiting acks', async () => {
    const { broker, client } = await setup();
    const result = await client.produce('window', lines(20_000), { batchSize: 10, lingerMs: 0, maxInFlight: 3 });
    expect(result.acknowledged).toBe(20_000);
    expect(result.batches).toBe(2000);
    expect(result.maxInFlight).toBeLessThanOrEqual(3);
    expect(result.maxInFlight).toBeGreaterThanOrEqual(1);
    expect((await readTopic(broker.url, 'window')).length).toBe(20_000);
  });

  it('reads a stream with backpressure: the input is pulled no further ahead than the window allows', async () => {
    const { client } = await setup();
    let pulled = 0;
    let acked = 0;
    let maxAhead = 0;
    async function* source(): AsyncGenerator<ProduceMessage> {
      for (let i = 0; i < 30_000; i++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - acked);
        yield { value: `m${i}` };
      }
    }
    const result = await client.produce('bp', source(), { batchSize: 100, maxInFlight: 2, onAck: () => acked++ });
    expect(result.acknowledged).toBe(30_000);
    // at most maxInFlight batches in flight + 2 waiting + the open one (see Batcher), and the one being read
    expect(maxAhead).toBeLessThanOrEqual(100 * (2 + 2 + 1) + 1);
  });

  it('with onReject, one oversized message in the middle is reported and the others are acknowledged', async () => {
    const { broker, client } = await setup();
    const messages: ProduceMessage[] = Array.from({ length: 21 }, (_, i) => ({ value: `m${i}` }));
    messages[10] = { value: Buffer.alloc(2 * 1024 * 1024, 1) };
    const rejections: MessageRejection[] = [];
    const acks: MessageAck[] = [];
    const events: string[] = [];
    const result = await client.produce('rej', messages, {
      onAck: (ack) => {
        acks.push(ack);
        events.push(`ack ${ack.index}`);
      },
      onReject: (r) => {
        rejections.push(r);
        events.push(`reject ${r.index}`);
      },
    });
    expect(result).toMatchObject({ acknowledged: 20, rejected: 1, firstOffset: 0, lastOffset: 19 });
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({ index: 10, code: 'EVQ_ERR_MESSAGE_TOO_LARGE' });
    expect(rejections[0]!.reason).toMatch(/larger than the client's own limit/);
    expect(rejections[0]!.message).toBe(messages[10]);
    expect(events).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `ack ${i}`),
      'reject 10',
      ...Array.from({ length: 10 }, (_, i) => `ack ${i + 11}`),
    ]);
    const records = await readTopic(broker.url, 'rej');
    expect(records.map((r) => r.value)).toEqual(messages.filter((_, i) => i !== 10).map((m) => m.value));
  });

  it('with onReject, a batch the broker refuses is split so that only the bad message is rejected', async () => {
    // the broker allows less than the client checks for: the client only learns it from the broker
    broker = await startTestBroker({ fsync: 'never', maxMessageBytes: 1000 });
    client = await connect(broker.url);
    const messages: ProduceMessage[] = Array.from({ length: 9 }, (_, i) => ({ value: i === 4 ? 'x'.repeat(5000) : `m${i}` }));
    const rejections: MessageRejection[] = [];
    const result = await client.produce('split', messages, { onReject: (r) => rejections.push(r) });
    expect(result).toMatchObject({ acknowledged: 8, rejected: 1 });
    expect(rejections.map((r) => [r.index, r.code])).toEqual([[4, 'EVQ_ERR_MESSAGE_TOO_LARGE']]);
    const records = await readTopic(broker.url, 'split');
    expect(records.map((r) => r.value).sort()).toEqual(
      messages
        .filter((_, i) => i !== 4)
        .map((m) => m.value)
        .sort(),
    );
  });

  it('without onReject, an oversized message fails the produce and says how many were acknowledged before it', async () => {
    const { broker, client } = await setup();
    const messages: ProduceMessage[] = Array.from({ length: 3000 }, (_, i) => ({ value: `m${i}` }));
    messages[2500] = { value: Buffer.alloc(2 * 1024 * 1024) };
    const error = await client.produce('fail', messages, { batchSize: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvqProduceError);
    const produceError = error as EvqProduceError;
    expect(produceError.code).toBe('EVQ_ERR_MESSAGE_TOO_LARGE');
    expect(produceError.result.acknowledged).toBe(2500);
    expect(produceError.firstUnacknowledged).toBe(2500);
    expect(produceError.message).toMatch(/message 2,?501 of the input was not sent/);
    expect(produceError.message).toMatch(/2,500 messages were acknowledged/);
    expect((await readTopic(broker.url, 'fail')).length).toBe(2500);
  });

  it('produces delayed messages: acks say delayed, the messages appear when due', async () => {
    const { broker, client } = await setup();
    const acks: MessageAck[] = [];
    const result = await client.produce('later', [{ value: 'a' }, { value: 'b' }], { delayMs: 300, onAck: (a) => acks.push(a) });
    expect(result).toMatchObject({ acknowledged: 2, delayed: 2, firstOffset: null, lastOffset: null });
    expect(acks).toEqual([
      { index: 0, partition: 0, offset: -1, delayed: true },
      { index: 1, partition: 0, offset: -1, delayed: true },
    ]);
    expect((await readTopic(broker.url, 'later')).length).toBe(0);
    let records: any[] = [];
    await waitFor(async () => (records = await readTopic(broker.url, 'later')).length >= 2, {
      everyMs: 100,
      what: 'the two delayed messages to be due',
    });
    expect(records.map((r) => r.value)).toEqual(['a', 'b']);
  });

  it('aborts: what was acknowledged stays acknowledged, the error says how many', async () => {
    const { broker, client } = await setup();
    const controller = new AbortController();
    let acked = 0;
    async function* endless(): AsyncGenerator<ProduceMessage> {
      for (let i = 0; ; i++) {
        if (i === 5000) controller.abort();
        yield { value: `m${i}` };
        if (i % 100 === 0) await new Promise((r) => setImmediate(r));
      }
    }
    const error = (await client
      .produce('abort', endless(), { signal: controller.signal, onAck: () => acked++ })
      .catch((e: unknown) => e)) as EvqProduceError;
    expect(error).toBeInstanceOf(EvqProduceError);
    expect(error.code).toBe('EVQ_ERR_CLOSED');
    expect(error.message).toMatch(/aborted/);
    expect(error.result.acknowledged).toBe(acked);
    expect((await readTopic(broker.url, 'abort')).length).toBe(acked);
  });

  it('two idempotent produces of a stream are both stored: each has its own producer id in its keys', async () => {
    const { broker, client } = await setup();
    const first = await client.produce('twice', lines(30, 'a'), { idempotent: true, batchSize: 10 });
    const second = await client.produce('twice', lines(30, 'b'), { idempotent: true, batchSize: 10 });
    expect([first.acknowledged, second.acknowledged]).toEqual([30, 30]);
    expect(second.firstOffset).toBe(30);
    const records = await readTopic(broker.url, 'twice');
    expect(records.map((r) => r.value)).toEqual([
      ...Array.from({ length: 30 }, (_, i) => `a ${i}`),
      ...Array.from({ length: 30 }, (_, i) => `b ${i}`),
    ]);
  });

  it('retries idempotent batches after a broker restart on the same data dir: no duplicate, no loss', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'evq-client-'));
    dirs.push(dataDir);
    broker = await startTestBroker({ dataDir, fsync: 'never' });
    const port = broker.port;
    client = await connect(broker.url);
    const total = 60_000;
    let restarted: Promise<void> | undefined;
    const acks: MessageAck[] = [];
    async function* source(): AsyncGenerator<ProduceMessage> {
      for (let i = 0; i < total; i++) {
        if (i === 20_000) {
          // restart the broker while batches are in flight (same data dir, same port)
          restarted = (async () => {
            await broker!.close();
            broker = await startTestBroker({ dataDir, port, fsync: 'never' });
          })();
        }
        if (i % 500 === 0) await new Promise((r) => setImmediate(r));
        yield { value: `m${i}` };
      }
    }
    const result = await client.produce('idem', source(), { idempotent: true, batchSize: 200, retries: 10, onAck: (a) => acks.push(a) });
    await restarted;
    expect(result.acknowledged).toBe(total);
    expect(acks.map((a) => a.index)).toEqual(Array.from({ length: total }, (_, i) => i));
    const records = await readTopic(broker!.url, 'idem');
    const values = records.map((r) => r.value);
    expect(new Set(values).size).toBe(values.length); // no duplicate
    expect(values.length).toBe(total); // no loss
    expect(values).toEqual(Array.from({ length: total }, (_, i) => `m${i}`)); // in order
    expect(acks.map((a) => a.offset)).toEqual(records.map((r) => r.offset));
  });

  it('without idempotency, a lost connection fails the produce and says how many were acknowledged', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'evq-client-'));
    dirs.push(dataDir);
    broker = await startTestBroker({ dataDir, fsync: 'never' });
    client = await connect(broker.url);
    let acked = 0;
    async function* source(): AsyncGenerator<ProduceMessage> {
      for (let i = 0; i < 1_000_000; i++) {
        if (i === 20_000) void broker!.close();
        if (i % 500 === 0) await new Promise((r) => setImmediate(r));
        yield { value: `m${i}` };
      }
    }
    const error = (await client
      .produce('lost', source(), { batchSize: 200, onAck: () => acked++ })
      .catch((e: unknown) => e)) as EvqProduceError;
    expect(error).toBeInstanceOf(EvqProduceError);
    expect(['EVQ_ERR_CLOSED', 'EVQ_ERR_UNREACHABLE']).toContain(error.code);
    expect(error.result.acknowledged).toBe(acked);
    expect(error.message).toContain(`${acked.toLocaleString('en-US')} messages were acknowledged`);
    expect(error.firstUnacknowledged).toBe(acked);
  });

  it('a short list of messages goes over plain HTTP: it is produced through a proxy that passes no WebSocket', async () => {
    const { broker } = await setup();
    const proxy = await httpOnlyProxy(broker.url);
    try {
      const viaProxy = await connect(proxy.url);
      try {
        const acks: MessageAck[] = [];
        const messages: ProduceMessage[] = [
          { value: 'one', key: 'k' },
          { value: Buffer.from([0, 255]), headers: { type: 'bin' } },
          { value: 'three' },
        ];
        const result = await viaProxy.produce('plain', messages, { batchSize: 2, onAck: (ack) => acks.push(ack) });
        expect(result).toMatchObject({ acknowledged: 3, firstOffset: 0, lastOffset: 2, batches: 2 });
        expect(acks.map((a) => [a.index, a.offset])).toEqual([
          [0, 0],
          [1, 1],
          [2, 2],
        ]);
        // a stream takes the WebSocket, which this proxy does not pass
        await expect(viaProxy.produce('plain', lines(3))).rejects.toThrow();
      } finally {
        await viaProxy.close();
      }
      const records = await readTopic(broker.url, 'plain');
      expect(records.map((r) => [r.key, r.headers, r.value ?? r.valueBase64])).toEqual([
        ['k', null, 'one'],
        [null, { type: 'bin' }, Buffer.from([0, 255]).toString('base64')],
        [null, null, 'three'],
      ]);
    } finally {
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  });
});

/** A reverse proxy to `target` for plain HTTP requests; a WebSocket upgrade gets no answer but a closed socket. */
async function httpOnlyProxy(target: string): Promise<{ url: string; server: Server }> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const upstream = request({ hostname: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    upstream.once('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (_req, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
