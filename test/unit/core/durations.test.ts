import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/core/durations.js';
import { EvqError } from '../../../src/errors.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['5s', 5000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1.5s', 1500],
    ['0', 0],
    ['750', 750],
    [' 10S ', 10_000],
  ])('reads %j as %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it('accepts a number of milliseconds', () => {
    expect(parseDuration(42)).toBe(42);
  });

  it.each(['', 'abc', '5 minutes', '-1s', '1e3s', 'ms', '5sec', '1.2.3s', 'Infinity', '400d'])(
    'refuses %j with EVQ_ERR_INVALID_ARGUMENT and says what is expected',
    (input) => {
      try {
        parseDuration(input);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(EvqError);
        expect((err as EvqError).code).toBe('EVQ_ERR_INVALID_ARGUMENT');
        expect((err as EvqError).message).toMatch(/duration/);
      }
    },
  );

  it('names the expected form in its message', () => {
    expect(() => parseDuration('soon')).toThrow(/like 250ms, 5s, 2m or 1h/);
  });

  it('refuses negative and non-finite numbers', () => {
    expect(() => parseDuration(-5)).toThrow(EvqError);
    expect(() => parseDuration(Number.NaN)).toThrow(EvqError);
  });
});

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [5000, '5s'],
    [1500, '1.5s'],
    [120_000, '2m'],
    [3_600_000, '1h'],
  ])('formats %d as %s and reads back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
