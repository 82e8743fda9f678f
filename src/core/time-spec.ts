/**
 * Points in time as users type them where a read starts: an ISO 8601 date and time of day with a zone
 * (`2026-12-01T09:00:00Z`, `2026-12-01T10:00:00.250+01:00`) or milliseconds since the epoch after an `@`
 * (`@1764579600000`, kcat's `-o s@MS`). A time without a zone is refused: which machine's local time would it
 * be? Pure: `now` is passed in.
 */

import { parseDuration } from './durations.js';
import { EvqUsageError } from '../errors.js';

/** `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z` or `±HH:MM` / `±HHMM` (a space may stand for the `T`). */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const EPOCH_MS = /^@(0|[1-9]\d{0,15})$/;

/** Whether `text` is meant as a time (an ISO date or `@MS`), as opposed to an offset or a keyword. */
export function looksLikeTime(text: string): boolean {
  const t = text.trim();
  return t.startsWith('@') || /^\d{4}-\d{2}-\d{2}/.test(t);
}

/**
 * Reads a point in time: ms since the epoch. Throws EvqUsageError (EVQ_ERR_INVALID_ARGUMENT) with an example
 * of what is accepted.
 */
export function parseTimePoint(input: string): number {
  const text = input.trim();
  const epoch = EPOCH_MS.exec(text);
  if (epoch !== null) {
    const ms = Number(epoch[1]);
    if (Number.isSafeInteger(ms)) return ms;
  }
  if (ISO_WITH_ZONE.test(text)) {
    const ms = Date.parse(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isSafeInteger(ms) && ms >= 0) return ms;
  }
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `"${shown}" has no time of day: write it like ${text}T09:00:00Z`);
  }
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/i.test(text)) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `"${shown}" has no time zone: add Z for UTC (${text}Z) or an offset like +01:00`);
  }
  throw new EvqUsageError(
    'EVQ_ERR_INVALID_ARGUMENT',
    `invalid time "${shown}": expected ISO 8601 with a zone (2026-12-01T09:00:00Z) or @MS (ms since the epoch)`,
  );
}

/** `--since 5m`: `now` minus a duration (with a unit), not before the epoch. */
export function parseSince(input: string, now: number): number {
  return Math.max(0, now - parseDuration(input, { requireUnit: true }));
}
