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

export class PageOffsets {
  /** The generation the page was read in: its commit names it. */
  readonly generation: number;
  readonly #records: readonly RecordAt[];
  readonly #next: ReadonlyMap<string, PartitionNext>;
  /** Per partition, the index of its last record in the page. */
  readonly #lastIndex = new Map<string, number>();
  #taken = 0;

  constructor(generation: number, records: readonly RecordAt[], next: readonly PartitionNext[]) {
    this.generation = generation;
    this.#records = records;
    this.#next = new Map(next.map((n) => [keyOf(n.topic, n.partition), n]));
    records.forEach((r, i) => this.#lastIndex.set(keyOf(r.topic, r.partition), i));
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
    const out = new Map<string, PartitionNext>();
    for (const [key, n] of this.#next) {
      const last = this.#lastIndex.get(key);
      if (last === undefined || last < this.#taken) out.set(key, { ...n });
    }
    for (let i = 0; i < this.#taken; i++) {
      const r = this.#records[i] as RecordAt;
      const key = keyOf(r.topic, r.partition);
      // a partition taken whole has its page's next offset above; else (or when the header left it out) the
      // offset after its last record taken
      if (this.#next.has(key) && (this.#lastIndex.get(key) as number) < this.#taken) continue;
      const seen = out.get(key);
      if (seen === undefined || seen.offset < r.offset + 1) out.set(key, { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
    }
    return [...out.values()].sort(byPartition);
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
