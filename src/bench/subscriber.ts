/**
 * A subscriber: what one copy of the stream is checked against — every message of the run exactly once, in
 * order per producer and partition — read by one push subscription (from `latest`, with `--filter` if given),
 * or, with `--group G --members K`, by the K members of one consumer group between them (each message once
 * across them). It times every message: end to end from its intended send time (corrected for coordinated
 * omission) and from its actual send time (uncorrected).
 *
 * The readers: the client library's subscription (`client.subscribe`, every partition); for a group, `client.consume(topic, { group, follow: true })` per member, started together,
 * and the producers wait until every member has joined and every partition has an owner (broker-admin.ts).
 */

import type { EvqClient, EvqRecord, Subscription } from '../client/types.js';
import { LIMITS } from '../core/limits.js';
import { waitForGroup } from './broker-admin.js';
import { LatencyHistogram } from './histogram.js';
import { matchPpm } from './match.js';
import { mergedHistogram, type Meters } from './meters.js';
import type { SubscriberStats } from './result.js';
import { perSecond } from './result.js';
import type { Scenario } from './scenario.js';
import { STAMP_FLAGS, STAMP_HEADER, emptyStamp, readStamp, readStampHex } from './stamp.js';
import { TIMELINE } from './timeline.js';
import { monoMs, toMicros } from './time.js';
import { SequenceVerifier, VERDICT, type VerifierCounts } from './verifier.js';

/** One reader's own figures (a group member's; the subscriber's own without a group). */
class ReaderTally {
  readonly id: number;
  received = 0;
  warmup = 0;
  bytes = 0;
  lastReceiveMs = Number.NaN;
  duplicated = 0;
  reordered = 0;
  unexpected = 0;
  foreign = 0;
  readonly e2e = new LatencyHistogram();
  readonly e2eUncorrected = new LatencyHistogram();
  constructor(id: number) {
    this.id = id;
  }
}

export class BenchSubscriber {
  /** The first reader's id (a group's members are `id` … `id + members - 1`). */
  readonly id: number;
  readonly #scenario: Scenario;
  readonly #runId: number;
  readonly #meters: Meters;
  readonly #partitions: number;
  readonly #verifier: SequenceVerifier;
  readonly #readers: ReaderTally[];
  /** End to end from the intended send time (corrected) and from the actual one, µs (measured messages): a group's are its members'. */
  readonly #e2e = new LatencyHistogram();
  readonly #e2eUncorrected = new LatencyHistogram();
  readonly #stamp = emptyStamp();
  readonly #stop = new AbortController();
  #subscription: Subscription | undefined;
  #loops: Promise<void>[] = [];
  /** Measured messages received and their bytes; warm-up ones; messages not of this run. */
  received = 0;
  bytes = 0;
  warmup = 0;
  foreign = 0;
  lastReceiveMs = Number.NaN;
  /** Every message received (of this run): the drain phase watches it for progress. */
  seen = 0;
  /** Set when the subscription ended on its own (an error): nothing more will come. */
  ended = false;
  /** Why the subscription ended before the run did (null while it runs, or when the run closed it). */
  endedBy: string | null = null;
  #closing = false;
  #failure: Error | null = null;
  #expected: readonly number[] | undefined;
  #incomplete = new Set<number>();
  #onComplete: (() => void) | undefined;

  /**
   * @param partitions of the topic when the run starts
   * @param readers 1, or a group's members
   */
  constructor(id: number, scenario: Scenario, runId: number, meters: Meters, partitions = 1, readers = 1) {
    this.id = id;
    this.#scenario = scenario;
    this.#runId = runId;
    this.#meters = meters;
    this.#partitions = partitions;
    this.#verifier = new SequenceVerifier(scenario.producers, matchPpm(scenario.matchRatio ?? 1));
    this.#readers = Array.from({ length: readers }, (_, i) => new ReaderTally(id + i));
  }

