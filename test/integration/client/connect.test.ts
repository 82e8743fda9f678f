import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, SUPPORTED_SCHEMES } from '../../../src/client/connect.js';
import { EvqProduceError } from '../../../src/client/errors.js';
import { evqEndpoint } from '../../../src/client/evq/endpoint.js';
import { WsConnection } from '../../../src/client/evq/ws-connection.js';
import type { EvqClient } from '../../../src/client/types.js';
import { EvqConnectionError, EvqError, EvqUsageError } from '../../../src/errors.js';
import { postBatch, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait.js';

let broker: TestBroker | undefined;
let client: EvqClient | undefined;
const servers: (Server | TcpServer)[] = [];
afterEach(async () => {
  await client?.close();
  client = undefined;
  await broker?.close();
  broker = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A port on which nothing listens. */
async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<EvqError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EvqError);
  return error as EvqError;
}

describe('connect', () => {
  it('gives up within the timeout on an address where nothing answers, not even the connect', async () => {
    // a non-routable address: where SYNs are dropped, only the client's own timer ends the wait (before it
    // was armed only once connected, the wait was the OS's ~2 minutes); elsewhere the network (or a proxy)
    // answers at once — either way, an error well within the test's time
    const started = Date.now();
    const error = await connect('http://10.255.255.1:7070', { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvqError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports an unreachable broker with EVQ_ERR_UNREACHABLE, naming the URL and `evq serve`', async () => {
    const port = await freePort();
    const error = await failure(connect(`http://127.0.0.1:${port}`));
    expect(error).toBeInstanceOf(EvqConnectionError);
    expect(error.code).toBe('EVQ_ERR_UNREACHABLE');
    expect(error.message).toBe(`no evq broker answers at http://127.0.0.1:${port} (connection refused): start one with \`evq serve\``);
  });

  it('gives up with EVQ_ERR_TIMEOUT when something accepts connections but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => void sockets.push(socket));
    servers.push(silent);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as AddressInfo;
    const error = await failure(connect(`http://127.0.0.1:${port}`, { timeoutMs: 300 }));
    expect(error.code).toBe('EVQ_ERR_TIMEOUT');
    expect(error.message).toContain(`http://127.0.0.1:${port}`);
    for (const socket of sockets) socket.destroy();
  });

  it('refuses a bad token with EVQ_ERR_UNAUTHORIZED, and works with the right one (HTTP and WebSocket)', async () => {
    broker = await startTestBroker({ token: 's3cret', fsync: 'never' });
    const bad = await failure(connect(broker.url, { token: 'wrong' }));
    expect(bad.code).toBe('EVQ_ERR_UNAUTHORIZED');
    expect(bad.message).toMatch(/--token or EVQ_TOKEN/);
    expect((await failure(connect(broker.url))).code).toBe('EVQ_ERR_UNAUTHORIZED');
    // the WebSocket upgrade says the same (401 on the upgrade)
    const ws = await failure(WsConnection.open(evqEndpoint(new URL(broker.url)), { token: 'wrong', timeoutMs: 5000 }));
    expect(ws.code).toBe('EVQ_ERR_UNAUTHORIZED');
    client = await connect(broker.url, { token: 's3cret' });
    expect((await client.produce('auth', [{ value: 'a' }])).acknowledged).toBe(1);
    const sub = client.subscribe('auth', { from: 'earliest' });
    for await (const record of sub) {
      expect(record.value.toString()).toBe('a');
      break;
    }
    expect(await client.topics()).toMatchObject([{ topic: 'auth', endOffset: 1 }]);
  });

  it('refuses an unknown scheme or a bad URL as a usage error naming the supported schemes', async () => {
    const error = await failure(connect('amqp://127.0.0.1:5672'));
    expect(error).toBeInstanceOf(EvqUsageError);
    expect(error.code).toBe('EVQ_ERR_INVALID_ARGUMENT');
    expect(error.message).toContain('"amqp"');
    for (const scheme of SUPPORTED_SCHEMES) expect(error.message).toContain(`${scheme}://`);
    expect((await failure(connect('http://'))).code).toBe('EVQ_ERR_INVALID_ARGUMENT');
    expect((await failure(connect('http://user:pw@127.0.0.1:7070'))).code).toBe('EVQ_ERR_INVALID_ARGUMENT');
    expect((await failure(connect('http://127.0.0.1:7070', { timeoutMs: 0 }))).code).toBe('EVQ_ERR_INVALID_ARGUMENT');
  });

  it('takes ws:// URLs and addresses without a scheme for the same broker', async () => {
    broker = await startTestBroker({ fsync: 'never' });
    const address = broker.url.replace('http://', '');
    for (const url of [`ws://${address}`, `ws://${address}/ws`, address, `${broker.url}/`]) {
      const c = await connect(url);
      expect(c.url).toBe(broker.url);
      expect((await c.produce('schemes', [{ value: url }])).acknowledged).toBe(1);
      await c.close();
    }
  });

  it('tells a server that is not an evq broker', async () => {
    const other = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>nope</h1>'));
    servers.push(other);
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const { port } = other.address() as AddressInfo;
    const error = await failure(connect(`http://127.0.0.1:${port}`));
    expect(error.message).toMatch(/is it an evq broker\?/);
  });

  it('lists and deletes topics', async () => {
    broker = await startTestBroker({ fsync: 'never' });
    client = await connect(broker.url);
    await postBatch(broker.url, 'a', ['1', '2']);
    await postBatch(broker.url, 'b', ['1']);
    const topics = await client.topics();
    expect(topics.map((t) => [t.topic, t.startOffset, t.endOffset, t.messageCount])).toEqual([
      ['a', 0, 2, 2],
      ['b', 0, 1, 1],
    ]);
    expect(topics[0]!.sizeBytes).toBeGreaterThan(0);
    await client.deleteTopic('a');
    expect((await client.topics()).map((t) => t.topic)).toEqual(['b']);
    expect((await failure(client.deleteTopic('a'))).code).toBe('EVQ_ERR_NOT_FOUND');
  });

  it('a produce to a broker that went away fails with EVQ_ERR_UNREACHABLE and acknowledges nothing', async () => {
    broker = await startTestBroker({ fsync: 'never' });
    client = await connect(broker.url);
    await broker.close();
    const error = await failure(client.produce('gone', [{ value: 'x' }]));
    expect(error).toBeInstanceOf(EvqProduceError);
    expect(error.code).toBe('EVQ_ERR_UNREACHABLE');
    expect((error as EvqProduceError).result.acknowledged).toBe(0);
    expect(error.message).toMatch(/start one with `evq serve`/);
    const sub = client.subscribe('gone');
    await expect(sub.ready).rejects.toMatchObject({ code: 'EVQ_ERR_UNREACHABLE' });
    expect((await failure(client.topics())).code).toBe('EVQ_ERR_UNREACHABLE');
  });

  it('close() ends what the client runs: a following read ends, a produce in flight is aborted', async () => {
    broker = await startTestBroker({ fsync: 'never' });
    const c = await connect(broker.url);
    let read = 0;
    const reading = (async () => {
      for await (const _ of c.consume('busy', { follow: true, allowMissing: true })) read++;
    })();
    async function* endless(): AsyncGenerator<{ value: string }> {
      for (let i = 0; ; i++) {
        if (i % 100 === 0) await new Promise((r) => setImmediate(r));
        yield { value: `m${i}` };
      }
    }
    let acked = 0;
    const producing = c.produce('busy', endless(), { onAck: () => acked++ }).catch((e: unknown) => e);
    await waitFor(() => acked >= 1000 && read >= 1, {
      what: () => `1000 acknowledgements and a record read (${acked} and ${read} so far)`,
    });
    await c.close();
    const error = (await producing) as EvqProduceError;
    expect(error).toBeInstanceOf(EvqProduceError);
    expect(error.code).toBe('EVQ_ERR_CLOSED');
    expect(error.result.acknowledged).toBe(acked);
    await reading; // ended without an error
  });

  it('refuses calls after close', async () => {
    broker = await startTestBroker({ fsync: 'never' });
    const c = await connect(broker.url);
    await c.close();
    expect((await failure(c.produce('t', []))).code).toBe('EVQ_ERR_CLOSED');
    expect(() => c.subscribe('t')).toThrow(expect.objectContaining({ code: 'EVQ_ERR_CLOSED' }));
  });
});
