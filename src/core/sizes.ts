import { EvqUsageError } from '../errors.js';

const UNIT_BYTES = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 } as const;
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|k|m|g|t|kib|mib|gib|tib)?$/;
const ALIASES: Record<string, keyof typeof UNIT_BYTES> = {
  k: 'kb',
  kib: 'kb',
  m: 'mb',
  mib: 'mb',
  g: 'gb',
  gib: 'gb',
  t: 'tb',
  tib: 'tb',
};

/**
 * Reads a size as a user types it: `512`, `64kb`, `1mb`, `1.5gb` (binary units: 1kb = 1024 bytes, as the
 * `bytes` package reads them; `k`, `kib`, `m`, `mib`… are accepted too). Returns whole bytes.
 * Throws EvqUsageError (EVQ_ERR_INVALID_ARGUMENT) otherwise.
 */
export function parseSize(input: string | number): number {
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input >= 0) return input;
    throw invalidSize(String(input));
  }
  const text = input.trim().toLowerCase();
  const match = SIZE.exec(text);
  if (match === null || text.length > 32) throw invalidSize(input);
  const rawUnit = match[2] ?? 'b';
  const unit = ALIASES[rawUnit] ?? (rawUnit as keyof typeof UNIT_BYTES);
  const bytes = Math.floor(Number(match[1]) * UNIT_BYTES[unit]);
  if (!Number.isSafeInteger(bytes)) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `size "${input}" is too large`);
  }
  return bytes;
}

/** Formats bytes in binary units the way parseSize reads them back: 512b, 64kb, 1.5mb. */
export function formatSize(bytes: number): string {
  for (const unit of ['tb', 'gb', 'mb', 'kb'] as const) {
    const size = UNIT_BYTES[unit];
    if (bytes >= size) {
      const amount = bytes / size;
      return `${Number.isInteger(amount) ? amount : Number(amount.toFixed(2))}${unit}`;
    }
  }
  return `${bytes}b`;
}

function invalidSize(input: string): EvqUsageError {
  const shown = input.length > 40 ? `${input.slice(0, 40)}…` : input;
  return new EvqUsageError(
    'EVQ_ERR_INVALID_ARGUMENT',
    `invalid size "${shown}": expected a number of bytes with an optional unit, like 512, 64kb or 1mb`,
  );
}

/** A count with an optional k (×1,000) or M (×1,000,000): `100000`, `100k`, `1.5M`; NaN when it is not one. */
export function parseCount(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKmM])?$/.exec(text.trim());
  if (match === null) return Number.NaN;
  const suffix = match[2]?.toLowerCase();
  return Number(match[1]) * (suffix === 'k' ? 1000 : suffix === 'm' ? 1_000_000 : 1);
}
