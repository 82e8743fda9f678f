/**
 * Property tests of the filter language as a whole:
 *  1. random trees → printed → compiled, against a separate reference interpreter written here, which
 *     evaluates the tree directly on random records;
 *  2. random text and random token soups either compile or throw an EvqError, nothing else;
 *  3. printing and parsing are inverse.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  printFilter,
  type FilterCompareOp,
  type FilterLiteralValue,
  type FilterNode,
  type FilterPath,
} from '../../../../src/core/filter/ast.js';
import { compileFilter } from '../../../../src/core/filter/compiler.js';
import { parseFilter, type FilterLimits } from '../../../../src/core/filter/parser.js';
import { setRecordValue, type FilterRecord } from '../../../../src/core/filter/record-value.js';
import { EvqError, EvqFilterError } from '../../../../src/errors.js';

const RUNS = { seed: 42, numRuns: 500 } as const;
/** Random trees may be longer and bigger than the default limits, which are tested elsewhere. */
const ROOMY: FilterLimits = { maxLength: 1_000_000, maxNodes: 100_000 };

// ---- the reference interpreter: plain, and independent of src/ -----------------------------------------------

const MISSING = Symbol('missing');
type Read = unknown; // a JSON value or MISSING

function referenceValue(record: FilterRecord): unknown {
  const text = typeof record.value === 'string' ? record.value : Buffer.from(record.value).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function referenceRead(record: FilterRecord, path: FilterPath): Read {
  switch (path.root) {
    case 'topic':
      return record.topic;
    case 'offset':
      return record.offset;
    case 'timestamp':
      return record.timestamp;
    case 'key':
      return record.key === null || record.key === undefined ? MISSING : record.key;
    case 'headers': {
      const headers = record.headers ?? {};
      const [name] = path.segments;
      if (name === undefined) return headers;
      return Object.prototype.hasOwnProperty.call(headers, name) ? headers[name as string] : MISSING;
    }
    case 'value': {
      let v: unknown = referenceValue(record);
      for (const segment of path.segments) {
        if (typeof segment === 'number') v = Array.isArray(v) && segment < v.length ? (v[segment] as unknown) : MISSING;
        else v = isPlainObject(v) && Object.prototype.hasOwnProperty.call(v, segment) ? v[segment] : MISSING;
        if (v === MISSING) return MISSING;
      }
      return v;
    }
  }
}

function referenceEqual(a: unknown, b: unknown): boolean {
  const x = a === MISSING ? null : a;
  const y = b === MISSING ? null : b;
  if (Array.isArray(x) || Array.isArray(y)) {
    return Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((e, i) => referenceEqual(e, y[i]));
  }
  if (isPlainObject(x) || isPlainObject(y)) {
    if (!isPlainObject(x) || !isPlainObject(y)) return false;
    const kx = Object.keys(x).sort();
    const ky = Object.keys(y).sort();
    return kx.length === ky.length && kx.every((k, i) => k === ky[i] && referenceEqual(x[k], y[k]));
  }
  return x === y;
}

const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

function referenceOrder(op: string, a: unknown, b: unknown): boolean {
  let x: number | string;
  let y: number | string;
  if (typeof a === 'number' && typeof b === 'number') [x, y] = [a, b];
  else if (typeof a === 'string' && typeof b === 'string') [x, y] = [a, b];
  else if (typeof a === 'number' && typeof b === 'string' && JSON_NUMBER.test(b)) [x, y] = [a, Number(b)];
  else if (typeof a === 'string' && typeof b === 'number' && JSON_NUMBER.test(a)) [x, y] = [Number(a), b];
  else return false;
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

/** Glob by dynamic programming over code points: slow and obviously right. */
function referenceLike(text: string, pattern: string): boolean {
  const t = Array.from(text);
  const p: { star?: true; any?: true; ch?: string }[] = [];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '\\' && i + 1 < chars.length) p.push({ ch: chars[++i] as string });
    else if (c === '*') p.push({ star: true });
    else if (c === '?') p.push({ any: true });
    else p.push({ ch: c });
  }
  let row = new Array<boolean>(t.length + 1).fill(false);
  row[0] = true;
  for (const step of p) {
    const next = new Array<boolean>(t.length + 1).fill(false);
    for (let j = 0; j <= t.length; j++) {
      if (step.star) next[j] = row[j] === true || (j > 0 && next[j - 1] === true);
      else if (j > 0 && row[j - 1] === true && (step.any === true || step.ch === t[j - 1])) next[j] = true;
    }
    row = next;
  }
  return row[t.length] === true;
}

