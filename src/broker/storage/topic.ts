/**
 * A topic: a fixed, growable set of partitions, each its own log with its own offsets from 0. Nothing here
 * knows where the logs live; `TopicStore` opens them (partition 0 in the topic's directory, as a topic's log
 * was before partitions, partition n >= 1 in its subdirectory `n/`).
 */
import type { PartitionOffsets, TopicOffsets } from '../../protocol/http.js';
import type { Log, RetentionResult } from './log.js';

export class Topic {
  readonly #partitions: Log[];

  constructor(
    readonly name: string,
    partitions: readonly Log[],
  ) {
    if (partitions.length === 0) throw new Error(`topic "${name}" needs a partition`);
    this.#partitions = [...partitions];
  }

  /** Number of partitions. */
  get partitionCount(): number {
    return this.#partitions.length;
  }

  /** The partition logs, by partition number. */
  get partitions(): readonly Log[] {
    return this.#partitions;
  }

  /** The log of partition `n`; `undefined` when the topic has no such partition. */
  partition(n: number): Log | undefined {
    return this.#partitions[n];
  }

  /** Messages in all partitions. */
  get messageCount(): number {
    let n = 0;
    for (const log of this.#partitions) n += log.messageCount;
    return n;
  }

  /** Adds the logs of new partitions (numbered from `partitionCount` on). */
  grow(logs: readonly Log[]): void {
    for (const log of logs) {
      if (log.partition !== this.#partitions.length) throw new Error(`partition ${log.partition} added out of order to "${this.name}"`);
      this.#partitions.push(log);
    }
  }

  /**
   * `{topic, startOffset, endOffset, messageCount, sizeBytes, partitions}`: for a topic of one partition the
   * offsets are its partition's; for more, `startOffset` and `endOffset` are the sums over partitions (so
   * `endOffset - startOffset` is still the number of messages) and `partitions` has each one's.
   */
  info(): TopicOffsets {
    const partitions: PartitionOffsets[] = this.#partitions.map((log) => {
      const { partition, startOffset, endOffset, messageCount, sizeBytes } = log.info();
      return { partition, startOffset, endOffset, messageCount, sizeBytes };
    });
    let startOffset = 0;
    let endOffset = 0;
    let sizeBytes = 0;
    for (const p of partitions) {
      startOffset += p.startOffset;
      endOffset += p.endOffset;
      sizeBytes += p.sizeBytes;
    }
    return { topic: this.name, startOffset, endOffset, messageCount: endOffset - startOffset, sizeBytes, partitions };
  }

  /** Applies retention to every partition. */
  async enforceRetention(now?: number): Promise<RetentionResult[]> {
    const results: RetentionResult[] = [];
    for (const log of this.#partitions) results.push(await log.enforceRetention(now));
    return results;
  }

  /** Closes every partition log; rejects with the first failure after trying them all. */
  async close(): Promise<void> {
    const results = await Promise.allSettled(this.#partitions.map((log) => log.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}
