/**
 * What a group member commits for a page of a member read (pure bookkeeping, no I/O). A page is records of
 * several partitions and, per partition read, the offset to commit once every record of the page was taken
 * (`evq-next-offsets`: past the records the filter skipped). The caller takes records one by one; what is
 * committed is, per partition:
 * - every record of the partition in the page taken (or none there): the page's next offset of it;
 * - some taken: the offset after the last one taken (the rest is read again: at least once);
 * - none taken of the records it has: nothing.
 * An offset already committed by this member is not sent again.
 */

import type { PartitionNext } from '../../protocol/http-replies.js';

export type { PartitionNext } from '../../protocol/http-replies.js';

interface RecordAt {
  topic: string;
  partition: number;
  offset: number;
}

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** topic → partition → a value: looked up without building a string key per record. */
type ByPartition<T> = Map<string, Map<number, T>>;

interface Last {
  /** Index in the page of the partition's last record in the range scanned. */
  index: number;
  /** The largest offset of the partition's records in that range. */
  offset: number;
}

function getAt<T>(map: ByPartition<T>, topic: string, partition: number): T | undefined {
  return map.get(topic)?.get(partition);
}

function setAt<T>(map: ByPartition<T>, topic: string, partition: number, value: T): void {
  let inner = map.get(topic);
  if (inner === undefined) map.set(topic, (inner = new Map()));
  inner.set(partition, value);
}

/**
 * Per partition, its last record among `records[0, end)`: one map update per run of records of one partition
 * (a page holds its partitions one after the other), not per record.
 */
function lastOfEach(records: readonly RecordAt[], end: number): ByPartition<Last> {
  const out: ByPartition<Last> = new Map();
  let max = -1;
  for (let i = 0; i < end; i++) {
    const r = records[i] as RecordAt;
    if (r.offset > max) max = r.offset;
    const after = i + 1 < end ? (records[i + 1] as RecordAt) : undefined;
    if (after !== undefined && after.partition === r.partition && after.topic === r.topic) continue;
    // the end of a run of the partition
    const seen = getAt(out, r.topic, r.partition);
    setAt(out, r.topic, r.partition, { index: i, offset: seen === undefined || seen.offset < max ? max : seen.offset });
    max = -1;
  }
  return out;
}

export class PageOffsets {
  /** The generation the page was read in: its commit names it. */
  readonly generation: number;
  readonly #records: readonly RecordAt[];
  readonly #next: readonly PartitionNext[];
  /** Per partition, its last record in the page: computed at the first commit, not per record read. */
  #lastAll: ByPartition<Last> | null = null;
  #taken = 0;

  constructor(generation: number, records: readonly RecordAt[], next: readonly PartitionNext[]) {
    this.generation = generation;
    this.#records = records;
    this.#next = next;
  }

  /** Records of the page taken so far (the first `taken`, in page order). */
  get taken(): number {
    return this.#taken;
  }

  /** The caller took the next record of the page. */
  take(): void {
    if (this.#taken < this.#records.length) this.#taken++;
  }

  /** Whether every record of the page was taken. */
  get complete(): boolean {
    return this.#taken >= this.#records.length;
  }

  /** What to commit now, in topic then partition order (see the file's comment). */
  offsets(): PartitionNext[] {
    const lastAll = (this.#lastAll ??= lastOfEach(this.#records, this.#records.length));
    const taken = this.#taken;
    const out: ByPartition<PartitionNext> = new Map();
    /** Partitions of the header taken whole: their page's next offset. */
    const whole: ByPartition<true> = new Map();
    for (const n of this.#next) {
      const last = getAt(lastAll, n.topic, n.partition);
      if (last === undefined || last.index < taken) {
        setAt(out, n.topic, n.partition, { ...n });
        setAt(whole, n.topic, n.partition, true);
      }
    }
    // a partition taken in part (or that the header left out): the offset after its last record taken
    for (const [topic, inner] of lastOfEach(this.#records, taken)) {
      for (const [partition, last] of inner) {
        if (getAt(whole, topic, partition) === true) continue;
        setAt(out, topic, partition, { topic, partition, offset: last.offset + 1 });
      }
    }
    const list: PartitionNext[] = [];
    for (const inner of out.values()) for (const n of inner.values()) list.push(n);
    return list.sort(byPartition);
  }
}

function byPartition(a: PartitionNext, b: PartitionNext): number {
  return a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;
}

/** The offsets a member committed, so that it does not commit the same again (a long poll that brought nothing). */
export class CommittedOffsets {
  readonly #offsets = new Map<string, number>();

  /** Of `offsets`, those not committed yet at that value. */
  pending(offsets: readonly PartitionNext[]): PartitionNext[] {
    return offsets.filter((o) => this.#offsets.get(keyOf(o.topic, o.partition)) !== o.offset);
  }

  /** The broker took these. */
  record(offsets: readonly PartitionNext[]): void {
    for (const o of offsets) this.#offsets.set(keyOf(o.topic, o.partition), o.offset);
  }

  /** After a rebalance or a new join: another member may have committed since. */
  forget(): void {
    this.#offsets.clear();
  }
}

/** `partition 0 offset 12, partition 2 offset 7` (`orders/0 offset 12` when several topics are named). */
export function describeOffsets(offsets: readonly PartitionNext[]): string {
  const topics = new Set(offsets.map((o) => o.topic));
  return offsets
    .map((o) => (topics.size > 1 ? `${o.topic}/${o.partition} offset ${o.offset}` : `partition ${o.partition} offset ${o.offset}`))
    .join(', ');
}
