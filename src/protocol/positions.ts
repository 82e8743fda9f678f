import { EvqUsageError } from '../errors.js';
import type { StartPosition } from './http.js';

const OFFSET = /^(0|[1-9]\d{0,15})$/;

/**
 * Reads an offset as sent in a URL or a frame: a whole number from 0 up to 2^53 - 1, written plainly
 * (no sign, exponent, fraction or leading zeros). Throws EvqUsageError (EVQ_ERR_INVALID_OFFSET).
 */
export function parseOffset(text: string, what = 'offset'): number {
  const match = OFFSET.exec(text);
  const value = match === null ? Number.NaN : Number(text);
  if (!Number.isSafeInteger(value)) {
    const shown = text.length > 32 ? `${text.slice(0, 32)}…` : text;
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_OFFSET',
      `invalid ${what} "${shown}": expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  return value;
}

/** Reads `earliest`, `latest` or an offset. */
export function parseStartPosition(text: string): StartPosition {
  if (text === 'earliest' || text === 'latest') return text;
  try {
    return parseOffset(text);
  } catch {
    const shown = text.length > 32 ? `${text.slice(0, 32)}…` : text;
    throw new EvqUsageError('EVQ_ERR_INVALID_OFFSET', `invalid position "${shown}": expected earliest, latest or an offset`);
  }
}

/** Checks a position received as JSON (a frame): `earliest`, `latest` or a safe whole number. */
export function checkStartPosition(value: unknown): StartPosition {
  if (value === undefined) return 'latest';
  if (value === 'earliest' || value === 'latest') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string') return parseStartPosition(value);
  throw new EvqUsageError('EVQ_ERR_INVALID_OFFSET', 'invalid position: expected earliest, latest or an offset');
}