function referenceCompare(op: FilterCompareOp, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return referenceEqual(a, b);
    case '!=':
      return !referenceEqual(a, b);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return referenceOrder(op, a, b);
    case 'in':
      return Array.isArray(b) && b.some((e) => referenceEqual(a, e));
    case 'contains':
      if (typeof a === 'string') return typeof b === 'string' && a.includes(b);
      return Array.isArray(a) && a.some((e) => referenceEqual(e, b));
    case 'startsWith':
      return typeof a === 'string' && typeof b === 'string' && a.startsWith(b);
    case 'endsWith':
      return typeof a === 'string' && typeof b === 'string' && a.endsWith(b);
    case 'like':
      return typeof a === 'string' && typeof b === 'string' && referenceLike(a, b);
  }
}

function referenceOperand(node: FilterNode, record: FilterRecord): unknown {
  if (node.kind === 'literal') return node.value;
  if (node.kind === 'path') return referenceRead(record, node);
  return referenceCondition(node, record);
}

function referenceCondition(node: FilterNode, record: FilterRecord): boolean {
  switch (node.kind) {
    case 'literal':
      return node.value !== null && node.value !== false;
    case 'path': {
      const v = referenceRead(record, node);
      return v !== MISSING && v !== null && v !== false;
    }
    case 'exists':
      return referenceRead(record, node.path) !== MISSING;
    case 'not':
      return !referenceCondition(node.operand, record);
    case 'and':
      return node.operands.every((o) => referenceCondition(o, record));
    case 'or':
      return node.operands.some((o) => referenceCondition(o, record));
    case 'compare':
      return referenceCompare(node.op, referenceOperand(node.left, record), referenceOperand(node.right, record));
  }
}

// ---- generators --------------------------------------------------------------------------------------------

const KEYS = ['a', 'b', 'n', 's', 'x y', 'tags', 'in', 'toString', '0', 'é'];
const HEADER_NAMES = ['type', 'n', 'content-type', 'toString'];

/** Strings and numbers that records and filters share, so that comparisons often hit. */
const POOL_STRINGS = [
  '',
  'a',
  'ab',
  'abc',
  'red',
  'deposit',
  '5',
  '10',
  '100',
  '1e3',
  '-2.5',
  '05',
  ' 5',
  'é😀',
  'true',
  'null',
  'xaby',
  `"q'\\`,
];
const someString = fc.oneof(
  { arbitrary: fc.constantFrom(...POOL_STRINGS), weight: 6 },
  { arbitrary: fc.string({ maxLength: 4 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 3 }), weight: 1 },
);
const someNumber = fc.oneof(
  { arbitrary: fc.constantFrom(0, -0, 1, 5, 10, 100, -3, 2.5, 1e3, 1e21), weight: 6 },
  { arbitrary: fc.integer({ min: -20, max: 200 }), weight: 1 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
);
const scalar: fc.Arbitrary<FilterLiteralValue> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: someNumber, weight: 4 },
  { arbitrary: someString, weight: 4 },
);
const arrayLiteral: fc.Arbitrary<FilterLiteralValue[]> = fc.array(
  fc.oneof({ arbitrary: scalar, weight: 5 }, { arbitrary: fc.array(scalar, { maxLength: 2 }), weight: 1 }),
  { maxLength: 6 },
);
/** Patterns: pool strings with some characters turned into wildcards, and random ones. */
const pattern = fc.oneof(
  fc
    .tuple(fc.constantFrom(...POOL_STRINGS), fc.array(fc.tuple(fc.nat(), fc.constantFrom('*', '?', '\\', '')), { maxLength: 3 }))
    .map(([text, edits]) => {
      const chars = Array.from(text);
      for (const [at, wildcard] of edits) chars.splice(chars.length === 0 ? 0 : at % (chars.length + 1), wildcard === '' ? 1 : 0, wildcard);
      return chars.join('');
    }),
  fc.constantFrom('*', '', 'a*', '*a', '*a*', 'a?', '?', 'r*d', '*\\**', 'x\\?', '**', 'é*', '*😀', '1*', '*b*', '?b*'),
  fc.array(fc.constantFrom('a', 'b', '*', '?', '\\', 'x', ' ', '5', '😀'), { maxLength: 6 }).map((parts) => parts.join('')),
);

