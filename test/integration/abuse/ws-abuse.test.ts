import { rm } from 'node:fs/promises';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { SUBPROTOCOL_BINARY } from '../../../src/protocol/ws-frames.js';
import { makeTempDir } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait.js';
import { startHonestClient, topicValues, type HonestReport } from './honest-client.js';
import { rawRequest, upgradeRequest } from './raw-http.js';
import { startTunedBroker, type TunedBroker } from './tuned-broker.js';

// Each test runs a broker in its own process (tuned-broker.ts, from dist/: `npm run build` first), attacks it
// while an honest client produces and reads, and checks the broker's memory before and after.
const MiB = 1024 * 1024;
/** RSS a broker may gain over an attack (V8 keeps some of what it grew for a while): a leak or an unbounded buffer is far more. */
const RSS_ALLOWANCE = 48 * MiB;
/** Heap a broker may gain, after a full garbage collection, between two points of an attack that repeats. */
const HEAP_ALLOWANCE = 4 * MiB;

let broker: TunedBroker | undefined;
let dataDir: string | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await broker?.stop();
  broker = undefined;
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

async function start(options: { maxConnections?: number } = {}): Promise<TunedBroker> {
  dataDir = await makeTempDir();
  broker = await startTunedBroker({ dataDir, fsync: 'interval', ...options });
  return broker;
}

async function expectHonestServed(b: TunedBroker, report: HonestReport, topic: string): Promise<void> {
  expect(report.failures).toEqual([]);
  expect(report.acked.length).toBeGreaterThan(0);
  expect(await topicValues(b.url, topic)).toEqual(report.acked);
  expect(b.running()).toBe(true);
}

function openWs(b: TunedBroker, path = '/ws'): Promise<WebSocket> {
  const ws = new WebSocket(b.url.replace(/^http/, 'ws') + path, [SUBPROTOCOL_BINARY]);
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
  });
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve(-1);
    ws.once('close', (code) => resolve(code));
  });
}

