/**
 * Golden bytes of the wire format (test/fixtures/protocol/, written once by scripts/make-fixture-golden.js and
 * checked in): decoding each fixture gives the structure stated here by hand, and encoding that structure
 * gives the fixture's exact bytes. An encoder and a decoder that drift together fail here, not in the field.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../../src/protocol/batch-encode.js';
import { sliceBatch } from '../../../src/protocol/batch-slice.js';
import { decodeBatch, readBatchHeader } from '../../../src/protocol/record-codec.js';
import type { EvqRecord, TimestampedMessage } from '../../../src/protocol/record.js';
import { fromWireRecord, parseRecordLines, recordJson } from '../../../src/protocol/wire-record.js';
import {
  decodeBrokerControl,
  decodeClientControl,
  encodeControl,
  parseControlJson,
  type BrokerControl,
  type ClientControl,
} from '../../../src/protocol/ws-control.js';
import {
  FRAME,
  decodeDeliveryFrame,
  decodeProduceFrame,
  encodeDeliverHeader,
  encodeProduceFrame,
  encodeSparseHeader,
} from '../../../src/protocol/ws-frames.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/protocol/${name}`, import.meta.url));
const lines = (name: string): string[] => fixture(name).toString('utf8').split('\n').slice(0, -1);

/** 2026-01-01T00:00:00Z. */
const T = 1767225600000;

const BATCH_MESSAGES: TimestampedMessage[] = [
  { timestamp: T, key: 'alice', headers: { type: 'deposit', region: 'eu' }, value: 'hello' },
  { timestamp: T + 5, key: null, headers: null, value: Buffer.from([0x00, 0xff, 0xfe]) },
  { timestamp: T + 1, key: '', headers: {}, value: '' },
  { timestamp: T + 2, key: 'ü', headers: null, value: 'ünï ✓' },
];
const BATCH_RECORDS: EvqRecord[] = BATCH_MESSAGES.map((m, i) => ({
  topic: 'orders',
  partition: 0,
  offset: 7 + i,
  timestamp: m.timestamp,
  key: m.key ?? null,
  headers: m.headers ?? null,
  value: Buffer.from(m.value),
}));

const PRODUCE_MESSAGES: TimestampedMessage[] = [
  { timestamp: 0, key: 'k1', headers: { source: 'golden' }, value: 'first' },
  { timestamp: 0, key: null, headers: null, value: 'second' },
];

describe('golden record batch (format version 1)', () => {
  const golden = fixture('batch-v1.bin');

  it('has the header the format describes', () => {
    expect(golden.length).toBe(183);
    expect(golden.readUInt8(0)).toBe(1); // version
    expect(golden.readUInt8(1)).toBe(0); // flags
    expect(golden.readUInt32BE(4)).toBe(4); // count
    expect(golden.readUInt32BE(8)).toBe(183); // byteLength
    expect(golden.readDoubleBE(16)).toBe(7); // baseOffset
    expect(readBatchHeader(golden)).toEqual({
      version: 1,
      flags: 0,
      count: 4,
      byteLength: 183,
      baseOffset: 7,
      lastOffset: 10,
      firstTimestamp: T,
      maxTimestamp: T + 5,
    });
  });

  it('decodes to its records and encodes back to the same bytes', () => {
    expect(decodeBatch(golden, 'orders')).toEqual(BATCH_RECORDS);
    expect(encodeBatch(7, BATCH_MESSAGES).equals(golden)).toBe(true);
  });

  it('is cut at an offset into the records after it, re-framed', () => {
    const cut = sliceBatch(golden, 9);
    expect(cut).not.toBeNull();
    expect(decodeBatch(cut as Buffer, 'orders')).toEqual(BATCH_RECORDS.slice(2));
    expect((cut as Buffer).equals(encodeBatch(9, BATCH_MESSAGES.slice(2)))).toBe(true);
  });
});

describe('golden binary WebSocket frames', () => {
  it('produce: with a due time and an idempotency key', () => {
    const golden = fixture('ws-produce.bin');
    expect(golden[0]).toBe(FRAME.produce);
    const frame = decodeProduceFrame(golden);
    expect({ ...frame, batch: undefined }).toEqual({
      req: 42,
      topic: 'orders',
      gzip: false,
      dueAt: T + 60_000,
      idempotencyKey: 'id-1',
      batch: undefined,
    });
    expect(decodeBatch(frame.batch, 'orders').map((r) => [r.offset, r.timestamp, r.key, r.headers, r.value.toString()])).toEqual([
      [0, 0, 'k1', { source: 'golden' }, 'first'],
      [1, 0, null, null, 'second'],
    ]);
    const encoded = encodeProduceFrame(
      { req: 42, topic: 'orders', gzip: false, dueAt: T + 60_000, idempotencyKey: 'id-1' },
      encodeBatch(0, PRODUCE_MESSAGES),
    );
    expect(encoded.toString('hex')).toBe(golden.toString('hex'));
  });

  it('produce: the plain fast path (no due time, no key, the largest request id)', () => {
    const golden = fixture('ws-produce-plain.bin');
    const frame = decodeProduceFrame(golden);
    expect({ ...frame, batch: undefined }).toEqual({
      req: 0xffffffff,
      topic: 'audit',
      gzip: false,
      dueAt: 0,
      idempotencyKey: null,
      batch: undefined,
    });
    expect(frame.batch.equals(encodeBatch(0, PRODUCE_MESSAGES))).toBe(true);
    const encoded = encodeProduceFrame(
      { req: 0xffffffff, topic: 'audit', gzip: false, dueAt: 0, idempotencyKey: null },
      encodeBatch(0, PRODUCE_MESSAGES),
    );
    expect(encoded.toString('hex')).toBe(golden.toString('hex'));
  });

  it('deliver: a 5-byte header, then the stored batch as it is', () => {
    const golden = fixture('ws-deliver.bin');
    expect(golden.subarray(0, 5).toString('hex')).toBe('0200000003');
    const frame = decodeDeliveryFrame(golden);
    expect(frame.sub).toBe(3);
    expect(frame.offsets).toBeNull();
    expect(decodeBatch(frame.batch, 'orders')).toEqual(BATCH_RECORDS);
    expect(Buffer.concat([encodeDeliverHeader(3), encodeBatch(7, BATCH_MESSAGES)]).equals(golden)).toBe(true);
  });

  it('sparse: the offsets of the matching records, then their batch', () => {
    const golden = fixture('ws-sparse.bin');
    const frame = decodeDeliveryFrame(golden);
    expect(frame.sub).toBe(3);
    expect(frame.offsets).toEqual([8, 10]);
    expect(decodeBatch(frame.batch, 'orders').map((r) => r.value)).toEqual([BATCH_RECORDS[1]!.value, BATCH_RECORDS[3]!.value]);
    const batch = encodeBatch(8, [BATCH_MESSAGES[1]!, BATCH_MESSAGES[3]!]);
    expect(Buffer.concat([encodeSparseHeader(3, [8, 10]), batch]).equals(golden)).toBe(true);
  });
});

