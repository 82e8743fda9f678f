/**
 * A subscriber: a live push subscription (from `latest`, with `--filter` if given) that times every message of
 * the run — end to end from its intended send time (corrected for coordinated omission) and from its actual
 * send time (uncorrected) — and verifies per producer that it arrives exactly once and in order.
 */

import type { EvqClient, EvqRecord, Subscription } from '../client/types.js';
import { LatencyHistogram } from './histogram.js';
import { matchPpm } from './match.js';
import type { Meters } from './meters.js';
import type { SubscriberStats } from './result.js';
import { perSecond } from './result.js';
import type { Scenario } from './scenario.js';
import { STAMP_FLAGS, STAMP_HEADER, emptyStamp, readStamp, readStampHex } from './stamp.js';
import { TIMELINE } from './timeline.js';
import { monoMs, toMicros } from './time.js';
import { SequenceVerifier, VERDICT, type VerifierCounts } from './verifier.js';

export class BenchSubscriber {
  readonly id: number;
  readonly #scenario: Scenario;
  readonly #runId: number;
  readonly #meters: Meters;
  readonly #verifier: SequenceVerifier;
  /** End to end from the intended send time (corrected) and from the actual one, µs (measured messages). */
  readonly e2e = new LatencyHistogram();
  readonly e2eUncorrected = new LatencyHistogram();
  readonly #stamp = emptyStamp();
  #subscription: Subscription | undefined;
  #loop: Promise<void> | undefined;
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
  #expected: readonly number[] | undefined;
  #incomplete = new Set<number>();
  #onComplete: (() => void) | undefined;

  constructor(id: number, scenario: Scenario, runId: number, meters: Meters) {
    this.id = id;
    this.#scenario = scenario;
    this.#runId = runId;
    this.#meters = meters;
    this.#verifier = new SequenceVerifier(scenario.producers, matchPpm(scenario.matchRatio ?? 1));
  }

  /** Subscribes; resolves once the broker has confirmed (messages produced from then on are delivered). */
  async start(client: EvqClient): Promise<void> {
    const options = { from: 'latest' as const, ...(this.#scenario.filter === null ? {} : { filter: this.#scenario.filter }) };
    const subscription = client.subscribe(this.#scenario.topic, options);
    this.#subscription = subscription;
    this.#loop = this.#read(subscription);
    await subscription.ready;
  }

  async #read(subscription: Subscription): Promise<void> {
    try {
      for await (const record of subscription) this.#onRecord(record);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (code === 'EVQ_ERR_SLOW_CONSUMER') {
        // the broker's choice under load, not a failure of the run: what it missed is undelivered, not lost
        this.endedBy = 'closed by the broker as a slow consumer (WebSocket code 4008)';
      } else {
        this.endedBy = `ended by an error (${typeof code === 'string' ? code : 'unknown'})`;
        this.#meters.errors.add(`subscriber ${this.id}`, error);
        this.#meters.timeline.add(TIMELINE.errors, monoMs());
      }
    } finally {
      this.ended = true;
      this.#onComplete?.();
    }
  }

  #onRecord(record: EvqRecord): void {
    const now = monoMs();
    const stamp = this.#stamp;
    const ok = this.#scenario.stampIn === 'value' ? readStamp(record.value, 0, stamp) : readStampHex(record.headers?.[STAMP_HEADER], stamp);
    if (!ok || stamp.runId !== this.#runId || stamp.producer >= this.#scenario.producers) {
      this.foreign++;
      return;
    }
    this.seen++;
    const verdict = this.#verifier.accept(stamp.producer, stamp.seq);
    const meters = this.#meters;
    meters.delivered++;
    meters.timeline.add(TIMELINE.delivered, now);
    if ((stamp.flags & STAMP_FLAGS.warmup) !== 0) this.warmup++;
    else {
      this.received++;
      this.bytes += record.value.length;
      this.lastReceiveMs = now;
      this.e2e.record(toMicros(now - stamp.intendedMs));
      this.e2eUncorrected.record(toMicros(now - stamp.sentMs));
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

  get complete(): boolean {
    return this.#expected !== undefined && this.#incomplete.size === 0;
  }

  async close(): Promise<void> {
    await this.#subscription?.close();
    await this.#loop;
  }

  counts(acked: readonly number[]): VerifierCounts {
    return this.#verifier.counts(acked, this.endedBy !== null);
  }

  stats(worker: number, acked: readonly number[]): SubscriberStats {
    const counts = this.counts(acked);
    const span = this.lastReceiveMs - this.#meters.measuredFromMs;
    const duration = Number.isNaN(span) ? 0 : span;
    return {
      id: this.id,
      worker,
      received: this.received,
      warmup: this.warmup,
      msgsPerSec: perSecond(this.received, duration),
      bytesPerSec: perSecond(this.bytes, duration),
      e2e: this.e2e.summary(),
      e2eUncorrected: this.e2eUncorrected.summary(),
      lost: counts.lost,
      undelivered: counts.undelivered,
      endedBy: this.endedBy,
      duplicated: counts.duplicated,
      reordered: counts.reordered,
      unexpected: counts.unexpected,
      foreign: this.foreign,
    };
  }
}
