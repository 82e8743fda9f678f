/**
 * The client's side of the JSON control frames, against a fake broker (a real WebSocket server on
 * 127.0.0.1 that speaks the subprotocol and sends what the test tells it): a malformed frame from the broker
 * closes the connection with one clear EVQ_ERR_MALFORMED error, never reaches the handlers and never throws;
 * a frame of a kind this version does not know is ignored. Through `connect(url)` and the CLI, such a frame
 * ends a subscription or a produce with that error (exit 1), without reconnecting to a broker that speaks garbage.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { connect } from '../../../src/client/connect.js';
import { killCli, lines, runCli } from '../../helpers/spawn-cli.js';
import { evqEndpoint } from '../../../src/client/evq/endpoint.js';
import { WsConnection } from '../../../src/client/evq/ws-connection.js';
import type { BrokerControl } from '../../../src/protocol/ws-control.js';
import { SUBPROTOCOL_BINARY } from '../../../src/protocol/ws-frames.js';

let server: WebSocketServer | undefined;
let http: Server | undefined;
/** WebSocket connections the fake broker accepted. */
let upgrades = 0;
afterEach(async () => {
  await killCli();
  for (const ws of server?.clients ?? []) ws.terminate();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  await new Promise<void>((resolve) => (http === undefined ? resolve() : http.close(() => resolve())));
  http?.closeAllConnections();
  server = undefined;
  http = undefined;
  upgrades = 0;
});

/**
 * A fake broker: `GET /healthz` answers ok (what `connect` checks), and `onFrame` answers each frame the client
 * sends on `/ws` (a text frame parsed as JSON, a binary frame as its bytes).
 */
