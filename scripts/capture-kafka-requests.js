#!/usr/bin/env node
// @ts-check
/**
 * Captures the first requests a real Kafka client sends, as golden bytes for the Kafka codec's tests
 * (test/unit/protocol/kafka/). A TCP server on 127.0.0.1 port 0 records every request frame (size prefix
 * included, as it came) and answers ApiVersions with evq's own encoder (the codec's version table, or
 * UNSUPPORTED_VERSION for a version above 3), so the client goes on to its next request; at the first
 * Metadata request it records it and stops.
 *
 *   npm run build && node scripts/capture-kafka-requests.js kcat|kafkajs [outDir]
 *
 * kcat is run as `kcat -b 127.0.0.1:PORT -L -m 5` (Debian's kcat 1.7, librdkafka 2.0); kafkajs 2.2.4
 * (the devDependency) in this process as `kafka.admin().connect()` then `fetchTopicMetadata`. Files are
 * named `<client>-<n>-<api>-v<version>.bin`; existing files are never overwritten.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_KEY, apiName, codecVersionTable } from '../dist/protocol/kafka/api-keys.js';
import { apiVersionsResponseFrame, apiVersionsUnsupportedFrame, API_VERSIONS_MAX_VERSION } from '../dist/protocol/kafka/api-versions.js';

const client = process.argv[2];
const dir = process.argv[3] ?? fileURLToPath(new URL('../test/fixtures/kafka/', import.meta.url));
/** The whole capture is bounded: a client that never sends Metadata is a failure, not a hang. */
const TIMEOUT_MS = 15_000;

if (client !== 'kcat' && client !== 'kafkajs') {
  console.error('usage: node scripts/capture-kafka-requests.js kcat|kafkajs [outDir]');
  process.exit(2);
}

await mkdir(dir, { recursive: true });

/** @type {{ file: string; apiKey: number; apiVersion: number }[]} */
const captured = [];
/** @type {(value?: unknown) => void} */
let done = () => {};
const finished = new Promise((resolve) => (done = resolve));

const server = createServer((socket) => {
  let pending = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0);
      if (pending.length < 4 + size) break;
      const frame = pending.subarray(0, 4 + size);
      pending = pending.subarray(4 + size);
      void record(socket, frame);
    }
  });
});

/**
 * @param {import('node:net').Socket} socket
 * @param {Buffer} frame
 */
async function record(socket, frame) {
  const apiKey = frame.readInt16BE(4);
  const apiVersion = frame.readInt16BE(6);
  const correlationId = frame.readInt32BE(8);
  const name = apiName(apiKey) ?? `api${apiKey}`;
  const file = `${client}-${captured.length + 1}-${name}-v${apiVersion}.bin`;
  captured.push({ file, apiKey, apiVersion });
  const path = join(dir, file);
  if (!existsSync(path)) await writeFile(path, frame);
  if (apiKey === API_KEY.ApiVersions) {
    socket.write(
      apiVersion > API_VERSIONS_MAX_VERSION
        ? apiVersionsUnsupportedFrame(correlationId)
        : apiVersionsResponseFrame(correlationId, apiVersion, codecVersionTable()),
    );
  } else {
    socket.destroy();
    done();
  }
}

await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
const address = server.address();
if (address === null || typeof address === 'string') throw new Error('no TCP address');
const broker = `127.0.0.1:${address.port}`;
const timer = setTimeout(() => done(new Error(`no Metadata request from ${client} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);

/** @type {import('node:child_process').ChildProcess | undefined} */
let child;
if (client === 'kcat') {
  child = spawn('kcat', ['-b', broker, '-L', '-m', '5'], { stdio: 'ignore' });
  child.on('error', (error) => done(error));
} else {
  const require = createRequire(import.meta.url);
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'evq-capture', brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  admin
    .connect()
    .then(() => admin.fetchTopicMetadata({ topics: [] }))
    .catch(() => {})
    .finally(() => void admin.disconnect().catch(() => {}));
}

const outcome = await finished;
clearTimeout(timer);
child?.kill('SIGTERM');
server.close();
for (const c of captured) console.log(`${c.file}  (api ${c.apiKey} v${c.apiVersion})`);
if (outcome instanceof Error) {
  console.error(outcome.message);
  process.exit(1);
}
process.exit(0);
