import { LIMITS } from '../../core/limits.js';
import { decodeBatch, readBatchHeader, TRUSTED_CODEC_LIMITS } from '../../protocol/record-codec.js';
import { recordJson } from '../../protocol/wire-record.js';
import type { EvqRecord } from '../../protocol/record.js';
import type { AppendEvent } from '../storage/log.js';
import type { TopicStore } from '../storage/topic-store.js';

/**
 * A stored batch on its way to subscribers. Its records are decoded at most once, on first need, and the
 * same record objects go to every filter, so a value's JSON is parsed once however many filters read it.
 */
/** The text forms a record is sent in to plain (non-binary) subscribers. */
export type TextFormat = 'json' | 'raw';

export class FeedBatch {
  #records: EvqRecord[] | null = null;
  readonly #texts: Record<TextFormat, (string | undefined)[] | null> = { json: null, raw: null };

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly bytes: Buffer,
    readonly baseOffset: number,
    readonly lastOffset: number,
  ) {}

  static from(topic: string, partition: number, bytes: Buffer): FeedBatch {
    const header = readBatchHeader(bytes, TRUSTED_CODEC_LIMITS);
    const exact = header.byteLength === bytes.length ? bytes : bytes.subarray(0, header.byteLength);
    return new FeedBatch(topic, partition, exact, header.baseOffset, header.lastOffset);
  }

  records(): EvqRecord[] {
    this.#records ??= decodeBatch(this.bytes, this.topic, TRUSTED_CODEC_LIMITS, this.partition);
    return this.#records;
  }

  /**
   * The record at index i as a text frame: one JSON line, or the raw value. Made once per batch and shared
   * by every plain subscriber that takes the record.
   */
  text(i: number, format: TextFormat): string {
    const texts = (this.#texts[format] ??= new Array<string | undefined>(this.lastOffset - this.baseOffset + 1));
    let text = texts[i];
    if (text === undefined) {
      const record = this.records()[i] as EvqRecord;
      text = format === 'json' ? recordJson(record) : record.value.toString('utf8');
      texts[i] = text;
    }
    return text;
  }
}

/** Something that takes live batches: a subscription in live mode. */
export interface LiveTarget {
  /** Takes a batch; returns false when it can take no more live data (it then leaves the live set). */
  push(batch: FeedBatch): boolean;
}

/**
 * The live side of one partition of a topic: reads each acknowledged batch from the log once and hands it to every live
 * subscriber. `cursor` is the offset up to which batches have been handed out; a subscriber joins the live
 * set only when its own position equals the cursor, so between replay and live there is no gap and no
 * duplicate.
 */
export class TopicFeed {
  readonly live = new Set<LiveTarget>();
  /** Subscriptions (live or catching up) on this topic. */
  subscriptions = 0;
  /** Next offset to hand out to live subscribers. */
  cursor: number;
  /** End of the acknowledged log (exclusive): nothing at or past it is delivered. */
  end: number;
  #pumping = false;
  #waiters: (() => void)[] = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly store: TopicStore,
  ) {
    const log = store.get(topic)?.partition(partition);
    this.end = log?.endOffset ?? 0;
    this.cursor = this.end;
  }

  /**
   * The log acknowledged a batch. When the feed is caught up it hands the batch (as stored, encoded once)
   * straight to the live subscribers; otherwise it catches up from the log.
   */
  appended(event: AppendEvent): void {
    if (event.lastOffset + 1 <= this.end) return;
    this.end = event.lastOffset + 1;
    if (this.#pumping) return;
    if (this.cursor === event.baseOffset) {
      if (this.live.size > 0) {
        const batch = new FeedBatch(this.topic, this.partition, event.batch, event.baseOffset, event.lastOffset);
        for (const target of this.live) if (!target.push(batch)) this.live.delete(target);
      }
      this.cursor = this.end;
      this.#notify();
      return;
    }
    void this.#pump();
  }

  /** Resolves when the cursor moves (new data handed out), for subscribers catching up to it. */
  moved(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    let failed = false;
    try {
      while (this.cursor < this.end) {
        const log = this.store.get(this.topic)?.partition(this.partition);
        if (log === undefined) break;
        if (this.cursor < log.startOffset) this.cursor = log.startOffset;
        if (this.live.size === 0) {
          // nobody live: skip ahead without reading
          this.cursor = this.end;
          break;
        }
        const { batches } = await log.readBatches(this.cursor, LIMITS.readStepBytes);
        if (batches.length === 0) break;
        for (const bytes of batches) {
          const batch = FeedBatch.from(this.topic, this.partition, bytes);
          if (batch.lastOffset < this.cursor) continue;
          if (batch.baseOffset >= this.end) break;
          for (const target of this.live) if (!target.push(batch)) this.live.delete(target);
          this.cursor = batch.lastOffset + 1;
        }
      }
    } catch {
      // a read failure (a corrupt range) leaves the cursor where it is until the next append; subscribers
      // catching up from the log meet the error themselves and are told
      failed = true;
    } finally {
      this.#pumping = false;
      this.#notify();
    }
    if (!failed && this.cursor < this.end && this.live.size > 0 && this.store.get(this.topic)?.partition(this.partition) !== undefined) {
      setImmediate(() => {
        if (!this.#pumping) void this.#pump();
      });
    }
  }
}
