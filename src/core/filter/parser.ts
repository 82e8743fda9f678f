/**
 * The parser of the filter language: tokens → syntax tree (see ast.ts), by recursive descent whose depth is
 * bounded by `maxDepth` (parentheses, negations, arrays and exists() each count a level), so hostile input
 * such as ten thousand nested parentheses is refused with an error, never a stack overflow. Every rule of
 * the language that can be checked without a record is checked here, with the column of the offending token:
 * the compiler never throws on a tree this parser returns.
 *
 *   filter     = or_expr ;
 *   or_expr    = and_expr { ( "||" | "or" ) and_expr } ;
 *   and_expr   = comparison { ( "&&" | "and" ) comparison } ;
 *   comparison = negation | operand [ compare_op operand ] ;
 *   negation   = ( "!" | "not" ) ( negation | operand ) ;
 *   operand    = literal | array | path | "exists" "(" path ")" | "(" or_expr ")" ;
 */
import { EvqUsageError } from '../../errors.js';
import { LIMITS } from '../limits.js';
import {
  FILTER_ROOTS,
  FILTER_FORBIDDEN_NAMES,
  type FilterCompareOp,
  type FilterNode,
  type FilterRoot,
  type FilterLiteralValue,
  type FilterPath,
} from './ast.js';
import { columnAt, describeToken, filterError, tokenize, type Token } from './lexer.js';

/** Limits of a filter expression; each defaults to its `LIMITS.maxFilter…` value. */
export interface FilterLimits {
  /** Longest expression, in characters (`LIMITS.maxFilterLength`). Checked before anything else. */
  maxLength?: number;
  /** Deepest nesting of parentheses, negations, arrays and exists() (`LIMITS.maxFilterDepth`). */
  maxDepth?: number;
  /** Most syntax nodes, array elements included (`LIMITS.maxFilterNodes`). */
  maxNodes?: number;
  /** Most segments in one field path after its root (`LIMITS.maxFilterPathSegments`). */
  maxPathSegments?: number;
  /** Most elements in one array literal (`LIMITS.maxFilterArrayElements`). */
  maxArrayElements?: number;
}

/** Highest `maxDepth` accepted: it bounds the recursion of the parser and of the compiled closures. */
export const MAX_FILTER_DEPTH_CEILING = 256;

const WORD_OPS = new Map<string, FilterCompareOp>([
  ['in', 'in'],
  ['contains', 'contains'],
  ['startsWith', 'startsWith'],
  ['endsWith', 'endsWith'],
  ['like', 'like'],
]);

/** Every reserved word, by its lowercase spelling, to suggest the right case (`AND` → `and`). */
const KEYWORDS = ['and', 'or', 'not', 'in', 'contains', 'startsWith', 'endsWith', 'like', 'exists', 'true', 'false', 'null'];
const BY_LOWERCASE = new Map<string, string>([...KEYWORDS, ...FILTER_ROOTS].map((w) => [w.toLowerCase(), w]));

const ROOT_LIST = 'value, key, headers, topic, offset or timestamp';
const MAX_INDEX = 2 ** 32 - 2;

export function resolveLimits(options: FilterLimits = {}): Required<FilterLimits> {
  const limits = {
    maxLength: options.maxLength ?? LIMITS.maxFilterLength,
    maxDepth: options.maxDepth ?? LIMITS.maxFilterDepth,
    maxNodes: options.maxNodes ?? LIMITS.maxFilterNodes,
    maxPathSegments: options.maxPathSegments ?? LIMITS.maxFilterPathSegments,
    maxArrayElements: options.maxArrayElements ?? LIMITS.maxFilterArrayElements,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `filter option ${name} must be a positive integer, not ${String(value)}`);
    }
  }
  if (limits.maxDepth > MAX_FILTER_DEPTH_CEILING) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `filter option maxDepth must be at most ${MAX_FILTER_DEPTH_CEILING}, not ${limits.maxDepth}`,
    );
  }
  return limits;
}

/**
 * Parses filter text into its syntax tree. Throws EvqFilterError (EVQ_ERR_INVALID_FILTER, with the 1-based
 * `column`) when the text is not a valid filter or is past a limit, and EvqUsageError when an option is bad.
 */
export function parseFilter(expr: string, options?: FilterLimits): FilterNode {
  const limits = resolveLimits(options);
  if (typeof expr !== 'string') throw filterError('', 0, `a filter is text, not ${expr === null ? 'null' : typeof expr}`);
  if (expr.length > limits.maxLength) {
    throw filterError(
      expr.slice(0, limits.maxLength),
      limits.maxLength,
      `the filter is ${expr.length} characters long; the limit is ${limits.maxLength}`,
    );
  }
  return new Parser(expr, tokenize(expr), limits).parse();
}