describe('golden JSON control frames', () => {
  const CLIENT: ClientControl[] = [
    { op: 'subscribe', sub: 1, topic: 'orders', from: 'earliest', filter: 'value.amount > 100' },
    { op: 'subscribe', sub: 2, topic: 'audit', from: 42 },
    { op: 'unsubscribe', sub: 1 },
    {
      op: 'produce',
      req: 7,
      topic: 'orders',
      messages: [{ value: 'hello', key: 'k', headers: { type: 'deposit' } }, { value: '{"amount":5}' }],
      delayMs: 5000,
      idempotencyKey: 'x',
    },
    { op: 'produce', req: 8, topic: 'orders', messages: [{ value: 'later', key: null, headers: null }], dueAt: T + 3_600_000 },
  ];
  const BROKER: BrokerControl[] = [
    { op: 'subscribed', sub: 1, topic: 'orders', offset: 0 },
    { op: 'unsubscribed', sub: 1 },
    { op: 'ack', req: 7, baseOffset: 10, lastOffset: 11, duplicate: false },
    { op: 'ack', req: 9, baseOffset: 10, lastOffset: 11, duplicate: true },
    { op: 'ack', req: 8, baseOffset: -1, lastOffset: -1, delayed: true },
    { op: 'error', req: 7, code: 'EVQ_ERR_MESSAGE_TOO_LARGE', message: 'message 0 is larger than 1048576 bytes' },
    { op: 'error', sub: 1, code: 'EVQ_ERR_INVALID_FILTER', message: 'the filter must be a string' },
    { op: 'error', code: 'EVQ_ERR_MALFORMED', message: 'a text frame must be a JSON object with an "op"' },
    { op: 'closed', sub: 1, code: 'EVQ_ERR_NOT_FOUND', message: 'topic "orders" was deleted' },
  ];
  const golden = lines('ws-control.ndjson');

  it('holds one line per frame, every kind of both directions', () => {
    expect(golden).toHaveLength(CLIENT.length + BROKER.length);
    const kinds = new Set(golden.map((line) => (JSON.parse(line) as { op: string }).op));
    expect([...kinds].sort()).toEqual(['ack', 'closed', 'error', 'produce', 'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);
  });

  it('client frames: the broker decodes each line to its frame, and the frame encodes to the line', () => {
    CLIENT.forEach((frame, i) => {
      expect(decodeClientControl(parseControlJson(golden[i]!))).toEqual(frame);
      expect(encodeControl(frame)).toBe(golden[i]);
    });
  });

  it('broker frames: the client decodes each line to its frame, and the frame encodes to the line', () => {
    BROKER.forEach((frame, i) => {
      const line = golden[CLIENT.length + i]!;
      expect(decodeBrokerControl(parseControlJson(line))).toEqual(frame);
      expect(encodeControl(frame)).toBe(line);
    });
  });
});

describe('golden NDJSON records', () => {
  const golden = lines('record.ndjson');
  const RECORDS: EvqRecord[] = [
    { topic: 'orders', partition: 0, offset: 7, timestamp: T, key: 'alice', headers: { type: 'deposit' }, value: Buffer.from('hello') },
    { topic: 'orders', partition: 0, offset: 8, timestamp: T + 5, key: null, headers: null, value: Buffer.from([0x00, 0xff, 0xfe]) },
  ];

  it('a UTF-8 value as "value", any other as "valueBase64"; the lines of a release before partitions are records of partition 0', () => {
    expect(golden[1]).toContain('"valueBase64":"AP/+"');
    RECORDS.forEach((record, i) => {
      // today's lines say the partition, right after the topic; nothing else changed
      expect(recordJson(record)).toBe(golden[i]!.replace('"topic":"orders",', '"topic":"orders","partition":0,'));
      expect(fromWireRecord(JSON.parse(golden[i]!), 'other')).toEqual(record);
    });
    expect(parseRecordLines(fixture('record.ndjson'), 'orders')).toEqual(RECORDS);
  });
});
