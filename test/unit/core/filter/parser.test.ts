import { describe, expect, it } from 'vitest';
import type { FilterNode } from '../../../../src/core/filter/ast.js';
import { MAX_FILTER_DEPTH_CEILING, parseFilter, type FilterLimits } from '../../../../src/core/filter/parser.js';
import { LIMITS } from '../../../../src/core/limits.js';
import { EvqError, EvqFilterError, EvqUsageError } from '../../../../src/errors.js';

const path = (root: string, ...segments: (string | number)[]): FilterNode => ({ kind: 'path', root, segments }) as FilterNode;
const lit = (value: unknown): FilterNode => ({ kind: 'literal', value }) as FilterNode;
const cmp = (left: FilterNode, op: string, right: FilterNode): FilterNode => ({ kind: 'compare', op, left, right }) as FilterNode;

function parseError(src: string, options?: FilterLimits): EvqFilterError {
  try {
    parseFilter(src, options);
  } catch (err) {
    expect(err).toBeInstanceOf(EvqFilterError);
    return err as EvqFilterError;
  }
  throw new Error(`expected ${JSON.stringify(src.slice(0, 60))} to be refused`);
}

describe('parseFilter: the examples', () => {
  it('value.amount > 100 && headers.type == "deposit"', () => {
    expect(parseFilter('value.amount > 100 && headers.type == "deposit"')).toEqual({
      kind: 'and',
      operands: [cmp(path('value', 'amount'), '>', lit(100)), cmp(path('headers', 'type'), '==', lit('deposit'))],
    });
  });

  it('key in ["a", "b"]', () => {
    expect(parseFilter('key in ["a", "b"]')).toEqual(cmp(path('key'), 'in', lit(['a', 'b'])));
  });

  it('value.tags contains "red", value.name startsWith "ev", value.path like "orders/*"', () => {
    expect(parseFilter('value.tags contains "red"')).toEqual(cmp(path('value', 'tags'), 'contains', lit('red')));
    expect(parseFilter('value.name startsWith "ev"')).toEqual(cmp(path('value', 'name'), 'startsWith', lit('ev')));
    expect(parseFilter('value.name endsWith "q"')).toEqual(cmp(path('value', 'name'), 'endsWith', lit('q')));
    expect(parseFilter('value.path like "orders/*"')).toEqual(cmp(path('value', 'path'), 'like', lit('orders/*')));
  });

  it('not (offset < 10)', () => {
    expect(parseFilter('not (offset < 10)')).toEqual({ kind: 'not', operand: cmp(path('offset'), '<', lit(10)) });
  });

  it('exists(path) and a bare path', () => {
    expect(parseFilter('exists(value.id)')).toEqual({ kind: 'exists', path: path('value', 'id') });
    expect(parseFilter('value.active')).toEqual(path('value', 'active'));
  });
});

describe('parseFilter: paths and literals', () => {
  it('reads dot, bracket and index segments', () => {
    expect(parseFilter('value["x y"].items[0].name == 1')).toEqual(cmp(path('value', 'x y', 'items', 0, 'name'), '==', lit(1)));
    expect(parseFilter(`headers['content-type'] == "json"`)).toEqual(cmp(path('headers', 'content-type'), '==', lit('json')));
    expect(parseFilter('topic == "t" && offset >= 0 && timestamp < 1e13')).toMatchObject({ kind: 'and' });
  });

  it('takes keywords as member names after a dot', () => {
    expect(parseFilter('value.in == value.and')).toEqual(cmp(path('value', 'in'), '==', path('value', 'and')));
    expect(parseFilter('value.true')).toEqual(path('value', 'true'));
  });

  it('reads every kind of literal', () => {
    expect(parseFilter('value == [1, -2.5e1, "a", \'b\', true, false, null, [], [[1]]]')).toEqual(
      cmp(path('value'), '==', lit([1, -25, 'a', 'b', true, false, null, [], [[1]]])),
    );
    expect(parseFilter('true')).toEqual(lit(true));
    expect(parseFilter('false')).toEqual(lit(false));
  });

  it('puts a literal on either side', () => {
    expect(parseFilter('100 < value.amount')).toEqual(cmp(lit(100), '<', path('value', 'amount')));
    expect(parseFilter('"red" in value.tags')).toEqual(cmp(lit('red'), 'in', path('value', 'tags')));
  });
});

