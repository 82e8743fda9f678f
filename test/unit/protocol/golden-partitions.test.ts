/**
 * Golden bytes of what partitions added to the wire format (test/fixtures/protocol/*-partition.bin and
 * record-v2.ndjson, written once by scripts/make-fixture-golden.js): a produce frame that names its partition,
 * deliveries of a partition other than 0, and NDJSON records that say their partition. Both directions, as in
 * golden.test.ts; the fixtures of the release before partitions are checked there, unchanged.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBatch } from '../../../src/protocol/record-codec.js';
import type { EvqRecord } from '../../../src/protocol/record.js';
import { fromWireRecord, parseRecordLines, recordJson } from '../../../src/protocol/wire-record.js';
import {
  FRAME,
  decodeDeliveryFrame,
  decodeProduceFrame,
  encodeDeliverHeader,
  encodeProduceFrame,
  encodeSparseHeader,
} from '../../../src/protocol/ws-frames.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/protocol/${name}`, import.meta.url));

/** 2026-01-01T00:00:00Z. */
const T = 1767225600000;

describe('golden binary frames of partitions', () => {
  it('produce naming a partition: flag bit 1, then a u32 partition after the idempotency key', () => {
    const golden = fixture('ws-produce-partition.bin');
    expect(golden[0]).toBe(FRAME.produce);
    const frame = decodeProduceFrame(golden);
    expect({ ...frame, batch: undefined }).toEqual({
      req: 43,
      topic: 'orders',
      gzip: false,
      dueAt: 0,
      idempotencyKey: null,
      partition: 5,
      batch: undefined,
    });
    // flags byte: after u8 kind, u32 req, u16 length and the topic
    expect(golden[1 + 4 + 2 + 'orders'.length]).toBe(0x02);
    expect(decodeBatch(frame.batch, 'orders').map((r) => r.value.toString())).toEqual(['first', 'second']);
    const encoded = encodeProduceFrame(
      { req: 43, topic: 'orders', gzip: false, dueAt: 0, idempotencyKey: null, partition: 5 },
      frame.batch,
    );
    expect(encoded.equals(golden)).toBe(true);
  });

  it('deliver of partition 2: kind 0x04, the sub id, the partition, then the stored batch', () => {
    const golden = fixture('ws-deliver-partition.bin');
    expect(golden.subarray(0, 9).toString('hex')).toBe('040000000300000002');
    const frame = decodeDeliveryFrame(golden);
    expect({ sub: frame.sub, partition: frame.partition, offsets: frame.offsets }).toEqual({ sub: 3, partition: 2, offsets: null });
    const records = decodeBatch(frame.batch, 'orders', undefined, frame.partition);
    expect(records.map((r) => [r.partition, r.offset])).toEqual([
      [2, 7],
      [2, 8],
      [2, 9],
      [2, 10],
    ]);
    expect(Buffer.concat([encodeDeliverHeader(3, 2), frame.batch]).equals(golden)).toBe(true);
  });

  it('sparse of partition 2: kind 0x05, the partition, the offsets, then the batch', () => {
    const golden = fixture('ws-sparse-partition.bin');
    expect(golden.subarray(0, 13).toString('hex')).toBe('05000000030000000200000002');
    const frame = decodeDeliveryFrame(golden);
    expect({ sub: frame.sub, partition: frame.partition, offsets: frame.offsets }).toEqual({ sub: 3, partition: 2, offsets: [8, 10] });
    expect(Buffer.concat([encodeSparseHeader(3, [8, 10], 2), frame.batch]).equals(golden)).toBe(true);
  });

  it('partition 0 keeps the frames of the release before partitions', () => {
    expect(encodeDeliverHeader(3, 0).equals(fixture('ws-deliver.bin').subarray(0, 5))).toBe(true);
    expect(encodeSparseHeader(3, [8, 10], 0).equals(fixture('ws-sparse.bin').subarray(0, 5 + 4 + 16))).toBe(true);
    const plain = fixture('ws-produce-plain.bin');
    expect(decodeProduceFrame(plain)).not.toHaveProperty('partition');
  });
});

describe('golden NDJSON records with partitions', () => {
  const RECORDS: EvqRecord[] = [
    { topic: 'orders', partition: 0, offset: 7, timestamp: T, key: 'alice', headers: { type: 'deposit' }, value: Buffer.from('hello') },
    { topic: 'orders', partition: 3, offset: 8, timestamp: T + 5, key: null, headers: null, value: Buffer.from([0x00, 0xff, 0xfe]) },
  ];

  it('"partition" follows "topic"; both directions', () => {
    const golden = fixture('record-v2.ndjson').toString('utf8').split('\n').slice(0, -1);
    RECORDS.forEach((record, i) => {
      expect(recordJson(record)).toBe(golden[i]);
      expect(fromWireRecord(JSON.parse(golden[i]!), 'other')).toEqual(record);
    });
    expect(parseRecordLines(fixture('record-v2.ndjson'), 'orders')).toEqual(RECORDS);
  });
});
