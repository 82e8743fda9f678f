/**
 * The compiler of the filter language: syntax tree → one predicate over records, built once as a tree of
 * small closures (never eval, `new Function`, `vm` or a RegExp made from the filter). Paths become fixed key
 * lists (access.ts), comparisons against literals are specialised (compare.ts), `and`/`or` chains are
 * flattened and constants folded. A compiled filter never throws: a missing field, a value of the wrong type
 * or a non-JSON message only makes a comparison false. The message's JSON is parsed on the first read of
 * `value`, once per record object (record-value.ts).
 */
import type { FilterCompare, FilterCompareOp, FilterLiteralValue, FilterNode, FilterPath } from './ast.js';
import { pathAccess, type Access, type Get, type Predicate } from './access.js';
import { ALWAYS, NEVER, compareWithLiteral, evaluateCompare, truthy } from './compare.js';
import { parseFilter, type FilterLimits } from './parser.js';
import type { FilterRecord } from './record-value.js';

/** A compiled filter: does the record match? Never throws. */
export type Filter = (record: FilterRecord) => boolean;

/** Options of `compileFilter`: the limits of the expression (see FilterLimits). */
export type FilterOptions = FilterLimits;

/** A compiled operand of a comparison: a constant, or a field (a condition used as a value is a field too). */
type Operand = { readonly constant: true; readonly value: FilterLiteralValue } | { readonly constant: false; readonly access: Access };

/**
 * Compiles filter text once into a predicate. Throws EvqFilterError (EVQ_ERR_INVALID_FILTER, with the
 * 1-based `column`) when the text is not a valid filter, EvqUsageError when an option is bad.
 */
export function compileFilter(expr: string, options?: FilterOptions): Filter {
  return compileFilterNode(parseFilter(expr, options));
}

/** Compiles a syntax tree, as parseFilter returns it, into a predicate. */
export function compileFilterNode(node: FilterNode): Filter {
  const filter = predicate(node);
  // a function of its own per filter, never one of the shared constants
  if (filter === ALWAYS) return () => true;
  if (filter === NEVER) return () => false;
  return filter;
}

function predicate(node: FilterNode): Predicate {
  switch (node.kind) {
    case 'literal':
      return truthy(node.value) ? ALWAYS : NEVER;
    case 'path': {
      const get = pathAccess(node).get;
      return (r) => {
        const v = get(r);
        return v !== undefined && v !== null && v !== false;
      };
    }
    case 'exists':
      return existsPredicate(node.path);
    case 'not': {
      const p = predicate(node.operand);
      if (p === ALWAYS) return NEVER;
      if (p === NEVER) return ALWAYS;
      return (r) => !p(r);
    }
    case 'and':
    case 'or':
      return logical(node.kind, node.operands);
    case 'compare':
      return comparison(node);
  }
}

function existsPredicate(path: FilterPath): Predicate {
  if (path.root === 'key') return (r) => r.key !== undefined && r.key !== null;
  // value, headers, topic, offset and timestamp themselves are always there
  if (path.segments.length === 0) return ALWAYS;
  const get = pathAccess(path).get;
  return (r) => get(r) !== undefined;
}

/** `and` / `or`: nested chains of the same kind flattened, constants folded, short arities unrolled. */
function logical(kind: 'and' | 'or', operands: readonly FilterNode[]): Predicate {
  const decisive = kind === 'and' ? NEVER : ALWAYS; // decides the result on its own
  const neutral = kind === 'and' ? ALWAYS : NEVER; // changes nothing
  const parts: Predicate[] = [];
  const collect = (nodes: readonly FilterNode[]): boolean => {
    for (const n of nodes) {
      if (n.kind === kind) {
        if (collect(n.operands)) return true;
        continue;
      }
      const p = predicate(n);
      if (p === decisive) return true;
      if (p !== neutral) parts.push(p);
    }
    return false;
  };
  if (collect(operands)) return decisive;
  const [a, b, c, d] = parts;
  if (a === undefined) return neutral;
  if (b === undefined) return a;
  if (kind === 'and') {
    if (c === undefined) return (r) => a(r) && b(r);
    if (d === undefined) return (r) => a(r) && b(r) && c(r);
    if (parts.length === 4) return (r) => a(r) && b(r) && c(r) && d(r);
    return (r) => {
      for (let i = 0; i < parts.length; i++) if (!(parts[i] as Predicate)(r)) return false;
      return true;
    };
  }
  if (c === undefined) return (r) => a(r) || b(r);
  if (d === undefined) return (r) => a(r) || b(r) || c(r);
  if (parts.length === 4) return (r) => a(r) || b(r) || c(r) || d(r);
  return (r) => {
    for (let i = 0; i < parts.length; i++) if ((parts[i] as Predicate)(r)) return true;
    return false;
  };
}

function operand(node: FilterNode): Operand {
  switch (node.kind) {
    case 'literal':
      return { constant: true, value: node.value };
    case 'path':
      return { constant: false, access: pathAccess(node) };
    default: {
      // a condition used as a value is its boolean
      const p = predicate(node);
      if (p === ALWAYS || p === NEVER) return { constant: true, value: p === ALWAYS };
      return { constant: false, access: { kind: 'other', get: p } };
    }
  }
}

/** The operators that read the same with their sides swapped (and the ordering ones turned round). */
const MIRRORED: Partial<Record<FilterCompareOp, FilterCompareOp>> = {
  '==': '==',
  '!=': '!=',
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
};

function comparison(node: FilterCompare): Predicate {
  const left = operand(node.left);
  const right = operand(node.right);
  const op = node.op;
  if (left.constant && right.constant) return evaluateCompare(op, left.value, right.value) ? ALWAYS : NEVER;
  if (!left.constant && right.constant) return compareWithLiteral(op, left.access, right.value);
  const mirrored = MIRRORED[op];
  if (left.constant && !right.constant && mirrored !== undefined) return compareWithLiteral(mirrored, right.access, left.value);
  const a: Get = left.constant ? constant(left.value) : left.access.get;
  const b: Get = right.constant ? constant(right.value) : right.access.get;
  return (r) => evaluateCompare(op, a(r), b(r));
}

function constant(value: unknown): Get {
  return () => value;
}
