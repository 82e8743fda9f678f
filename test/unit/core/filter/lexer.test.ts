import { describe, expect, it } from 'vitest';
import { columnAt, jsonNumberValue, scanJsonNumber, tokenize, type Token } from '../../../../src/core/filter/lexer.js';
import { EvqFilterError } from '../../../../src/errors.js';

const kinds = (src: string): string[] => tokenize(src).map((t) => `${t.kind}:${String(t.value)}`);

function lexError(src: string): EvqFilterError {
  try {
    tokenize(src);
  } catch (err) {
    expect(err).toBeInstanceOf(EvqFilterError);
    return err as EvqFilterError;
  }
  throw new Error(`expected ${JSON.stringify(src)} not to tokenize`);
}

describe('tokenize', () => {
  it('splits a filter into words, operators, literals and an end token', () => {
    expect(kinds('value.amount > 100 && headers.type == "deposit"')).toEqual([
      'word:value',
      'punct:.',
      'word:amount',
      'punct:>',
      'number:100',
      'punct:&&',
      'word:headers',
      'punct:.',
      'word:type',
      'punct:==',
      'string:deposit',
      'eof:',
    ]);
  });

  it('reads every operator, with or without spaces', () => {
    expect(kinds('a==b!=c<d<=e>f>=g&&h||!i')).toEqual([
      'word:a',
      'punct:==',
      'word:b',
      'punct:!=',
      'word:c',
      'punct:<',
      'word:d',
      'punct:<=',
      'word:e',
      'punct:>',
      'word:f',
      'punct:>=',
      'word:g',
      'punct:&&',
      'word:h',
      'punct:||',
      'punct:!',
      'word:i',
      'eof:',
    ]);
    expect(kinds('( ) [ ] , .')).toEqual(['punct:(', 'punct:)', 'punct:[', 'punct:]', 'punct:,', 'punct:.', 'eof:']);
  });

  it('keeps the start of every token, for error columns', () => {
    const tokens = tokenize('  key  in ["a"]');
    expect(tokens.map((t: Token) => t.start)).toEqual([2, 7, 10, 11, 14, 15]);
  });

  it.each([
    ['0', 0],
    ['42', 42],
    ['-7', -7],
    ['3.25', 3.25],
    ['-0.5', -0.5],
    ['1e3', 1000],
    ['2E-2', 0.02],
    ['1.5e+2', 150],
    ['1e999', Infinity],
  ])('reads the JSON number %s', (src, value) => {
    const [token] = tokenize(src);
    expect(token?.kind).toBe('number');
    expect(token?.value).toBe(value);
  });

  it.each(['01', '1.', '1e', '1e+', '-', '- 1', '+1', '5abc', '1.2.3', '0x10'])('refuses the malformed number %j', (src) => {
    const err = lexError(src);
    expect(err.code).toBe('EVQ_ERR_INVALID_FILTER');
    expect(err.message).toMatch(/^invalid filter at column \d+: /);
  });

  it("reads strings in double and single quotes with the JSON escapes and \\'", () => {
    const [a] = tokenize(String.raw`"a\"b\\c\/d\n\t\r\b\f"`);
    expect(a?.value).toBe('a"b\\c/d\n\t\r\b\f');
    const [b] = tokenize(String.raw`'it\'s "quoted"'`);
    expect(b?.value).toBe(`it's "quoted"`);
    const [c] = tokenize(String.raw`"\u00e9\u20AC\ud83d\ude00"`);
    expect(c?.value).toBe('é€😀');
    const [d] = tokenize(`'héllo wörld 😀'`);
    expect(d?.value).toBe('héllo wörld 😀');
  });

  it('names the column of a bad escape and of an unclosed string', () => {
    const bad = lexError(String.raw`value == "a\qb"`);
    expect(bad.column).toBe(12);
    expect(bad.message).toContain("invalid escape '\\q'");
    const short = lexError(String.raw`value == "\u12"`);
    expect(short.column).toBe(11);
    expect(short.message).toContain('four hex digits');
    const open = lexError(`value == 'abc`);
    expect(open.column).toBe(10);
    expect(open.message).toBe("invalid filter at column 10: the string that starts here is not closed: expected a closing '");
  });

  it('points a single =, & or | at the operator that was meant', () => {
    expect(lexError('value.a = 1').message).toBe("invalid filter at column 9: expected '==' but found '=' (equality is written ==)");
    expect(lexError('value.a & value.b').message).toContain("expected '&&'");
    expect(lexError('value.a | value.b').message).toContain("expected '||'");
  });

  it('refuses characters that are not part of the language', () => {
    const err = lexError('value.a == 1 ; drop');
    expect(err.column).toBe(14);
    expect(err.message).toBe("invalid filter at column 14: unexpected character ';'");
    expect(lexError('value\u0000').message).toContain("'\\u0000'");
  });
});

describe('columnAt', () => {
  it('counts code points from 1', () => {
    expect(columnAt('abc', 0)).toBe(1);
    expect(columnAt('abc', 2)).toBe(3);
    // 😀 is two UTF-16 units but one column
    expect(columnAt('"😀" x', 4)).toBe(4);
  });

  it('reports columns in code points after astral characters', () => {
    const err = (() => {
      try {
        tokenize('"😀😀" ;');
      } catch (e) {
        return e as EvqFilterError;
      }
      return undefined;
    })();
    expect(err?.column).toBe(6);
  });
});

describe('jsonNumberValue / scanJsonNumber', () => {
  it('reads a whole string written as a JSON number', () => {
    expect(jsonNumberValue('42')).toBe(42);
    expect(jsonNumberValue('-1.5e3')).toBe(-1500);
    expect(jsonNumberValue('0')).toBe(0);
  });

  it.each(['', ' 42', '42 ', '042', '1,000', 'NaN', 'Infinity', '0x1f', '1_000', '+1', '4e'])('is NaN for %j', (text) => {
    expect(jsonNumberValue(text)).toBeNaN();
  });

  it('scans a number inside longer text', () => {
    expect(scanJsonNumber('x=-12.5]', 2)).toBe(7);
    expect(scanJsonNumber('x=abc', 2)).toBe(-1);
  });
});
