#!/usr/bin/env node
// @ts-check
/**
 * Writes golden Produce v7 frames from kafkajs 2.2.4 (the devDependency) with the snappy and lz4 codecs,
 * offline. kafkajs ships neither: an application plugs one in through `CompressionCodecs` (`{ compress,
 * decompress }`), as kafkajs-snappy and kafkajs-lz4 do; the codecs here are those plug-ins built from the
 * pure-JavaScript packages evq depends on: snappyjs (a raw snappy stream, as kafkajs-snappy writes) and
 * lz4js (one LZ4 frame). kafkajs's own request encoder does the rest. The three records are those of
 * scripts/capture-kafka-encoders.js (keys, headers, a non-UTF-8 value, a null key) to `orders` partition 2.
 *
 *   node scripts/capture-kafka-compressed.js [outDir]
 *
 * Existing files are never overwritten: to capture again, delete them first and say why in the commit.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { CompressionCodecs, CompressionTypes } = require('kafkajs');
const encodeRequest = require('kafkajs/src/protocol/request');
const Long = require('kafkajs/src/utils/long');
const snappyjs = require('snappyjs');
const lz4js = require('lz4js');

const dir = process.argv[2] ?? fileURLToPath(new URL('../test/fixtures/kafka/', import.meta.url));
const T = Date.UTC(2026, 0, 1);
const CLIENT_ID = 'evq-fixture';

/** @param {(b: Buffer) => Uint8Array} fn */
const plugIn = (fn) => () => ({
  /** @param {{ buffer: Buffer }} encoder */
  compress: async (encoder) => Buffer.from(fn(encoder.buffer)),
  decompress: async () => {
    throw new Error('not used to write fixtures');
  },
});
CompressionCodecs[CompressionTypes.Snappy] = plugIn((b) => snappyjs.compress(b));
CompressionCodecs[CompressionTypes.LZ4] = plugIn((b) => lz4js.compress(b));

const messages = [
  {
    key: Buffer.from('alice'),
    value: Buffer.from('hello'),
    headers: { type: Buffer.from('deposit'), region: Buffer.from('eu') },
    timestamp: T,
  },
  { key: null, value: Buffer.from([0x00, 0xff, 0xfe]), headers: {}, timestamp: T + 5 },
  { key: Buffer.from('clé'), value: Buffer.from('välue ✓'), headers: { 'x-é': Buffer.from('') }, timestamp: T + 2 },
];
const expectedRecords = messages.map((m, i) => ({
  offsetDelta: i,
  timestamp: m.timestamp,
  key: m.key === null ? null : m.key.toString('utf8'),
  valueHex: m.value.toString('hex'),
  headers: Object.entries(m.headers).map(([key, value]) => ({ key, value: value.toString('utf8') })),
}));

await mkdir(dir, { recursive: true });
for (const [codec, compression, library] of /** @type {const} */ ([
  ['snappy', CompressionTypes.Snappy, 'snappyjs 0.7.0 compress (raw snappy)'],
  ['lz4', CompressionTypes.LZ4, 'lz4js 0.2.0 compress (one LZ4 frame)'],
])) {
  const request = require('kafkajs/src/protocol/requests/produce/v7/request')({
    acks: -1,
    timeout: 30000,
    compression,
    producerId: Long.fromValue(-1),
    producerEpoch: 0,
    topicData: [{ topic: 'orders', partitions: [{ partition: 2, firstSequence: 0, messages }] }],
  });
  const frame = (await encodeRequest({ correlationId: 7, clientId: CLIENT_ID, request })).buffer;
  const description = {
    source: `kafkajs 2.2.4 src/protocol/requests/produce/v7/request.js with a CompressionCodecs plug-in of ${library}`,
    header: { apiKey: 0, apiVersion: 7, correlationId: 7, clientId: CLIENT_ID },
    body: {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topics: [
        {
          name: 'orders',
          partitions: [
            {
              index: 2,
              batch: {
                baseOffset: 0,
                partitionLeaderEpoch: 0,
                magic: 2,
                compression,
                lastOffsetDelta: 2,
                baseTimestamp: T,
                maxTimestamp: T + 5,
                producerId: -1,
                producerEpoch: 0,
                baseSequence: 0,
                records: expectedRecords,
              },
            },
          ],
        },
      ],
    },
  };
  const name = `kafkajs-produce-v7-${codec}`;
  for (const [file, data] of [
    [`${name}.bin`, frame],
    [`${name}.json`, JSON.stringify(description, null, 2) + '\n'],
  ]) {
    const path = join(dir, /** @type {string} */ (file));
    if (existsSync(path)) continue;
    await writeFile(path, data);
    console.log(file);
  }
}