  /** Starts reading; resolves once messages produced from then on will be read (a group: all members joined). */
  async start(client: EvqClient): Promise<void> {
    const scenario = this.#scenario;
    if (scenario.group !== null) {
      const group = scenario.group;
      for (const reader of this.#readers) {
        const records = client.consume(scenario.topic, {
          group,
          follow: true,
          from: 'earliest',
          // the largest page the broker serves: a group member keeps up with fewer round trips
          pageSize: LIMITS.maxReadLimit,
          signal: this.#stop.signal,
          ...(scenario.filter === null ? {} : { filter: scenario.filter }),
        });
        this.#loops.push(this.#read(records, reader));
      }
      await waitForGroup(client, scenario, this.#partitions, () => this.#failure);
      return;
    }
    const reader = this.#readers[0] as ReaderTally;
    const options = { from: 'latest' as const, ...(scenario.filter === null ? {} : { filter: scenario.filter }) };
    const subscription = client.subscribe(scenario.topic, options);
    this.#subscription = subscription;
    this.#loops.push(subscription.nextBatch === undefined ? this.#read(subscription, reader) : this.#readBatches(subscription, reader));
    await subscription.ready;
  }

  async #read(records: AsyncIterable<EvqRecord>, reader: ReaderTally): Promise<void> {
    try {
      for await (const record of records) this.#onRecord(record, reader);
    } catch (error) {
      if (!this.#closing) this.#onEnd(error);
    } finally {
      this.#ended();
    }
  }

  /** As {@link #read}, a batch of records per await (a whole delivered frame): no promise per record. */
  async #readBatches(subscription: Subscription, reader: ReaderTally): Promise<void> {
    const nextBatch = (subscription.nextBatch as NonNullable<Subscription['nextBatch']>).bind(subscription);
    try {
      for (;;) {
        const records = await nextBatch();
        if (records.length === 0) break;
        for (let i = 0; i < records.length; i++) this.#onRecord(records[i] as EvqRecord, reader);
      }
    } catch (error) {
      if (!this.#closing) this.#onEnd(error);
    } finally {
      this.#ended();
    }
  }

  #onEnd(error: unknown): void {
    const code = (error as { code?: unknown } | null)?.code;
    this.#failure ??= error instanceof Error ? error : new Error(String(error));
    if (code === 'EVQ_ERR_SLOW_CONSUMER') {
      // the broker's choice under load, not a failure of the run: what it missed is undelivered, not lost
      this.endedBy = 'closed by the broker as a slow consumer (WebSocket code 4008)';
    } else {
      this.endedBy = `ended by an error (${typeof code === 'string' ? code : 'unknown'})`;
      this.#meters.errors.add(this.#scenario.group === null ? `subscriber ${this.id}` : `group member ${this.id}`, error);
      this.#meters.timeline.add(TIMELINE.errors, monoMs());
    }
  }

  #ended(): void {
    if (this.#closing) return;
    this.ended = true;
    this.#onComplete?.();
  }

