import type { Filter } from '../../core/filter/index.js';
import { LIMITS } from '../../core/limits.js';
import { encodeBatch } from '../../protocol/batch-encode.js';
import { sliceBatch } from '../../protocol/batch-slice.js';
import type { EvqRecord, TimestampedMessage } from '../../protocol/record.js';
import type { TopicStore } from '../storage/topic-store.js';
import { FeedBatch, type LiveTarget, type TopicFeed } from './topic-feed.js';

/** How records reach the client: evq's binary batches, one JSON record per text frame, or the raw value. */
export type DeliveryFormat = 'binary' | 'json' | 'raw';

/** What a subscription needs of its connection. */
export interface SubscriberSink {
  readonly closed: boolean;
  /** More bytes are queued than the soft limit: stop live pushes and catch up from the log instead. */
  readonly congested: boolean;
  /** Resolves when the queue has drained below the low-water mark (or the connection closed). */
  drained(): Promise<void>;
  sendDeliver(sub: number, partition: number, batch: Buffer): void;
  sendSparse(sub: number, partition: number, offsets: number[], batch: Buffer): void;
  sendText(text: string): void;
  /** The subscriber's queue is full: it stops taking live data and will catch up from the log. */
  fellBehind(topic: string): void;
  /** The subscriber fell behind where catching up is not possible (memory topics). */
  tooSlow(topic: string): void;
  counted(topic: string, records: number, bytes: number): void;
  /** A subscription had to stop (its range became unreadable, its topic was deleted). */
  failed(sub: number, err: unknown): void;
}

/**
 * One subscription of one partition (a client's subscription of a whole topic is one per partition, see
 * `TopicSubscription`): replays from the log until it reaches the topic feed's cursor, then joins the live set.
 * When its connection is congested it leaves the live set and catches up from the log again once the
 * queue drains, so a slow subscriber costs the broker a bounded queue, never a lost message.
 */
export class Subscription implements LiveTarget {
  #closed = false;
  #catchingUp = false;

  constructor(
    readonly id: number,
    readonly topic: string,
    readonly partition: number,
    /** Next offset to deliver. */
    public next: number,
    private readonly filter: Filter | null,
    private readonly format: DeliveryFormat,
    private readonly feed: TopicFeed,
    private readonly store: TopicStore,
    private readonly sink: SubscriberSink,
    private readonly memory: boolean,
  ) {}

  start(): void {
    void this.#catchUp();
  }

  close(): void {
    this.#closed = true;
    this.feed.live.delete(this);
  }

  /** Live delivery of a batch the feed read once for everyone. */
  push(batch: FeedBatch): boolean {
    if (this.#closed || this.sink.closed) return false;
    this.#deliver(batch);
    if (!this.sink.congested) return true;
    if (this.memory) {
      this.sink.tooSlow(this.topic);
      return false;
    }
    // fall back to the log; resume live once caught up
    this.sink.fellBehind(this.topic);
    void this.#catchUp();
    return false;
  }

  async #catchUp(): Promise<void> {
    if (this.#catchingUp) return;
    this.#catchingUp = true;
    try {
      while (!this.#closed && !this.sink.closed) {
        if (this.sink.congested) {
          await this.sink.drained();
          continue;
        }
        const cursor = this.feed.cursor;
        if (this.next === cursor) {
          this.feed.live.add(this);
          return;
        }
        const log = this.store.get(this.topic)?.partition(this.partition);
        if (this.next > cursor || log === undefined) {
          await this.feed.moved();
          continue;
        }
        if (this.next < log.startOffset) this.next = log.startOffset;
        const { batches } = await log.readBatches(this.next, LIMITS.readStepBytes);
        if (batches.length === 0) {
          await this.feed.moved();
          continue;
        }
        for (const bytes of batches) {
          if (this.#closed) return;
          const batch = FeedBatch.from(this.topic, this.partition, bytes);
          if (batch.baseOffset >= this.feed.cursor) break;
          this.#deliver(batch);
        }
      }
    } catch (err) {
      this.close();
      this.sink.failed(this.id, err);
    } finally {
      this.#catchingUp = false;
    }
  }

  #deliver(batch: FeedBatch): void {
    if (batch.lastOffset < this.next) return;
    const from = this.next;
    this.next = batch.lastOffset + 1;
    if (this.format === 'binary' && this.filter === null) {
      const bytes = from > batch.baseOffset ? sliceBatch(batch.bytes, from) : batch.bytes;
      if (bytes === null) return;
      this.sink.sendDeliver(this.id, this.partition, bytes);
      this.sink.counted(this.topic, batch.lastOffset - Math.max(from, batch.baseOffset) + 1, bytes.length);
      return;
    }
    const records = batch.records();
    const first = Math.max(0, from - batch.baseOffset);
    let count = 0;
    let bytes = 0;
    const matched: EvqRecord[] = [];
    for (let i = first; i < records.length; i++) {
      const record = records[i] as EvqRecord;
      if (this.filter !== null && !this.filter(record)) continue;
      count++;
      bytes += record.value.length;
      if (this.format === 'binary') matched.push(record);
      else this.sink.sendText(batch.text(i, this.format));
    }
    if (matched.length > 0) {
      const offsets = matched.map((r) => r.offset);
      this.sink.sendSparse(this.id, this.partition, offsets, encodeBatch(offsets[0] as number, matched as TimestampedMessage[]));
    }
    if (count > 0) this.sink.counted(this.topic, count, bytes);
  }
}
