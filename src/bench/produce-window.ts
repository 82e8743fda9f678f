/**
 * The window a bench producer gives the client (`EvqClient.produce`), and what follows from it: the most
 * messages the client can hold at once — taken from the producer and not yet acknowledged. The producer's
 * meter keeps a send time per message held (ws-producer.ts), and the message factory reuses a value only once
 * the message it was made for can no longer be held (payload.ts).
 *
 * A run at a fixed `--rate` gets a wider window: the client sends a batch as soon as the window has room (one
 * per timer tick of the schedule, ~1 ms apart at high rates), so 16 batches in flight cover only ~16 ms. A
 * broker whose acknowledgements take longer than that (an fsync stall) filled it, and the generator stopped
 * taking messages: its own send lag grew with the broker's latency, and the run measured the generator's
 * window instead of the broker. {@link PACED_MAX_IN_FLIGHT} batches cover stalls of ~100 ms and more, while
 * memory stays bounded.
 */

import { LIMITS } from '../core/limits.js';

/** Batches in flight for a run at a fixed rate (as fast as possible: `LIMITS.defaultMaxInFlight`). */
export const PACED_MAX_IN_FLIGHT = 128;

/** Passed to `produce` explicitly, so that the bound below does not rest on the client's defaults. */
export const PRODUCE_WINDOW = {
  /** Batches awaiting acknowledgement at once (a run as fast as possible; see {@link maxInFlightOf}). */
  maxInFlight: LIMITS.defaultMaxInFlight,
  batchBytes: LIMITS.defaultBatchBytes,
} as const;

/** The batches a producer keeps in flight: wider for a run at a fixed rate (`rate` > 0). */
export function maxInFlightOf(rate: number): number {
  return rate > 0 ? PACED_MAX_IN_FLIGHT : PRODUCE_WINDOW.maxInFlight;
}

/**
 * The most messages of `valueBytes` bytes each that the client can hold at once with batches of at most
 * `batchSize` messages: a batch has at most `batchSize` of them and at most as many as fit in `batchBytes`
 * (plus the one that crosses it); the client holds `maxInFlight` batches awaiting acks, at most two sealed
 * ones waiting for a slot, and the message taken while it waits (a NATS produce, which caps its window in
 * pending acks instead, holds no more than that either).
 */
export function heldMessages(batchSize: number, valueBytes: number, maxInFlight: number = PRODUCE_WINDOW.maxInFlight): number {
  const perBatch = Math.min(batchSize, Math.floor(PRODUCE_WINDOW.batchBytes / Math.max(1, valueBytes)) + 1);
  return (maxInFlight + 2) * perBatch + 1;
}
