import { describe, expect, it } from 'vitest';
import { compileGlob } from '../../../../src/core/filter/glob.js';

const like = (text: string, pattern: string): boolean => compileGlob(pattern)(text);

describe('compileGlob', () => {
  it.each([
    ['orders/12', 'orders/*', true],
    ['orders/', 'orders/*', true],
    ['order', 'orders/*', false],
    ['x/orders/1', 'orders/*', false],
    ['report.csv', '*.csv', true],
    ['report.csv.gz', '*.csv', false],
    ['a-mid-z', '*mid*', true],
    ['amz', '*mid*', false],
    ['exact', 'exact', true],
    ['exact!', 'exact', false],
    ['', '', true],
    ['', '*', true],
    ['', '?', false],
    ['x', '?', true],
    ['xy', '?', false],
    ['abc', 'a?c', true],
    ['ac', 'a?c', false],
    ['abxbyd', 'a*b?d', true], // the first b is not the one that matches
    ['aaab', '*a*a*b', true],
    ['ab', '*a*a*b', false],
    ['mississippi', 'm*iss*ppi', true],
    ['mississippi', 'm*iss*ippix', false],
    ['abc', '***', true],
    ['abc', 'a**c', true],
    ['abc', '?*?', true],
    ['a', '?*?', false],
  ])('%j like %j is %s', (text, pattern, expected) => {
    expect(like(text, pattern)).toBe(expected);
  });

  it('makes * and ? literal after a backslash', () => {
    expect(like('a*b', 'a\\*b')).toBe(true);
    expect(like('axb', 'a\\*b')).toBe(false);
    expect(like('what?', 'what\\?')).toBe(true);
    expect(like('whatx', 'what\\?')).toBe(false);
    expect(like('c:\\dir', 'c:\\\\*')).toBe(true);
    expect(like('ends\\', 'ends\\')).toBe(true); // a trailing backslash is itself
    expect(like('a*x', '*\\**')).toBe(true);
    expect(like('ax', '*\\**')).toBe(false);
  });

  it('takes ? as one code point, astral characters included', () => {
    expect(like('😀', '?')).toBe(true);
    expect(like('a😀b', 'a?b')).toBe(true);
    expect(like('a😀😀b', 'a?b')).toBe(false);
    expect(like('a😀😀b', 'a*?b')).toBe(true);
    expect(like('😀x😀', '*x?')).toBe(true);
    expect(like('é', '?')).toBe(true);
  });

  it('stays linear on patterns that blow up backtracking matchers', () => {
    const text = 'a'.repeat(100_000);
    expect(like(text, '*a*a*a*a*a*a*a*a*b')).toBe(false);
    expect(like(`${text}b`, '*a*a*a*a*a*a*a*a*b')).toBe(true);
    expect(like(text, `${'*a'.repeat(200)}*b`)).toBe(false);
    expect(like(text, '*?*?*?*?*?*?*?*?*?*?c')).toBe(false);
  });
});
