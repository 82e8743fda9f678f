import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileFilter } from '../../../../src/core/filter/compiler.js';
import { PARSED_VALUE, type FilterRecord } from '../../../../src/core/filter/record-value.js';
import { EvqError, EvqFilterError } from '../../../../src/errors.js';

function rec(value: unknown, extra: Partial<FilterRecord> = {}): FilterRecord {
  return {
    topic: 'orders',
    offset: 42,
    timestamp: 1_700_000_000_000,
    key: 'a',
    headers: { type: 'deposit', n: '10', 'content-type': 'application/json' },
    value: typeof value === 'string' || value instanceof Uint8Array ? value : JSON.stringify(value),
    ...extra,
  };
}

const matches = (expr: string, record: FilterRecord): boolean => compileFilter(expr)(record);

describe('compileFilter: the examples', () => {
  it('value.amount > 100 && headers.type == "deposit"', () => {
    const f = compileFilter('value.amount > 100 && headers.type == "deposit"');
    expect(f(rec({ amount: 150 }))).toBe(true);
    expect(f(rec({ amount: 100 }))).toBe(false);
    expect(f(rec({ amount: 150 }, { headers: { type: 'withdrawal' } }))).toBe(false);
    expect(f(rec({ amount: '150' }))).toBe(true); // a numeric string against a number: numerically
    expect(f(rec({}))).toBe(false);
    expect(f(rec('not json'))).toBe(false);
  });

  it('key in ["a", "b"]', () => {
    const f = compileFilter('key in ["a", "b"]');
    expect(f(rec({}, { key: 'a' }))).toBe(true);
    expect(f(rec({}, { key: 'b' }))).toBe(true);
    expect(f(rec({}, { key: 'c' }))).toBe(false);
    expect(f(rec({}, { key: null }))).toBe(false);
  });

  it('value.tags contains "red"', () => {
    const f = compileFilter('value.tags contains "red"');
    expect(f(rec({ tags: ['blue', 'red'] }))).toBe(true);
    expect(f(rec({ tags: ['blue'] }))).toBe(false);
    expect(f(rec({ tags: 'infrared' }))).toBe(true); // string contains substring
    expect(f(rec({ tags: { red: true } }))).toBe(false);
    expect(f(rec({}))).toBe(false);
  });

  it('value.name startsWith "ev"', () => {
    const f = compileFilter('value.name startsWith "ev"');
    expect(f(rec({ name: 'evq' }))).toBe(true);
    expect(f(rec({ name: 'Evq' }))).toBe(false);
    expect(f(rec({ name: 42 }))).toBe(false);
  });

  it('not (offset < 10)', () => {
    const f = compileFilter('not (offset < 10)');
    expect(f(rec({}, { offset: 9 }))).toBe(false);
    expect(f(rec({}, { offset: 10 }))).toBe(true);
  });

  it('value.path like "orders/*"', () => {
    const f = compileFilter('value.path like "orders/*"');
    expect(f(rec({ path: 'orders/12' }))).toBe(true);
    expect(f(rec({ path: 'orders/' }))).toBe(true);
    expect(f(rec({ path: 'refunds/12' }))).toBe(false);
    expect(f(rec({ path: ['orders/1'] }))).toBe(false);
  });
});

