#!/usr/bin/env node
// @ts-check
/**
 * Captures the requests a real Kafka client sends, as golden bytes for the Kafka codec's tests
 * (test/unit/protocol/kafka/). A TCP server on 127.0.0.1 port 0 records request frames (size prefix
 * included, as they came) and answers with evq's own encoders: ApiVersions with the codec's version table
 * (UNSUPPORTED_VERSION above v3), so the client goes on to its next request.
 *
 *   npm run build && node scripts/capture-kafka-requests.js kcat|kafkajs [outDir]
 *   npm run build && node scripts/capture-kafka-requests.js kcat-produce none|gzip|snappy|lz4|zstd [outDir]
 *
 * `kcat` runs `kcat -b 127.0.0.1:PORT -L -m 5` (Debian's kcat 1.7, librdkafka 2.0); `kafkajs` runs kafkajs
 * 2.2.4 (the devDependency) in this process as `admin().connect()` then `fetchTopicMetadata`: both stop at
 * the first Metadata request, and every frame is saved as `<client>-<n>-<api>-v<version>.bin`.
 * `kcat-produce` answers Metadata too (this server is broker 1, leader of partition 0 of every topic) and
 * Produce, and runs `kcat -P -t orders -K: -z CODEC` on three keyed lines (PRODUCE_LINES); it saves only the
 * Produce frame, as `kcat-produce-<codec>-v<version>.bin`. It advertises Produce from v0: librdkafka 2.0
 * compresses with gzip, snappy or lz4 only when the broker's Produce range overlaps 0..0 (its
 * `compr_req` check in rdkafka_msgset_writer.c; later librdkafka asks only for a maximum at least 0), and
 * sends such a batch uncompressed otherwise. KCAT_FALLBACK=0.9.0 runs kcat as a client of Kafka 0.9
 * (`-X api.version.request=false -X broker.version.fallback=0.9.0`: no ApiVersions, Metadata v0, Produce v1
 * with a legacy message set of magic 0). KCAT_DEBUG=msg,feature shows kcat's debug log on stderr.
 * Existing files are never overwritten.
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
import { frame as kafkaFrame, readRequestHeader, writeResponseHeader } from '../dist/protocol/kafka/header.js';
import { readMetadataRequest, writeMetadataResponse } from '../dist/protocol/kafka/metadata.js';
import { readProduceRequest, writeProduceResponse } from '../dist/protocol/kafka/produce.js';
import { KafkaReader } from '../dist/protocol/kafka/reader.js';

/** The lines `kcat-produce` sends as `key:value`: compressible (librdkafka sends a batch uncompressed when compressing does not shrink it); the last has an empty value. */
const PRODUCE_LINES = ['alice:' + 'hello '.repeat(40), 'bob:välue ✓ ' + 'x'.repeat(100), 'carol:'];

const client = process.argv[2];
const codec = client === 'kcat-produce' ? process.argv[3] : undefined;
const dir = process.argv[client === 'kcat-produce' ? 4 : 3] ?? fileURLToPath(new URL('../test/fixtures/kafka/', import.meta.url));
/** The whole capture is bounded: a client that never sends Metadata is a failure, not a hang. */
const TIMEOUT_MS = 15_000;

if (!(
  client === 'kcat' ||
  client === 'kafkajs' ||
  (client === 'kcat-produce' && ['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(codec ?? ''))
)) {
  console.error('usage: node scripts/capture-kafka-requests.js kcat|kafkajs|kcat-produce CODEC [outDir]');
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
  const r = new KafkaReader(frame, 4);
  const header = readRequestHeader(r);
  const { apiKey, apiVersion, correlationId } = header;
  const name = apiName(apiKey) ?? `api${apiKey}`;
  const producing = client === 'kcat-produce';
  const file = producing ? `kcat-produce-${codec}-v${apiVersion}.bin` : `${client}-${captured.length + 1}-${name}-v${apiVersion}.bin`;
  if (!producing || apiKey === API_KEY.Produce) {
    captured.push({ file, apiKey, apiVersion });
    const path = join(dir, file);
    if (!existsSync(path)) await writeFile(path, frame);
  }
  if (apiKey === API_KEY.ApiVersions) {
    socket.write(
      apiVersion > API_VERSIONS_MAX_VERSION
        ? apiVersionsUnsupportedFrame(correlationId)
        : apiVersionsResponseFrame(correlationId, apiVersion, producing ? produceFromZero : codecVersionTable()),
    );
  } else if (producing && apiKey === API_KEY.Metadata) {
    const request = readMetadataRequest(r, apiVersion);
    const topics = request.topics ?? ['orders'];
    socket.write(
      kafkaFrame((w) => {
        writeResponseHeader(w, correlationId, 0);
        writeMetadataResponse(w, apiVersion, {
          throttleTimeMs: 0,
          brokers: [{ nodeId: 1, host: '127.0.0.1', port: port(), rack: null }],
          clusterId: 'evq-capture',
          controllerId: 1,
          topics: topics.map((t) => ({
            errorCode: 0,
            name: t,
            isInternal: false,
            partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
          })),
        });
      }),
    );
  } else if (producing && apiKey === API_KEY.Produce) {
    const request = readProduceRequest(r, apiVersion);
    socket.write(
      kafkaFrame((w) => {
        writeResponseHeader(w, correlationId, 0);
        writeProduceResponse(w, apiVersion, {
          topics: request.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({ index: p.index, errorCode: 0, baseOffset: 0, logAppendTimeMs: -1, logStartOffset: 0 })),
          })),
          throttleTimeMs: 0,
        });
      }),
    );
    done();
  } else {
    socket.destroy();
    done();
  }
}

/** The codec's table with Produce from v0, so that librdkafka 2.0 compresses (see the header). */
const produceFromZero = codecVersionTable().map((e) => (e.apiKey === API_KEY.Produce ? { ...e, minVersion: 0 } : e));

/** @returns {number} */
function port() {
  const a = server.address();
  return a !== null && typeof a === 'object' ? a.port : 0;
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
} else if (client === 'kcat-produce') {
  child = spawn(
    'kcat',
    [
      '-b',
      broker,
      '-P',
      '-t',
      'orders',
      '-K:',
      '-z',
      codec ?? 'none',
      ...(process.env.KCAT_FALLBACK
        ? ['-X', 'api.version.request=false', '-X', `broker.version.fallback=${process.env.KCAT_FALLBACK}`]
        : []),
      ...(process.env.KCAT_DEBUG ? ['-d', process.env.KCAT_DEBUG] : []),
    ],
    { stdio: ['pipe', 'ignore', process.env.KCAT_DEBUG ? 'inherit' : 'ignore'] },
  );
  child.on('error', (error) => done(error));
  child.stdin?.end(PRODUCE_LINES.join('\n') + '\n');
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