class Parser {
  private pos = 0;
  private depth = 0;
  private nodes = 0;
  /** Where each node starts in the source (UTF-16 index), for errors found after the node was built. */
  private readonly starts = new WeakMap<FilterNode, number>();
  private readonly eof: Token;

  constructor(
    private readonly source: string,
    private readonly tokens: readonly Token[],
    private readonly limits: Required<FilterLimits>,
  ) {
    this.eof = tokens[tokens.length - 1] ?? { kind: 'eof', value: '', text: '', start: source.length };
  }

  parse(): FilterNode {
    if (this.peek().kind === 'eof') this.fail(this.peek(), 'the filter is empty: expected a condition such as value.amount > 100');
    const node = this.parseOr('a condition');
    const end = this.peek();
    if (end.kind !== 'eof') {
      if (end.kind === 'punct' && end.value === ')') this.fail(end, "found ')' without a matching '('");
      this.fail(end, `expected an operator or end of input but found ${describeToken(end)}${this.caseHint(end)}`);
    }
    this.requireCondition(node);
    return node;
  }

  // ---- tokens ------------------------------------------------------------------------------------------

  private peek(): Token {
    return this.tokens[this.pos] ?? this.eof;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.pos++;
    return token;
  }

  private isPunct(token: Token, value: string): boolean {
    return token.kind === 'punct' && token.value === value;
  }

  private isWord(token: Token, value: string): boolean {
    return token.kind === 'word' && token.value === value;
  }

  private fail(token: Token | number, message: string): never {
    throw filterError(this.source, typeof token === 'number' ? token : token.start, message);
  }

  private caseHint(token: Token): string {
    if (token.kind !== 'word') return '';
    const canonical = BY_LOWERCASE.get(token.value.toLowerCase());
    return canonical !== undefined && canonical !== token.value ? ` (did you mean '${canonical}'? words are case-sensitive)` : '';
  }

  // ---- limits ------------------------------------------------------------------------------------------

  private enter(token: Token): void {
    if (++this.depth > this.limits.maxDepth) {
      const max = this.limits.maxDepth;
      this.fail(token, `the filter nests deeper than ${max} levels (parentheses, negations, arrays); the limit is ${max}`);
    }
  }

  private leave(): void {
    this.depth--;
  }

  private count(start: number): void {
    if (++this.nodes > this.limits.maxNodes) {
      this.fail(start, `the filter has more than ${this.limits.maxNodes} parts; the limit is ${this.limits.maxNodes}`);
    }
  }

  private make<T extends FilterNode>(node: T, start: number): T {
    this.count(start);
    this.starts.set(node, start);
    return node;
  }

  private startOf(node: FilterNode): number {
    return this.starts.get(node) ?? 0;
  }

  /** A bare literal other than true/false is not a condition: `value.a && 42` is a mistake worth naming. */
  private requireCondition(node: FilterNode): void {
    if (node.kind !== 'literal' || typeof node.value === 'boolean') return;
    const v = node.value;
    const what =
      v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'number' ? `the number ${v}` : `the string ${JSON.stringify(v)}`;
    const example = Array.isArray(v) ? '[…]' : JSON.stringify(v);
    this.fail(this.startOf(node), `expected a condition but found ${what} on its own (compare it with a field, e.g. value == ${example})`);
  }

  // ---- grammar -----------------------------------------------------------------------------------------

  private parseOr(context: string): FilterNode {
    const first = this.parseAnd(context);
    if (!this.isOrToken(this.peek())) return first;
    this.requireCondition(first);
    const operands = [first];
    while (this.isOrToken(this.peek())) {
      const op = this.next();
      const operand = this.parseAnd(`a condition after '${op.text}'`);
      this.requireCondition(operand);
      operands.push(operand);
    }
    return this.make({ kind: 'or', operands }, this.startOf(first));
  }

  private parseAnd(context: string): FilterNode {
    const first = this.parseComparison(context);
    if (!this.isAndToken(this.peek())) return first;
    this.requireCondition(first);
    const operands = [first];
    while (this.isAndToken(this.peek())) {
      const op = this.next();
      const operand = this.parseComparison(`a condition after '${op.text}'`);
      this.requireCondition(operand);
      operands.push(operand);
    }
    return this.make({ kind: 'and', operands }, this.startOf(first));
  }

  private isOrToken(token: Token): boolean {
    return this.isPunct(token, '||') || this.isWord(token, 'or');
  }

  private isAndToken(token: Token): boolean {
    return this.isPunct(token, '&&') || this.isWord(token, 'and');
  }

  private isNotToken(token: Token): boolean {
    return this.isPunct(token, '!') || this.isWord(token, 'not');
  }

