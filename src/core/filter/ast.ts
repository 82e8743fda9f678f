/**
 * The syntax tree of a filter expression, as `parseFilter` returns it, and `printFilter`, which writes a
 * tree back as filter text that parses to the same tree. The tree carries no source positions: two texts
 * that differ only in spelling (`and` / `&&`, quotes, spacing, redundant parentheses) give equal trees.
 */

/** The fields a filter starts from. */
export const FILTER_ROOTS = ['value', 'key', 'headers', 'topic', 'offset', 'timestamp'] as const;
export type FilterRoot = (typeof FILTER_ROOTS)[number];

/** Names that a path may never contain, in dot or bracket form. */
export const FILTER_FORBIDDEN_NAMES = ['__proto__', 'constructor', 'prototype'] as const;

/** `==` … `like`: every operator that takes two values and gives a boolean. */
export const FILTER_COMPARE_OPS = ['==', '!=', '<', '<=', '>', '>=', 'in', 'contains', 'startsWith', 'endsWith', 'like'] as const;
export type FilterCompareOp = (typeof FILTER_COMPARE_OPS)[number];

export type FilterScalar = null | boolean | number | string;
/** The value of a literal: a scalar or an array literal (whose elements are literals). */
export type FilterLiteralValue = FilterScalar | FilterLiteralValue[];

/** `value.a.b`, `value["x y"]`, `value.items[0]`, `headers["content-type"]`, `key`, … */
export interface FilterPath {
  readonly kind: 'path';
  readonly root: FilterRoot;
  /** Object member names (strings) and array indexes (non-negative integers), in order. */
  readonly segments: readonly (string | number)[];
}

/** `42`, `"text"`, `true`, `null`, `[1, "a", null]`. */
export interface FilterLiteral {
  readonly kind: 'literal';
  readonly value: FilterLiteralValue;
}

/** `exists(path)`: the field is there (even if it is null). */
export interface FilterExists {
  readonly kind: 'exists';
  readonly path: FilterPath;
}

/** `!x` / `not x`. */
export interface FilterNot {
  readonly kind: 'not';
  readonly operand: FilterNode;
}

/** `a && b && …` / `a || b || …`: at least two operands, evaluated left to right with short-circuit. */
export interface FilterLogical {
  readonly kind: 'and' | 'or';
  readonly operands: readonly FilterNode[];
}

/** `left op right`. */
export interface FilterCompare {
  readonly kind: 'compare';
  readonly op: FilterCompareOp;
  readonly left: FilterNode;
  readonly right: FilterNode;
}

export type FilterNode = FilterPath | FilterLiteral | FilterExists | FilterNot | FilterLogical | FilterCompare;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Writes a tree as filter text (canonical spelling: `&&`, `||`, `!`, double quotes) that parses back to it. */
export function printFilter(node: FilterNode): string {
  switch (node.kind) {
    case 'literal':
      return printLiteral(node.value);
    case 'path':
      return printPath(node);
    case 'exists':
      return `exists(${printPath(node.path)})`;
    case 'not': {
      const inner = node.operand;
      const atomic = inner.kind === 'path' || inner.kind === 'literal' || inner.kind === 'exists' || inner.kind === 'not';
      return atomic ? `!${printFilter(inner)}` : `!(${printFilter(inner)})`;
    }
    case 'and':
    case 'or': {
      const glue = node.kind === 'and' ? ' && ' : ' || ';
      return node.operands
        .map((operand) => {
          // `&&` binds tighter than `||`, so an `and` inside an `or` needs no parentheses; anything else
          // logical does (a nested `and` inside an `and` keeps its own node only if it stays grouped).
          const bare = operand.kind !== 'or' && (operand.kind !== 'and' || node.kind === 'or');
          return bare ? printFilter(operand) : `(${printFilter(operand)})`;
        })
        .join(glue);
    }
    case 'compare':
      return `${printOperand(node.left)} ${node.op} ${printOperand(node.right)}`;
  }
}

/** The operand of a comparison: anything that is not a path, literal or exists() goes in parentheses. */
function printOperand(node: FilterNode): string {
  const atomic = node.kind === 'path' || node.kind === 'literal' || node.kind === 'exists';
  return atomic ? printFilter(node) : `(${printFilter(node)})`;
}

export function printPath(path: FilterPath): string {
  let out: string = path.root;
  for (const segment of path.segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function printLiteral(value: FilterLiteralValue): string {
  if (Array.isArray(value)) return `[${value.map(printLiteral).join(', ')}]`;
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return '-0';
    if (value === Infinity) return '1e999';
    if (value === -Infinity) return '-1e999';
    if (Number.isNaN(value)) throw new RangeError('NaN cannot be written in a filter');
  }
  return JSON.stringify(value);
}
