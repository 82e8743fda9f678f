/**
 * The client's side of the JSON control frames, against a fake broker (a real WebSocket server on
 * 127.0.0.1 that speaks the subprotocol and sends what the test tells it): a malformed frame from the broker
 * closes the connection with one clear EVQ_ERR_MALFORMED error, never reaches the handlers and never throws;
 * a frame of a kind this version does not know is ignored.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { evqEndpoint } from '../../../src/client/evq/endpoint.js';
import { WsConnection } from '../../../src/client/evq/ws-connection.js';
import type { BrokerControl } from '../../../src/protocol/ws-control.js';
import { SUBPROTOCOL_BINARY } from '../../../src/protocol/ws-frames.js';

let server: WebSocketServer | undefined;
afterEach(async () => {
  for (const ws of server?.clients ?? []) ws.terminate();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

/** A fake broker; `onFrame` answers each text frame the client sends. */
async function fakeBroker(onFrame: (ws: WebSocket, frame: Record<string, unknown>) => void): Promise<string> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => SUBPROTOCOL_BINARY });
  server.on('connection', (ws) => ws.on('message', (data: Buffer) => onFrame(ws, JSON.parse(data.toString('utf8')))));
  await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
      ws.send(JSON.stringify({ op: 'subscribed', sub: frame.sub, topic: frame.topic, offset: 4 }));
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
