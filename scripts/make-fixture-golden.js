#!/usr/bin/env node
// @ts-check
/**
 * Writes the golden bytes of the wire format under test/fixtures/protocol/ with today's encoders (dist/):
 * the record batch, each binary WebSocket frame, each JSON control frame and NDJSON records.
 * test/unit/protocol/golden.test.ts checks both directions against them (decoding a fixture gives the
 * structure it states by hand, encoding that structure gives the fixture's bytes).
 *
 *   npm run build && node scripts/make-fixture-golden.js [outDir]
 *
 * It writes only the files that are missing and never overwrites one: a fixture pins the bytes an older
 * evq wrote. A new version of a format gets new files (`batch-v2.bin`) beside the old ones.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeBatch } from '../dist/protocol/batch-encode.js';
import { recordJson } from '../dist/protocol/wire-record.js';
import { encodeControl } from '../dist/protocol/ws-control.js';
import { encodeDeliverHeader, encodeProduceFrame, encodeSparseHeader } from '../dist/protocol/ws-frames.js';

/** 2026-01-01T00:00:00Z: the timestamps of the fixtures. */
const T = Date.UTC(2026, 0, 1);
const dir = process.argv[2] ?? fileURLToPath(new URL('../test/fixtures/protocol/', import.meta.url));

/** The four records of batch-v1.bin (offsets 7 to 10). @type {import('../dist/protocol/record.js').TimestampedMessage[]} */
const records = [
  { timestamp: T, key: 'alice', headers: { type: 'deposit', region: 'eu' }, value: 'hello' },
  { timestamp: T + 5, key: null, headers: null, value: Buffer.from([0x00, 0xff, 0xfe]) },
  { timestamp: T + 1, key: '', headers: {}, value: '' },
  { timestamp: T + 2, key: 'ü', headers: null, value: 'ünï ✓' },
];

const batch = encodeBatch(7, records);
/** What a client sends: timestamps 0 ("stamp on arrival"), base offset 0 (ignored). */
const produceBatch = encodeBatch(0, [
  { timestamp: 0, key: 'k1', headers: { source: 'golden' }, value: 'first' },
  { timestamp: 0, key: null, headers: null, value: 'second' },
]);
/** Records 8 and 10 of batch-v1 as a filter's sparse delivery sends them. */
const sparseBatch = encodeBatch(
  8,
  records.filter((_, i) => i === 1 || i === 3),
);

/** @type {Record<string, Buffer | string>} */
const files = {
  'batch-v1.bin': batch,
  'ws-produce.bin': encodeProduceFrame({ req: 42, topic: 'orders', gzip: false, dueAt: T + 60_000, idempotencyKey: 'id-1' }, produceBatch),
  'ws-produce-plain.bin': encodeProduceFrame(
    { req: 4_294_967_295, topic: 'audit', gzip: false, dueAt: 0, idempotencyKey: null },
    produceBatch,
  ),
  'ws-deliver.bin': Buffer.concat([encodeDeliverHeader(3), batch]),
  'ws-sparse.bin': Buffer.concat([encodeSparseHeader(3, [8, 10]), sparseBatch]),
  'ws-control.ndjson': [
    encodeControl({ op: 'subscribe', sub: 1, topic: 'orders', from: 'earliest', filter: 'value.amount > 100' }),
    encodeControl({ op: 'subscribe', sub: 2, topic: 'audit', from: 42 }),
    encodeControl({ op: 'unsubscribe', sub: 1 }),
    encodeControl({
      op: 'produce',
      req: 7,
      topic: 'orders',
      messages: [{ value: 'hello', key: 'k', headers: { type: 'deposit' } }, { value: '{"amount":5}' }],
      delayMs: 5000,
      idempotencyKey: 'x',
    }),
    encodeControl({
      op: 'produce',
      req: 8,
      topic: 'orders',
      messages: [{ value: 'later', key: null, headers: null }],
      dueAt: T + 3_600_000,
    }),
    encodeControl({ op: 'subscribed', sub: 1, topic: 'orders', offset: 0 }),
    encodeControl({ op: 'unsubscribed', sub: 1 }),
    encodeControl({ op: 'ack', req: 7, baseOffset: 10, lastOffset: 11, duplicate: false }),
    encodeControl({ op: 'ack', req: 9, baseOffset: 10, lastOffset: 11, duplicate: true }),
    encodeControl({ op: 'ack', req: 8, baseOffset: -1, lastOffset: -1, delayed: true }),
    encodeControl({ op: 'error', req: 7, code: 'EVQ_ERR_MESSAGE_TOO_LARGE', message: 'message 0 is larger than 1048576 bytes' }),
    encodeControl({ op: 'error', sub: 1, code: 'EVQ_ERR_INVALID_FILTER', message: 'the filter must be a string' }),
    encodeControl({ op: 'error', code: 'EVQ_ERR_MALFORMED', message: 'a text frame must be a JSON object with an "op"' }),
    encodeControl({ op: 'closed', sub: 1, code: 'EVQ_ERR_NOT_FOUND', message: 'topic "orders" was deleted' }),
  ]
    .map((line) => `${line}\n`)
    .join(''),
  // the lines of the release before partitions, as it wrote them (today's add "partition": record-v2.ndjson)
  'record.ndjson':
    '{"topic":"orders","offset":7,"timestamp":1767225600000,"key":"alice","headers":{"type":"deposit"},"value":"hello"}\n' +
    '{"topic":"orders","offset":8,"timestamp":1767225600005,"key":null,"headers":null,"valueBase64":"AP/+"}\n',
  'record-v2.ndjson': [
    recordJson({
      topic: 'orders',
      partition: 0,
      offset: 7,
      timestamp: T,
      key: 'alice',
      headers: { type: 'deposit' },
      value: Buffer.from('hello'),
    }),
    recordJson({
      topic: 'orders',
      partition: 3,
      offset: 8,
      timestamp: T + 5,
      key: null,
      headers: null,
      value: Buffer.from([0x00, 0xff, 0xfe]),
    }),
  ]
    .map((line) => `${line}\n`)
    .join(''),
  // partitions: a produce naming its partition, and deliveries of a partition other than 0
  'ws-produce-partition.bin': encodeProduceFrame(
    { req: 43, topic: 'orders', gzip: false, dueAt: 0, idempotencyKey: null, partition: 5 },
    produceBatch,
  ),
  'ws-deliver-partition.bin': Buffer.concat([encodeDeliverHeader(3, 2), batch]),
  'ws-sparse-partition.bin': Buffer.concat([encodeSparseHeader(3, [8, 10], 2), sparseBatch]),
};

await mkdir(dir, { recursive: true });
for (const [name, content] of Object.entries(files)) {
  const path = join(dir, name);
  if (existsSync(path)) {
    process.stdout.write(`kept ${name} (fixtures are never rewritten)\n`);
    continue;
  }
  await writeFile(path, content);
  process.stdout.write(`wrote ${name} (${Buffer.byteLength(content)} bytes)\n`);
}
