/**
 * What the Kafka listener keeps of idempotent producers: the producer ids it hands out, and per partition
 * the producers' sequences ({@link PartitionProducers}), with a queue per partition that makes each
 * check-and-append one step.
 *
 * Across restarts: the state travels with the data, at no extra write. The last record the broker appends
 * of an idempotent batch carries the header {@link KAFKA_PRODUCER_HEADER}
 * (`<producer id>:<epoch>:<first sequence>:<last sequence>:<records appended>`); the records of one batch
 * are appended in one go, in order, so when that record is on disk the whole batch is (with
 * `--fsync always`, before the answer). The first idempotent produce to a partition after a start reads
 * the partition's last {@link LIMITS.maxKafkaProducerRebuildRecords} records back from its end and
 * remembers the last batches of each producer they name, before its own check. A producer whose last
 * batch lies further back is unknown after a restart (its next batch, unless it starts at sequence 0,
 * gets UNKNOWN_PRODUCER_ID: never a second copy).
 *
 * Producer ids are unique across restarts without being stored: the milliseconds since 2023-11-14 times
 * 2048 plus a random 0–2047, and always above the last id handed out (room until about 2160 within
 * 2^53). Epochs are always 0: without transactions nothing bumps them.
 */
import { randomInt } from 'node:crypto';
import { LIMITS } from '../../core/limits.js';
import { KAFKA_PRODUCER_HEADER } from '../../protocol/kafka/record-translation.js';
import type { Log } from '../storage/log.js';
import { MAX_CACHED_BATCHES, PartitionProducers, type ProducerBatch } from './producer-sequences.js';

/** Offsets read per step, going back from the end of a log. */
const STEP = 10_000;
/** Milliseconds since the Unix epoch at which producer ids start (2023-11-14). */
const ID_EPOCH_MS = 1_700_000_000_000;
const ID_RANDOM = 2048;
const MARKER = /^(\d{1,16}):(\d{1,5}):(\d{1,10}):(\d{1,10}):(\d{1,10})$/;

export interface ProducerStateLimits {
  maxProducersPerPartition: number;
  maxRebuildRecords: number;
  rebuildReadBytes: number;
}

/** The marker header's value for a batch of which `appended` records were appended. */
export function producerMarker(b: ProducerBatch, appended: number): string {
  return `${b.producerId}:${b.epoch}:${b.firstSeq}:${b.lastSeq}:${appended}`;
}

/** A marker header's value read back; null for one that does not hold together. */
export function parseProducerMarker(value: string): { batch: ProducerBatch; appended: number } | null {
  const m = MARKER.exec(value);
  if (m === null) return null;
  const [producerId, epoch, firstSeq, lastSeq, appended] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (!Number.isSafeInteger(producerId) || epoch > 32_767 || firstSeq > 2 ** 31 - 1 || lastSeq > 2 ** 31 - 1 || appended < 1) return null;
  return { batch: { producerId, epoch, firstSeq, lastSeq }, appended };
}

export class ProducerState {
  readonly #partitions = new WeakMap<Log, Promise<PartitionProducers>>();
  readonly #queues = new Map<string, Promise<void>>();
  #lastId = 0;

  constructor(
    private readonly limits: ProducerStateLimits = {
      maxProducersPerPartition: LIMITS.maxKafkaProducersPerPartition,
      maxRebuildRecords: LIMITS.maxKafkaProducerRebuildRecords,
      rebuildReadBytes: LIMITS.idempotencyRebuildReadBytes,
    },
  ) {}

  /** A producer id no producer had before, on this broker's data (see the file's comment). */
  nextProducerId(now: number): number {
    const id = Math.max(this.#lastId + 1, Math.max(0, now - ID_EPOCH_MS) * ID_RANDOM + randomInt(ID_RANDOM));
    if (!Number.isSafeInteger(id)) throw new Error('producer ids are exhausted');
    this.#lastId = id;
    return id;
  }

  /**
   * Runs `step` once the steps queued before it for the same partition are done: call it in the order the
   * batches arrived. `step` should resolve as soon as its appends have started (appends keep call order),
   * so that pipelined batches still share a write.
   */
  serialize<T>(topic: string, partition: number, step: () => Promise<T>): Promise<T> {
    const key = `${topic}\u0000${partition}`;
    const run = (this.#queues.get(key) ?? Promise.resolve()).then(step);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(key, tail);
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return run;
  }

  /** The producers of a partition, read back from the end of its log the first time (call inside `serialize`). */
  of(log: Log): Promise<PartitionProducers> {
    let state = this.#partitions.get(log);
    if (state === undefined) {
      state = rebuild(log, this.limits);
      this.#partitions.set(log, state);
      // a rebuild that failed is tried again by the next produce
      state.catch(() => this.#partitions.delete(log));
    }
    return state;
  }
}

interface Found {
  batch: ProducerBatch;
  baseOffset: number;
}

/** The last batches of each producer named by the markers among the log's last records. */
async function rebuild(log: Log, limits: ProducerStateLimits): Promise<PartitionProducers> {
  // per producer: its batches, newest first, of the epoch of its newest one
  const found = new Map<number, Found[]>();
  let hi = log.endOffset;
  let scanned = 0;
  while (hi > log.startOffset && scanned < limits.maxRebuildRecords) {
    const lo = Math.max(log.startOffset, hi - Math.min(STEP, limits.maxRebuildRecords - scanned));
    const step: Found[] = [];
    let offset = lo;
    let damaged = false;
    while (offset < hi) {
      let records;
      try {
        records = await log.read(offset, { maxRecords: hi - offset, maxBytes: limits.rebuildReadBytes });
      } catch {
        // a damaged range ends the scan: what lies before it is not looked at (its producers are unknown)
        damaged = true;
        break;
      }
      if (records.length === 0) break;
      for (const record of records) {
        if (record.offset >= hi) break;
        offset = record.offset + 1;
        scanned++;
        const value = record.headers?.[KAFKA_PRODUCER_HEADER];
        const marker = value === undefined ? null : parseProducerMarker(value);
        if (marker !== null) step.push({ batch: marker.batch, baseOffset: record.offset - marker.appended + 1 });
      }
    }
    for (let i = step.length - 1; i >= 0; i--) {
      const f = step[i] as Found;
      let batches = found.get(f.batch.producerId);
      if (batches === undefined) found.set(f.batch.producerId, (batches = []));
      if (batches.length < MAX_CACHED_BATCHES && (batches.length === 0 || (batches[0] as Found).batch.epoch === f.batch.epoch)) {
        batches.push(f);
      }
    }
    if (damaged) break;
    hi = lo;
  }
  const state = new PartitionProducers(limits.maxProducersPerPartition);
  // the producer seen last is restored last: it is the most recently used
  const producers = [...found.values()].sort((a, b) => (a[0] as Found).baseOffset - (b[0] as Found).baseOffset);
  for (const batches of producers.slice(-limits.maxProducersPerPartition)) {
    for (let i = batches.length - 1; i >= 0; i--) state.restore((batches[i] as Found).batch, (batches[i] as Found).baseOffset);
  }
  return state;
}
