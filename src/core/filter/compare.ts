/**
 * What the comparison operators mean, once in a generic form (used for field-against-field comparisons and
 * to fold constants) and once specialised against a literal, by the literal's type and by how the field is
 * read. For the common shapes (`value.amount > 100`, `headers.type == "deposit"`, `offset >= 10`) the read
 * and the comparison are fused into one closure, which is what keeps a compiled filter near the speed of a
 * hand-written arrow function.
 *
 * - A missing field reads as null in every operator.
 * - `==` is strict JSON equality, deep for arrays and objects, without conversions (`1 == "1"` is false).
 * - `< <= > >=` compare two numbers numerically, two strings by UTF-16 code units, and a number with a
 *   string written as a JSON number (a header "42") numerically; every other pair is false.
 */
import type { FilterCompareOp, FilterLiteralValue } from './ast.js';
import type { Access, Get, Predicate } from './access.js';
import { compileGlob } from './glob.js';
import { jsonNumberValue } from './lexer.js';
import { PARSED_VALUE, recordValue } from './record-value.js';

/** The constant conditions; the compiler folds them away by identity. */
export const ALWAYS: Predicate = () => true;
export const NEVER: Predicate = () => false;

type OrderOp = '<' | '<=' | '>' | '>=';
const ORDER_CODE = { '<': 0, '<=': 1, '>': 2, '>=': 3 } as const;
const hasOwn = Object.hasOwn;
const isArray = Array.isArray;
/** Deepest structure compared by `==`; JSON values and literals are far shallower (see LIMITS). */
const MAX_EQUAL_DEPTH = 256;

/** Does a value count as true where a condition is expected? Missing, null and false do not. */
export function truthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== false;
}

