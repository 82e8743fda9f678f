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

/** Records of one partition with consecutive offsets, one after the other in a page. */
export interface RecordRun {
  topic: string;
  partition: number;
  /** Offset of the run's first record. */
  offset: number;
  count: number;
}

/** The runs of consecutive offsets of one partition that `records` make, in order. */
function runsOf(records: readonly RecordAt[]): RecordRun[] {
  const runs: RecordRun[] = [];
  let run: RecordRun | undefined;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as RecordAt;
    if (run !== undefined && run.partition === r.partition && run.topic === r.topic && run.offset + run.count === r.offset) run.count++;
    else runs.push((run = { topic: r.topic, partition: r.partition, offset: r.offset, count: 1 }));
  }
  return runs;
}

/** Per partition, its last record among the first `end` records of the page: one map update per run, not per record. */
function lastOfEach(runs: readonly RecordRun[], end: number): ByPartition<Last> {
  const out: ByPartition<Last> = new Map();
  let start = 0;
  for (let i = 0; i < runs.length && start < end; i++) {
    const run = runs[i] as RecordRun;
    const inRange = Math.min(run.count, end - start);
    const offset = run.offset + inRange - 1;
    const seen = getAt(out, run.topic, run.partition);
    setAt(out, run.topic, run.partition, {
      index: start + inRange - 1,
      offset: seen === undefined || seen.offset < offset ? offset : seen.offset,
    });
    start += run.count;
  }
  return out;
}

export class PageOffsets {
  /** The generation the page was read in: its commit names it. */
  readonly generation: number;
  #runs: readonly RecordRun[];
  #count: number;
  readonly #next: readonly PartitionNext[];
  /** Per partition, its last record in the page: computed at the first commit, not per record read. */
  #lastAll: ByPartition<Last> | null = null;
  #taken = 0;

  constructor(generation: number, records: readonly RecordAt[], next: readonly PartitionNext[]) {
    this.generation = generation;
    this.#runs = runsOf(records);
    this.#count = records.length;
    this.#next = next;
  }

  /** A page known by its runs (the sections of a binary member read), its records not decoded. */
  static ofRuns(generation: number, runs: readonly RecordRun[], next: readonly PartitionNext[]): PageOffsets {
    const page = new PageOffsets(generation, [], next);
    page.#runs = runs;
    page.#count = runs.reduce((n, r) => n + r.count, 0);
    return page;
  }

  /** Records of the page taken so far (the first `taken`, in page order). */
  get taken(): number {
    return this.#taken;
  }

  /** The caller took the next record of the page. */
  take(): void {
    if (this.#taken < this.#count) this.#taken++;
  }

  /** Whether every record of the page was taken. */
  get complete(): boolean {
    return this.#taken >= this.#count;
  }

  /** What to commit now, in topic then partition order (see the file's comment). */
  offsets(): PartitionNext[] {
    const lastAll = (this.#lastAll ??= lastOfEach(this.#runs, this.#count));
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
    for (const [topic, inner] of lastOfEach(this.#runs, taken)) {
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
