/**
 * The bookkeeping of one produce: batches complete in any order, but `onAck`/`onReject` are called in input
 * order (a batch's outcomes wait for every earlier batch's), and the counts, offsets and the first message
 * that was neither acknowledged nor rejected are kept for the result or the error. Pure.
 */

import type { MessageAck, MessageRejection, PartitionAcks, ProduceMessage, ProduceResult } from './types.js';

/** What became of one message. */
export type Outcome =
  /** `partition` absent: 0 (a transport of one partition, or a delayed message the broker holds). */
  | { kind: 'ack'; offset: number; delayed: boolean; partition?: number }
  | { kind: 'rejected'; code: string; reason: string }
  /** Not acknowledged: its batch failed or was never sent (after an earlier failure). */
  | { kind: 'failed' };

export interface TalliedItem {
  index: number;
  message: ProduceMessage;
}

export interface TallyCallbacks {
  onAck?: ((ack: MessageAck) => void) | undefined;
  onReject?: ((rejection: MessageRejection) => void) | undefined;
}

export class ProduceTally {
  readonly #callbacks: TallyCallbacks;
  readonly #completed = new Map<number, { items: readonly TalliedItem[]; outcomes: readonly Outcome[] }>();
  #nextSeq = 0;
  acknowledged = 0;
  rejected = 0;
  delayed = 0;
  firstOffset: number | null = null;
  lastOffset: number | null = null;
  /** Per partition acknowledged (not delayed): count and offsets. */
  readonly #partitions = new Map<number, PartitionAcks>();
  #lastPart: PartitionAcks | undefined;
  /** Lowest input index neither acknowledged nor rejected. */
  firstUnacknowledged: number | null = null;
  /** An `onAck`/`onReject` callback threw: the produce stops with it. */
  callbackError: { error: unknown } | undefined;

  constructor(callbacks: TallyCallbacks) {
    this.#callbacks = callbacks;
  }

  /** Records the outcomes of batch `seq` (one per item) and delivers every batch now due, in order. */
  complete(seq: number, items: readonly TalliedItem[], outcomes: readonly Outcome[]): void {
    this.#completed.set(seq, { items, outcomes });
    for (;;) {
      const batch = this.#completed.get(this.#nextSeq);
      if (batch === undefined) return;
      this.#completed.delete(this.#nextSeq);
      this.#nextSeq++;
      for (let i = 0; i < batch.items.length; i++) this.#deliver(batch.items[i] as TalliedItem, batch.outcomes[i] ?? { kind: 'failed' });
    }
  }

  /** Whether every batch handed to `complete` was delivered (none waits for an earlier one). */
  get settled(): boolean {
    return this.#completed.size === 0;
  }

  result(elapsedMs: number, wireBytes: number): ProduceResult {
    return {
      acknowledged: this.acknowledged,
      rejected: this.rejected,
      firstOffset: this.firstOffset,
      lastOffset: this.lastOffset,
      partitions: [...this.#partitions.values()].map((p) => ({ ...p })).sort((a, b) => a.partition - b.partition),
      elapsedMs,
      wireBytes,
    };
  }

  #deliver(item: TalliedItem, outcome: Outcome): void {
    if (outcome.kind === 'failed') {
      if (this.firstUnacknowledged === null || item.index < this.firstUnacknowledged) this.firstUnacknowledged = item.index;
      return;
    }
    if (outcome.kind === 'rejected') {
      this.rejected++;
      const onReject = this.#callbacks.onReject;
      if (onReject !== undefined && this.callbackError === undefined) {
        this.#call(onReject, { index: item.index, message: item.message, code: outcome.code, reason: outcome.reason });
      }
      return;
    }
    this.acknowledged++;
    const partition = outcome.partition ?? 0;
    if (outcome.delayed) {
      this.delayed++;
    } else {
      if (this.firstOffset === null || outcome.offset < this.firstOffset) this.firstOffset = outcome.offset;
      if (this.lastOffset === null || outcome.offset > this.lastOffset) this.lastOffset = outcome.offset;
      // a batch's messages mostly share a partition: the last one's entry is looked up only when it changes
      let part = this.#lastPart !== undefined && this.#lastPart.partition === partition ? this.#lastPart : this.#partitions.get(partition);
      if (part === undefined) {
        part = { partition, count: 1, firstOffset: outcome.offset, lastOffset: outcome.offset };
        this.#partitions.set(partition, part);
      } else {
        part.count++;
        if (outcome.offset < part.firstOffset) part.firstOffset = outcome.offset;
        if (outcome.offset > part.lastOffset) part.lastOffset = outcome.offset;
      }
      this.#lastPart = part;
    }
    // per message: no closure and no ack object unless someone listens
    const onAck = this.#callbacks.onAck;
    if (onAck !== undefined && this.callbackError === undefined) {
      this.#call(onAck, { index: item.index, partition, offset: outcome.offset, delayed: outcome.delayed });
    }
  }

  /** Calls a caller's callback; the first one that throws stops the callbacks and fails the produce. */
  #call<T>(callback: (value: T) => void, value: T): void {
    try {
      callback(value);
    } catch (error) {
      this.callbackError = { error };
    }
  }
}