describe('parseFilter: precedence', () => {
  it('&& binds tighter than ||', () => {
    expect(parseFilter('value.a || value.b && value.c')).toEqual({
      kind: 'or',
      operands: [path('value', 'a'), { kind: 'and', operands: [path('value', 'b'), path('value', 'c')] }],
    });
    expect(parseFilter('value.a && value.b || value.c')).toEqual({
      kind: 'or',
      operands: [{ kind: 'and', operands: [path('value', 'a'), path('value', 'b')] }, path('value', 'c')],
    });
  });

  it('comparisons bind tighter than &&, and ! tighter than &&', () => {
    expect(parseFilter('!value.a && offset > 1')).toEqual({
      kind: 'and',
      operands: [{ kind: 'not', operand: path('value', 'a') }, cmp(path('offset'), '>', lit(1))],
    });
  });

  it('parentheses group, and are not kept in the tree', () => {
    expect(parseFilter('(value.a || value.b) && value.c')).toEqual({
      kind: 'and',
      operands: [{ kind: 'or', operands: [path('value', 'a'), path('value', 'b')] }, path('value', 'c')],
    });
    expect(parseFilter('((value.a))')).toEqual(path('value', 'a'));
  });

  it('chains of one operator are one node', () => {
    expect(parseFilter('value.a && value.b && value.c')).toEqual({
      kind: 'and',
      operands: [path('value', 'a'), path('value', 'b'), path('value', 'c')],
    });
  });

  it('the word forms give the same tree as the symbols', () => {
    expect(parseFilter('not value.a and value.b or value.c')).toEqual(parseFilter('!value.a && value.b || value.c'));
    expect(parseFilter('not not value.a')).toEqual(parseFilter('!!value.a'));
  });

  it('a parenthesised negation may be compared', () => {
    expect(parseFilter('(!value.a) == true')).toEqual(cmp({ kind: 'not', operand: path('value', 'a') } as FilterNode, '==', lit(true)));
  });
});

describe('parseFilter: errors name the column and what was expected', () => {
  it.each([
    ['value.amount > ', 16, "expected a value after '>' but found end of input"],
    ['value.amount >', 15, "expected a value after '>' but found end of input"],
    ['', 1, 'the filter is empty'],
    ['value.a &&', 11, "expected a condition after '&&' but found end of input"],
    ['value.a and or value.b', 13, "expected a condition after 'and' but found 'or'"],
    ['(value.a', 9, "expected ')' to close the '(' at column 1 but found end of input"],
    ['value.a)', 8, "found ')' without a matching '('"],
    ['value.a value.b', 9, "expected an operator or end of input but found 'value'"],
    ['value.a AND value.b', 9, "did you mean 'and'? words are case-sensitive"],
    ['value.name startswith "x"', 12, "did you mean 'startsWith'?"],
    ['foo.bar == 1', 1, "unknown field 'foo': a filter reads value, key, headers, topic, offset or timestamp"],
    ['Value.a', 1, "did you mean 'value'?"],
    ['value.', 7, "expected a field name after '.' but found end of input"],
    ['value.items.0', 13, 'array elements are read with brackets, e.g. value.items[0]'],
    ['value[true]', 7, "expected a quoted name or an index after '[' but found 'true'"],
    ['value["a"', 10, "expected ']' but found end of input"],
    ['value[-1] == 1', 7, 'an array index is a whole number'],
    ['value[1.5] == 1', 7, 'an array index is a whole number'],
    ['value[1e1] == 1', 7, 'an array index is a whole number'],
    ['value[-0] == 1', 7, 'an array index is a whole number'],
    ['value[4294967295] == 1', 7, 'an array index is a whole number from 0 to 4294967294'],
    ['value == [1, 2', 15, "expected ',' or ']' in the array but found end of input"],
    ['value == [1,]', 13, "expected a literal (number, string, true, false, null or array) after ',' but found ']'"],
    ['value == [key]', 11, 'arrays hold literals, not fields'],
    ['value.a < 1 < 2', 13, 'comparisons do not chain'],
    ['!value.a == 1', 10, "'==' after a negation is ambiguous: write !(… == …)"],
    ['not value.a in [1]', 13, "'in' after a negation is ambiguous: write not (… in …)"],
    ['value.a == !value.b', 12, "expected a value after '==' but found '!': put the negation in parentheses"],
    ['key in "abc"', 8, "expected an array literal or a field after 'in'"],
    ['value.p like value.q', 14, "expected a string pattern after 'like'"],
    ['exists value.a', 8, "expected '(' after 'exists'"],
    ['exists(1)', 8, 'expected a field in exists(…)'],
    ['exists(value.a', 15, "expected ')' after the field of exists("],
    ['42', 1, 'expected a condition but found the number 42 on its own'],
    ['value.a && "yes"', 12, 'expected a condition but found the string "yes" on its own'],
    ['!null', 2, 'expected a condition but found null on its own'],
    ['[1] || value.a', 1, 'expected a condition but found an array on its own'],
    ['key.length > 1', 5, 'key is a string and has no fields'],
    ['offset.x', 8, 'offset is a number and has no fields'],
    ['headers.a.b', 11, 'a header value is a string and has no fields'],
    ['headers[0]', 9, 'headers are read by name'],
    ['value.a == in', 12, "expected a value after '==' but found 'in'"],
  ])('%j → column %d: %s', (src, column, message) => {
    const err = parseError(src);
    expect(err.code).toBe('EVQ_ERR_INVALID_FILTER');
    expect(err.column).toBe(column);
    expect(err.message.startsWith(`invalid filter at column ${column}: `)).toBe(true);
    expect(err.message).toContain(message);
  });

  it('is a usage error with exit code 2', () => {
    const err = parseError('value >');
    expect(err).toBeInstanceOf(EvqUsageError);
    expect(err.exitCode).toBe(2);
    expect(err.status).toBe(400);
  });
});

