/** Checks of the options every transport shares: where a read starts, and the settings of a consume. */

import { LIMITS } from '../core/limits.js';
import { EvqUsageError } from '../errors.js';
import { validateGroupName, validateTopicName } from '../protocol/validate.js';
import type { ConsumeOptions, From } from './types.js';

/** Checks a `From` given by the caller; throws EvqUsageError (EVQ_ERR_INVALID_OFFSET). */
export function checkFrom(from: From): void {
  if (from === 'earliest' || from === 'latest') return;
  if (typeof from === 'number') {
    if (!Number.isSafeInteger(from) || from < 0) {
      throw new EvqUsageError('EVQ_ERR_INVALID_OFFSET', `invalid offset ${String(from)}: expected a whole number >= 0`);
    }
    return;
  }
  if (typeof from === 'object' && from !== null && 'time' in from) {
    if (!Number.isSafeInteger(from.time) || from.time < 0) {
      throw new EvqUsageError('EVQ_ERR_INVALID_OFFSET', `invalid start time ${String(from.time)}: expected ms since the epoch >= 0`);
    }
    return;
  }
  if (typeof from === 'object' && from !== null && 'last' in from && typeof from.last === 'number') {
    if (!Number.isSafeInteger(from.last) || from.last < 0) {
      throw new EvqUsageError('EVQ_ERR_INVALID_OFFSET', `invalid count of last records ${String(from.last)}: expected a whole number >= 0`);
    }
    return;
  }
  throw new EvqUsageError(
    'EVQ_ERR_INVALID_OFFSET',
    'invalid start position: expected earliest, latest, an offset, { last: N } or { time: MS }',
  );
}

/** An explicit partition: a whole number from 0 (the broker says whether the topic has it). */
export function checkPartition(partition: number | undefined): void {
  if (partition !== undefined && (!Number.isSafeInteger(partition) || partition < 0 || partition > 0xffffffff)) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `invalid partition ${String(partition)}: expected a whole number >= 0`);
  }
}

const DEFAULT_PAGE_SIZE = LIMITS.defaultReadLimit;

/** The session timeouts a member may ask for (the broker's bounds). */
export const MIN_SESSION_TIMEOUT_MS = LIMITS.minSessionTimeoutMs;
export const MAX_SESSION_TIMEOUT_MS = LIMITS.maxSessionTimeoutMs;

export interface ConsumeSettings {
  limit: number;
  pageSize: number;
  waitMs: number;
  follow: boolean;
  commit: boolean;
  allowMissing: boolean;
}

/** Checks the options at once (a usage error is thrown by `consume`, not by the first `next()`). */
export function consumeSettings(topic: string, options: ConsumeOptions): ConsumeSettings {
  validateTopicName(topic);
  checkFrom(options.from ?? 'earliest');
  if (options.group !== undefined) validateGroupName(options.group);
  const whole = (name: string, value: number, min: number, max: number): number => {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `${name} must be a whole number from ${min} to ${max}, got ${String(value)}`);
    }
    return value;
  };
  if (options.partition !== undefined) {
    whole('partition', options.partition, 0, LIMITS.maxPartitions - 1);
    if (options.group !== undefined) {
      throw new EvqUsageError(
        'EVQ_ERR_INVALID_ARGUMENT',
        'a partition and a group together: the members of a group get their partitions from the broker; leave one out',
      );
    }
  }
  if (options.sessionTimeoutMs !== undefined)
    whole('sessionTimeoutMs', options.sessionTimeoutMs, MIN_SESSION_TIMEOUT_MS, MAX_SESSION_TIMEOUT_MS);
  return {
    limit: options.limit === undefined ? Number.POSITIVE_INFINITY : whole('limit', options.limit, 0, Number.MAX_SAFE_INTEGER),
    pageSize: whole('pageSize', options.pageSize ?? DEFAULT_PAGE_SIZE, 1, LIMITS.maxReadLimit),
    waitMs: whole('waitMs', options.waitMs ?? LIMITS.defaultConsumeWaitMs, 1, LIMITS.maxLongPollMs),
    follow: options.follow === true,
    commit: options.commit ?? true,
    allowMissing: options.allowMissing === true,
  };
}
