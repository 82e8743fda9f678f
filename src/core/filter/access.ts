/**
 * Reading fields of a record for compiled filters. A path is resolved at compile time into a getter over a
 * fixed list of keys; reads are own-property only (`Object.hasOwn`), member names read objects and indexes
 * read arrays, and anything that is not there reads as `undefined` (missing) without throwing.
 * `__proto__`, `constructor` and `prototype` never get here: the parser refuses them.
 */
import type { FilterPath } from './ast.js';
import { recordValue, type FilterRecord } from './record-value.js';

/** A compiled reader of one field: `undefined` when the field is missing. */
export type Get = (record: FilterRecord) => unknown;
/** A compiled condition over a record. */
export type Predicate = (record: FilterRecord) => boolean;

/**
 * How a path is read. `value-key` (`value.amount`) and `header` (`headers.type`) are the common shapes that
 * comparisons fuse with the read into one closure; every kind carries a plain getter as well.
 */
export type Access =
  | { readonly kind: 'value-key'; readonly key: string; readonly get: Get }
  | { readonly kind: 'header'; readonly key: string; readonly get: Get }
  | { readonly kind: 'number'; readonly field: 'offset' | 'timestamp'; readonly get: Get }
  | { readonly kind: 'other'; readonly get: Get };

const hasOwn = Object.hasOwn;
const isArray = Array.isArray;
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** An own member of a non-array object, or undefined. */
export function readKey(o: unknown, key: string): unknown {
  if (typeof o !== 'object' || o === null) return undefined;
  const v = (o as Record<string, unknown>)[key];
  return v !== undefined && hasOwn(o, key) && !isArray(o) ? v : undefined;
}

/** An element of an array, or undefined. */
export function readIndex(o: unknown, index: number): unknown {
  return isArray(o) && index < o.length ? (o[index] as unknown) : undefined;
}

/** Follows member names and indexes from a value; undefined as soon as one is missing. */
export function readPath(v: unknown, segments: readonly (string | number)[]): unknown {
  for (let i = 0; i < segments.length && v !== undefined; i++) {
    const segment = segments[i] as string | number;
    v = typeof segment === 'string' ? readKey(v, segment) : readIndex(v, segment);
  }
  return v;
}

/**
 * Could `array[key]` find something on a JSON array? Only `length` and all-digit names can: for every other
 * name a read on an array is undefined or an inherited function, so fused reads may skip `Array.isArray`.
 */
export function arraySensitiveKey(key: string): boolean {
  if (key === 'length') return true;
  if (key.length === 0) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function valueGetter(segments: readonly (string | number)[]): Get {
  const [a, b, c] = segments;
  if (segments.length === 0) return recordValue;
  if (segments.length === 1 && typeof a === 'string') return (r) => readKey(recordValue(r), a);
  if (segments.length === 2 && typeof a === 'string' && typeof b === 'string') {
    return (r) => {
      const v = readKey(recordValue(r), a);
      return v === undefined ? undefined : readKey(v, b);
    };
  }
  if (segments.length === 3 && typeof a === 'string' && typeof b === 'string' && typeof c === 'string') {
    return (r) => {
      let v = readKey(recordValue(r), a);
      if (v !== undefined) v = readKey(v, b);
      return v === undefined ? undefined : readKey(v, c);
    };
  }
  const path = [...segments];
  return (r) => readPath(recordValue(r), path);
}

function headerGetter(key: string): Get {
  return (r) => {
    const h = r.headers;
    if (h === undefined || h === null) return undefined;
    const v = h[key];
    return v !== undefined && hasOwn(h, key) ? v : undefined;
  };
}

/** Compiles a path into its access. */
export function pathAccess(path: FilterPath): Access {
  switch (path.root) {
    case 'topic':
      return { kind: 'other', get: (r) => r.topic };
    case 'offset':
      return { kind: 'number', field: 'offset', get: (r) => r.offset };
    case 'timestamp':
      return { kind: 'number', field: 'timestamp', get: (r) => r.timestamp };
    case 'key':
      return { kind: 'other', get: (r) => r.key ?? undefined };
    case 'headers': {
      const name = path.segments[0];
      if (typeof name !== 'string') return { kind: 'other', get: (r) => r.headers ?? NO_HEADERS };
      return { kind: 'header', key: name, get: headerGetter(name) };
    }
    case 'value': {
      const get = valueGetter(path.segments);
      const first = path.segments[0];
      if (path.segments.length === 1 && typeof first === 'string' && !arraySensitiveKey(first)) {
        return { kind: 'value-key', key: first, get };
      }
      return { kind: 'other', get };
    }
  }
}