const lit = (value: FilterLiteralValue): FilterNode => ({ kind: 'literal', value });
const orderingOrEquality = fc.constantFrom<FilterCompareOp>('==', '!=', '<', '<=', '>', '>=', 'contains', 'startsWith', 'endsWith');

const segment = fc.oneof({ arbitrary: fc.constantFrom(...KEYS), weight: 4 }, { arbitrary: fc.nat(3), weight: 1 });
const valuePath: fc.Arbitrary<FilterPath> = fc
  .oneof(
    { arbitrary: fc.array(segment, { minLength: 1, maxLength: 1 }), weight: 6 },
    { arbitrary: fc.array(segment, { minLength: 2, maxLength: 3 }), weight: 2 },
    { arbitrary: fc.constant([]), weight: 1 },
  )
  .map((segments) => ({ kind: 'path', root: 'value', segments }));
const pathArb: fc.Arbitrary<FilterPath> = fc.oneof(
  { arbitrary: valuePath, weight: 5 },
  fc.option(fc.constantFrom(...HEADER_NAMES), { nil: undefined }).map((name) => ({
    kind: 'path' as const,
    root: 'headers' as const,
    segments: name === undefined ? [] : [name],
  })),
  fc.constantFrom('key', 'topic', 'offset', 'timestamp').map((root) => ({ kind: 'path' as const, root, segments: [] })),
);

const trees = fc.letrec<{
  top: FilterNode;
  cond: FilterNode;
  operand: FilterNode;
  compare: FilterNode;
  not: FilterNode;
  and: FilterNode;
  or: FilterNode;
}>((tie) => ({
  // rarely a lone leaf at the top: those are covered many times over inside bigger trees
  top: fc.oneof(
    { arbitrary: tie('compare'), weight: 4 },
    { arbitrary: tie('and'), weight: 2 },
    { arbitrary: tie('or'), weight: 2 },
    { arbitrary: tie('not'), weight: 1 },
    { arbitrary: tie('cond'), weight: 1 },
  ),
  cond: fc.oneof(
    { depthIdentifier: 'tree', maxDepth: 4, depthSize: 'medium' },
    { arbitrary: pathArb, weight: 2 },
    { arbitrary: pathArb.map((path): FilterNode => ({ kind: 'exists', path })), weight: 1 },
    { arbitrary: fc.boolean().map(lit), weight: 1 },
    { arbitrary: tie('compare'), weight: 10 },
    { arbitrary: tie('not'), weight: 2 },
    { arbitrary: tie('and'), weight: 3 },
    { arbitrary: tie('or'), weight: 3 },
  ),
  operand: fc.oneof(
    { depthIdentifier: 'tree', maxDepth: 4 },
    { arbitrary: pathArb, weight: 4 },
    { arbitrary: scalar.map(lit), weight: 4 },
    { arbitrary: arrayLiteral.map(lit), weight: 1 },
    { arbitrary: tie('cond'), weight: 1 },
  ),
  compare: fc.oneof(
    // the common shape: a field against a literal
    {
      arbitrary: fc
        .record({
          op: orderingOrEquality,
          left: pathArb,
          right: fc.oneof({ arbitrary: scalar, weight: 5 }, { arbitrary: arrayLiteral, weight: 1 }),
        })
        .map(({ op, left, right }): FilterNode => ({ kind: 'compare', op, left, right: lit(right) })),
      weight: 6,
    },
    {
      arbitrary: fc
        .record({ op: orderingOrEquality, left: tie('operand'), right: tie('operand') })
        .map(({ op, left, right }): FilterNode => ({ kind: 'compare', op, left, right })),
      weight: 3,
    },
    {
      arbitrary: fc
        .record({ left: tie('operand'), right: fc.oneof(pathArb as fc.Arbitrary<FilterNode>, arrayLiteral.map(lit)) })
        .map(({ left, right }): FilterNode => ({ kind: 'compare', op: 'in', left, right })),
      weight: 2,
    },
    {
      arbitrary: fc
        .record({
          left: fc.oneof({ arbitrary: pathArb as fc.Arbitrary<FilterNode>, weight: 4 }, { arbitrary: tie('operand'), weight: 1 }),
          right: pattern,
        })
        .map(({ left, right }): FilterNode => ({ kind: 'compare', op: 'like', left, right: lit(right) })),
      weight: 2,
    },
  ),
  not: tie('cond').map((operand): FilterNode => ({ kind: 'not', operand })),
  and: fc.array(tie('cond'), { minLength: 2, maxLength: 3 }).map((operands): FilterNode => ({ kind: 'and', operands })),
  or: fc.array(tie('cond'), { minLength: 2, maxLength: 3 }).map((operands): FilterNode => ({ kind: 'or', operands })),
}));
const tree = trees.top;

