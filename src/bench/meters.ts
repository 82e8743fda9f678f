/**
 * What the clients of one thread measure into: the thread's counters and timeline (shared by its clients,
 * merged across threads at the end), and each producer's own bookkeeping — its latencies, and when each
 * message in flight was sent (a ring indexed by sequence number, sized to the most messages the client can
 * have in flight), so that its acknowledgement can be timed. Each latency is recorded once, in its client's
 * histogram: the thread's figures are those histograms merged (exactly: {@link mergedHistogram}).
 */

import { LatencyHistogram } from './histogram.js';
import type { ProducerStats } from './result.js';
import { perSecond } from './result.js';
import { IntervalHistograms } from './intervals.js';
import { TIMELINE, Timeline } from './timeline.js';
import { toMicros } from './time.js';
import type { ErrorLog } from './error-log.js';

/** The histograms merged into one (bucket counts added: as if one histogram had recorded every value). */
export function mergedHistogram(parts: readonly LatencyHistogram[]): LatencyHistogram {
  const out = new LatencyHistogram();
  for (const part of parts) out.add(part);
  return out;
}

/** One thread's aggregates. */
export class Meters {
  readonly timeline = new Timeline();
  /** Latency per second (end to end, acknowledgement), shared by the thread's clients. */
  readonly intervals = new IntervalHistograms();
  /** Counters for the live progress line (warm-up included). */
  sent = 0;
  acked = 0;
  delivered = 0;
  readonly errors: ErrorLog;
  /** Start of the measured phase (monotonic ms). */
  measuredFromMs = 0;

  constructor(errors: ErrorLog) {
    this.errors = errors;
  }

  start(measuredFromMs: number): void {
    this.measuredFromMs = measuredFromMs;
    this.timeline.start(measuredFromMs);
    this.intervals.start(measuredFromMs);
  }
}

function nextPowerOfTwo(n: number): number {
  let size = 16;
  while (size < n) size *= 2;
  return size;
}

/** A producer's counters, latencies and ring of send times. */
export class ProducerMeter {
  readonly id: number;
  readonly #meters: Meters;
  /** Send to acknowledgement, and intended to actual send time (measured messages only), µs. */
  readonly ack = new LatencyHistogram();
  readonly sendLag = new LatencyHistogram();
  readonly #sentAt: Float64Array;
  readonly #warm: Uint8Array;
  readonly #mask: number;
  /** After a failure, later acknowledgements no longer extend `ackedPrefix`. */
  #broken = false;
  /** Measured messages sent / acknowledged, their bytes; warm-up messages sent. */
  sent = 0;
  acked = 0;
  ackedBytes = 0;
  warmup = 0;
  /** Messages acknowledged from sequence 0 on, without a gap (warm-up included). */
  ackedPrefix = 0;
  errors = 0;
  firstSendMs = Number.NaN;
  lastSendMs = Number.NaN;
  firstIntendedMs = Number.NaN;
  lastIntendedMs = Number.NaN;
  lastAckMs = Number.NaN;

  /** @param window the most messages that can be in flight (sent, not yet acknowledged) at once */
  constructor(id: number, meters: Meters, window: number) {
    this.id = id;
    this.#meters = meters;
    const size = nextPowerOfTwo(window + 1);
    this.#sentAt = new Float64Array(size);
    this.#warm = new Uint8Array(size);
    this.#mask = size - 1;
  }

  /** Message `seq` was sent at `nowMs`; it was intended for `intendedMs`. */
  onSend(seq: number, intendedMs: number, nowMs: number, warmup: boolean): void {
    const slot = seq & this.#mask;
    this.#sentAt[slot] = nowMs;
    this.#warm[slot] = warmup ? 1 : 0;
    this.#meters.sent++;
    this.#meters.timeline.add(TIMELINE.sent, nowMs);
    if (warmup) {
      this.warmup++;
      return;
    }
    this.sent++;
    if (Number.isNaN(this.firstSendMs)) {
      this.firstSendMs = nowMs;
      this.firstIntendedMs = intendedMs;
    }
    this.lastSendMs = nowMs;
    this.lastIntendedMs = intendedMs;
    this.sendLag.record(toMicros(nowMs - intendedMs));
  }

  /** Message `seq` (of `bytes` bytes) was acknowledged at `nowMs`; acks come in sequence order. */
  onAck(seq: number, nowMs: number, bytes: number): void {
    if (seq === this.ackedPrefix && !this.#broken) this.ackedPrefix = seq + 1;
    const slot = seq & this.#mask;
    this.#meters.acked++;
    this.#meters.timeline.add(TIMELINE.acked, nowMs);
    if (this.#warm[slot] === 1) return;
    const us = toMicros(nowMs - (this.#sentAt[slot] as number));
    this.ack.record(us);
    this.#meters.intervals.record('ack', nowMs, us);
    this.acked++;
    this.ackedBytes += bytes;
    this.lastAckMs = nowMs;
  }

  /** A failure of this producer (its messages in flight are not acknowledged). */
  onError(error: unknown, nowMs: number, count = 1): void {
    this.#broken = true;
    this.errors += count;
    this.#meters.errors.add(`producer ${this.id}`, error, count);
    this.#meters.timeline.add(TIMELINE.errors, nowMs, count);
  }

  stats(worker: number): ProducerStats {
    const span = this.lastAckMs - this.#meters.measuredFromMs;
    const duration = Number.isNaN(span) ? 0 : span;
    return {
      id: this.id,
      worker,
      sent: this.sent,
      acked: this.acked,
      warmup: this.warmup,
      msgsPerSec: perSecond(this.acked, duration),
      bytesPerSec: perSecond(this.ackedBytes, duration),
      errors: this.errors,
      ack: this.ack.summary(),
      sendLag: this.sendLag.summary(),
    };
  }
}