describe('compileFilter: fields', () => {
  const r = rec(
    { a: { b: { c: 3 } }, 'x y': 'spaced', items: [10, { name: 'second' }], n: null, t: true, f: false, zero: 0, empty: '' },
    { key: 'k1', headers: { type: 'deposit', 'content-type': 'text/plain' }, topic: 'orders', offset: 7, timestamp: 1000 },
  );

  it.each([
    'value.a.b.c == 3',
    'value["a"]["b"]["c"] == 3',
    'value["x y"] == "spaced"',
    'value.items[0] == 10',
    'value.items[1].name == "second"',
    'value.items[2] == null',
    'key == "k1"',
    'headers.type == "deposit"',
    'headers["content-type"] == "text/plain"',
    'topic == "orders"',
    'offset == 7',
    'timestamp == 1000',
  ])('%s', (expr) => {
    expect(matches(expr, r)).toBe(true);
  });

  it('reads the whole value, the whole headers and a deep object', () => {
    expect(matches('value.a == value.a', r)).toBe(true);
    expect(matches('value.a.b == value["a"].b', r)).toBe(true);
    expect(matches('headers == headers', r)).toBe(true);
    expect(matches('value == "plain text"', rec('plain text'))).toBe(true);
  });

  it('a bare field is true when it exists and is neither null nor false', () => {
    expect(matches('value.t', r)).toBe(true);
    expect(matches('value.zero', r)).toBe(true);
    expect(matches('value.empty', r)).toBe(true);
    expect(matches('value.items', r)).toBe(true);
    expect(matches('value.f', r)).toBe(false);
    expect(matches('value.n', r)).toBe(false);
    expect(matches('value.missing', r)).toBe(false);
    expect(matches('key', r)).toBe(true);
    expect(matches('key', rec({}, { key: null }))).toBe(false);
    expect(matches('!value.missing', r)).toBe(true);
  });

  it('exists() tells a missing field from a null one', () => {
    expect(matches('exists(value.n)', r)).toBe(true);
    expect(matches('exists(value.missing)', r)).toBe(false);
    expect(matches('exists(value.items[1])', r)).toBe(true);
    expect(matches('exists(value.items[2])', r)).toBe(false);
    expect(matches('exists(headers.type)', r)).toBe(true);
    expect(matches('exists(headers.nope)', r)).toBe(false);
    expect(matches('exists(key)', r)).toBe(true);
    expect(matches('exists(key)', rec({}, { key: null }))).toBe(false);
    expect(matches('exists(value)', rec('text'))).toBe(true);
    expect(matches('exists(topic) && exists(offset) && exists(timestamp) && exists(headers)', r)).toBe(true);
  });

  it('a missing field is null-like and never throws', () => {
    const f = compileFilter('value.a.b.c.d.e == 1 || value.x[3].y > 2 || headers.nope startsWith "x"');
    expect(f(rec(null))).toBe(false);
    expect(f(rec('text'))).toBe(false);
    expect(f(rec([1, 2, 3]))).toBe(false);
    expect(f(rec({ a: 'string' }))).toBe(false);
    expect(matches('value.missing == null', r)).toBe(true);
    expect(matches('value.missing != null', r)).toBe(false);
    expect(matches('value.missing != 1', r)).toBe(true);
    expect(matches('value.missing in [null]', r)).toBe(true);
    expect(matches('value.missing < 1 || value.missing > 1', r)).toBe(false);
    expect(matches('headers.nope == null', r)).toBe(true);
    expect(matches('headers.type == null', r)).toBe(false);
  });

  it('copes with records without headers or key', () => {
    const bare = { topic: 't', offset: 0, timestamp: 0, value: '{"a":1}' } as FilterRecord;
    expect(matches('headers.type == "x"', bare)).toBe(false);
    expect(matches('headers.type != "x"', bare)).toBe(true);
    expect(matches('headers.n > 1', bare)).toBe(false);
    expect(matches('headers == headers', bare)).toBe(true);
    expect(matches('key == null && !exists(key)', bare)).toBe(true);
    const nulls: FilterRecord = { ...bare, key: null, headers: null };
    expect(matches('headers.type == null && !exists(headers.type) && key == null', nulls)).toBe(true);
    expect(matches('headers == headers', nulls)).toBe(true);
  });

  it('reads members of objects and indexes of arrays only', () => {
    expect(matches('value.items["0"] == 10', r)).toBe(false);
    expect(matches('value.a[0] == null', r)).toBe(true);
    expect(matches('exists(value.items.length)', r)).toBe(false);
    expect(matches('value.items.length == 2', r)).toBe(false);
    expect(matches('exists(value.empty.length)', r)).toBe(false);
  });
});