describe('parseFilter: hostile input', () => {
  it.each([
    ['constructor.constructor("x")()', 1],
    ['value["__proto__"]', 7],
    ["value['__proto__'].polluted == 1", 7],
    ['value.__proto__.x', 7],
    ['value.constructor', 7],
    ['value.a.prototype == 1', 9],
    ['value.a["constructor"]["prototype"]', 9],
    ['exists(value.__proto__)', 14],
    ['headers.__proto__ == "x"', 9],
    ['headers["constructor"] == "x"', 9],
  ])('refuses %j', (src, column) => {
    const err = parseError(src);
    expect(err).toBeInstanceOf(EvqError);
    expect(err.column).toBe(column);
  });

  it('names the refused member', () => {
    expect(parseError('value.__proto__.x').message).toBe(
      "invalid filter at column 7: '__proto__' cannot be read by a filter: __proto__, constructor, prototype are refused anywhere in a path",
    );
  });

  it('refuses 10,000 nested parentheses with an error, not a stack overflow', () => {
    const deep = `${'('.repeat(10_000)}value.a${')'.repeat(10_000)}`;
    // by the length limit by default …
    expect(parseError(deep).message).toContain(`the limit is ${LIMITS.maxFilterLength}`);
    // … and by the depth limit when the length limit is lifted
    const err = parseError(deep, { maxLength: 1_000_000 });
    expect(err.column).toBe(LIMITS.maxFilterDepth + 1);
    expect(err.message).toContain(`nests deeper than ${LIMITS.maxFilterDepth} levels`);
    expect(parseError('!'.repeat(10_000) + 'value.a', { maxLength: 1_000_000 }).message).toContain('nests deeper');
    expect(parseError(`value == ${'['.repeat(10_000)}`, { maxLength: 1_000_000 }).message).toContain('nests deeper');
  });

  it('refuses a 1 MB expression by its length, before reading it', () => {
    const huge = `value.a == "${'x'.repeat(1024 * 1024)}"`;
    const err = parseError(huge);
    expect(err.column).toBe(LIMITS.maxFilterLength + 1);
    expect(err.message).toBe(`invalid filter at column 1025: the filter is ${huge.length} characters long; the limit is 1024`);
  });

  it('accepts exactly the limits, and refuses one more', () => {
    const at = (n: number): string => `${'('.repeat(n)}value.a${')'.repeat(n)}`;
    expect(() => parseFilter(at(LIMITS.maxFilterDepth))).not.toThrow();
    expect(() => parseFilter(at(LIMITS.maxFilterDepth + 1))).toThrow(EvqFilterError);

    const segments = (n: number): string => `value${'.a'.repeat(n)}`;
    expect(() => parseFilter(segments(LIMITS.maxFilterPathSegments))).not.toThrow();
    expect(parseError(segments(LIMITS.maxFilterPathSegments + 1)).message).toContain('the field path has more than 16 parts');

    const array = (n: number): string => `key in [${Array.from({ length: n }, (_, i) => i).join(',')}]`;
    expect(() => parseFilter(array(LIMITS.maxFilterArrayElements))).not.toThrow();
    expect(parseError(array(LIMITS.maxFilterArrayElements + 1), { maxLength: 10_000 }).message).toContain(
      'the array has more than 256 elements',
    );
  });

  it('bounds the number of nodes', () => {
    const many = Array.from({ length: 200 }, (_, i) => `offset != ${i}`).join(' && ');
    const err = parseError(many, { maxLength: 100_000 });
    expect(err.message).toContain(`the filter has more than ${LIMITS.maxFilterNodes} parts`);
    expect(() => parseFilter(many, { maxLength: 100_000, maxNodes: 10_000 })).not.toThrow();
  });

  it('takes limits as options', () => {
    expect(parseError('value.a == 1', { maxLength: 5 }).message).toContain('the limit is 5');
    expect(parseError('((value.a))', { maxDepth: 1 }).column).toBe(2);
    expect(parseError('value.a.b', { maxPathSegments: 1 }).column).toBe(9);
    expect(parseError('key in [1, 2]', { maxArrayElements: 1 }).column).toBe(12);
    expect(parseError('value.a && value.b', { maxNodes: 2 }).column).toBe(1);
  });

  it('refuses bad options as an invalid argument', () => {
    for (const options of [{ maxDepth: 0 }, { maxLength: -1 }, { maxNodes: 1.5 }, { maxDepth: MAX_FILTER_DEPTH_CEILING + 1 }]) {
      try {
        parseFilter('true', options);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(EvqUsageError);
        expect((err as EvqUsageError).code).toBe('EVQ_ERR_INVALID_ARGUMENT');
      }
    }
  });

  it('refuses what is not a string', () => {
    expect(() => parseFilter(42 as unknown as string)).toThrow(EvqFilterError);
  });
});
