import { EvqUsageError } from '../errors.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
/** Longest duration accepted anywhere: 365 days. */
export const MAX_DURATION_MS = 365 * UNIT_MS.d;

export interface ParseDurationOptions {
  /**
   * A bare number (`5`) is refused, asking for a unit, instead of read as milliseconds: what the command line
   * wants (`--timeout 5` is 5 s to a user, not 5 ms). `0` needs none. The HTTP API keeps bare numbers as ms.
   */
  requireUnit?: boolean;
}

/**
 * Reads a duration as a user types it: `250ms`, `5s`, `2m`, `1h`, `1d`, `1.5s`. A bare number is
 * milliseconds unless `requireUnit`. Returns whole milliseconds. Throws EvqUsageError (EVQ_ERR_INVALID_ARGUMENT) otherwise.
 */
export function parseDuration(input: string | number, options: ParseDurationOptions = {}): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0 && input <= MAX_DURATION_MS) return Math.round(input);
    throw invalidDuration(String(input));
  }
  const text = input.trim().toLowerCase();
  const match = DURATION.exec(text);
  if (match === null || text.length > 32) throw invalidDuration(input);
  const amount = Number(match[1]);
  if (match[2] === undefined && options.requireUnit === true && amount !== 0) {
    const n = match[1] as string;
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `duration "${n}" needs a unit: ${n}ms, ${n}s, ${n}m or ${n}h`);
  }
  const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS;
  const ms = Math.round(amount * UNIT_MS[unit]);
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `duration "${input}" is too long: the most is 365d`);
  }
  return ms;
}

/** Formats milliseconds the way parseDuration reads them back: 250ms, 5s, 1.5s, 2m, 1h. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit];
    if (ms >= size) {
      const amount = ms / size;
      return `${Number.isInteger(amount) ? amount : Number(amount.toFixed(2))}${unit}`;
    }
  }
  return `${ms}ms`;
}

function invalidDuration(input: string): EvqUsageError {
  const shown = input.length > 40 ? `${input.slice(0, 40)}…` : input;
  return new EvqUsageError(
    'EVQ_ERR_INVALID_ARGUMENT',
    `invalid duration "${shown}": expected a number with a unit, like 250ms, 5s, 2m or 1h`,
  );
}