  #onRecord(record: EvqRecord, reader: ReaderTally): void {
    // the run is over once it closes the readers: a group member leaving hands its partitions to the others,
    // which would read its last page again before they stop too
    if (this.#closing) return;
    const now = monoMs();
    const stamp = this.#stamp;
    const ok = this.#scenario.stampIn === 'value' ? readStamp(record.value, 0, stamp) : readStampHex(record.headers?.[STAMP_HEADER], stamp);
    if (!ok || stamp.runId !== this.#runId || stamp.producer >= this.#scenario.producers) {
      this.foreign++;
      reader.foreign++;
      return;
    }
    this.seen++;
    const verdict = this.#verifier.accept(stamp.producer, stamp.seq, record.partition ?? 0);
    if (verdict === VERDICT.duplicated) reader.duplicated++;
    else if (verdict === VERDICT.reordered) reader.reordered++;
    else if (verdict === VERDICT.unexpected) reader.unexpected++;
    const meters = this.#meters;
    meters.delivered++;
    meters.timeline.add(TIMELINE.delivered, now);
    if ((stamp.flags & STAMP_FLAGS.warmup) !== 0) {
      this.warmup++;
      reader.warmup++;
    } else {
      const e2e = toMicros(now - stamp.intendedMs);
      const uncorrected = toMicros(now - stamp.sentMs);
      this.received++;
      this.bytes += record.value.length;
      this.lastReceiveMs = now;
      meters.intervals.record('e2e', now, e2e);
      if (this.#readers.length === 1) {
        this.#e2e.record(e2e);
        this.#e2eUncorrected.record(uncorrected);
      } else {
        // each message's latency is recorded once, by its member; the subscriber's figures merge them when asked
        reader.received++;
        reader.bytes += record.value.length;
        reader.lastReceiveMs = now;
        reader.e2e.record(e2e);
        reader.e2eUncorrected.record(uncorrected);
      }
    }
    if (this.#expected !== undefined && (verdict === VERDICT.ok || verdict === VERDICT.reordered) && this.#incomplete.has(stamp.producer)) {
      if (this.#verifier.completeUpTo(stamp.producer, this.#expected[stamp.producer] as number)) {
        this.#incomplete.delete(stamp.producer);
        if (this.#incomplete.size === 0) this.#onComplete?.();
      }
    }
  }

  /**
   * Resolves once every message the broker acknowledged (`acked[p]` from producer p, the matching ones) has
   * arrived, or the subscription has ended. (The caller bounds the wait.)
   */
  expect(acked: readonly number[]): Promise<void> {
    this.#expected = acked;
    this.#incomplete = new Set();
    for (let p = 0; p < acked.length; p++) if (!this.#verifier.completeUpTo(p, acked[p] as number)) this.#incomplete.add(p);
    if (this.#incomplete.size === 0 || this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      this.#onComplete = resolve;
    });
  }

  /** End to end from the intended send time, µs: the subscriber's, or its group members' merged. */
  get e2e(): LatencyHistogram {
    return this.#readers.length === 1 ? this.#e2e : mergedHistogram(this.#readers.map((r) => r.e2e));
  }

  /** End to end from the actual send time, µs. */
  get e2eUncorrected(): LatencyHistogram {
    return this.#readers.length === 1 ? this.#e2eUncorrected : mergedHistogram(this.#readers.map((r) => r.e2eUncorrected));
  }

  get complete(): boolean {
    return this.#expected !== undefined && this.#incomplete.size === 0;
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#stop.abort();
    await this.#subscription?.close();
    await Promise.all(this.#loops);
  }

  counts(acked: readonly number[]): VerifierCounts {
    return this.#verifier.counts(acked, this.endedBy !== null);
  }

  /** One entry per reader: the subscriber, or each member of its group. */
  stats(worker: number, acked: readonly number[]): SubscriberStats[] {
    const counts = this.counts(acked);
    const rate = (n: number, lastMs: number): number => {
      const span = lastMs - this.#meters.measuredFromMs;
      return perSecond(n, Number.isNaN(span) ? 0 : span);
    };
    if (this.#readers.length === 1) {
      return [
        {
          id: this.id,
          worker,
          received: this.received,
          warmup: this.warmup,
          msgsPerSec: rate(this.received, this.lastReceiveMs),
          bytesPerSec: rate(this.bytes, this.lastReceiveMs),
          e2e: this.e2e.summary(),
          e2eUncorrected: this.e2eUncorrected.summary(),
          lost: counts.lost,
          undelivered: counts.undelivered,
          endedBy: this.endedBy,
          duplicated: counts.duplicated,
          reordered: counts.reordered,
          unexpected: counts.unexpected,
          foreign: this.foreign,
        },
      ];
    }
    // a group's losses are the group's (verification): a member is told what it received twice or out of order
    return this.#readers.map((r) => ({
      id: r.id,
      worker,
      received: r.received,
      warmup: r.warmup,
      msgsPerSec: rate(r.received, r.lastReceiveMs),
      bytesPerSec: rate(r.bytes, r.lastReceiveMs),
      e2e: r.e2e.summary(),
      e2eUncorrected: r.e2eUncorrected.summary(),
      lost: 0,
      undelivered: 0,
      endedBy: this.endedBy,
      duplicated: r.duplicated,
      reordered: r.reordered,
      unexpected: r.unexpected,
      foreign: r.foreign,
    }));
  }
}