const jsonValue = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthIdentifier: 'json', maxDepth: 3 },
    { arbitrary: scalar, weight: 6 },
    { arbitrary: fc.array(tie('v'), { maxLength: 4 }), weight: 2 },
    { arbitrary: fc.dictionary(fc.constantFrom(...KEYS, '__proto__'), tie('v'), { maxKeys: 4 }), weight: 2 },
  ),
})).v;
/** Most messages are objects whose members filters ask for, mostly scalars, as in real messages. */
const member = fc.oneof(
  { arbitrary: scalar, weight: 8 },
  { arbitrary: fc.array(scalar, { maxLength: 4 }), weight: 2 },
  { arbitrary: fc.dictionary(fc.constantFrom(...KEYS), scalar, { maxKeys: 4 }), weight: 2 },
  { arbitrary: jsonValue, weight: 1 },
);
const message = fc.oneof(
  { arbitrary: fc.dictionary(fc.constantFrom(...KEYS, '__proto__'), member, { minKeys: 3, maxKeys: 9 }), weight: 6 },
  { arbitrary: jsonValue, weight: 1 },
);

const recordArb: fc.Arbitrary<FilterRecord> = fc
  .record({
    form: fc.constantFrom('json', 'json', 'json', 'bytes', 'text'),
    json: message,
    text: someString,
    key: fc.option(fc.constantFrom('a', 'b', 'red', '5', ''), { nil: null }),
    headers: fc.dictionary(fc.constantFrom(...HEADER_NAMES), someString, { maxKeys: 4 }),
    topic: fc.constantFrom('orders', 'a', ''),
    offset: fc.nat(1000),
    timestamp: fc.integer({ min: 0, max: 2e12 }),
  })
  .map(({ form, json, text, key, headers, topic, offset, timestamp }) => {
    const encoded = JSON.stringify(json) ?? 'null';
    const value = form === 'json' ? encoded : form === 'bytes' ? new TextEncoder().encode(encoded) : text;
    return { topic, offset, timestamp, key, headers: { ...headers }, value };
  });

// ---- the properties ----------------------------------------------------------------------------------------