describe('compileFilter: values of messages', () => {
  it('parses JSON text, and keeps other text as a string', () => {
    expect(matches('value.a == 1', rec('{"a": 1}'))).toBe(true);
    expect(matches('value == 42', rec('42'))).toBe(true);
    expect(matches('value == "42"', rec('42'))).toBe(false);
    expect(matches('value == "hello"', rec('"hello"'))).toBe(true);
    expect(matches('value == true', rec('true'))).toBe(true);
    expect(matches('value == "hello world"', rec('hello world'))).toBe(true);
    expect(matches('value == "{not json"', rec('{not json'))).toBe(true);
    expect(matches('value startsWith "tru"', rec('truthy'))).toBe(true);
    expect(matches('value == ""', rec(''))).toBe(true);
    expect(matches('value contains "wor"', rec('hello world'))).toBe(true);
  });

  it('decodes bytes as UTF-8 first', () => {
    const bytes = new TextEncoder().encode('{"name":"café","n":5}');
    expect(matches('value.name == "café" && value.n == 5', rec(bytes))).toBe(true);
    expect(matches('value == "plain ünïcode"', rec(new TextEncoder().encode('plain ünïcode')))).toBe(true);
    expect(matches('value.a == 1', rec(Buffer.from('{"a":1}')))).toBe(true);
  });

  it('is not tricked by __proto__ keys in the JSON', () => {
    const hostile = rec('{"__proto__": {"admin": true, "amount": 1000}, "constructor": {"prototype": {"x": 1}}}');
    expect(matches('value.admin', hostile)).toBe(false);
    expect(matches('value.amount > 100', hostile)).toBe(false);
    expect(matches('exists(value.amount)', hostile)).toBe(false);
    expect(matches('value.amount == 1000', hostile)).toBe(false);
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });

  it('does not read inherited members', () => {
    const r = rec({ a: 1 });
    expect(matches('exists(value.toString)', r)).toBe(false);
    expect(matches('value.hasOwnProperty', r)).toBe(false);
    expect(matches('headers.toString == null', r)).toBe(true);
    expect(matches('exists(headers.toString)', r)).toBe(false);
    expect(matches('exists(value.a.toFixed)', r)).toBe(false);
  });

  describe('with a polluted Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    afterEach(() => {
      delete proto['amount'];
      delete proto['type'];
      delete proto['flag'];
    });

    it('still reads own members only', () => {
      proto['amount'] = 1000;
      proto['type'] = 'deposit';
      proto['flag'] = true;
      const r = rec({ other: 1 }, { headers: {} });
      expect(matches('value.amount > 100', r)).toBe(false);
      expect(matches('value.amount == 1000', r)).toBe(false);
      expect(matches('value.amount != 1000', r)).toBe(true);
      expect(matches('headers.type == "deposit"', r)).toBe(false);
      expect(matches('headers.type > 1', rec({}, { headers: {} }))).toBe(false);
      expect(matches('value.flag', r)).toBe(false);
      expect(matches('exists(value.flag)', r)).toBe(false);
      expect(matches('value.a.amount > 1', rec({ a: {} }))).toBe(false);
    });
  });
});

describe('compileFilter: operators', () => {
  const r = rec({ n: 5, s: 'banana', f: 2.5, list: [1, 'two', null, [3]], obj: { k: [1, 2] }, b: true });

  it.each([
    ['value.n == 5', true],
    ['value.n != 5', false],
    ['value.n < 6', true],
    ['value.n <= 5', true],
    ['value.n > 5', false],
    ['value.n >= 5', true],
    ['value.f > 2.4 && value.f < 2.6', true],
    ['value.n > -1e3', true],
    ['value.n < 1e999', true],
    ['value.s == "banana"', true],
    ["value.s == 'banana'", true],
    ['value.s < "cherry"', true],
    ['value.s > "apple"', true],
    ['value.s >= "banana" && value.s <= "banana"', true],
    ['value.b == true', true],
    ['value.b != false', true],
    ['value.list == [1, "two", null, [3]]', true],
    ['value.list == [1, "two", null]', false],
    ['value.obj == value.obj', true],
    ['value.list contains "two"', true],
    ['value.list contains 1', true],
    ['value.list contains null', true],
    ['value.list contains [3]', true],
    ['value.list contains 3', false],
    ['value.s contains "nan"', true],
    ['value.s contains 5', false],
    ['value.n in [1, 5, 9]', true],
    ['value.n in [1, 2, 3, 4, 6, 7, 8]', false],
    ['value.n in [1, 2, 3, 4, 5, 6, 7]', true],
    ['value.n in []', false],
    ['"two" in value.list', true],
    ['[3] in value.list', true],
    ['value.obj.k in [[1, 2], [3]]', true],
    ['value.s in value.list', false],
    ['value.s startsWith "ban"', true],
    ['value.s startsWith ""', true],
    ['value.s endsWith "ana"', true],
    ['value.s endsWith "ban"', false],
    ['value.s like "b?n*a"', true],
    ['value.s like "*an*"', true],
    ['value.s like "banana"', true],
    ['value.s like "ban"', false],
    ['value.s like "*"', true],
    ['value.n like "*"', false],
    ['exists(value.n) and not exists(value.zz)', true],
    ['value.n == 5 or value.n == 6', true],
    ['value.n == 4 || value.n == 6', false],
    ['!(value.n == 4) && !false', true],
    ['true', true],
    ['false', false],
    ['true && false || true', true],
    ['1 == 1', true],
    ['"a" < "b"', true],
    ['5 < value.n', false],
    ['5 <= value.n', true],
    ['10 > value.n', true],
    ['"ana" in ["ana"] && "banana" contains "nan"', true],
    ['(value.n > 1) == true', true],
    ['(value.n > 1) == (value.s == "banana")', true],
    ['(!value.b) == false', true],
  ])('%s → %s', (expr, expected) => {
    expect(matches(expr, r)).toBe(expected);
  });

  it('runs the operands of && and || with short-circuit, left to right', () => {
    const record = rec({ a: 1 });
    let reads = 0;
    Object.defineProperty(record, 'topic', {
      get: () => {
        reads++;
        return 't';
      },
    });
    expect(compileFilter('value.a == 2 && topic == "t"')(record)).toBe(false);
    expect(reads).toBe(0);
    expect(compileFilter('value.a == 1 || topic == "t"')(record)).toBe(true);
    expect(reads).toBe(0);
    expect(compileFilter('value.a == 1 && topic == "t"')(record)).toBe(true);
    expect(reads).toBe(1);
  });

  it('handles long chains (flattened) and every arity', () => {
    for (let n = 1; n <= 7; n++) {
      const all = Array.from({ length: n }, (_, i) => `offset != ${i + 100}`);
      expect(matches(all.join(' && '), rec({}))).toBe(true);
      expect(matches([...all, 'offset == 0'].join(' && '), rec({}))).toBe(false);
      expect(matches(all.map((c) => c.replace('!=', '==')).join(' || '), rec({}))).toBe(false);
      expect(matches([...all.map((c) => c.replace('!=', '==')), 'offset == 42'].join(' || '), rec({}))).toBe(true);
    }
    expect(matches('offset == 42 && (offset > 1 && (offset < 100 && topic == "orders"))', rec({}))).toBe(true);
  });
});

