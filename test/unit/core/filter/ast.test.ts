import { describe, expect, it } from 'vitest';
import { printFilter, printLiteral, printPath, type FilterNode, type FilterPath } from '../../../../src/core/filter/ast.js';
import { parseFilter } from '../../../../src/core/filter/parser.js';

describe('printFilter', () => {
  it.each([
    ['value.amount > 100 && headers.type == "deposit"', 'value.amount > 100 && headers.type == "deposit"'],
    ['key in ["a", "b"]', 'key in ["a", "b"]'],
    ["key in ['a','b']", 'key in ["a", "b"]'],
    ['not (offset < 10)', '!(offset < 10)'],
    ['not value.a and value.b or value.c', '!value.a && value.b || value.c'],
    ['(value.a or value.b) and value.c', '(value.a || value.b) && value.c'],
    ['value.a and (value.b and value.c)', 'value.a && (value.b && value.c)'],
    ['value.a or (value.b or value.c)', 'value.a || (value.b || value.c)'],
    ['value.a || (value.b && value.c)', 'value.a || value.b && value.c'],
    ['(!value.a) == true', '(!value.a) == true'],
    ['(value.a > 1) == (value.b > 2)', '(value.a > 1) == (value.b > 2)'],
    ['not not exists(value.x)', '!!exists(value.x)'],
    ['value["x y"][0]["a-b"].c == null', 'value["x y"][0]["a-b"].c == null'],
    [`headers['content-type'] == 'it\\'s'`, `headers["content-type"] == "it's"`],
    ['value == "line\\nbreak \\u00e9"', 'value == "line\\nbreak é"'],
  ])('writes %j as %j', (src, printed) => {
    expect(printFilter(parseFilter(src))).toBe(printed);
  });

  it('writes what parses back to the same tree', () => {
    for (const src of [
      'value.a || value.b && !(value.c == [1, [2, "x"], null])',
      '(value.a || value.b) && (value.c || value.d && value.e)',
      '100 < value.n && "x" in value.list && value.s like "a\\\\*b?"',
    ]) {
      const tree = parseFilter(src);
      expect(parseFilter(printFilter(tree))).toEqual(tree);
    }
  });
});

describe('printLiteral / printPath', () => {
  it('writes numbers that parse back to the same value', () => {
    expect(printLiteral(-0)).toBe('-0');
    expect(printLiteral(Infinity)).toBe('1e999');
    expect(printLiteral(-Infinity)).toBe('-1e999');
    expect(printLiteral(1e21)).toBe('1e+21');
    expect(printLiteral(0.1)).toBe('0.1');
    expect(() => printLiteral(NaN)).toThrow(RangeError);
    const tree = parseFilter(`value == ${printLiteral(-0)}`) as Extract<FilterNode, { kind: 'compare' }>;
    expect(Object.is((tree.right as { value: unknown }).value, -0)).toBe(true);
  });

  it('uses dots for identifiers and brackets for the rest', () => {
    const path: FilterPath = { kind: 'path', root: 'value', segments: ['a', '$b_1', 'not an id', 3, '9'] };
    expect(printPath(path)).toBe('value.a.$b_1["not an id"][3]["9"]');
  });
});
