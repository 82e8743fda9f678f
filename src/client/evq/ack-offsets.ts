/**
 * The partition and offset of every message of an acknowledged batch. A batch the broker appended to one
 * partition is acknowledged with that partition and `baseOffset..lastOffset`, one offset per message; a batch
 * whose keyed messages went to several partitions comes with its parts (`partitions`) and each message's
 * partition (`placement`, in batch order): message i's offset is its part's `baseOffset` plus the number of
 * earlier messages of that part. An ack that does not add up to the batch is the broker's fault
 * (`EVQ_ERR_INTERNAL`): nothing is guessed. Pure.
 */

import { EvqError } from '../../errors.js';
import type { BatchOutcome, Outcome } from '../produce-tally.js';
import type { BatchAck } from './produce-channel.js';

/** As {@link ackOutcomes}, without an object per message for a batch appended to one partition. */
export function ackRange(ack: BatchAck, count: number): BatchOutcome {
  if (!onOnePartition(ack)) return { kind: 'each', outcomes: ackOutcomes(ack, count) };
  checkRange(ack, count);
  return { kind: 'acks', partition: ack.partition, baseOffset: ack.baseOffset };
}

function onOnePartition(ack: BatchAck): boolean {
  return ack.placement === undefined || ack.parts === undefined || ack.parts.length <= 1;
}

function checkRange(ack: BatchAck, count: number): void {
  if (ack.lastOffset - ack.baseOffset + 1 !== count) {
    throw internal(`the broker acknowledged offsets ${ack.baseOffset}..${ack.lastOffset} for a batch of ${count} messages`);
  }
}

export function ackOutcomes(ack: BatchAck, count: number): Outcome[] {
  const outcomes = new Array<Outcome>(count);
  const placement = ack.placement;
  if (placement === undefined || ack.parts === undefined || ack.parts.length <= 1) {
    checkRange(ack, count);
    const partition = ack.partition;
    for (let i = 0; i < count; i++) outcomes[i] = { kind: 'ack', offset: ack.baseOffset + i, delayed: false, partition };
    return outcomes;
  }
  if (placement.length !== count) {
    throw internal(`the broker placed ${placement.length} messages for a batch of ${count}`);
  }
  // the next offset of each part, checked against its count
  const next = new Map<number, { offset: number; last: number }>();
  let total = 0;
  for (const part of ack.parts) {
    if (part.lastOffset - part.baseOffset + 1 !== part.count || next.has(part.partition)) {
      throw internal(
        `the broker acknowledged partition ${part.partition} with offsets ${part.baseOffset}..${part.lastOffset} for ${part.count} messages`,
      );
    }
    next.set(part.partition, { offset: part.baseOffset, last: part.lastOffset });
    total += part.count;
  }
  if (total !== count) throw internal(`the broker acknowledged ${total} messages in its parts for a batch of ${count}`);
  for (let i = 0; i < count; i++) {
    const partition = placement[i] as number;
    const part = next.get(partition);
    if (part === undefined || part.offset > part.last) {
      throw internal(`the broker placed message ${i + 1} of a batch on partition ${partition}, which its parts do not cover`);
    }
    outcomes[i] = { kind: 'ack', offset: part.offset++, delayed: false, partition };
  }
  return outcomes;
}

function internal(message: string): EvqError {
  return new EvqError('EVQ_ERR_INTERNAL', message);
}
