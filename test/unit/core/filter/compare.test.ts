import { describe, expect, it } from 'vitest';
import { pathAccess } from '../../../../src/core/filter/access.js';
import {
  ALWAYS,
  NEVER,
  compareWithLiteral,
  evaluateCompare,
  jsonEqual,
  orderCompare,
  truthy,
} from '../../../../src/core/filter/compare.js';
import type { FilterCompareOp, FilterLiteralValue, FilterPath } from '../../../../src/core/filter/ast.js';
import type { FilterRecord } from '../../../../src/core/filter/record-value.js';

describe('truthy', () => {
  it('is false for missing, null and false only', () => {
    for (const v of [undefined, null, false]) expect(truthy(v)).toBe(false);
    for (const v of [true, 0, '', [], {}, 'false', -1]) expect(truthy(v)).toBe(true);
  });
});

describe('jsonEqual', () => {
  it('is strict for scalars and treats missing as null', () => {
    expect(jsonEqual(1, 1)).toBe(true);
    expect(jsonEqual(1, '1')).toBe(false);
    expect(jsonEqual(0, false)).toBe(false);
    expect(jsonEqual(null, undefined)).toBe(true);
    expect(jsonEqual(undefined, null)).toBe(true);
    expect(jsonEqual(undefined, 0)).toBe(false);
    expect(jsonEqual(0, -0)).toBe(true);
  });

  it('is deep for arrays and objects, whatever the key order', () => {
    expect(jsonEqual([1, [2, { a: 3 }]], [1, [2, { a: 3 }]])).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual([1], [1, 1])).toBe(false);
    expect(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual({ a: 1 }, { b: 1 })).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual({ 0: 1 }, [1])).toBe(false);
  });

  it('compares objects with own __proto__ keys as data', () => {
    const a = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
    const b = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
    const c = JSON.parse('{"__proto__": {"x": 2}}') as unknown;
    expect(jsonEqual(a, b)).toBe(true);
    expect(jsonEqual(a, c)).toBe(false);
    expect(jsonEqual(a, {})).toBe(false);
  });

  it('does not overflow the stack on cyclic values a caller might put in the cache', () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    const other: unknown[] = [];
    other.push(other);
    expect(jsonEqual(cyclic, other)).toBe(false);
  });
});

describe('orderCompare', () => {
  it.each([
    ['<', 1, 2, true],
    ['<=', 2, 2, true],
    ['>', 'b', 'a', true],
    ['>=', 'a', 'b', false],
    ['<', 'B', 'a', true], // code units: upper case first
    ['>', '10', 9, true],
    ['>', 10, '9', true],
    ['<', '10', '9', true], // two strings: as text
    ['<', 1, '1e1', true],
    ['<', 1, 'x', false],
    ['>=', 1, 'x', false],
    ['<', null, 1, false],
    ['<', true, 2, false],
    ['<', [1], [2], false],
    ['<', undefined, 1, false],
    ['>=', undefined, undefined, false],
  ] as const)('%s %j %j is %s', (op, a, b, expected) => {
    expect(orderCompare(op, a, b)).toBe(expected);
  });
});

describe('evaluateCompare', () => {
  it.each([
    ['==', [1, 2], [1, 2], true],
    ['!=', { a: 1 }, { a: 1 }, false],
    ['in', 2, [1, 2], true],
    ['in', undefined, [null], true],
    ['in', 2, 'x2', false],
    ['in', [1], [[1]], true],
    ['contains', [1, [2]], [2], true],
    ['contains', 'haystack', 'st', true],
    ['contains', 'haystack', 1, false],
    ['contains', { a: 1 }, 'a', false],
    ['contains', [null], undefined, true],
    ['startsWith', 'abc', 'ab', true],
    ['startsWith', ['abc'], 'ab', false],
    ['endsWith', 'abc', 'bc', true],
    ['endsWith', 'abc', undefined, false],
    ['like', 'abc', 'a*', true],
    ['like', 'abc', 1, false],
  ] as const)('%s on %j and %j is %s', (op, a, b, expected) => {
    expect(evaluateCompare(op, a, b)).toBe(expected);
  });
});

describe('compareWithLiteral', () => {
  const values: unknown[] = [
    undefined,
    null,
    true,
    false,
    0,
    -0,
    1,
    5,
    100,
    101,
    2.5,
    -3,
    1e21,
    '',
    '5',
    '100',
    '101',
    '1e3',
    'abc',
    'ABC',
    'x y',
    ' 5',
    '05',
    [],
    [1],
    [1, 'a'],
    [[1]],
    { a: 1 },
    ['abc', 5, null],
  ];
  const literals: FilterLiteralValue[] = [
    null,
    true,
    false,
    0,
    5,
    100,
    -1.5,
    '',
    '5',
    '100',
    'abc',
    'a*',
    '*c',
    '?b?',
    [],
    [5],
    [1, 'a'],
    [null, 5, 'abc'],
    [[1]],
    [1, 2, 3, 4, 5, 6],
  ];
  const ops: FilterCompareOp[] = ['==', '!=', '<', '<=', '>', '>=', 'in', 'contains', 'startsWith', 'endsWith', 'like'];
  const paths: FilterPath[] = [
    { kind: 'path', root: 'value', segments: ['v'] },
    { kind: 'path', root: 'value', segments: ['w', 'v'] },
    { kind: 'path', root: 'headers', segments: ['v'] },
  ];

  function recordWith(path: FilterPath, v: unknown): FilterRecord {
    const json = v === undefined ? {} : { v };
    const value = path.segments.length === 2 ? { w: json } : json;
    const headers = v === undefined ? {} : ({ v } as unknown as Record<string, string>);
    return { topic: 't', offset: 0, timestamp: 0, key: null, headers, value: JSON.stringify(value) };
  }

  it('agrees with the generic meaning for every operator, literal and value', () => {
    let checked = 0;
    for (const path of paths) {
      const access = pathAccess(path);
      for (const op of ops) {
        for (const lit of literals) {
          const specialised = compareWithLiteral(op, access, lit);
          for (const v of values) {
            const record = recordWith(path, v);
            const read = access.get(record);
            expect(specialised(record), `${JSON.stringify(read)} ${op} ${JSON.stringify(lit)} (${path.root})`).toBe(
              evaluateCompare(op, read, lit),
            );
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(15_000);
  });

  it('specialises offset and timestamp comparisons', () => {
    const record: FilterRecord = { topic: 't', offset: 10, timestamp: 99, value: '' };
    const offset = pathAccess({ kind: 'path', root: 'offset', segments: [] });
    const timestamp = pathAccess({ kind: 'path', root: 'timestamp', segments: [] });
    for (const op of ops) {
      for (const lit of literals) {
        expect(compareWithLiteral(op, offset, lit)(record)).toBe(evaluateCompare(op, 10, lit));
        expect(compareWithLiteral(op, timestamp, lit)(record)).toBe(evaluateCompare(op, 99, lit));
      }
    }
  });

  it('returns the constant NEVER where no record can match', () => {
    const access = pathAccess({ kind: 'path', root: 'value', segments: ['v'] });
    expect(compareWithLiteral('<', access, null)).toBe(NEVER);
    expect(compareWithLiteral('in', access, [])).toBe(NEVER);
    expect(compareWithLiteral('startsWith', access, 5)).toBe(NEVER);
    expect(compareWithLiteral('==', access, 5)).not.toBe(ALWAYS);
  });
});
