/**
 * The kafka:// transport (src/client/kafka/, on kafkajs) against evq serve's own Kafka listener: produce with
 * keys, headers, compression and acks, placed where evq's murmur2 places the same key over http://; subscribe
 * and consume without a group (no group is created); consume as a group, committing what was taken and ending
 * at lag 0; topics create/alter/delete; a broker that is not there and one that never answers.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../../src/client/connect.js';
import type { EvqClient, EvqRecord } from '../../../src/client/types.js';
import { partitionForKey } from '../../../src/core/partitioner.js';
import { getJson, startTestBroker, type TestBroker } from '../../helpers/broker.js';

let broker: TestBroker;
let kafkaUrl: string;
const clients: EvqClient[] = [];

beforeAll(async () => {
  broker = await startTestBroker({ memory: true, kafkaPort: 0 });
  kafkaUrl = broker.kafkaUrl as string;
});
afterAll(async () => {
  await broker?.close();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function client(): Promise<EvqClient> {
  const c = await connect(kafkaUrl, { timeoutMs: 5000 });
  clients.push(c);
  return c;
}

async function collect(iterable: AsyncIterable<EvqRecord>): Promise<EvqRecord[]> {
  const out: EvqRecord[] = [];
  for await (const r of iterable) out.push(r);
  return out;
}

describe('kafka:// produce', () => {
  it('places each key where evq serve places it over http://, with headers and timestamps kept', async () => {
    const kafka = await client();
    const http = await connect(broker.url, { timeoutMs: 5000 });
    clients.push(http);
    expect(await kafka.createTopic('placed', { partitions: 4 })).toBe(true);
    await http.createTopic('placed-http', { partitions: 4 });
    const messages = Array.from({ length: 40 }, (_, i) => ({
      key: `customer-${i % 9}`,
      value: `v${i}`,
      headers: { trace: `t${i}` },
      timestamp: 1_700_000_000_000 + i,
    }));
    const acks: { index: number; partition: number; offset: number }[] = [];
    const result = await kafka.produce('placed', messages, { onAck: (a) => acks.push(a), compression: 'lz4' });
    expect(result.acknowledged).toBe(40);
    const httpAcks: { index: number; partition: number }[] = [];
    await http.produce('placed-http', messages, { onAck: (a) => httpAcks.push(a) });
    for (const ack of acks) {
      const key = messages[ack.index]!.key;
      expect(ack.partition).toBe(partitionForKey(key, 4));
      expect(ack.partition).toBe(httpAcks[ack.index]!.partition);
    }
    // the offsets told are the records' own
    const records = await collect(kafka.consume('placed'));
    expect(records).toHaveLength(40);
    for (const ack of acks) {
      const r = records.find((x) => x.partition === ack.partition && x.offset === ack.offset)!;
      expect(r.value.toString()).toBe(messages[ack.index]!.value);
      expect(r.key).toBe(messages[ack.index]!.key);
      expect(r.headers).toEqual({ trace: `t${ack.index}` });
      expect(r.timestamp).toBe(messages[ack.index]!.timestamp);
    }
  });

  for (const compression of ['gzip', 'snappy', 'none'] as const) {
    for (const acks of ['all', 1, 0] as const) {
      it(`compression ${compression}, acks ${acks}: every message is stored once`, async () => {
        const kafka = await client();
        const topic = `codec-${compression}-${acks}`;
        const values = Array.from({ length: 50 }, (_, i) => ({ value: `${compression}-${i}`, key: 'k' }));
        const result = await kafka.produce(topic, values, { compression, acks, batchSize: 7 });
        expect(result.acknowledged).toBe(50);
        const deadline = Date.now() + 10_000;
        let records: EvqRecord[] = [];
        while (records.length < 50 && Date.now() < deadline) records = await collect(kafka.consume(topic));
        expect(records.map((r) => r.value.toString())).toEqual(values.map((v) => v.value));
      });
    }
  }

  it('refuses zstd (evq has no zstd encoder), acks 1 with idempotent, and acks over http://', async () => {
    const kafka = await client();
    await expect(kafka.produce('z', [{ value: 'x' }], { compression: 'zstd' })).rejects.toThrow(/zstd compression cannot be produced/);
    await expect(kafka.produce('z', [{ value: 'x' }], { idempotent: true, acks: 1 })).rejects.toThrow(
      /idempotent producer waits for acks all/,
    );
    const http = await connect(broker.url, { timeoutMs: 5000 });
    clients.push(http);
    await expect(http.produce('z', [{ value: 'x' }], { acks: 1 })).rejects.toThrow(/acks 1 is for kafka:\/\//);
    await expect(http.produce('z', [{ value: 'x' }], { compression: 'lz4' })).rejects.toThrow(/kafka:\/\//);
  });

  it('idempotent produce is stored once, in order', async () => {
    const kafka = await client();
    const values = Array.from({ length: 300 }, (_, i) => ({ value: `i${i}` }));
    const result = await kafka.produce('idem', values, { idempotent: true, batchSize: 50, partition: 0 });
    expect(result.acknowledged).toBe(300);
    expect(result.partitions).toEqual([{ partition: 0, count: 300, firstOffset: 0, lastOffset: 299 }]);
  });
});

describe('kafka:// reads', () => {
  it('subscribe from earliest and by time reads every partition, the filter in the client, and creates no group', async () => {
    const kafka = await client();
    await kafka.createTopic('sub', { partitions: 3 });
    const t0 = Date.now();
    await kafka.produce(
      'sub',
      Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ n: i }), timestamp: t0 + i * 1000 })),
    );
    const sub = kafka.subscribe('sub', { from: 'earliest', filter: 'value.n >= 10' });
    const got: EvqRecord[] = [];
    for await (const r of sub) {
      got.push(r);
      if (got.length === 20) break;
    }
    expect(got.map((r) => JSON.parse(r.value.toString()).n).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 10));
    const byTime = kafka.subscribe('sub', { from: { time: t0 + 25_000 } });
    const late: number[] = [];
    for await (const r of byTime) {
      late.push(JSON.parse(r.value.toString()).n);
      if (late.length === 5) break;
    }
    expect(late.sort((a, b) => a - b)).toEqual([25, 26, 27, 28, 29]);
    const groups = await getJson(`${broker.url}/groups`);
    expect(JSON.stringify(groups)).not.toContain('"sub"');
  });

  it('a live subscription gets what is produced after it started', async () => {
    const kafka = await client();
    await kafka.createTopic('live', { partitions: 2 });
    await kafka.produce('live', [{ value: 'old' }]);
    const sub = kafka.subscribe('live');
    await sub.ready;
    await kafka.produce('live', [
      { value: 'new-1', key: 'a' },
      { value: 'new-2', key: 'b' },
    ]);
    const got: string[] = [];
    for await (const r of sub) {
      got.push(r.value.toString());
      if (got.length === 2) break;
    }
    expect(got.sort()).toEqual(['new-1', 'new-2']);
  });

  it('consume --group commits what was taken: a second run resumes after it and ends at lag 0', async () => {
    const kafka = await client();
    await kafka.createTopic('grp', { partitions: 3 });
    await kafka.produce(
      'grp',
      Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: `g${i}` })),
    );
    const first = await collect(kafka.consume('grp', { group: 'billing', limit: 25, sessionTimeoutMs: 3000 }));
    expect(first).toHaveLength(25);
    const second = await collect(kafka.consume('grp', { group: 'billing', sessionTimeoutMs: 3000 }));
    const all = [...first, ...second].map((r) => r.value.toString());
    expect(new Set(all).size).toBe(60);
    expect(all).toHaveLength(60);
    const third = await collect(kafka.consume('grp', { group: 'billing', sessionTimeoutMs: 3000 }));
    expect(third).toHaveLength(0);
  });

  it('a missing topic is EVQ_ERR_NOT_FOUND for consume', async () => {
    const kafka = await client();
    await expect(collect(kafka.consume('no-such-topic'))).rejects.toMatchObject({ code: 'EVQ_ERR_NOT_FOUND' });
  });
});

describe('kafka:// topics', () => {
  it('creates with partitions and retention, lists, grows, refuses to shrink, deletes', async () => {
    const kafka = await client();
    expect(await kafka.createTopic('adm', { partitions: 2, retentionAgeMs: 3_600_000 })).toBe(true);
    expect(await kafka.createTopic('adm')).toBe(false);
    await expect(kafka.createTopic('adm', { partitions: 5 })).rejects.toMatchObject({ code: 'EVQ_ERR_CONFLICT' });
    expect((await kafka.topics()).find((t) => t.topic === 'adm')?.partitions).toHaveLength(2);
    expect(await kafka.alterTopic('adm', { partitions: 4 })).toEqual({ topic: 'adm', partitions: 4, previous: 2 });
    await expect(kafka.alterTopic('adm', { partitions: 3 })).rejects.toMatchObject({ code: 'EVQ_ERR_INVALID_ARGUMENT' });
    expect((await kafka.describeTopic('adm'))?.partitions).toHaveLength(4);
    await kafka.deleteTopic('adm');
    expect(await kafka.describeTopic('adm')).toBeNull();
    await expect(kafka.deleteTopic('adm')).rejects.toMatchObject({ code: 'EVQ_ERR_NOT_FOUND' });
  });
});

describe('kafka:// groups', () => {
  it('lists a group with its committed offsets and lag per partition, describes it, and resets it (refused while a member reads)', async () => {
    const kafka = await client();
    await kafka.createTopic('grouped', { partitions: 2 });
    await kafka.produce(
      'grouped',
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    );
    expect(await collect(kafka.consume('grouped', { group: 'ledger', limit: 20, sessionTimeoutMs: 3000 }))).toHaveLength(20);
    await kafka.produce('grouped', [{ key: 'k0', value: 'late' }]);
    const [row] = (await kafka.groups()).filter((g) => g.group === 'ledger');
    expect(row).toMatchObject({ group: 'ledger', topic: 'grouped', committed: 20, endOffset: 21, lag: 1, members: 0 });
    expect(row?.partitions?.map((p) => p.partition)).toEqual([0, 1]);
    // the same store seen from evq's HTTP API
    const http = (await getJson(`${broker.url}/groups`)) as { groups: { group: string; lag: number }[] };
    expect(http.groups.find((g) => g.group === 'ledger')?.lag).toBe(1);

    const described = await kafka.describeGroup('ledger');
    expect(described).toMatchObject({ group: 'ledger', state: 'empty', members: [] });
    expect(described.partitions.reduce((n, p) => n + (p.committed ?? 0), 0)).toBe(20);
    await expect(kafka.describeGroup('nobody-here')).rejects.toMatchObject({ code: 'EVQ_ERR_NOT_FOUND' });

    const dry = await kafka.resetGroup('grouped', 'ledger', 'earliest', { dryRun: true });
    expect(dry).toMatchObject({ previous: 20, committed: 0, lag: 21, dryRun: true });
    expect((await kafka.groups()).find((g) => g.group === 'ledger')?.committed).toBe(20);
    const reset = await kafka.resetGroup('grouped', 'ledger', 'earliest');
    expect(reset).toMatchObject({ previous: 20, committed: 0, lag: 21, dryRun: false });
    expect(await collect(kafka.consume('grouped', { group: 'ledger', sessionTimeoutMs: 3000 }))).toHaveLength(21);

    // a member that is reading: the reset is refused, nothing moves
    const reading = kafka.consume('grouped', { group: 'ledger', follow: true, sessionTimeoutMs: 3000 });
    const iterator = reading[Symbol.asyncIterator]();
    const waiting = iterator.next();
    await kafka.produce('grouped', [{ key: 'k1', value: 'wakes the member' }]);
    expect((await waiting).value?.value.toString()).toBe('wakes the member');
    const members = (await kafka.describeGroup('ledger')).members;
    expect(members).toHaveLength(1);
    expect(members[0]?.assignment.map((a) => a.partition).sort()).toEqual([0, 1]);
    await expect(kafka.resetGroup('grouped', 'ledger', 'earliest')).rejects.toMatchObject({ code: 'EVQ_ERR_CONFLICT' });
    await iterator.return?.();
  });
});

describe('kafka:// connection failures', () => {
  let silent: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (silent === undefined ? resolve() : silent.close(() => resolve())));
    silent = undefined;
  });

  it('nothing listening: EVQ_ERR_UNREACHABLE, one line', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await connect(`kafka://127.0.0.1:${port}`, { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EVQ_ERR_UNREACHABLE' });
    expect((error as Error).message).not.toContain('\n');
  });

  it('a server that accepts and never answers: EVQ_ERR_TIMEOUT within the timeout', async () => {
    silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const started = performance.now();
    const error = await connect(`kafka://127.0.0.1:${port}`, { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EVQ_ERR_TIMEOUT' });
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