  private compareOp(token: Token): FilterCompareOp | undefined {
    if (token.kind === 'punct') {
      switch (token.value) {
        case '==':
        case '!=':
        case '<':
        case '<=':
        case '>':
        case '>=':
          return token.value;
        default:
          return undefined;
      }
    }
    return token.kind === 'word' ? WORD_OPS.get(token.value) : undefined;
  }

  private parseComparison(context: string): FilterNode {
    const first = this.peek();
    const left = this.parseNegation(context);
    const opToken = this.peek();
    const op = this.compareOp(opToken);
    if (op === undefined) return left;
    if (left.kind === 'not' && this.isNotToken(first)) {
      this.fail(
        opToken,
        `'${opToken.text}' after a negation is ambiguous: write ${first.text === '!' ? '!(' : 'not ('}… ${opToken.text} …) ` +
          'to negate the comparison, or put the negation in parentheses to compare its result',
      );
    }
    this.next();
    const right = this.parseOperand(`a value after '${opToken.text}'`);
    if (op === 'in' && right.kind !== 'path' && !(right.kind === 'literal' && Array.isArray(right.value))) {
      this.fail(this.startOf(right), 'expected an array literal or a field after \'in\', e.g. key in ["a", "b"]');
    }
    if (op === 'like' && !(right.kind === 'literal' && typeof right.value === 'string')) {
      this.fail(this.startOf(right), 'expected a string pattern after \'like\', e.g. value.path like "orders/*"');
    }
    const after = this.peek();
    if (this.compareOp(after) !== undefined) {
      this.fail(after, `comparisons do not chain: join them with &&, e.g. a < b && b < c`);
    }
    return this.make({ kind: 'compare', op, left, right }, this.startOf(left));
  }

  private parseNegation(context: string): FilterNode {
    const token = this.peek();
    if (!this.isNotToken(token)) return this.parseOperand(context);
    this.next();
    this.enter(token);
    const operand = this.parseNegation(`a condition after '${token.text}'`);
    this.leave();
    this.requireCondition(operand);
    return this.make({ kind: 'not', operand }, token.start);
  }

  private parseOperand(context: string): FilterNode {
    const token = this.peek();
    switch (token.kind) {
      case 'number':
      case 'string':
        this.next();
        return this.make({ kind: 'literal', value: token.value }, token.start);
      case 'punct':
        if (token.value === '(') return this.parseGroup(token);
        if (token.value === '[') return this.make({ kind: 'literal', value: this.parseArray() }, token.start);
        break;
      case 'word':
        switch (token.value) {
          case 'true':
          case 'false':
            this.next();
            return this.make({ kind: 'literal', value: token.value === 'true' }, token.start);
          case 'null':
            this.next();
            return this.make({ kind: 'literal', value: null }, token.start);
          case 'exists':
            return this.parseExists(token);
        }
        if ((FILTER_ROOTS as readonly string[]).includes(token.value)) return this.parsePath();
        if (!KEYWORDS.includes(token.value)) this.unknownWord(token, context);
        break;
      case 'eof':
        break;
    }
    if (context.startsWith('a value after') && this.isNotToken(token)) {
      this.fail(token, `expected ${context} but found ${describeToken(token)}: put the negation in parentheses`);
    }
    this.fail(token, `expected ${context} but found ${describeToken(token)}`);
  }

  /** A word where a value goes that is neither a root nor a keyword: a mis-cased keyword, or an unknown field. */
  private unknownWord(token: Token, context: string): never {
    const hint = this.caseHint(token);
    if (hint !== '') this.fail(token, `expected ${context} but found ${describeToken(token)}${hint}`);
    this.fail(token, `unknown field '${token.text}': a filter reads ${ROOT_LIST} (e.g. value.${token.text})`);
  }

  private parseGroup(open: Token): FilterNode {
    this.next();
    this.enter(open);
    const inner = this.parseOr(`a condition after '('`);
    const close = this.peek();
    if (!this.isPunct(close, ')')) {
      const column = columnAt(this.source, open.start);
      this.fail(close, `expected ')' to close the '(' at column ${column} but found ${describeToken(close)}${this.caseHint(close)}`);
    }
    this.next();
    this.leave();
    return inner;
  }

  private parseExists(token: Token): FilterNode {
    this.next();
    const open = this.peek();
    if (!this.isPunct(open, '(')) this.fail(open, `expected '(' after 'exists' but found ${describeToken(open)}`);
    this.next();
    this.enter(open);
    const target = this.peek();
    if (target.kind !== 'word' || !(FILTER_ROOTS as readonly string[]).includes(target.value)) {
      this.fail(target, `expected a field in exists(…), e.g. exists(value.id), but found ${describeToken(target)}`);
    }
    const path = this.parsePath();
    const close = this.peek();
    if (!this.isPunct(close, ')')) this.fail(close, `expected ')' after the field of exists( but found ${describeToken(close)}`);
    this.next();
    this.leave();
    return this.make({ kind: 'exists', path }, token.start);
  }

