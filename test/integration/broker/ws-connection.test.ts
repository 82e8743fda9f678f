/**
 * The broker's side of the JSON control frames, over a real socket: the golden client frames get the golden
 * broker frames back, byte for byte, and every refused frame gets one error frame naming its request or
 * subscription, counted as rejected, while the connection keeps serving.
 */
import { on } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SUBPROTOCOL_BINARY } from '../../../src/protocol/ws-frames.js';
import { readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';

const golden = readFileSync(new URL('../../fixtures/protocol/ws-control.ndjson', import.meta.url), 'utf8').split('\n');
const line = (prefix: string): string => {
  const found = golden.find((l) => l.startsWith(prefix));
  if (found === undefined) throw new Error(`no golden line starts with ${prefix}`);
  return found;
};

let broker: TestBroker | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await broker?.close();
  broker = undefined;
});

/** A raw connection to `/ws` and the text of each frame it receives, in order (buffered until read). */
async function open(url: string): Promise<{ ws: WebSocket; next: () => Promise<string> }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, [SUBPROTOCOL_BINARY]);
  sockets.push(ws);
  const messages = on(ws, 'message');
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = async (): Promise<string> => {
    const { value } = await messages.next();
    const [data, isBinary] = value as [Buffer, boolean];
    expect(isBinary).toBe(false);
    return data.toString('utf8');
  };
  return { ws, next };
}

async function rejectedCount(url: string, code: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`^evq_rejected_requests_total\\{reason="${code}"\\} (\\d+)$`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]);
}

describe('control frames on a broker connection', () => {
  it('answers the golden subscribe and unsubscribe frames with the golden replies, byte for byte', async () => {
    broker = await startTestBroker({ fsync: 'never' });
    const { ws, next } = await open(broker.url);
    ws.send(line('{"op":"subscribe","sub":1,'));
    expect(await next()).toBe(line('{"op":"subscribed","sub":1,'));
    ws.send(line('{"op":"unsubscribe"'));
    expect(await next()).toBe(line('{"op":"unsubscribed"'));
  });

  it('answers each malformed frame with one error naming its id, counts it, and keeps serving', async () => {
    broker = await startTestBroker({ fsync: 'never' });
    const { ws, next } = await open(broker.url);
    const before = await rejectedCount(broker.url, 'EVQ_ERR_MALFORMED');
    const cases: [string, string][] = [
      ['not json', '{"op":"error","code":"EVQ_ERR_MALFORMED","message":"a text frame must be a JSON object with an \\"op\\""}'],
      [
        '{"op":"unsubscribe"}',
        '{"op":"error","code":"EVQ_ERR_MALFORMED","message":"unsubscribe needs \\"sub\\": a whole number from 0 to 4294967295"}',
      ],
      [
        '{"op":"subscribe","sub":-4,"topic":"t"}',
        '{"op":"error","code":"EVQ_ERR_MALFORMED","message":"subscribe needs \\"sub\\": a whole number from 0 to 4294967295"}',
      ],
      [
        '{"op":"produce","req":5,"topic":"t","messages":[{"value":"v"}],"delayMs":10,"dueAt":10}',
        '{"op":"error","req":5,"code":"EVQ_ERR_MALFORMED","message":"produce takes \\"delayMs\\" or \\"dueAt\\", not both"}',
      ],
      [
        '{"op":"produce","req":6,"topic":"t","messages":[{"value":"v"}],"idempotencyKey":7}',
        '{"op":"error","req":6,"code":"EVQ_ERR_MALFORMED","message":"\\"idempotencyKey\\" of produce must be a string"}',
      ],
      [
        '{"op":"publish","req":9}',
        '{"op":"error","req":9,"code":"EVQ_ERR_MALFORMED","message":"unknown op: use subscribe, unsubscribe or produce"}',
      ],
    ];
    for (const [sent, reply] of cases) {
      ws.send(sent);
      expect(await next(), sent).toBe(reply);
    }
    expect(await rejectedCount(broker.url, 'EVQ_ERR_MALFORMED')).toBe(before + cases.length);
    // the same connection still produces; nothing of the refused requests was appended
    ws.send('{"op":"produce","req":7,"topic":"t","messages":[{"value":"kept"}]}');
    expect(await next()).toBe('{"op":"ack","req":7,"baseOffset":0,"lastOffset":0,"duplicate":false}');
    expect((await readAll(broker.url, 't', '?from=earliest')).records.map((r) => r.value)).toEqual(['kept']);
  });

  it('refuses a binary frame of an unknown kind with an error frame', async () => {
    broker = await startTestBroker({ fsync: 'never' });
    const { ws, next } = await open(broker.url);
    ws.send(Buffer.from([0x7f, 0, 0, 0, 1]));
    expect(await next()).toBe('{"op":"error","code":"EVQ_ERR_MALFORMED","message":"unknown binary frame"}');
  });
});
