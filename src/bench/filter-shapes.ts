/**
 * Shapes messages for a filter (`--filter EXPR --match-ratio R` without `--payload-file`): finds one message
 * that the filter matches and one that it does not, so that the generator can send the first for a fraction R
 * of the sequence numbers and the second for the rest.
 *
 * The search reads the filter's syntax tree for the fields it compares (value members, the key, headers) and
 * the literals it compares them with, makes a few candidate values per field around each literal (equal,
 * different, one above, one below, a string that starts with it, an array that contains it, missing …), and
 * tries combinations — exhaustively while there are at most 4,096, then a fixed pseudo-random sample — through
 * the compiled filter itself until it has both kinds. Filters on `offset`, `timestamp` or `topic` alone cannot
 * be shaped; give example payloads with `--payload-file` instead.
 */

import { compileFilter, parseFilter } from '../core/filter/index.js';
import type { FilterLiteralValue, FilterNode, FilterPath, FilterRecord } from '../core/filter/index.js';

export interface MessageShape {
  value: Buffer;
  key: string | null;
  headers: Record<string, string> | null;
}

export interface FilterShapes {
  matching: MessageShape | null;
  other: MessageShape | null;
}

const ABSENT = Symbol('absent');
type Candidate = FilterLiteralValue | typeof ABSENT;

const MAX_EXHAUSTIVE = 4096;
const MAX_SAMPLED = 20_000;

/** A record as the filter sees a shaped message (the stamp header is there, as it will be on the wire). */
export function shapeRecord(shape: MessageShape, topic: string, stampHeader: Record<string, string>): FilterRecord {
  return { topic, offset: 0, timestamp: Date.now(), key: shape.key, headers: { ...shape.headers, ...stampHeader }, value: shape.value };
}

/**
 * Finds a matching and a non-matching message for `filter` (either may be null when none was found).
 * `size` is the value size to pad JSON object values to.
 */
export function shapesForFilter(filter: string, size: number, topic: string, stampHeader: Record<string, string>): FilterShapes {
  const match = compileFilter(filter);
  const paths = new Map<string, { path: FilterPath; candidates: Candidate[] }>();
  collect(parseFilter(filter), paths);
  const fields = [...paths.values()].filter((f) => f.path.root === 'value' || f.path.root === 'key' || f.path.root === 'headers');
  for (const field of fields) field.candidates = dedupe([...field.candidates, ABSENT]);

  const found: FilterShapes = { matching: null, other: null };
  const consider = (choice: readonly Candidate[]): boolean => {
    const shape = build(
      fields.map((f) => f.path),
      choice,
      size,
    );
    const ok = match(shapeRecord(shape, topic, stampHeader));
    if (ok && found.matching === null) found.matching = padded(shape, size, (s) => match(shapeRecord(s, topic, stampHeader)) === true);
    if (!ok && found.other === null) found.other = padded(shape, size, (s) => match(shapeRecord(s, topic, stampHeader)) === false);
    return found.matching !== null && found.other !== null;
  };

  let combinations = 1;
  for (const f of fields) combinations *= f.candidates.length;
  const choice: Candidate[] = fields.map((f) => f.candidates[0] as Candidate);
  if (combinations <= MAX_EXHAUSTIVE) {
    for (let n = 0; n < combinations; n++) {
      let rest = n;
      for (let i = 0; i < fields.length; i++) {
        const list = (fields[i] as { candidates: Candidate[] }).candidates;
        choice[i] = list[rest % list.length] as Candidate;
        rest = Math.floor(rest / list.length);
      }
      if (consider(choice)) break;
    }
  } else {
    let seed = 0x2545f491;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    for (let n = 0; n < MAX_SAMPLED; n++) {
      for (let i = 0; i < fields.length; i++) {
        const list = (fields[i] as { candidates: Candidate[] }).candidates;
        choice[i] = list[next() % list.length] as Candidate;
      }
      if (consider(choice)) break;
    }
  }
  return found;
}

/** Gathers the compared fields and candidate values for each. */
function collect(node: FilterNode, paths: Map<string, { path: FilterPath; candidates: Candidate[] }>): void {
  const add = (path: FilterPath, values: Candidate[]): void => {
    const id = `${path.root}\u0000${path.segments.join('\u0000')}`;
    const entry = paths.get(id) ?? { path, candidates: [] };
    entry.candidates.push(...values);
    paths.set(id, entry);
  };
  switch (node.kind) {
    case 'literal':
      return;
    case 'path':
      add(node, [true, false, 'x', 1, 0]);
      return;
    case 'exists':
      add(node.path, ['x']);
      return;
    case 'not':
      collect(node.operand, paths);
      return;
    case 'and':
    case 'or':
      for (const operand of node.operands) collect(operand, paths);
      return;
    case 'compare': {
      const { left, right, op } = node;
      if (left.kind === 'path' && right.kind === 'literal') add(left, around(op, right.value, 'left'));
      else if (right.kind === 'path' && left.kind === 'literal') add(right, around(op, left.value, 'right'));
      else {
        for (const side of [left, right]) {
          if (side.kind === 'path') add(side, [1, 'x', true]);
          else collect(side, paths);
        }
      }
      return;
    }
  }
}