describe('abusive WebSocket handshakes', () => {
  it('refuses a handshake with 2,000+ headers (ws CVE-2024-37890) with 400 or 431 and keeps serving', async () => {
    const b = await start();
    const rssBefore = b.rssBytes() as number;
    const honest = startHonestClient(b.url, 'honest');
    // 2,500 tiny headers fit under the 16 KiB head limit: Node keeps the first 100, so the WebSocket key is
    // cut off, the case that crashed ws before 8.17.1
    const small = await rawRequest(
      b.port,
      upgradeRequest(
        '/ws',
        Array.from({ length: 2500 }, () => 'a:'),
      ),
    );
    // 2,000 named headers do not fit
    const large = await rawRequest(
      b.port,
      upgradeRequest(
        '/ws',
        Array.from({ length: 2000 }, (_, i) => `X-Pad-${i}: v`),
      ),
    );
    const tried = [];
    for (let i = 0; i < 50; i++)
      tried.push(
        rawRequest(
          b.port,
          upgradeRequest(
            '/ws',
            Array.from({ length: 2000 + i }, () => 'a:'),
          ),
        ),
      );
    const replies = await Promise.all(tried);
    const report = await honest.stop();

    expect(small.status).toBe(400);
    expect(small.closedByBroker).toBe(true);
    expect(large.status).toBe(431);
    expect(large.text).toContain('EVQ_ERR_LIMIT_EXCEEDED');
    expect(replies.map((r) => r.status).filter((s) => s !== 400)).toEqual([]);
    await expectHonestServed(b, report, 'honest');
    expect((b.rssBytes() as number) - rssBefore).toBeLessThan(RSS_ALLOWANCE);
  });

  it('answers a Sec-WebSocket-Protocol of 32,000 spaces (ws CVE-2021-32640) at once, and one that fits the head limit too', async () => {
    const b = await start();
    const honest = startHonestClient(b.url, 'honest');
    const huge = await rawRequest(b.port, upgradeRequest('/ws', [], ' '.repeat(32_000)));
    // 15,000 spaces fit under the 16 KiB limit, so ws's own parser meets them
    const fits = await rawRequest(b.port, upgradeRequest('/ws', [], `${' '.repeat(15_000)}x`), 5000);
    const fitsWithComma = await rawRequest(b.port, upgradeRequest('/ws', [], `a,${' '.repeat(15_000)},b`));
    const report = await honest.stop();

    // Node's parser does not count the spaces before a header value against its 16 KiB head limit, so the
    // header reaches ws, whose parser (no longer a backtracking regular expression) refuses it at once
    expect([400, 431]).toContain(huge.status);
    expect(huge.closedByBroker).toBe(true);
    // at once: well under the seconds a backtracking parser spends on such a header (generous on a busy machine)
    expect(huge.ms).toBeLessThan(5000);
    for (const reply of [fits, fitsWithComma]) {
      expect(reply.firstByteMs).toBeLessThan(5000);
      // ws refuses a malformed list; a well-formed one with no protocol evq speaks is accepted as plain JSON
      expect([101, 400]).toContain(reply.status);
    }
    expect(fitsWithComma.status).toBe(400);
    await expectHonestServed(b, report, 'honest');
  });

  it('closes a connection that floods 1-byte fragments with 1008, with memory bounded', async () => {
    const b = await start();
    const rssBefore = b.rssBytes() as number;
    const honest = startHonestClient(b.url, 'honest');
    const codes: number[] = [];
    // 10 connections, each sending one message as up to 100,000 fragments of 1 byte
    for (let c = 0; c < 10; c++) {
      const ws = await openWs(b);
      const done = closed(ws);
      for (let i = 0; i < 100_000 && ws.readyState === WebSocket.OPEN; i++) {
        ws.send(Buffer.of(1), { binary: true, fin: false });
        if (i % 2000 === 1999) await new Promise((resolve) => setImmediate(resolve));
      }
      codes.push(await done);
    }
    console.log(`fragment flood: RSS ${(rssBefore / MiB).toFixed(0)} -> ${((b.rssBytes() as number) / MiB).toFixed(0)} MiB`);
    const report = await honest.stop();

    expect(codes).toEqual(Array.from({ length: 10 }, () => 1008));
    await expectHonestServed(b, report, 'honest');
    expect((b.rssBytes() as number) - rssBefore).toBeLessThan(RSS_ALLOWANCE);
  });

  it('answers 60,000 1-byte binary messages with errors, appending nothing, with memory flat from one flood to the next', async () => {
    const b = await start();
    const rssBefore = b.rssBytes() as number;
    const honest = startHonestClient(b.url, 'honest');
    const ws = await openWs(b);
    let errors = 0;
    ws.on('message', (data, isBinary) => {
      if (!isBinary && (JSON.parse(String(data)) as { op: string }).op === 'error') errors++;
    });
    const flood = async (n: number): Promise<void> => {
      const target = errors + n;
      for (let i = 0; i < n; i++) {
        ws.send(Buffer.of(i & 0xff), { binary: true });
        if (i % 2000 === 1999) await new Promise((resolve) => setImmediate(resolve));
      }
      await waitFor(() => errors >= target, {
        timeoutMs: 20_000,
        what: () => `${n} error replies to the flood (${target - errors} missing)`,
      });
    };
    // RSS rises and falls with the garbage collector from flood to flood, so what is compared is the heap
    // after a full collection: after the first flood and after five more (a leak grows with every flood)
    await flood(10_000);
    const heapAfterFirst = (await b.memoryAfterGc()).heapUsed;
    for (let round = 0; round < 5; round++) await flood(10_000);
    const after = await b.memoryAfterGc();
    const report = await honest.stop();

    expect(errors).toBe(60_000);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const topics = (await (await fetch(`${b.url}/topics`)).json()) as { topics: { topic: string }[] };
    expect(topics.topics.map((t) => t.topic)).toEqual(['honest']);
    await expectHonestServed(b, report, 'honest');
    console.log(
      `tiny-message flood: heap after a full GC ${(heapAfterFirst / MiB).toFixed(1)} MiB after 10,000 messages, ` +
        `${(after.heapUsed / MiB).toFixed(1)} MiB after 60,000 (RSS ${(after.rss / MiB).toFixed(0)} MiB)`,
    );
    expect(after.heapUsed - heapAfterFirst).toBeLessThan(HEAP_ALLOWANCE);
    expect(after.rss).toBeLessThan(rssBefore + RSS_ALLOWANCE * 2);
  });

  it('refuses connections past the limit with 503 and Retry-After, drops a flood beyond, and serves again once they go', async () => {
    const limit = 40;
    const b = await start({ maxConnections: limit });
    const rssBefore = b.rssBytes() as number;
    const honest = startHonestClient(b.url, 'honest', { pauseMs: 5 });
    // the honest client holds one connection (once it has an answer); WebSocket clients take the rest
    await waitFor(() => honest.answered() > 0, { what: "the honest client's first answer" });
    const fdsBefore = b.openFds();
    const held: WebSocket[] = [];
    for (let i = 0; i < limit - 1; i++) held.push(await openWs(b));

    const http = await rawRequest(b.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const upgrade = await rawRequest(b.port, upgradeRequest('/ws'));
    expect(http.status).toBe(503);
    expect(http.text).toMatch(/retry-after: 1/i);
    expect(http.text).toContain('EVQ_ERR_UNAVAILABLE');
    expect(http.closedByBroker).toBe(true);
    expect(upgrade.status).toBe(503);
    expect(upgrade.text).toMatch(/Retry-After: 1/);

    // a flood of 1,000 connections at once: each is refused (503) or dropped, none hangs
    const flood = await Promise.all(
      Array.from({ length: 1000 }, () => rawRequest(b.port, 'GET /topics HTTP/1.1\r\nHost: x\r\n\r\n', 15_000)),
    );
    expect(flood.filter((r) => !r.closedByBroker)).toEqual([]);
    expect(flood.filter((r) => r.status !== 503 && r.status !== null)).toEqual([]);
    const refused = flood.filter((r) => r.status === 503).length;

    // once the held connections go, new ones are served
    for (const ws of held) ws.close();
    await Promise.all(held.map(closed));
    // the broker counts a connection gone when its socket's close reaches it, a moment after the client's
    await waitFor(async () => (await fetch(`${b.url}/healthz`)).status === 200, {
      what: 'the broker to serve a new connection once the held ones closed',
    });
    const report = await honest.stop();
    await expectHonestServed(b, report, 'honest');
    expect((b.rssBytes() as number) - rssBefore).toBeLessThan(RSS_ALLOWANCE);
    // every refused and dropped connection's descriptor is closed (a WebSocket may take a moment to go)
    await waitFor(() => b.openFds() <= fdsBefore, { timeoutMs: 10_000, what: `open descriptors back to ${fdsBefore}` });
    console.log(
      `connection flood: limit ${limit}, 1000 more at once: ${refused} got 503, ${1000 - refused} dropped; honest p99 ${report.p99.toFixed(1)} ms`,
    );
  });
});
