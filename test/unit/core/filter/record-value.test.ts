import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  PARSED_VALUE,
  nestsDeeperThan,
  parseFilterValue,
  preparseRecord,
  recordValue,
  setRecordValue,
  type FilterRecord,
} from '../../../../src/core/filter/record-value.js';
import { LIMITS } from '../../../../src/core/limits.js';

const rec = (value: string | Uint8Array): FilterRecord => ({ topic: 't', offset: 0, timestamp: 0, key: null, headers: {}, value });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseFilterValue', () => {
  it('parses JSON text', () => {
    expect(parseFilterValue('{"a":[1,2,{"b":null}]}')).toEqual({ a: [1, 2, { b: null }] });
    expect(parseFilterValue(' 42 ')).toBe(42);
    expect(parseFilterValue('"text"')).toBe('text');
    expect(parseFilterValue('true')).toBe(true);
    expect(parseFilterValue('null')).toBeNull();
    expect(parseFilterValue('-1.5e2')).toBe(-150);
  });

  it('keeps text that is not JSON as text', () => {
    for (const text of ['', 'hello', 'true story', '{broken', '[1,', 'nul', '12 apples', '  ', 'NaN', "{'a':1}"]) {
      expect(parseFilterValue(text)).toBe(text);
    }
  });

  it('does not call JSON.parse for plain text', () => {
    const parse = vi.spyOn(JSON, 'parse');
    expect(parseFilterValue('hello world')).toBe('hello world');
    expect(parseFilterValue('<xml/>')).toBe('<xml/>');
    expect(parse).not.toHaveBeenCalled();
  });

  it('decodes bytes as UTF-8 first', () => {
    expect(parseFilterValue(new TextEncoder().encode('{"é":"ü"}'))).toEqual({ é: 'ü' });
    expect(parseFilterValue(Buffer.from('plain'))).toBe('plain');
    expect(parseFilterValue(new Uint8Array([0x68, 0xff, 0x69]))).toBe('h\ufffdi');
    expect(parseFilterValue(new Uint8Array(0))).toBe('');
  });

  it('keeps JSON deeper than the limit as text', () => {
    const ok = `${'['.repeat(LIMITS.maxFilterJsonDepth)}${']'.repeat(LIMITS.maxFilterJsonDepth)}`;
    const deep = `${'['.repeat(LIMITS.maxFilterJsonDepth + 1)}${']'.repeat(LIMITS.maxFilterJsonDepth + 1)}`;
    expect(Array.isArray(parseFilterValue(ok))).toBe(true);
    expect(parseFilterValue(deep)).toBe(deep);
    expect(parseFilterValue(deep, { maxJsonDepth: 100 })).toEqual(JSON.parse(deep));
    const veryDeep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    expect(parseFilterValue(veryDeep)).toBe(veryDeep);
  });

  it('is null for a value that is neither text nor bytes', () => {
    expect(parseFilterValue(42 as unknown as string)).toBeNull();
  });
});

describe('nestsDeeperThan', () => {
  it('counts brackets outside strings only', () => {
    expect(nestsDeeperThan('[[[]]]', 2)).toBe(true);
    expect(nestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan(`["${'['.repeat(50)}", "\\"[[[[["]`, 2)).toBe(false);
    expect(nestsDeeperThan('[{"a":[{}]}]', 3)).toBe(true);
    expect(nestsDeeperThan('[[],[],[],[],[],[],[]]', 2)).toBe(false);
  });
});

describe('recordValue', () => {
  it('parses once per record and caches in the record', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const record = rec('{"a":1}');
    const first = recordValue(record);
    const second = recordValue(record);
    expect(first).toEqual({ a: 1 });
    expect(second).toBe(first);
    expect(record[PARSED_VALUE]).toBe(first);
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('caches text and null values too', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const text = rec('{oops');
    expect(recordValue(text)).toBe('{oops');
    expect(recordValue(text)).toBe('{oops');
    const nul = rec('null');
    expect(recordValue(nul)).toBeNull();
    expect(recordValue(nul)).toBeNull();
    expect(parse).toHaveBeenCalledTimes(2);
  });

  it('keeps the cache out of JSON.stringify and of the record keys', () => {
    const record = rec('{"a":1}');
    recordValue(record);
    expect(JSON.parse(JSON.stringify(record))).toEqual({ topic: 't', offset: 0, timestamp: 0, key: null, headers: {}, value: '{"a":1}' });
    expect(Object.keys(record)).not.toContain(String(PARSED_VALUE));
  });

  it('still answers for a frozen record, parsing each time', () => {
    const record = Object.freeze(rec('{"a":2}'));
    expect(recordValue(record)).toEqual({ a: 2 });
    expect(recordValue(record)).toEqual({ a: 2 });
  });

  it('uses a value the caller put there', () => {
    const record = rec('{"a":1}');
    setRecordValue(record, { a: 'pre' });
    expect(recordValue(record)).toEqual({ a: 'pre' });
    setRecordValue(record, undefined);
    expect(recordValue(record)).toEqual({ a: 1 });
  });

  it('preparseRecord fills the cache now, with options', () => {
    const deep = `${'['.repeat(70)}${']'.repeat(70)}`;
    const record = preparseRecord(rec(deep), { maxJsonDepth: 100 });
    expect(Array.isArray(record[PARSED_VALUE])).toBe(true);
    expect(preparseRecord(rec(deep))[PARSED_VALUE]).toBe(deep);
  });
});
