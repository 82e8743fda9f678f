/**
 * The real clients accept what the codec writes: a TCP server on 127.0.0.1 port 0 answers ApiVersions with
 * evq's encoder and records the frames that follow. kcat (librdkafka) goes on to Metadata after our v3
 * reply and retries within the range of an UNSUPPORTED_VERSION reply; kafkajs goes on after our v2 reply.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { API_KEY, codecVersionTable } from '../../../src/protocol/kafka/api-keys.js';
import { apiVersionsResponseFrame, apiVersionsUnsupportedFrame } from '../../../src/protocol/kafka/api-versions.js';
import { peekRequest } from '../../../src/protocol/kafka/header.js';
import { waitFor } from '../../helpers/wait.js';

const hasKcat = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
const require = createRequire(import.meta.url);

interface Seen {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

/** A fake broker: `answer` returns the reply to a request frame (or null to close the connection). */
async function fakeBroker(answer: (seen: Seen, index: number) => Buffer | null): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((socket: Socket) => {
    let pending = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        const request = peekRequest(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
        if (request === undefined) return void socket.destroy();
        seen.push(request);
        const reply = answer(request, seen.length - 1);
        if (reply === null) return void socket.destroy();
        socket.write(reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { server, port: address.port, seen };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function kcat(port: number): ChildProcess {
  const child = spawn('kcat', ['-b', `127.0.0.1:${port}`, '-L', '-m', '5'], { stdio: 'ignore' });
  cleanups.push(() => child.kill('SIGKILL'));
  return child;
}

const table = codecVersionTable();
const apiVersionsThenClose = (s: Seen): Buffer | null =>
  s.apiKey === API_KEY.ApiVersions ? apiVersionsResponseFrame(s.correlationId, s.apiVersion, table) : null;

describe.skipIf(!hasKcat)('kcat against the codec', () => {
  it('takes our ApiVersions v3 reply and sends Metadata next', async () => {
    const broker = await fakeBroker(apiVersionsThenClose);
    cleanups.push(() => broker.server.close());
    kcat(broker.port);
    await waitFor(() => broker.seen.some((s) => s.apiKey === API_KEY.Metadata), { what: 'a Metadata request from kcat' });
    expect(broker.seen[0]).toMatchObject({ apiKey: API_KEY.ApiVersions, apiVersion: 3 });
    expect(broker.seen[1]).toMatchObject({ apiKey: API_KEY.Metadata });
  });

  it('after an UNSUPPORTED_VERSION reply asks again at a lower version, then goes on', async () => {
    // librdkafka 2.0 reads the error reply to its v3 request as v3 (it cannot know the broker answered v0,
    // as Kafka does for a version it does not know) and falls back to ApiVersions v0: a client newer than
    // the broker (v4 and up) reads the v0 reply as KIP-511 says and retries within the range it names
    const broker = await fakeBroker((s, i) => (i === 0 ? apiVersionsUnsupportedFrame(s.correlationId, 0, 2) : apiVersionsThenClose(s)));
    cleanups.push(() => broker.server.close());
    kcat(broker.port);
    await waitFor(() => broker.seen.some((s) => s.apiKey === API_KEY.Metadata), { what: 'a Metadata request from kcat' });
    expect(broker.seen[0]).toMatchObject({ apiKey: API_KEY.ApiVersions, apiVersion: 3 });
    expect(broker.seen[1]?.apiKey).toBe(API_KEY.ApiVersions);
    expect(broker.seen[1]?.apiVersion).toBeLessThan(3);
    expect(broker.seen[2]?.apiKey).toBe(API_KEY.Metadata);
  });
});

describe('kafkajs against the codec', () => {
  it('takes our ApiVersions v2 reply and sends Metadata next', async () => {
    const broker = await fakeBroker(apiVersionsThenClose);
    cleanups.push(() => broker.server.close());
    const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');
    const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    const connecting = admin
      .connect()
      .then(() => admin.fetchTopicMetadata({ topics: [] }))
      .catch(() => undefined);
    await waitFor(() => broker.seen.some((s) => s.apiKey === API_KEY.Metadata), { what: 'a Metadata request from kafkajs' });
    await connecting;
    await admin.disconnect();
    expect(broker.seen[0]).toMatchObject({ apiKey: API_KEY.ApiVersions, apiVersion: 2 });
  });
});