async function fakeBroker(onFrame: (ws: WebSocket, frame: Record<string, unknown> | Buffer) => void): Promise<string> {
  http = createServer((req, res) => {
    const ok = req.method === 'GET' && req.url === '/healthz';
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
    res.end(ok ? '{"status":"ok"}' : '{"error":{"code":"EVQ_ERR_NOT_FOUND","message":"not here"}}');
  });
  server = new WebSocketServer({ server: http, handleProtocols: () => SUBPROTOCOL_BINARY });
  server.on('connection', (ws) => {
    upgrades++;
    ws.on('message', (data: Buffer, isBinary: boolean) => onFrame(ws, isBinary ? data : JSON.parse(data.toString('utf8'))));
  });
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

/** Answers a subscribe with a `subscribed` frame whose offset is not a number, and a produce frame with an ack whose `req` is text. */
function malformedAnswers(ws: WebSocket, frame: Record<string, unknown> | Buffer): void {
  if (Buffer.isBuffer(frame)) ws.send('{"op":"ack","req":"seven","baseOffset":0,"lastOffset":0}');
  else ws.send(JSON.stringify({ op: 'subscribed', sub: frame.sub, topic: frame.topic, offset: 'four' }));
}

describe('control frames from the broker', () => {
  it('a malformed frame closes the connection with an EVQ_ERR_MALFORMED error, and no handler sees it', async () => {
    const url = await fakeBroker((ws) => ws.send('{"op":"ack","req":"seven","baseOffset":0,"lastOffset":0}'));
    const conn = await WsConnection.open(evqEndpoint(new URL(url)), { timeoutMs: 5000 });
    const seen: BrokerControl[] = [];
    const closed = new Promise<{ code: number; error: Error | undefined }>((resolve) => {
      conn.handlers = { control: (m) => seen.push(m), close: (code, _reason, error) => resolve({ code, error }) };
    });
    conn.sendControl({ op: 'subscribe', sub: 1, topic: 't' });
    const { error } = await closed;
    expect(seen).toEqual([]);
    expect(error).toMatchObject({ code: 'EVQ_ERR_MALFORMED' });
    expect(error?.message).toBe(
      `the broker at ${url} sent a malformed control frame (ack needs "req": a whole number from 0 to 4294967295): is it an evq broker of this version?`,
    );
  });

  it('ignores a frame of an unknown kind and takes the next one', async () => {
    const url = await fakeBroker((ws, frame) => {
      ws.send('{"op":"hello-from-the-future","sub":1}');
      if (!Buffer.isBuffer(frame)) ws.send(JSON.stringify({ op: 'subscribed', sub: frame.sub, topic: frame.topic, offset: 4 }));
    });
    const conn = await WsConnection.open(evqEndpoint(new URL(url)), { timeoutMs: 5000 });
    const first = new Promise<BrokerControl>((resolve) => {
      conn.handlers = { control: resolve };
    });
    conn.sendControl({ op: 'subscribe', sub: 1, topic: 't' });
    expect(await first).toEqual({ op: 'subscribed', sub: 1, topic: 't', offset: 4 });
    expect(conn.isOpen).toBe(true);
    conn.terminate();
  });
});

describe('a broker that sends a malformed control frame, through connect(url)', () => {
  /** Confirms each subscription, then sends an error frame whose code is a number (not an EVQ_ERR_* string). */
  function confirmsThenGarbles(ws: WebSocket, frame: Record<string, unknown> | Buffer): void {
    if (Buffer.isBuffer(frame)) return;
    ws.send(JSON.stringify({ op: 'subscribed', sub: frame.sub, topic: frame.topic, offset: 0 }));
    ws.send(JSON.stringify({ op: 'error', sub: frame.sub, code: 5, message: 'x' }));
  }

  it('ends a live subscription with the EVQ_ERR_MALFORMED error itself, without reconnecting', async () => {
    const url = await fakeBroker(confirmsThenGarbles);
    const client = await connect(url, { timeoutMs: 5000 });
    const statuses: string[] = [];
    const sub = client.subscribe('t', { maxReconnectAttempts: 2, onStatus: (status) => statuses.push(status.type) });
    expect(await sub.ready).toBe(0);
    const iteration = (async () => {
      for await (const record of sub) void record;
    })();
    const error = await iteration.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'EVQ_ERR_MALFORMED' });
    expect((error as Error).message).toMatch(
      new RegExp(`^the broker at ${url} sent a malformed control frame \\(.+\\): is it an evq broker of this version\\?$`),
    );
    expect(statuses).toEqual([]);
    expect(upgrades).toBe(1);
    await client.close();
  });

  it('fails the first subscribe with it when the confirmation is malformed', async () => {
    const url = await fakeBroker(malformedAnswers);
    const client = await connect(url, { timeoutMs: 5000 });
    const sub = client.subscribe('t');
    await expect(sub.ready).rejects.toMatchObject({
      code: 'EVQ_ERR_MALFORMED',
      message: expect.stringContaining('malformed control frame'),
    });
    expect(upgrades).toBe(1);
    await client.close();
  });

  it('fails an idempotent produce with it instead of reconnecting and sending the batch again', async () => {
    const url = await fakeBroker(malformedAnswers);
    const client = await connect(url, { timeoutMs: 5000 });
    // a stream of messages (a short array would go as one HTTP POST): the WebSocket's produce frames
    const messages = (function* () {
      yield { value: 'a' };
      yield { value: 'b' };
    })();
    const produced = client.produce('t', messages, { idempotent: true, retries: 5 });
    await expect(produced).rejects.toMatchObject({
      code: 'EVQ_ERR_MALFORMED',
      message: expect.stringContaining(`the broker at ${url} sent a malformed control frame (ack needs "req"`),
    });
    expect(upgrades).toBe(1);
    await client.close();
  });

  it('evq subscribe and evq produce print that one line and exit 1', async () => {
    const url = await fakeBroker((ws, frame) => (Buffer.isBuffer(frame) ? malformedAnswers(ws, frame) : confirmsThenGarbles(ws, frame)));
    const garbage = `the broker at ${url} sent a malformed control frame`;
    const sub = await runCli(['subscribe', 't', '--url', url], { timeoutMs: 15_000 });
    expect(sub).toMatchObject({ code: 1, out: '' });
    expect(lines(sub.err)).toEqual([`error: ${garbage} (error needs "code": a string): is it an evq broker of this version?`]);
    const produce = await runCli(['produce', 't', '--url', url, '--idempotent'], { stdin: 'a\nb\n', timeoutMs: 15_000 });
    expect(produce.code).toBe(1);
    expect(lines(produce.err)).toEqual([
      `error: ${garbage} (ack needs "req": a whole number from 0 to 4294967295): is it an evq broker of this version?; ` +
        'acknowledged before the failure: 0 of 2 messages read; the first one not acknowledged is line 1',
    ]);
    expect(upgrades).toBe(2);
  });
});
