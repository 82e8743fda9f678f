/** The arguments of a read of a log (the disk one and the memory one alike), checked: where it starts, how much it takes. */
import { LIMITS } from '../../core/limits.js';
import { EvqUsageError } from '../../errors.js';
import type { ReadOptions } from './log.js';

/** `maxRecords` and `maxBytes` of a read, with defaults and caps. */
export function readLimits(options: ReadOptions): { maxRecords: number; maxBytes: number } {
  const maxRecords = options.maxRecords ?? LIMITS.defaultReadLimit;
  const maxBytes = options.maxBytes ?? LIMITS.readStepBytes;
  if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `maxRecords must be a whole number >= 1, not ${String(maxRecords)}`);
  }
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `maxBytes must be a whole number >= 1, not ${String(maxBytes)}`);
  }
  return { maxRecords: Math.min(maxRecords, LIMITS.maxReadLimit), maxBytes };
}

/**
 * The offset a read starts at: `fromOffset`, or `startOffset` when retention already deleted it (records
 * carry their offsets, so the reader sees the jump). Throws `EVQ_ERR_INVALID_OFFSET` for a negative or
 * fractional offset or one past `endOffset`.
 */
export function checkReadOffset(topic: string, fromOffset: number, startOffset: number, endOffset: number): number {
  if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) {
    throw new EvqUsageError('EVQ_ERR_INVALID_OFFSET', `offset ${String(fromOffset)} is not a whole number >= 0`);
  }
  if (fromOffset > endOffset) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_OFFSET',
      `offset ${fromOffset} is past the end of topic "${topic}" (its next offset is ${endOffset})`,
    );
  }
  return Math.max(fromOffset, startOffset);
}
