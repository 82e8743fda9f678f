/**
 * The record a filter reads, and the cache of its parsed value. A message value is parsed as JSON at most
 * once per record object, however many filters read it: the parsed value is kept in a symbol-keyed slot of
 * the record itself (`record[PARSED_VALUE]`), filled the first time a filter asks for it. A symbol keeps the
 * slot out of `JSON.stringify` and out of the way of any field of the record. Callers that already hold the
 * parsed value (a broker that parsed it once on produce, a benchmark) put it there with `setRecordValue`.
 *
 * For the fastest reads, create records with the slot already present (`[PARSED_VALUE]: undefined`), so that
 * filling it does not change the shape of the object.
 */
import { LIMITS } from '../limits.js';

/** A value as JSON.parse gives it. */
export type FilterValue = null | boolean | number | string | FilterValue[] | { [key: string]: FilterValue };

/** The slot of a record that holds its parsed value; `undefined` means not parsed yet. */
export const PARSED_VALUE: unique symbol = Symbol('evq.parsedValue');

/** What a filter reads of a record. Broker and client records fit as they are. */
export interface FilterRecord {
  topic: string;
  offset: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** null (or absent) when the message has no key. */
  key?: string | null;
  /** Header names to values (a plain or null-prototype object); null or absent means none. */
  headers?: Readonly<Record<string, string>> | null;
  /** The message: text, or bytes that are decoded as UTF-8. */
  value: string | Uint8Array;
  /** The cache of the parsed value (see `recordValue`). */
  [PARSED_VALUE]?: FilterValue;
}

export interface FilterValueOptions {
  /** Deepest JSON nesting parsed; a deeper value is kept as text (`LIMITS.maxFilterJsonDepth`). */
  maxJsonDepth?: number;
}

const decoder = new TextDecoder('utf-8');

/**
 * The value filters see for a message: its JSON when the text is JSON (and no deeper than `maxJsonDepth`),
 * else the text itself. Bytes are decoded as UTF-8 first (invalid sequences become U+FFFD).
 */
export function parseFilterValue(value: string | Uint8Array, options?: FilterValueOptions): FilterValue {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value instanceof Uint8Array) text = decoder.decode(value);
  else return null;
  if (!looksLikeJson(text)) return text;
  const maxDepth = options?.maxJsonDepth ?? LIMITS.maxFilterJsonDepth;
  if (nestsDeeperThan(text, maxDepth)) return text;
  try {
    return JSON.parse(text) as FilterValue;
  } catch {
    return text;
  }
}

/**
 * The parsed value of a record, parsed on first use and then read from the record's cache slot. This is
 * what every compiled filter calls, so N filters over one record object parse its JSON once.
 */
export function recordValue(record: FilterRecord): FilterValue {
  const cached = record[PARSED_VALUE];
  return cached !== undefined ? cached : fillRecordValue(record);
}

function fillRecordValue(record: FilterRecord): FilterValue {
  const parsed = parseFilterValue(record.value);
  try {
    record[PARSED_VALUE] = parsed;
  } catch {
    // a frozen record cannot hold the cache: it is parsed again next time, which is still correct
  }
  return parsed;
}

/** Puts an already parsed value in the record's cache slot (or clears it with `undefined`). */
export function setRecordValue(record: FilterRecord, parsed: FilterValue | undefined): void {
  record[PARSED_VALUE] = parsed;
}

/** Parses the record's value now (with these options) into its cache slot, and returns the record. */
export function preparseRecord<T extends FilterRecord>(record: T, options?: FilterValueOptions): T {
  record[PARSED_VALUE] = parseFilterValue(record.value, options);
  return record;
}

/** Could the text be JSON? Skips JSON.parse (and the cost of its exception) for plain text. */
function looksLikeJson(text: string): boolean {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    // { [ " - 0-9 t(rue) f(alse) n(ull)
    return c === 0x7b || c === 0x5b || c === 0x22 || c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e;
  }
  return false;
}

/** Does the (would-be) JSON text open more than `maxDepth` arrays and objects inside each other? */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  const n = text.length;
  // JSON nested d deep has at least 2·d brackets
  if (n < 2 * (maxDepth + 1)) return false;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // skip the string, escapes included
      for (i++; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}
