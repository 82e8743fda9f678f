/**
 * The NATS JetStream transport (`nats://`) against a real `nats-server -js` started for this file on a free
 * loopback port, with its store in a temp dir. Without nats-server the file fails under CI (`CI` set) and is
 * skipped, with a message, elsewhere.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../../src/client/connect.js';
import type { EvqClient, EvqRecord, MessageAck, Subscription } from '../../../src/client/types.js';
import { EvqError } from '../../../src/errors.js';

const hasNatsServer = spawnSync('nats-server', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasNatsServer && process.env.CI === undefined) {
  console.warn('nats-server is not installed: skipping the NATS JetStream tests (apt-get install -y nats-server)');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, output: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}:\n${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = netConnect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function take(subscription: Subscription, count: number, timeoutMs = 20_000): Promise<EvqRecord[]> {
  const records: EvqRecord[] = [];
  const timer = setTimeout(() => void subscription.close(), timeoutMs);
  for await (const record of subscription) {
    records.push(record);
    if (records.length >= count) break;
  }
  clearTimeout(timer);
  return records;
}

// under CI a missing nats-server is a failure, reported as a failed test (not only a failed hook)
if (!hasNatsServer && process.env.CI !== undefined) {
  describe('nats:// transport under CI', () => {
    it('needs nats-server', () => {
      throw new Error('nats-server is required under CI: apt-get install -y nats-server (.ci/run installs it)');
    });
  });
}

describe.skipIf(!hasNatsServer)('nats:// transport (JetStream)', () => {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  let url = '';
  let client: EvqClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evq-nats-'));
    const port = await freePort();
    let output = '';
    child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
    await waitForPort(port, child, () => output);
    url = `nats://127.0.0.1:${port}`;
    client = await connect(url);
  });

  afterAll(async () => {
    await client?.close();
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('produces 10,000 messages, acknowledged in order, and reads them back exactly from earliest', async () => {
    const n = 10_000;
    const acks: MessageAck[] = [];
    const messages = Array.from({ length: n }, (_, i) => ({ value: `message-${i}` }));
    const result = await client.produce('bulk.topic_1', messages, { onAck: (a) => acks.push(a) });
    expect(result.acknowledged).toBe(n);
    expect(result.firstOffset).toBe(0);
    expect(result.lastOffset).toBe(n - 1);
    expect(acks.map((a) => a.index)).toEqual(messages.map((_, i) => i));
    expect(acks.every((a) => a.offset === a.index && !a.delayed)).toBe(true);

    const sub = client.subscribe('bulk.topic_1', { from: 'earliest' });
    await expect(sub.ready).resolves.toBe(0);
    const records = await take(sub, n);
    expect(records.length).toBe(n);
    records.forEach((r, i) => {
      expect(r.offset).toBe(i);
      expect(r.value.toString('utf8')).toBe(`message-${i}`);
      expect(r.topic).toBe('bulk.topic_1');
    });
    await expect(sub.closed).resolves.toBeNull();
  });

  it('keys, headers and timestamps round trip', async () => {
    await client.produce('kh', [
      { value: 'a', key: 'user-1', headers: { type: 'deposit', 'x-trace': 'abc 123' }, timestamp: 1_700_000_000_000 },
      { value: Buffer.from([0, 1, 2, 255]) },
    ]);
    const [first, second] = await take(client.subscribe('kh', { from: 'earliest' }), 2);
    expect(first?.key).toBe('user-1');
    expect({ ...first?.headers }).toEqual({ type: 'deposit', 'x-trace': 'abc 123' });
    expect(first?.timestamp).toBe(1_700_000_000_000);
    expect(second?.key).toBeNull();
    expect(second?.headers).toBeNull();
    expect([...(second?.value ?? [])]).toEqual([0, 1, 2, 255]);
    expect(second?.timestamp).toBeGreaterThan(1_700_000_000_000);
  });

  it('runs the filter in the client', async () => {
    const messages = Array.from({ length: 100 }, (_, i) => ({ value: JSON.stringify({ amount: i }), headers: { type: i % 2 === 0 ? 'even' : 'odd' } }));
    await client.produce('filtered', messages);
    const records = await take(client.subscribe('filtered', { from: 'earliest', filter: 'value.amount >= 90 && headers.type == "even"' }), 5);
    expect(records.map((r) => r.offset)).toEqual([90, 92, 94, 96, 98]);
  });

  it('starts at { last: N }, at an offset, and at latest', async () => {
    await client.produce('tail', Array.from({ length: 50 }, (_, i) => ({ value: String(i) })));
    const last = await take(client.subscribe('tail', { from: { last: 3 } }), 3);
    expect(last.map((r) => r.value.toString())).toEqual(['47', '48', '49']);
    const fromOffset = await take(client.subscribe('tail', { from: 45 }), 2);
    expect(fromOffset.map((r) => r.offset)).toEqual([45, 46]);

    const live = client.subscribe('tail', { from: 'latest' });
    await expect(live.ready).resolves.toBe(50);
    await client.produce('tail', [{ value: 'new' }]);
    const [record] = await take(live, 1);
    expect(record?.offset).toBe(50);
    expect(record?.value.toString()).toBe('new');
  });

  it('lists topics with message counts and bytes, and deletes them', async () => {
    await client.produce('counted.a', Array.from({ length: 7 }, () => ({ value: 'x'.repeat(100) })));
    const topics = await client.topics();
    const info = topics.find((t) => t.topic === 'counted.a');
    expect(info).toMatchObject({ messageCount: 7, startOffset: 0, endOffset: 7 });
    expect(info!.sizeBytes).toBeGreaterThan(700);
    expect(topics.find((t) => t.topic === 'bulk.topic_1')?.messageCount).toBe(10_000);

    await client.deleteTopic('counted.a');
    expect((await client.topics()).some((t) => t.topic === 'counted.a')).toBe(false);
    await expect(client.deleteTopic('counted.a')).rejects.toMatchObject({ code: 'EVQ_ERR_NOT_FOUND' });
  });

  it('consumes to the end of the log, and a group resumes after what it committed', async () => {
    await client.produce('grouped', Array.from({ length: 30 }, (_, i) => ({ value: String(i) })));
    const all: number[] = [];
    for await (const r of client.consume('grouped')) all.push(r.offset);
    expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i));

    const first: number[] = [];
    for await (const r of client.consume('grouped', { group: 'g.1', limit: 10, pageSize: 4 })) first.push(r.offset);
    expect(first).toEqual(Array.from({ length: 10 }, (_, i) => i));
    const rest: number[] = [];
    for await (const r of client.consume('grouped', { group: 'g.1' })) rest.push(r.offset);
    expect(rest).toEqual(Array.from({ length: 20 }, (_, i) => i + 10));
    const none: number[] = [];
    for await (const r of client.consume('grouped', { group: 'g.1' })) none.push(r.offset);
    expect(none).toEqual([]);

    const big: number[] = [];
    for await (const r of client.consume('grouped', { from: 20, filter: 'value >= 27' })) big.push(r.offset);
    expect(big).toEqual([27, 28, 29]);
  });

  it('says what is not available yet', async () => {
    await expect(client.produce('kh', [{ value: 'later' }], { at: Date.now() + 1000 })).rejects.toBeInstanceOf(EvqError);
    await expect(client.produce('kh', [{ value: 'later' }], { delayMs: 1000 })).rejects.toMatchObject({ code: 'EVQ_ERR_NOT_IMPLEMENTED' });
  });
});
