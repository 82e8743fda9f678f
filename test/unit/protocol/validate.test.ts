import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../../src/core/limits.js';
import { EvqError, EvqUsageError } from '../../../src/errors.js';
import { isValidTopicName, validateBatch, validateMessage, validateTopicName } from '../../../src/protocol/validate.js';
import type { EvqErrorCode } from '../../../src/errors.js';

function codeOf(fn: () => unknown): EvqErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (error) {
    expect(error).toBeInstanceOf(EvqError);
    return (error as EvqError).code;
  }
}

describe('validateTopicName', () => {
  it('accepts letters, digits, dot, underscore and dash', () => {
    for (const name of ['orders', 'a', 'A.b_c-d.9', '...', '.hidden', 'x'.repeat(249)]) {
      expect(() => validateTopicName(name)).not.toThrow();
      expect(isValidTopicName(name)).toBe(true);
    }
  });

  it('refuses everything else with EVQ_ERR_INVALID_TOPIC and a clear message', () => {
    const bad: unknown[] = ['', '.', '..', '../x', 'a/b', 'a\\b', 'a\0b', 'a b', 'ü', 'x'.repeat(250), 'x'.repeat(10_000), 42, null];
    for (const name of bad) {
      let error: unknown;
      try {
        validateTopicName(name);
      } catch (e) {
        error = e;
      }
      expect(error, String(name)).toBeInstanceOf(EvqUsageError);
      expect((error as EvqUsageError).code).toBe('EVQ_ERR_INVALID_TOPIC');
      expect((error as Error).message.length).toBeLessThan(200);
      expect(isValidTopicName(name)).toBe(false);
    }
    expect(() => validateTopicName('a/b')).toThrow(/letters, digits/);
    expect(() => validateTopicName('x'.repeat(250))).toThrow(/250 characters long; the limit is 249/);
  });
});

describe('validateMessage', () => {
  it('returns the size of a valid message', () => {
    expect(validateMessage({ value: 'héllo' })).toBe(6);
    expect(validateMessage({ value: Buffer.alloc(3), key: 'kk', headers: { a: 'bc' }, timestamp: 0 })).toBe(3 + 2 + 3);
    expect(validateMessage({ value: Buffer.alloc(LIMITS.maxMessageBytes) })).toBe(LIMITS.maxMessageBytes);
  });

  it('refuses oversized parts with EVQ_ERR_MESSAGE_TOO_LARGE', () => {
    expect(codeOf(() => validateMessage({ value: Buffer.alloc(LIMITS.maxMessageBytes + 1) }))).toBe('EVQ_ERR_MESSAGE_TOO_LARGE');
    expect(codeOf(() => validateMessage({ value: 'aaaa' }, { ...LIMITS, maxMessageBytes: 3 }))).toBe('EVQ_ERR_MESSAGE_TOO_LARGE');
    expect(codeOf(() => validateMessage({ value: 'a', key: 'k'.repeat(LIMITS.maxKeyBytes + 1) }))).toBe('EVQ_ERR_MESSAGE_TOO_LARGE');
    const many = Object.fromEntries(Array.from({ length: LIMITS.maxHeaderCount + 1 }, (_, i) => [`h${i}`, 'v']));
    expect(codeOf(() => validateMessage({ value: 'a', headers: many }))).toBe('EVQ_ERR_MESSAGE_TOO_LARGE');
    expect(codeOf(() => validateMessage({ value: 'a', headers: { h: 'v'.repeat(LIMITS.maxHeaderBytes) } }))).toBe(
      'EVQ_ERR_MESSAGE_TOO_LARGE',
    );
  });

  it('refuses wrong shapes, refused header names and bad timestamps', () => {
    expect(codeOf(() => validateMessage({ value: 1 as unknown as string }))).toBe('EVQ_ERR_MALFORMED');
    expect(codeOf(() => validateMessage(null as unknown as { value: string }))).toBe('EVQ_ERR_MALFORMED');
    expect(codeOf(() => validateMessage({ value: 'a', key: 3 as unknown as string }))).toBe('EVQ_ERR_MALFORMED');
    expect(codeOf(() => validateMessage({ value: 'a', headers: { a: 1 as unknown as string } }))).toBe('EVQ_ERR_MALFORMED');
    expect(codeOf(() => validateMessage({ value: 'a', headers: [] as unknown as Record<string, string> }))).toBe('EVQ_ERR_MALFORMED');
    const proto = JSON.parse('{"__proto__": "x"}') as Record<string, string>;
    expect(codeOf(() => validateMessage({ value: 'a', headers: proto }))).toBe('EVQ_ERR_INVALID_ARGUMENT');
    expect(codeOf(() => validateMessage({ value: 'a', headers: { prototype: 'x' } }))).toBe('EVQ_ERR_INVALID_ARGUMENT');
    expect(codeOf(() => validateMessage({ value: 'a', headers: { '': 'x' } }))).toBe('EVQ_ERR_INVALID_ARGUMENT');
    for (const timestamp of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      expect(codeOf(() => validateMessage({ value: 'a', timestamp }))).toBe('EVQ_ERR_INVALID_ARGUMENT');
    }
  });
});

describe('validateBatch', () => {
  it('checks the count and the total size', () => {
    expect(validateBatch([{ value: 'ab' }, { value: 'c' }])).toBe(3);
    expect(codeOf(() => validateBatch([]))).toBe('EVQ_ERR_INVALID_ARGUMENT');
    expect(codeOf(() => validateBatch(Array.from({ length: LIMITS.maxBatchCount + 1 }, () => ({ value: 'a' }))))).toBe(
      'EVQ_ERR_BATCH_TOO_LARGE',
    );
    expect(codeOf(() => validateBatch([{ value: 'aaa' }, { value: 'aaa' }], { ...LIMITS, maxBatchBytes: 5 }))).toBe(
      'EVQ_ERR_BATCH_TOO_LARGE',
    );
    expect(codeOf(() => validateBatch({} as unknown as []))).toBe('EVQ_ERR_MALFORMED');
  });
});
