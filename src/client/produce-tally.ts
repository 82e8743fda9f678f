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

/**
 * What became of every message of a batch at once (no object per message): acknowledged at consecutive
 * offsets from `baseOffset` on one partition, delayed (the broker holds them), or failed.
 */
export type BatchOutcome =
  | { kind: 'acks'; partition: number; baseOffset: number }
  | { kind: 'delayed' }
  | { kind: 'failed' }
  /** One outcome per message, in order (a batch spread over partitions); none of them is `rejected`. */
  | { kind: 'each'; outcomes: readonly Outcome[] };

/** A batch of the input positions `first..first + count - 1`, with the outcome they share. */
interface RangeBatch {
  first: number;
  count: number;
  outcome: BatchOutcome;
}

type Completed = { items: readonly TalliedItem[]; outcomes: readonly Outcome[] } | RangeBatch;

export interface TallyCallbacks {
  onAck?: ((ack: MessageAck) => void) | undefined;
  onReject?: ((rejection: MessageRejection) => void) | undefined;
}

const FAILED: Outcome = { kind: 'failed' };

export class ProduceTally {
  readonly #callbacks: TallyCallbacks;
  readonly #completed = new Map<number, Completed>();
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
    this.#arrive(seq, { items, outcomes });
  }

  /**
   * As {@link ProduceTally.complete} for a batch of the consecutive input positions `first..first + count - 1`
   * whose messages are not kept (nothing can be rejected: no `onReject`), so that a producer can let go of
   * them once the batch is encoded.
   */
  completeRange(seq: number, first: number, count: number, outcome: BatchOutcome): void {
    this.#arrive(seq, { first, count, outcome });
  }

  #arrive(seq: number, arrived: Completed): void {
    this.#completed.set(seq, arrived);
    for (;;) {
      const batch = this.#completed.get(this.#nextSeq);
      if (batch === undefined) return;
      this.#completed.delete(this.#nextSeq);
      this.#nextSeq++;
      if ('first' in batch) this.#deliverRange(batch);
      else for (let i = 0; i < batch.items.length; i++) this.#deliver(batch.items[i] as TalliedItem, batch.outcomes[i] ?? FAILED);
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

  #deliverRange({ first, count, outcome }: RangeBatch): void {
    if (count === 0) return;
    if (outcome.kind === 'each') {
      for (let i = 0; i < count; i++) this.#deliverAt(first + i, undefined, outcome.outcomes[i] ?? FAILED);
      return;
    }
    if (outcome.kind === 'failed') {
      if (this.firstUnacknowledged === null || first < this.firstUnacknowledged) this.firstUnacknowledged = first;
      return;
    }
    this.acknowledged += count;
    const onAck = this.#callbacks.onAck;
    if (outcome.kind === 'delayed') {
      this.delayed += count;
      for (let i = 0; i < count && onAck !== undefined && this.callbackError === undefined; i++) {
        this.#call(onAck, { index: first + i, partition: 0, offset: -1, delayed: true });
      }
      return;
    }
    const { partition, baseOffset } = outcome;
    this.#counted(partition, baseOffset, baseOffset + count - 1, count);
    for (let i = 0; i < count && onAck !== undefined && this.callbackError === undefined; i++) {
      this.#call(onAck, { index: first + i, partition, offset: baseOffset + i, delayed: false });
    }
  }

  #deliver(item: TalliedItem, outcome: Outcome): void {
    this.#deliverAt(item.index, item.message, outcome);
  }

  /** `message` is undefined only where no outcome is `rejected` (a range's). */
  #deliverAt(index: number, message: ProduceMessage | undefined, outcome: Outcome): void {
    if (outcome.kind === 'failed') {
      if (this.firstUnacknowledged === null || index < this.firstUnacknowledged) this.firstUnacknowledged = index;
      return;
    }
    if (outcome.kind === 'rejected') {
      this.rejected++;
      const onReject = this.#callbacks.onReject;
      if (onReject !== undefined && this.callbackError === undefined) {
        this.#call(onReject, { index, message: message as ProduceMessage, code: outcome.code, reason: outcome.reason });
      }
      return;
    }
    this.acknowledged++;
    const partition = outcome.partition ?? 0;
    if (outcome.delayed) this.delayed++;
    else this.#counted(partition, outcome.offset, outcome.offset, 1);
    // per message: no closure and no ack object unless someone listens
    const onAck = this.#callbacks.onAck;
    if (onAck !== undefined && this.callbackError === undefined) {
      this.#call(onAck, { index, partition, offset: outcome.offset, delayed: outcome.delayed });
    }
  }

  /** `count` messages acknowledged on `partition` at offsets `first..last`: the run's and the partition's span. */
  #counted(partition: number, first: number, last: number, count: number): void {
    if (this.firstOffset === null || first < this.firstOffset) this.firstOffset = first;
    if (this.lastOffset === null || last > this.lastOffset) this.lastOffset = last;
    // a batch's messages mostly share a partition: the last one's entry is looked up only when it changes
    let part = this.#lastPart !== undefined && this.#lastPart.partition === partition ? this.#lastPart : this.#partitions.get(partition);
    if (part === undefined) {
      part = { partition, count, firstOffset: first, lastOffset: last };
      this.#partitions.set(partition, part);
    } else {
      part.count += count;
      if (first < part.firstOffset) part.firstOffset = first;
      if (last > part.lastOffset) part.lastOffset = last;
    }
    this.#lastPart = part;
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