/** Strict JSON equality, deep for arrays and objects (own keys); missing equals null. */
export function jsonEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (a === undefined) return b === null;
  if (b === undefined) return a === null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || depth > MAX_EQUAL_DEPTH) return false;
  if (isArray(a)) {
    if (!isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    if (!hasOwn(b, k) || !jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

/** `x op y` for two numbers or two strings, by operator code. */
function ordered(code: number, x: number | string, y: number | string): boolean {
  switch (code) {
    case 0:
      return x < y;
    case 1:
      return x <= y;
    case 2:
      return x > y;
    default:
      return x >= y;
  }
}

/** The ordering operators over two read values. */
export function orderCompare(op: OrderOp, a: unknown, b: unknown): boolean {
  const code = ORDER_CODE[op];
  if (typeof a === 'number') {
    if (typeof b === 'number') return ordered(code, a, b);
    return typeof b === 'string' && ordered(code, a, jsonNumberValue(b));
  }
  if (typeof a === 'string') {
    if (typeof b === 'string') return ordered(code, a, b);
    return typeof b === 'number' && ordered(code, jsonNumberValue(a), b);
  }
  return false;
}

/** The generic meaning of every comparison operator over two read values (undefined = missing). */
export function evaluateCompare(op: FilterCompareOp, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return jsonEqual(a, b);
    case '!=':
      return !jsonEqual(a, b);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return orderCompare(op, a, b);
    case 'in':
      return isArray(b) && b.some((e) => jsonEqual(a, e));
    case 'contains':
      if (typeof a === 'string') return typeof b === 'string' && a.includes(b);
      return isArray(a) && a.some((e) => jsonEqual(e, b));
    case 'startsWith':
      return typeof a === 'string' && typeof b === 'string' && a.startsWith(b);
    case 'endsWith':
      return typeof a === 'string' && typeof b === 'string' && a.endsWith(b);
    case 'like':
      return typeof a === 'string' && typeof b === 'string' && compileGlob(b)(a);
  }
}

/** `field op literal`, specialised. */
export function compareWithLiteral(op: FilterCompareOp, access: Access, literal: FilterLiteralValue): Predicate {
  const get = access.get;
  switch (op) {
    case '==':
    case '!=':
      return equalsLiteral(access, literal, op === '!=');
    case '<':
    case '<=':
    case '>':
    case '>=':
      if (typeof literal === 'number') return orderNumber(ORDER_CODE[op], access, literal);
      if (typeof literal === 'string') return orderString(ORDER_CODE[op], get, literal);
      return NEVER;
    case 'in':
      return inLiteral(get, literal);
    case 'contains':
      return containsLiteral(get, literal);
    case 'startsWith':
      if (typeof literal !== 'string') return NEVER;
      return (r) => {
        const v = get(r);
        return typeof v === 'string' && v.startsWith(literal);
      };
    case 'endsWith':
      if (typeof literal !== 'string') return NEVER;
      return (r) => {
        const v = get(r);
        return typeof v === 'string' && v.endsWith(literal);
      };
    case 'like': {
      if (typeof literal !== 'string') return NEVER;
      const match = compileGlob(literal);
      return (r) => {
        const v = get(r);
        return typeof v === 'string' && match(v);
      };
    }
  }
}

/** `field == literal` (or `!=` with `negate`). */
function equalsLiteral(access: Access, lit: FilterLiteralValue, negate: boolean): Predicate {
  const get = access.get;
  if (lit === null) return (r) => (get(r) == null) !== negate; // missing or null
  if (typeof lit === 'object') return (r) => jsonEqual(get(r), lit) !== negate;
  switch (access.kind) {
    case 'value-key': {
      const key = access.key;
      return (r) => {
        let o = r[PARSED_VALUE];
        if (o === undefined) o = recordValue(r);
        if (typeof o !== 'object' || o === null) return negate;
        return ((o as Record<string, unknown>)[key] === lit && hasOwn(o, key)) !== negate;
      };
    }
    case 'header': {
      const key = access.key;
      return (r) => {
        const h = r.headers;
        if (h === undefined || h === null) return negate;
        return (h[key] === lit && hasOwn(h, key)) !== negate;
      };
    }
    case 'number': {
      const field = access.field;
      return (r) => (r[field] === lit) !== negate;
    }
    case 'other':
      return (r) => (get(r) === lit) !== negate;
  }
}

/** `field op number`: numbers compare, and so do strings written as JSON numbers (NaN otherwise: false). */
function orderNumber(code: number, access: Access, n: number): Predicate {
  switch (access.kind) {
    case 'value-key': {
      const key = access.key;
      return (r) => {
        let o = r[PARSED_VALUE];
        if (o === undefined) o = recordValue(r);
        if (typeof o !== 'object' || o === null) return false;
        const v = (o as Record<string, unknown>)[key];
        const x = typeof v === 'number' ? v : typeof v === 'string' ? jsonNumberValue(v) : NaN;
        return (code === 0 ? x < n : code === 1 ? x <= n : code === 2 ? x > n : x >= n) && hasOwn(o, key);
      };
    }
    case 'header': {
      const key = access.key;
      return (r) => {
        const h = r.headers;
        if (h === undefined || h === null) return false;
        const v: unknown = h[key];
        const x = typeof v === 'string' ? jsonNumberValue(v) : typeof v === 'number' ? v : NaN;
        return (code === 0 ? x < n : code === 1 ? x <= n : code === 2 ? x > n : x >= n) && hasOwn(h, key);
      };
    }
    case 'number': {
      const field = access.field;
      switch (code) {
        case 0:
          return (r) => r[field] < n;
        case 1:
          return (r) => r[field] <= n;
        case 2:
          return (r) => r[field] > n;
        default:
          return (r) => r[field] >= n;
      }
    }
    case 'other': {
      const get = access.get;
      return (r) => {
        const v = get(r);
        const x = typeof v === 'number' ? v : typeof v === 'string' ? jsonNumberValue(v) : NaN;
        return code === 0 ? x < n : code === 1 ? x <= n : code === 2 ? x > n : x >= n;
      };
    }
  }
}

/** `field op string`: strings compare by code units; a number compares with a numeric literal string. */
function orderString(code: number, get: Get, s: string): Predicate {
  const n = jsonNumberValue(s); // NaN unless s is a JSON number: every comparison with NaN is false
  return (r) => {
    const v = get(r);
    if (typeof v === 'string') return ordered(code, v, s);
    return typeof v === 'number' && ordered(code, v, n);
  };
}

/** `field in [literal, …]`: a Set of the scalars, or a deep comparison when the array holds arrays. */
function inLiteral(get: Get, lit: FilterLiteralValue): Predicate {
  if (!isArray(lit) || lit.length === 0) return NEVER;
  if (lit.some((e) => typeof e === 'object' && e !== null)) {
    return (r) => {
      const v = get(r);
      return lit.some((e) => jsonEqual(v, e));
    };
  }
  const hasNull = lit.includes(null);
  const scalars = new Set<unknown>(lit.filter((e) => e !== null));
  if (scalars.size <= 4) {
    const [a, b, c, d] = [...scalars];
    return (r) => {
      const v = get(r);
      return v === undefined || v === null ? hasNull : v === a || v === b || v === c || v === d;
    };
  }
  return (r) => {
    const v = get(r);
    return v === undefined || v === null ? hasNull : scalars.has(v);
  };
}

/** `field contains literal`: a substring of a string, or an element of an array. */
function containsLiteral(get: Get, lit: FilterLiteralValue): Predicate {
  if (typeof lit === 'string') {
    return (r) => {
      const v = get(r);
      return typeof v === 'string' ? v.includes(lit) : isArray(v) && v.includes(lit);
    };
  }
  if (typeof lit !== 'object' || lit === null) {
    return (r) => {
      const v = get(r);
      return isArray(v) && v.includes(lit);
    };
  }
  return (r) => {
    const v = get(r);
    return isArray(v) && v.some((e) => jsonEqual(e, lit));
  };
}