/** Candidate values of a field compared with `literal` by `op` (the field on the `side` given). */
function around(op: string, literal: FilterLiteralValue, side: 'left' | 'right'): Candidate[] {
  if (side === 'right') {
    // literal OP field: `"admin" in value.roles`, `5 < value.n`
    if (op === 'in') return [[literal], [], 'x'];
    return around(flip(op), literal, 'left');
  }
  switch (op) {
    case '==':
    case '!=':
      return [literal, other(literal)];
    case '<':
    case '<=':
    case '>':
    case '>=':
      if (typeof literal === 'number') return [literal - 1, literal, literal + 1];
      if (typeof literal === 'string') return [literal, `${literal}~`, ''];
      return [literal, other(literal)];
    case 'in':
      if (Array.isArray(literal)) return [...literal.slice(0, 3), differentFromAll(literal)];
      return [literal, other(literal)];
    case 'contains':
      return typeof literal === 'string' ? [[literal], `x${literal}x`, [], ''] : [[literal], []];
    case 'startsWith':
      return typeof literal === 'string' ? [`${literal}x`, `x${literal}`] : [literal];
    case 'endsWith':
      return typeof literal === 'string' ? [`x${literal}`, `${literal}x`] : [literal];
    case 'like':
      return typeof literal === 'string' ? [globExample(literal), `\u0001${globExample(literal)}\u0001`] : [literal];
    default:
      return [literal];
  }
}

function flip(op: string): string {
  return op === '<' ? '>' : op === '>' ? '<' : op === '<=' ? '>=' : op === '>=' ? '<=' : op;
}

function other(literal: FilterLiteralValue): FilterLiteralValue {
  if (typeof literal === 'number') return literal + 1;
  if (typeof literal === 'string') return `${literal}-other`;
  if (typeof literal === 'boolean') return !literal;
  if (literal === null) return 'x';
  return [];
}

function differentFromAll(list: readonly FilterLiteralValue[]): FilterLiteralValue {
  let candidate = 'none-of-these';
  while (list.includes(candidate)) candidate += '!';
  return candidate;
}

/** A text a glob matches: `*` as nothing, `?` as one `x`, escapes taken literally. */
function globExample(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') continue;
    if (c === '?') out += 'x';
    else if (c === '\\' && i + 1 < glob.length) out += glob[++i];
    else out += c;
  }
  return out;
}

function dedupe(values: Candidate[]): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const v of values) {
    const id = v === ABSENT ? '\u0000absent' : JSON.stringify(v);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(v);
  }
  return out.slice(0, 8);
}

const FILLER = 'evq-bench-payload-';

/** The message of one combination of field values. */
function build(paths: readonly FilterPath[], choice: readonly Candidate[], size: number): MessageShape {
  let key: string | null = null;
  let headers: Record<string, string> | null = null;
  let whole: Candidate = ABSENT;
  let object: Record<string, unknown> | undefined;
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i] as FilterPath;
    const value = choice[i] as Candidate;
    if (value === ABSENT) continue;
    if (path.root === 'key') key = typeof value === 'string' ? value : JSON.stringify(value);
    else if (path.root === 'headers') {
      const name = path.segments[0];
      if (typeof name === 'string')
        (headers ??= Object.create(null) as Record<string, string>)[name] = typeof value === 'string' ? value : JSON.stringify(value);
    } else if (path.segments.length === 0) whole = value;
    else setPath((object ??= {}), path.segments, value);
  }
  let value: Buffer;
  if (whole !== ABSENT) value = Buffer.from(JSON.stringify(whole));
  else if (object !== undefined) value = Buffer.from(JSON.stringify(object));
  else value = Buffer.from(FILLER.repeat(Math.ceil(size / FILLER.length)).slice(0, size));
  return { value, key, headers };
}

function setPath(target: Record<string, unknown>, segments: readonly (string | number)[], value: FilterLiteralValue): void {
  let node: Record<string | number, unknown> = target;
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i] as string | number;
    const nextIsIndex = typeof segments[i + 1] === 'number';
    let child = node[segment];
    if (typeof child !== 'object' || child === null) {
      child = nextIsIndex ? [] : {};
      node[segment] = child;
    }
    node = child as Record<string | number, unknown>;
  }
  const last = segments[segments.length - 1] as string | number;
  if (Array.isArray(node) && typeof last === 'number') {
    while (node.length < last) node.push(null);
  }
  node[last] = value;
}

/** A JSON object value padded with a `_pad` member up to `size` bytes, if the filter still judges it the same. */
function padded(shape: MessageShape, size: number, same: (shape: MessageShape) => boolean): MessageShape {
  const text = shape.value.toString('utf8');
  if (!text.startsWith('{') || shape.value.length + 12 > size) return shape;
  const room = size - shape.value.length - (text === '{}' ? 9 : 10);
  const body = text === '{}' ? '' : `${text.slice(1, -1)},`;
  const candidate = { ...shape, value: Buffer.from(`{${body}"_pad":"${'x'.repeat(Math.max(0, room))}"}`) };
  return same(candidate) ? candidate : shape;
}
