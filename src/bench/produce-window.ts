/**
 * The window a bench producer gives the client (`EvqClient.produce`), and what follows from it: the most
 * messages the client can hold at once — taken from the producer and not yet acknowledged. The producer's
 * meter keeps a send time per message held (ws-producer.ts), and the message factory reuses a value only once
 * the message it was made for can no longer be held (payload.ts).
 */

import { LIMITS } from '../core/limits.js';

/** Passed to `produce` explicitly, so that the bound below does not rest on the client's defaults. */
export const PRODUCE_WINDOW = {
  /** Batches awaiting acknowledgement at once. */
  maxInFlight: LIMITS.defaultMaxInFlight,
  batchBytes: LIMITS.defaultBatchBytes,
} as const;

/**
 * The most messages of `valueBytes` bytes each that the client can hold at once with batches of at most
 * `batchSize` messages: a batch has at most `batchSize` of them and at most as many as fit in `batchBytes`
 * (plus the one that crosses it); the client holds `maxInFlight` batches awaiting acks, at most two sealed
 * ones waiting for a slot, and the message taken while it waits (a NATS produce, which caps its window in
 * pending acks instead, holds no more than that either).
 */
export function heldMessages(batchSize: number, valueBytes: number): number {
  const perBatch = Math.min(batchSize, Math.floor(PRODUCE_WINDOW.batchBytes / Math.max(1, valueBytes)) + 1);
  return (PRODUCE_WINDOW.maxInFlight + 2) * perBatch + 1;
}
