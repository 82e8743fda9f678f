import { describe, expect, it } from 'vitest';
import { ackOutcomes, ackRange } from '../../../../src/client/evq/ack-offsets.js';
import type { BatchAck } from '../../../../src/client/evq/produce-channel.js';

const ack = (fields: Partial<BatchAck>): BatchAck => ({
  partition: 0,
  baseOffset: 0,
  lastOffset: 0,
  delayed: false,
  duplicate: false,
  ...fields,
});
const positions = (outcomes: ReturnType<typeof ackOutcomes>): string[] =>
  outcomes.map((o) => (o.kind === 'ack' ? `${o.partition ?? 0}:${o.offset}` : o.kind));

describe('ackOutcomes', () => {
  it('gives the messages of a one-part ack consecutive offsets of its partition', () => {
    expect(positions(ackOutcomes(ack({ baseOffset: 10, lastOffset: 12 }), 3))).toEqual(['0:10', '0:11', '0:12']);
    expect(positions(ackOutcomes(ack({ partition: 2, baseOffset: 4, lastOffset: 5 }), 2))).toEqual(['2:4', '2:5']);
  });

  it('follows the placement of a batch spread over partitions: each part counts on from its base offset', () => {
    const spread = ack({
      partition: 1,
      baseOffset: 0,
      lastOffset: 1,
      parts: [
        { partition: 1, baseOffset: 0, lastOffset: 1, count: 2 },
        { partition: 2, baseOffset: 4, lastOffset: 6, count: 3 },
      ],
      placement: [1, 2, 2, 1, 2],
    });
    expect(positions(ackOutcomes(spread, 5))).toEqual(['1:0', '2:4', '2:5', '1:1', '2:6']);
  });

  it('refuses an ack that does not add up to the batch', () => {
    expect(() => ackOutcomes(ack({ baseOffset: 0, lastOffset: 1 }), 3)).toThrow(/offsets 0..1 for a batch of 3/);
    const parts = [
      { partition: 0, baseOffset: 0, lastOffset: 0, count: 1 },
      { partition: 1, baseOffset: 0, lastOffset: 0, count: 1 },
    ];
    expect(() => ackOutcomes(ack({ parts, placement: [0, 1, 1] }), 3)).toThrow(/placed 3 messages|acknowledged 2 messages/);
    expect(() => ackOutcomes(ack({ parts, placement: [0, 0] }), 2)).toThrow(/partition 0, which its parts do not cover/);
    expect(() => ackOutcomes(ack({ parts, placement: [0, 3] }), 2)).toThrow(/partition 3/);
  });

  it('gives a one-part ack as one range (no outcome per message), a spread one message by message, and checks both', () => {
    expect(ackRange(ack({ partition: 2, baseOffset: 10, lastOffset: 12 }), 3)).toEqual({ kind: 'acks', partition: 2, baseOffset: 10 });
    const parts = [
      { partition: 0, baseOffset: 5, lastOffset: 5, count: 1 },
      { partition: 1, baseOffset: 0, lastOffset: 0, count: 1 },
    ];
    const spread = ackRange(ack({ baseOffset: 5, lastOffset: 5, parts, placement: [1, 0] }), 2);
    expect(spread.kind === 'each' ? positions([...spread.outcomes]) : spread).toEqual(['1:0', '0:5']);
    expect(() => ackRange(ack({ baseOffset: 0, lastOffset: 1 }), 3)).toThrow(/offsets 0..1 for a batch of 3/);
  });
});