describe('compileFilter: type mismatches and numeric strings', () => {
  it('== is strict: no conversion between types', () => {
    expect(matches('value.a == "1"', rec({ a: 1 }))).toBe(false);
    expect(matches('value.a == 1', rec({ a: '1' }))).toBe(false);
    expect(matches('value.a == true', rec({ a: 1 }))).toBe(false);
    expect(matches('value.a == null', rec({ a: false }))).toBe(false);
    expect(matches('value.a == 0', rec({ a: null }))).toBe(false);
    expect(matches('1 == "1"', rec({}))).toBe(false);
    expect(matches('headers.n == 10', rec({}))).toBe(false);
    expect(matches('headers.n == "10"', rec({}))).toBe(true);
    expect(matches('value.a == 1', rec({ a: 1.0 }))).toBe(true);
  });

  it('orders a number and a numeric string numerically', () => {
    expect(matches('headers.n > 5', rec({}))).toBe(true); // "10" > 5, as numbers (as text "10" < "5")
    expect(matches('headers.n < 9', rec({}))).toBe(false);
    expect(matches('headers.n >= 10 && headers.n <= 10', rec({}))).toBe(true);
    expect(matches('headers.n > 5', rec({}, { headers: { n: '1e3' } }))).toBe(true);
    expect(matches('headers.n > 5', rec({}, { headers: { n: '-7.5' } }))).toBe(false);
    expect(matches('value.a > "9"', rec({ a: 10 }))).toBe(true);
    expect(matches('"9" < value.a', rec({ a: 10 }))).toBe(true);
    expect(matches('value.a > value.b', rec({ a: 10, b: '9' }))).toBe(true);
    expect(matches('value.a > value.b', rec({ a: '10', b: 9 }))).toBe(true);
  });

  it('compares two strings as text, even when they look like numbers', () => {
    expect(matches('headers.n > "5"', rec({}))).toBe(false); // "10" < "5" as text
    expect(matches('value.a < value.b', rec({ a: '10', b: '9' }))).toBe(true);
  });

  it('a string that is not a JSON number never orders against a number', () => {
    for (const n of ['', ' 10', '10 ', '0x10', '1,000', 'ten', 'NaN', 'Infinity', '010']) {
      expect(matches('headers.n > 5 || headers.n <= 5', rec({}, { headers: { n } }))).toBe(false);
    }
  });

  it('every other ordering is false', () => {
    for (const v of [true, false, null, [1], { a: 1 }]) {
      expect(matches('value.a < 1 || value.a >= 1 || value.a < "x" || value.a >= "x"', rec({ a: v }))).toBe(false);
    }
    expect(matches('value.a < true || value.a >= null || value.a > [1]', rec({ a: 1 }))).toBe(false);
  });

  it('offset and timestamp compare numerically', () => {
    expect(matches('offset >= 42 && offset < 43 && offset <= 42 && offset > 41', rec({}))).toBe(true);
    expect(matches('timestamp > 1600000000000 && timestamp < 1.8e12', rec({}))).toBe(true);
    expect(matches('offset > "41"', rec({}))).toBe(true);
    expect(matches('offset == "42"', rec({}))).toBe(false);
  });
});