  private parseArray(): FilterLiteralValue[] {
    const open = this.next();
    this.enter(open);
    const items: FilterLiteralValue[] = [];
    if (this.isPunct(this.peek(), ']')) {
      this.next();
      this.leave();
      return items;
    }
    for (;;) {
      const token = this.peek();
      if (items.length >= this.limits.maxArrayElements) {
        this.fail(token, `the array has more than ${this.limits.maxArrayElements} elements; the limit is ${this.limits.maxArrayElements}`);
      }
      items.push(this.parseArrayElement(items.length === 0 ? "after '['" : "after ','"));
      const sep = this.next();
      if (this.isPunct(sep, ']')) break;
      if (!this.isPunct(sep, ',')) this.fail(sep, `expected ',' or ']' in the array but found ${describeToken(sep)}`);
    }
    this.leave();
    return items;
  }

  private parseArrayElement(where: string): FilterLiteralValue {
    const token = this.peek();
    this.count(token.start);
    if (token.kind === 'number' || token.kind === 'string') {
      this.next();
      return token.value;
    }
    if (token.kind === 'word' && (token.value === 'true' || token.value === 'false' || token.value === 'null')) {
      this.next();
      return token.value === 'null' ? null : token.value === 'true';
    }
    if (this.isPunct(token, '[')) return this.parseArray();
    const fields = token.kind === 'word' && (FILTER_ROOTS as readonly string[]).includes(token.value);
    this.fail(
      token,
      `expected a literal (number, string, true, false, null or array) ${where} but found ${describeToken(token)}` +
        (fields ? ': arrays hold literals, not fields' : ''),
    );
  }

  private parsePath(): FilterPath {
    const rootToken = this.next();
    const root = rootToken.value as FilterRoot;
    const segments: (string | number)[] = [];
    for (;;) {
      const token = this.peek();
      let segment: string | number;
      let at: Token;
      if (this.isPunct(token, '.')) {
        this.next();
        at = this.peek();
        if (at.kind !== 'word') {
          const hint =
            at.kind === 'number' ? `: array elements are read with brackets, e.g. ${root}${printedSoFar(segments)}[${at.text}]` : '';
          this.fail(at, `expected a field name after '.' but found ${describeToken(at)}${hint}`);
        }
        segment = at.value;
        this.next();
      } else if (this.isPunct(token, '[')) {
        this.next();
        at = this.peek();
        if (at.kind === 'string') segment = at.value;
        else if (at.kind === 'number') {
          // written as digits only: not 1e1, 2.0 or -0
          if (String(at.value) !== at.text || !Number.isInteger(at.value) || at.value < 0 || at.value > MAX_INDEX) {
            this.fail(at, `an array index is a whole number from 0 to ${MAX_INDEX}, not ${at.text}`);
          }
          segment = at.value;
        } else this.fail(at, `expected a quoted name or an index after '[' but found ${describeToken(at)}`);
        this.next();
        const close = this.peek();
        if (!this.isPunct(close, ']')) this.fail(close, `expected ']' but found ${describeToken(close)}`);
        this.next();
      } else break;
      this.checkSegment(root, segments, segment, at);
      segments.push(segment);
    }
    return this.make({ kind: 'path', root, segments }, rootToken.start);
  }

  private checkSegment(root: FilterRoot, segments: readonly (string | number)[], segment: string | number, at: Token): void {
    if (typeof segment === 'string' && (FILTER_FORBIDDEN_NAMES as readonly string[]).includes(segment)) {
      this.fail(at, `'${segment}' cannot be read by a filter: ${FILTER_FORBIDDEN_NAMES.join(', ')} are refused anywhere in a path`);
    }
    switch (root) {
      case 'value':
        break;
      case 'headers':
        if (segments.length > 0) this.fail(at, 'a header value is a string and has no fields');
        if (typeof segment === 'number') this.fail(at, `headers are read by name, e.g. headers["content-type"], not by index`);
        break;
      case 'key':
      case 'topic':
        this.fail(at, `${root} is a string and has no fields`);
      case 'offset':
      case 'timestamp':
        this.fail(at, `${root} is a number and has no fields`);
    }
    if (segments.length >= this.limits.maxPathSegments) {
      this.fail(at, `the field path has more than ${this.limits.maxPathSegments} parts; the limit is ${this.limits.maxPathSegments}`);
    }
  }
}

function printedSoFar(segments: readonly (string | number)[]): string {
  return segments.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('');
}