describe('filters, as a whole', () => {
  it('(1) compiled filters agree with the reference interpreter', () => {
    fc.assert(
      fc.property(tree, fc.array(recordArb, { minLength: 1, maxLength: 6 }), (node, records) => {
        const text = printFilter(node);
        const filter = compileFilter(text, ROOMY);
        for (const record of records) {
          const expected = referenceCondition(node, record);
          const fresh = { ...record };
          expect(filter(fresh), `${text}\non ${JSON.stringify(record)}`).toBe(expected);
          // again, from the cache this time
          expect(filter(fresh)).toBe(expected);
        }
      }),
      { ...RUNS, numRuns: 3000 },
    );
  });

  it('(1b) a value put in the cache by the caller gives the same answers', () => {
    fc.assert(
      fc.property(tree, recordArb, (node, record) => {
        const filter = compileFilter(printFilter(node), ROOMY);
        const pre = { ...record };
        setRecordValue(pre, referenceValue(record) as never);
        expect(filter(pre)).toBe(referenceCondition(node, record));
      }),
      RUNS,
    );
  });

  const TOKENS = [
    'value',
    'key',
    'headers',
    'topic',
    'offset',
    'timestamp',
    '.',
    'a',
    'tags',
    '[',
    ']',
    '0',
    '1',
    '-1.5e3',
    '"x"',
    "'y'",
    '"10"',
    '(',
    ')',
    '!',
    'not',
    'and',
    'or',
    '&&',
    '||',
    '==',
    '!=',
    '<',
    '<=',
    '>',
    '>=',
    'in',
    'contains',
    'startsWith',
    'endsWith',
    'like',
    '"a*"',
    'exists',
    'true',
    'false',
    'null',
    ',',
    '__proto__',
    'constructor',
    'prototype',
    '=',
    '&',
    '|',
    '\\',
    '"open',
    '😀',
    'foo',
    'AND',
    '01',
    '.5',
  ];
  const soup = fc
    .array(fc.constantFrom(...TOKENS), { maxLength: 14 })
    .chain((tokens) => fc.constantFrom(' ', '').map((glue) => tokens.join(glue)));
  /** Printed trees with a token put in or a piece cut out: nearly valid, so errors come from deep in the parser. */
  const mutated = fc
    .record({ node: tree, at: fc.nat(), length: fc.nat(4), token: fc.constantFrom(...TOKENS), cut: fc.boolean() })
    .map(({ node, at, length, token, cut }) => {
      const text = printFilter(node);
      const i = text.length === 0 ? 0 : at % text.length;
      return cut ? text.slice(0, i) + text.slice(i + length) : `${text.slice(0, i)} ${token} ${text.slice(i)}`;
    });
  const anyText = fc.oneof(soup, mutated, fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));

  it('(2) any text compiles, or throws an EvqError naming a column inside it', () => {
    const probe: FilterRecord = {
      topic: 't',
      offset: 1,
      timestamp: 2,
      key: 'a',
      headers: { type: 'x' },
      value: '{"a":[1,{"b":"x"}],"tags":["red"]}',
    };
    fc.assert(
      fc.property(anyText, (text) => {
        let filter: ((r: FilterRecord) => boolean) | undefined;
        try {
          filter = compileFilter(text);
        } catch (err) {
          expect(err).toBeInstanceOf(EvqError);
          expect(err).toBeInstanceOf(EvqFilterError);
          const column = (err as EvqFilterError).column;
          expect(column).toBeGreaterThanOrEqual(1);
          expect(column).toBeLessThanOrEqual(Array.from(text).length + 1);
          expect((err as Error).message).toMatch(/^invalid filter at column \d+: ./);
          return;
        }
        expect(typeof filter({ ...probe })).toBe('boolean');
        expect(typeof filter({ ...probe, value: 'text', key: null, headers: {} })).toBe('boolean');
      }),
      { ...RUNS, numRuns: 2000 },
    );
  });

  it('(3) parse(print(tree)) is the tree', () => {
    fc.assert(
      fc.property(tree, (node) => {
        expect(parseFilter(printFilter(node), ROOMY)).toEqual(node);
      }),
      RUNS,
    );
  });

  it('(3b) print(parse(text)) means the same as text', () => {
    fc.assert(
      fc.property(soup, (text) => {
        let node: FilterNode;
        try {
          node = parseFilter(text);
        } catch {
          return;
        }
        const printed = printFilter(node);
        expect(parseFilter(printed, ROOMY)).toEqual(node);
        expect(printFilter(parseFilter(printed, ROOMY))).toBe(printed);
      }),
      { ...RUNS, numRuns: 2000 },
    );
  });
});