describe('compileFilter: safety', () => {
  it.each([
    'constructor.constructor("x")()',
    'value["__proto__"]',
    'value.__proto__.x',
    'value.constructor',
    `${'('.repeat(10_000)}value.a${')'.repeat(10_000)}`,
    `value.a == "${'x'.repeat(1024 * 1024)}"`,
    'process.exit(1)',
    'this.constructor',
    'value.a; require("fs")',
    '`${value}`',
  ])('refuses %j with an EvqFilterError', (expr) => {
    let thrown: unknown;
    try {
      compileFilter(expr);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(EvqFilterError);
    expect(thrown).toBeInstanceOf(EvqError);
    expect((thrown as EvqFilterError).code).toBe('EVQ_ERR_INVALID_FILTER');
    expect((thrown as EvqFilterError).column).toBeGreaterThanOrEqual(1);
  });

  it('also refuses deep nesting when only the length limit is lifted', () => {
    const deep = `${'('.repeat(10_000)}value.a${')'.repeat(10_000)}`;
    expect(() => compileFilter(deep, { maxLength: 100_000 })).toThrow(/nests deeper than 32 levels/);
  });

  it('never builds code: no eval, Function or RegExp from the filter', () => {
    const evalSpy = vi.spyOn(globalThis, 'eval');
    const fn = vi.spyOn(globalThis, 'Function');
    const re = vi.spyOn(globalThis, 'RegExp');
    const f = compileFilter('value.path like "a*b?c" && value.x contains "y" && key in ["k"]');
    f(rec({ path: 'aXbYc', x: 'xyz' }, { key: 'k' }));
    expect(evalSpy).not.toHaveBeenCalled();
    expect(fn).not.toHaveBeenCalled();
    expect(re).not.toHaveBeenCalled();
    vi.restoreAllMocks();
  });

  it('matches a pathological like pattern in linear time (it completes)', () => {
    const f = compileFilter('value like "*a*a*a*a*a*a*a*a*b"');
    const text = 'a'.repeat(100_000);
    expect(f(rec(text))).toBe(false);
    expect(f(rec(`${text}b`))).toBe(true);
    const g = compileFilter('value like "?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*c"');
    expect(g(rec(text))).toBe(false);
  });

  it('parses the JSON once when 50 filters run on the same record', () => {
    const filters = Array.from({ length: 50 }, (_, i) => compileFilter(`value.amount > ${i} && value.user.name != "x${i}"`));
    const record = rec({ amount: 25, user: { name: 'ann' } });
    const parse = vi.spyOn(JSON, 'parse');
    const results = filters.map((f) => f(record));
    expect(results.filter(Boolean)).toHaveLength(25);
    expect(parse).toHaveBeenCalledTimes(1);
    expect(record[PARSED_VALUE]).toEqual({ amount: 25, user: { name: 'ann' } });
    // and not again on the next pass over the same record
    filters.forEach((f) => f(record));
    expect(parse).toHaveBeenCalledTimes(1);
    vi.restoreAllMocks();
  });

  it('does not parse the value when the filter does not read it', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const record = rec({ a: 1 });
    expect(compileFilter('headers.type == "deposit" && offset > 1 && key != null')(record)).toBe(true);
    expect(parse).not.toHaveBeenCalled();
    expect(record[PARSED_VALUE]).toBeUndefined();
    vi.restoreAllMocks();
  });

  it('uses a value put in the cache by the caller', () => {
    const record = rec('ignored');
    record[PARSED_VALUE] = { amount: 500 };
    expect(matches('value.amount > 100', record)).toBe(true);
  });

  it('returns a function of its own even for constant filters', () => {
    const a = compileFilter('true');
    const b = compileFilter('true || value.x');
    expect(a).not.toBe(b);
    expect(a(rec({}))).toBe(true);
    expect(compileFilter('false && value.x')(rec({}))).toBe(false);
    expect(compileFilter('1 == 1 && !(2 == 2)')(rec({}))).toBe(false);
  });
});
