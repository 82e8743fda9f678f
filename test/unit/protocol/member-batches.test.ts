import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EvqError } from '../../../src/errors.js';
import { decodeMemberBatches, encodeMemberBatches } from '../../../src/protocol/member-batches.js';
import type { EvqRecord } from '../../../src/protocol/record.js';

const T0 = 1_700_000_000_000;

function rec(topic: string, partition: number, offset: number, extra: Partial<EvqRecord> = {}): EvqRecord {
  return { topic, partition, offset, timestamp: T0 + offset, key: null, headers: null, value: Buffer.from(`v${offset}`), ...extra };
}

/** A page as a member read has it: partitions one after the other, a filter's gap in partition 2, two topics. */
function page(): EvqRecord[] {
  return [
    rec('orders', 2, 10, { key: 'k', headers: { type: 'a', 'x-é': 'välue' } }),
    rec('orders', 2, 11, { key: '', headers: {} }),
    rec('orders', 2, 14, { value: Buffer.from([0, 255, 1]) }),
    rec('orders', 0, 0),
    rec('payments', 0, 7, { value: Buffer.from('ünïcødé ✓ 😀') }),
  ];
}

function expectMalformed(body: Buffer): void {
  let error: unknown;
  try {
    decodeMemberBatches(body);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(EvqError);
  expect((error as EvqError).code).toBe('EVQ_ERR_MALFORMED');
}

function plain(records: readonly EvqRecord[]): unknown[] {
  return records.map((r) => ({ ...r, headers: r.headers === null ? null : { ...r.headers }, value: [...r.value] }));
}

describe('the binary body of member reads', () => {
  it('gives back the records of the page in order: topics, partitions, offsets, keys, headers and values', () => {
    const records = page();
    expect(plain(decodeMemberBatches(encodeMemberBatches(records)))).toEqual(plain(records));
  });

  it('is empty for an empty page, and an empty body is no records', () => {
    expect(encodeMemberBatches([]).length).toBe(0);
    expect(decodeMemberBatches(Buffer.alloc(0))).toEqual([]);
  });

  it("refuses every body cut short inside a section (at a section's end it is a shorter page)", () => {
    const body = encodeMemberBatches(page());
    const ends = new Set<number>();
    for (let at = 0; at < body.length;) {
      const topicLength = body.readUInt32BE(at + 4);
      at += 12 + topicLength + body.readUInt32BE(at + 8 + topicLength);
      ends.add(at);
    }
    expect(ends.size).toBe(4); // orders/2 10-11, orders/2 14, orders/0, payments/0
    for (let n = 1; n < body.length; n++) {
      if (ends.has(n)) expect(decodeMemberBatches(body.subarray(0, n)).length).toBeLessThan(5);
      else expectMalformed(body.subarray(0, n));
    }
  });

  it('refuses lengths past the end, huge lengths, bad topic names, partitions past the limit and bytes left over', () => {
    const body = encodeMemberBatches([rec('orders', 1, 5)]);
    const topicLength = 6;
    const batchLengthAt = 8 + topicLength;
    const huge = Buffer.from(body);
    huge.writeUInt32BE(0xffffffff, batchLengthAt);
    expectMalformed(huge);
    const longer = Buffer.from(body);
    longer.writeUInt32BE(longer.readUInt32BE(batchLengthAt) + 1, batchLengthAt);
    expectMalformed(longer);
    const shorter = Buffer.from(body);
    shorter.writeUInt32BE(shorter.readUInt32BE(batchLengthAt) - 1, batchLengthAt);
    expectMalformed(shorter);
    const name = Buffer.from(body);
    name.writeUInt32BE(0xffffffff, 4);
    expectMalformed(name);
    const noName = Buffer.from(body);
    noName.writeUInt32BE(0, 4);
    expectMalformed(noName);
    const slash = Buffer.from(body);
    slash.write('or/ers', 8, 'latin1');
    expectMalformed(slash);
    const partition = Buffer.from(body);
    partition.writeUInt32BE(0xffffffff, 0);
    expectMalformed(partition);
    // a batch whose header claims a huge count
    const count = Buffer.from(body);
    count.writeUInt32BE(0xffffffff, batchLengthAt + 4 + 4);
    expectMalformed(count);
    expectMalformed(Buffer.concat([body, Buffer.from([0, 0, 0])]));
  });

  it('never throws anything but EVQ_ERR_MALFORMED on random or flipped bytes', () => {
    const body = encodeMemberBatches(page());
    fc.assert(
      fc.property(fc.nat(body.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const flipped = Buffer.from(body);
        flipped[at] = (flipped[at] as number) ^ xor;
        try {
          decodeMemberBatches(flipped);
        } catch (e) {
          expect((e as EvqError).code).toBe('EVQ_ERR_MALFORMED');
        }
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeMemberBatches(Buffer.from(bytes));
        } catch (e) {
          expect((e as EvqError).code).toBe('EVQ_ERR_MALFORMED');
        }
      }),
      { numRuns: 500 },
    );
  });
});
