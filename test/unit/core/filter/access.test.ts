import { describe, expect, it } from 'vitest';
import { arraySensitiveKey, pathAccess, readIndex, readKey, readPath } from '../../../../src/core/filter/access.js';
import type { FilterPath, FilterRoot } from '../../../../src/core/filter/ast.js';
import type { FilterRecord } from '../../../../src/core/filter/record-value.js';

const path = (root: FilterRoot, ...segments: (string | number)[]): FilterPath => ({ kind: 'path', root, segments });

const record: FilterRecord = {
  topic: 'orders',
  offset: 3,
  timestamp: 1234,
  key: 'k',
  headers: { type: 'deposit' },
  value: JSON.stringify({ a: { b: { c: { d: 'deep' } } }, list: [{ x: 1 }, 'two'], 'odd key': true }),
};

describe('readKey / readIndex / readPath', () => {
  it('reads own members of objects only', () => {
    expect(readKey({ a: 1 }, 'a')).toBe(1);
    expect(readKey({ a: 1 }, 'toString')).toBeUndefined();
    expect(readKey(Object.create({ inherited: 1 }) as object, 'inherited')).toBeUndefined();
    expect(readKey(Object.assign(Object.create(null) as object, { a: 2 }), 'a')).toBe(2);
    expect(readKey([1, 2], 'length')).toBeUndefined();
    expect(readKey([1, 2], '0')).toBeUndefined();
    expect(readKey('text', 'length')).toBeUndefined();
    expect(readKey(null, 'a')).toBeUndefined();
    expect(readKey({ a: null }, 'a')).toBeNull();
  });

  it('reads indexes of arrays only', () => {
    expect(readIndex(['a', 'b'], 1)).toBe('b');
    expect(readIndex(['a', 'b'], 2)).toBeUndefined();
    expect(readIndex({ 0: 'x' }, 0)).toBeUndefined();
    expect(readIndex('ab', 0)).toBeUndefined();
  });

  it('follows a path and stops at the first missing step', () => {
    expect(readPath({ a: [{ b: 'x' }] }, ['a', 0, 'b'])).toBe('x');
    expect(readPath({ a: [{ b: 'x' }] }, ['a', 1, 'b'])).toBeUndefined();
    expect(readPath({ a: 1 }, [])).toEqual({ a: 1 });
  });
});

describe('arraySensitiveKey', () => {
  it('is true for length and all-digit names only', () => {
    expect(arraySensitiveKey('length')).toBe(true);
    expect(arraySensitiveKey('0')).toBe(true);
    expect(arraySensitiveKey('123')).toBe(true);
    expect(arraySensitiveKey('')).toBe(false);
    expect(arraySensitiveKey('a1')).toBe(false);
    expect(arraySensitiveKey('amount')).toBe(false);
  });
});

describe('pathAccess', () => {
  it('reads each root', () => {
    expect(pathAccess(path('topic')).get(record)).toBe('orders');
    expect(pathAccess(path('offset')).get(record)).toBe(3);
    expect(pathAccess(path('timestamp')).get(record)).toBe(1234);
    expect(pathAccess(path('key')).get(record)).toBe('k');
    expect(pathAccess(path('key')).get({ ...record, key: null })).toBeUndefined();
    expect(pathAccess(path('headers')).get(record)).toEqual({ type: 'deposit' });
    expect(pathAccess(path('headers')).get({ ...record, headers: undefined })).toEqual({});
    expect(pathAccess(path('headers', 'type')).get(record)).toBe('deposit');
    expect(pathAccess(path('headers', 'toString')).get(record)).toBeUndefined();
  });

  it('reads value paths of every length', () => {
    const fresh = (): FilterRecord => ({ ...record });
    expect(pathAccess(path('value', 'odd key')).get(fresh())).toBe(true);
    expect(pathAccess(path('value', 'a', 'b')).get(fresh())).toEqual({ c: { d: 'deep' } });
    expect(pathAccess(path('value', 'a', 'b', 'c')).get(fresh())).toEqual({ d: 'deep' });
    expect(pathAccess(path('value', 'a', 'b', 'c', 'd')).get(fresh())).toBe('deep');
    expect(pathAccess(path('value', 'list', 0, 'x')).get(fresh())).toBe(1);
    expect(pathAccess(path('value', 'list', 1)).get(fresh())).toBe('two');
    expect(pathAccess(path('value', 'a', 'zz', 'c')).get(fresh())).toBeUndefined();
    expect(pathAccess(path('value', 'zz', 'b')).get(fresh())).toBeUndefined();
  });

  it('marks the shapes that comparisons fuse', () => {
    expect(pathAccess(path('value', 'amount')).kind).toBe('value-key');
    expect(pathAccess(path('value', 'length')).kind).toBe('other');
    expect(pathAccess(path('value', '0')).kind).toBe('other');
    expect(pathAccess(path('value', 'a', 'b')).kind).toBe('other');
    expect(pathAccess(path('headers', 'type')).kind).toBe('header');
    expect(pathAccess(path('offset')).kind).toBe('number');
    expect(pathAccess(path('timestamp')).kind).toBe('number');
  });
});
