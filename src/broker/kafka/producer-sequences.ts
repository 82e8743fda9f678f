/**
 * The idempotent producer's sequence checks for one partition, as Kafka's broker makes them
 * (ProducerStateManager): per producer id, its current epoch, the last sequence it appended and its last
 * {@link MAX_CACHED_BATCHES} batches (first and last sequence, base offset). For a batch of a producer:
 *
 * - a batch of the current epoch whose sequences are those of a remembered batch is a retry: it is answered
 *   NONE with the base offset of the first write and appended no more (what Kafka ≥ 1.0 answers; kafkajs
 *   treats DUPLICATE_SEQUENCE_NUMBER as a failure, so it is never sent);
 * - an older epoch: INVALID_PRODUCER_EPOCH (the producer was fenced);
 * - a newer epoch must start at sequence 0, else OUT_OF_ORDER_SEQUENCE_NUMBER;
 * - the current epoch must go on from the last sequence (after 2^31 - 1 comes 0), else
 *   OUT_OF_ORDER_SEQUENCE_NUMBER;
 * - a producer the partition does not know starts at sequence 0; another first sequence is
 *   UNKNOWN_PRODUCER_ID, as Kafka 2.0–2.4 answers (Kafka 2.5+ takes any sequence then, at the risk of a
 *   second copy of a retry whose state was lost: evq prefers the error, which librdkafka answers with a new
 *   producer id).
 *
 * A batch is remembered when its append starts, with the promise of its base offset, so that a retry that
 * arrives while the first write is under way waits for it. A write that fails is forgotten, and the last
 * sequence goes back to before it (its retry is then in sequence). The least recently seen producer is
 * forgotten past `maxProducers`. Pure: no I/O.
 */
import type { KafkaErrorName } from '../../protocol/kafka/error-codes.js';

/** Batches remembered per producer and partition (Kafka's value: a producer has at most 5 in flight). */
export const MAX_CACHED_BATCHES = 5;
const INT32_MAX = 2 ** 31 - 1;

/** What a Kafka batch says of its producer. */
export interface ProducerBatch {
  producerId: number;
  epoch: number;
  firstSeq: number;
  lastSeq: number;
}

/** A remembered batch; `baseOffset` resolves once it is written (rejects when the write failed). */
export interface CachedBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: Promise<number>;
}

export type SequenceCheck =
  | { verdict: 'append' }
  | { verdict: 'duplicate'; baseOffset: Promise<number> }
  | { verdict: 'refuse'; error: KafkaErrorName; message: string };

interface ProducerEntry {
  epoch: number;
  lastSeq: number;
  /** Oldest first. */
  batches: CachedBatch[];
}

/** The last sequence of `count` records from `firstSeq` (Kafka's DefaultRecordBatch.incrementSequence: 0 follows 2^31 - 1). */
export function lastSequence(firstSeq: number, count: number): number {
  const increment = count - 1;
  return firstSeq > INT32_MAX - increment ? increment - (INT32_MAX - firstSeq) - 1 : firstSeq + increment;
}

/** Whether `nextSeq` follows `lastSeq`. */
export function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

function previousSequence(seq: number): number {
  return seq === 0 ? INT32_MAX : seq - 1;
}

const APPEND: SequenceCheck = { verdict: 'append' };

export class PartitionProducers {
  /** In order of last use: the first is the one forgotten next. */
  readonly #producers = new Map<number, ProducerEntry>();

  constructor(private readonly maxProducers: number) {}

  get size(): number {
    return this.#producers.size;
  }

  check(b: ProducerBatch): SequenceCheck {
    const entry = this.#producers.get(b.producerId);
    if (entry === undefined) {
      if (b.firstSeq === 0) return APPEND;
      return refuse(
        'UNKNOWN_PRODUCER_ID',
        `producer ${b.producerId} is not known to this partition and its batch starts at sequence ${b.firstSeq}, not 0`,
      );
    }
    if (b.epoch < entry.epoch) {
      return refuse('INVALID_PRODUCER_EPOCH', `producer ${b.producerId} epoch ${b.epoch} is older than its epoch ${entry.epoch}`);
    }
    if (b.epoch > entry.epoch) {
      if (b.firstSeq === 0) return APPEND;
      return refuse(
        'OUT_OF_ORDER_SEQUENCE_NUMBER',
        `the new epoch ${b.epoch} of producer ${b.producerId} starts at sequence ${b.firstSeq}, not 0`,
      );
    }
    for (const cached of entry.batches) {
      if (cached.firstSeq === b.firstSeq && cached.lastSeq === b.lastSeq) return { verdict: 'duplicate', baseOffset: cached.baseOffset };
    }
    if (inSequence(entry.lastSeq, b.firstSeq)) return APPEND;
    return refuse(
      'OUT_OF_ORDER_SEQUENCE_NUMBER',
      `producer ${b.producerId} sent sequence ${b.firstSeq} after ${entry.lastSeq}: a batch is missing or was sent twice out of order`,
    );
  }

  /** Remembers a batch `check` said to append, whose write has started; `baseOffset` resolves once written. */
  begin(b: ProducerBatch, baseOffset: Promise<number>): void {
    const cached: CachedBatch = { firstSeq: b.firstSeq, lastSeq: b.lastSeq, baseOffset };
    const entry = this.#touch(b.producerId, b.epoch);
    entry.batches.push(cached);
    if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift();
    entry.lastSeq = b.lastSeq;
    baseOffset.catch(() => this.#failed(b.producerId, entry, cached));
  }

  /** Remembers a batch found written (rebuilding after a restart): call in log order. */
  restore(b: ProducerBatch, baseOffset: number): void {
    const entry = this.#touch(b.producerId, b.epoch);
    entry.batches.push({ firstSeq: b.firstSeq, lastSeq: b.lastSeq, baseOffset: Promise.resolve(baseOffset) });
    if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift();
    entry.lastSeq = b.lastSeq;
  }

  /** The producer's entry for `epoch` (a new epoch starts afresh), moved to the most recently used end. */
  #touch(producerId: number, epoch: number): ProducerEntry {
    let entry = this.#producers.get(producerId);
    if (entry === undefined || entry.epoch !== epoch) entry = { epoch, lastSeq: -1, batches: [] };
    this.#producers.delete(producerId);
    this.#producers.set(producerId, entry);
    if (this.#producers.size > this.maxProducers) {
      const oldest = this.#producers.keys().next().value as number;
      this.#producers.delete(oldest);
    }
    return entry;
  }

  /** A write failed: it and the batches started after it are forgotten, the sequence goes back to before it. */
  #failed(producerId: number, entry: ProducerEntry, cached: CachedBatch): void {
    if (this.#producers.get(producerId) !== entry) return;
    const at = entry.batches.indexOf(cached);
    if (at < 0) return;
    entry.batches.splice(at);
    entry.lastSeq = previousSequence(cached.firstSeq);
  }
}

function refuse(error: KafkaErrorName, message: string): SequenceCheck {
  return { verdict: 'refuse', error, message };
}
