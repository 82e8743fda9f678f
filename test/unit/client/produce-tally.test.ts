import { describe, expect, it } from 'vitest';
import { ProduceTally } from '../../../src/client/produce-tally.js';
import type { MessageAck, MessageRejection } from '../../../src/client/types.js';

const items = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ index: from + i, message: { value: `m${from + i}` } }));

describe('ProduceTally', () => {
  it('delivers outcomes in batch order whatever order the batches complete in', () => {
    const events: string[] = [];
    const tally = new ProduceTally({
      onAck: (a: MessageAck) => events.push(`ack ${a.index}@${a.offset}`),
      onReject: (r: MessageRejection) => events.push(`reject ${r.index} ${r.code}`),
    });
    tally.complete(1, items(2, 2), [
      { kind: 'ack', offset: 12, delayed: false },
      { kind: 'rejected', code: 'EVQ_ERR_MESSAGE_TOO_LARGE', reason: 'big' },
    ]);
    expect(events).toEqual([]);
    expect(tally.settled).toBe(false);
    tally.complete(0, items(0, 2), [
      { kind: 'ack', offset: 10, delayed: false },
      { kind: 'ack', offset: 11, delayed: false },
    ]);
    expect(events).toEqual(['ack 0@10', 'ack 1@11', 'ack 2@12', 'reject 3 EVQ_ERR_MESSAGE_TOO_LARGE']);
    expect(tally.settled).toBe(true);
    expect(tally.result(5, 100)).toEqual({
      acknowledged: 3,
      rejected: 1,
      firstOffset: 10,
      lastOffset: 12,
      partitions: [{ partition: 0, count: 3, firstOffset: 10, lastOffset: 12 }],
      elapsedMs: 5,
      wireBytes: 100,
    });
  });

  it('delivers a batch given as a range of input positions like one given item by item', () => {
    const events: string[] = [];
    const tally = new ProduceTally({
      onAck: (a: MessageAck) => events.push(`ack ${a.index} ${a.partition}:${a.offset}${a.delayed ? ' delayed' : ''}`),
    });
    tally.completeRange(2, 5, 2, { kind: 'delayed' });
    tally.completeRange(1, 3, 2, {
      kind: 'each',
      outcomes: [
        { kind: 'ack', offset: 7, delayed: false, partition: 1 },
        { kind: 'ack', offset: 12, delayed: false },
      ],
    });
    expect(events).toEqual([]);
    tally.completeRange(0, 0, 3, { kind: 'acks', partition: 0, baseOffset: 10 });
    tally.completeRange(3, 7, 4, { kind: 'failed' });
    expect(events).toEqual([
      'ack 0 0:10',
      'ack 1 0:11',
      'ack 2 0:12',
      'ack 3 1:7',
      'ack 4 0:12',
      'ack 5 0:-1 delayed',
      'ack 6 0:-1 delayed',
    ]);
    expect(tally.settled).toBe(true);
    expect(tally.firstUnacknowledged).toBe(7);
    expect(tally.delayed).toBe(2);
    expect(tally.result(0, 0)).toMatchObject({
      acknowledged: 7,
      firstOffset: 7,
      lastOffset: 12,
      partitions: [
        { partition: 0, count: 4, firstOffset: 10, lastOffset: 12 },
        { partition: 1, count: 1, firstOffset: 7, lastOffset: 7 },
      ],
    });
  });

  it('keeps the first message neither acknowledged nor rejected, and delayed acks out of the offsets', () => {
    const tally = new ProduceTally({});
    tally.complete(0, items(0, 2), [
      { kind: 'ack', offset: -1, delayed: true },
      { kind: 'ack', offset: -1, delayed: true },
    ]);
    tally.complete(1, items(2, 2), [{ kind: 'failed' }, { kind: 'failed' }]);
    expect(tally.firstUnacknowledged).toBe(2);
    expect(tally.result(0, 0)).toMatchObject({ acknowledged: 2, firstOffset: null, lastOffset: null });
    expect(tally.delayed).toBe(2);
  });

  it('stops calling back after a callback throws, and keeps the error', () => {
    const boom = new Error('boom');
    let calls = 0;
    const tally = new ProduceTally({
      onAck: () => {
        calls++;
        throw boom;
      },
    });
    tally.complete(
      0,
      items(0, 3),
      [0, 1, 2].map((o) => ({ kind: 'ack' as const, offset: o, delayed: false })),
    );
    expect(calls).toBe(1);
    expect(tally.callbackError?.error).toBe(boom);
    expect(tally.acknowledged).toBe(3);
  });

  it('tells each ack its partition and counts the offsets per partition', () => {
    const acks: string[] = [];
    const tally = new ProduceTally({ onAck: (a: MessageAck) => acks.push(`${a.partition}:${a.offset}`) });
    tally.complete(0, items(0, 4), [
      { kind: 'ack', offset: 7, delayed: false, partition: 2 },
      { kind: 'ack', offset: 0, delayed: false, partition: 0 },
      { kind: 'ack', offset: 8, delayed: false, partition: 2 },
      { kind: 'ack', offset: 3, delayed: false },
    ]);
    expect(acks).toEqual(['2:7', '0:0', '2:8', '0:3']);
    expect(tally.result(0, 0).partitions).toEqual([
      { partition: 0, count: 2, firstOffset: 0, lastOffset: 3 },
      { partition: 2, count: 2, firstOffset: 7, lastOffset: 8 },
    ]);
  });
});
