/**
 * Which old data retention deletes. Whole units only (segments on disk, batches in memory), oldest first,
 * never the newest one (the active segment), so `startOffset` moves forward by whole units:
 * - by bytes: while the log is larger than `retentionBytes`, the oldest unit goes (the log ends at most
 *   `retentionBytes` large, unless the newest unit alone is larger);
 * - by age: a unit goes when its newest record's timestamp is older than `now - retentionAgeMs`. Timestamps
 *   are the records' (given by producers or by the broker's clock).
 * Pure: the callers delete.
 */
import { EvqUsageError } from '../../errors.js';
import type { RetentionOptions } from './log.js';

/** What retention needs to know about a unit of the log. */
export interface RetentionUnit {
  sizeBytes: number;
  /** Largest record timestamp of the unit; -1 when unknown. */
  maxTimestamp: number;
}

/** Checks retention options: positive safe integers or null/undefined. */
export function checkRetentionOptions(options: RetentionOptions): void {
  for (const name of ['retentionBytes', 'retentionAgeMs'] as const) {
    const value = options[name];
    if (value === null || value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `${name} must be a positive whole number, not ${String(value)}`);
    }
  }
}

/**
 * How many of the oldest `units` (ordered oldest first) retention deletes. `totalBytes` is the size of
 * the whole log. The last unit is never counted.
 */
export function expiredUnitCount(
  units: ArrayLike<RetentionUnit>,
  totalBytes: number,
  options: RetentionOptions,
  now: number,
  first = 0,
): number {
  const maxBytes = options.retentionBytes ?? null;
  const cutoff = options.retentionAgeMs === null || options.retentionAgeMs === undefined ? null : now - options.retentionAgeMs;
  if (maxBytes === null && cutoff === null) return 0;
  let remaining = totalBytes;
  let count = 0;
  for (let i = first; i < units.length - 1; i++) {
    const unit = units[i] as RetentionUnit;
    const overSize = maxBytes !== null && remaining > maxBytes;
    const tooOld = cutoff !== null && unit.maxTimestamp >= 0 && unit.maxTimestamp < cutoff;
    if (!overSize && !tooOld) break;
    remaining -= unit.sizeBytes;
    count++;
  }
  return count;
}
