import { describe, expect, it } from 'vitest';
import { formatSize, parseCount, parseSize } from '../../../src/core/sizes.js';
import { EvqError } from '../../../src/errors.js';

describe('parseSize', () => {
  it.each([
    ['512', 512],
    ['0', 0],
    ['64kb', 65_536],
    ['1mb', 1_048_576],
    ['1MB', 1_048_576],
    ['1.5kb', 1536],
    ['2gb', 2 * 1024 ** 3],
    ['10k', 10_240],
    ['1mib', 1_048_576],
    ['100b', 100],
  ])('reads %j as %d bytes (binary units)', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each(['', 'lots', '-1kb', '1 megabyte', '1e6', 'kb', '99999999999tb'])('refuses %j', (input) => {
    try {
      parseSize(input);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EvqError);
      expect((err as EvqError).code).toBe('EVQ_ERR_INVALID_ARGUMENT');
    }
  });

  it('says what it expected', () => {
    expect(() => parseSize('huge')).toThrow(/like 512, 64kb or 1mb/);
  });
});

describe('formatSize', () => {
  it.each([
    [512, '512b'],
    [65_536, '64kb'],
    [1_048_576, '1mb'],
    [1536, '1.5kb'],
  ])('formats %d as %s and reads back', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
    expect(parseSize(text)).toBe(bytes);
  });
});

describe('parseCount', () => {
  it('reads whole numbers with k or M, and nothing else', () => {
    expect([parseCount('100000'), parseCount('100k'), parseCount('1.5M'), parseCount(' 20K '), parseCount('2m')]).toEqual([
      100_000, 100_000, 1_500_000, 20_000, 2_000_000,
    ]);
    for (const bad of ['', 'k', '1e3', '-5', '10kb', '1.5.2', '0x10']) expect(parseCount(bad)).toBeNaN();
  });
});
