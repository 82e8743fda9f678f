/**
 * The lexer of the filter language: filter text → tokens. One pass, no recursion, no regular expressions.
 * Numbers follow the JSON grammar (sign, fraction, exponent); strings take single or double quotes and the
 * JSON escapes plus `\'`. Words (`value`, `and`, `startsWith`, …) are one token kind: the parser decides
 * what a word means where it stands.
 */
import { EvqFilterError } from '../../errors.js';

export const TOKEN = {
  number: 'number',
  string: 'string',
  word: 'word',
  punct: 'punct',
  eof: 'eof',
} as const;
export type TokenKind = (typeof TOKEN)[keyof typeof TOKEN];

/** `( ) [ ] , .` and the symbolic operators. */
export const PUNCTUATION = ['(', ')', '[', ']', ',', '.', '==', '!=', '<=', '>=', '<', '>', '&&', '||', '!'] as const;
export type Punct = (typeof PUNCTUATION)[number];

export type Token =
  | { readonly kind: 'number'; readonly value: number; readonly text: string; readonly start: number }
  | { readonly kind: 'string'; readonly value: string; readonly text: string; readonly start: number }
  | { readonly kind: 'word'; readonly value: string; readonly text: string; readonly start: number }
  | { readonly kind: 'punct'; readonly value: Punct; readonly text: string; readonly start: number }
  | { readonly kind: 'eof'; readonly value: ''; readonly text: ''; readonly start: number };

/** The 1-based column of a UTF-16 index, counted in code points (what a user sees in a terminal). */
export function columnAt(source: string, index: number): number {
  let column = 1;
  for (let i = 0; i < index && i < source.length; i++) {
    const c = source.charCodeAt(i);
    // the high half of a surrogate pair counts for the pair
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < index) {
      const next = source.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    column++;
  }
  return column;
}

/** Throws the filter error for a position of the source: `invalid filter at column N: message`. */
export function filterError(source: string, index: number, message: string): EvqFilterError {
  const column = columnAt(source, index);
  return new EvqFilterError(`invalid filter at column ${column}: ${message}`, column);
}

/** How a token is named in an error message. */
export function describeToken(token: Token): string {
  if (token.kind === 'eof') return 'end of input';
  const text = token.text.length > 24 ? `${token.text.slice(0, 24)}…` : token.text;
  return `'${text}'`;
}

const CH_0 = 0x30;
const CH_9 = 0x39;

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

export function isWordStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f /* _ */ || c === 0x24; /* $ */
}

export function isWordPart(c: number): boolean {
  return isWordStart(c) || isDigit(c);
}

/**
 * Scans a JSON number starting at `start` and returns the index just past it, or -1 when the text there is
 * not a JSON number (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
 */
export function scanJsonNumber(text: string, start: number): number {
  let i = start;
  const n = text.length;
  if (i < n && text.charCodeAt(i) === 0x2d /* - */) i++;
  if (i >= n) return -1;
  const first = text.charCodeAt(i);
  if (first === CH_0) i++;
  else if (first > CH_0 && first <= CH_9) {
    i++;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
  } else return -1;
  if (i < n && text.charCodeAt(i) === 0x2e /* . */) {
    i++;
    if (i >= n || !isDigit(text.charCodeAt(i))) return -1;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
  }
  if (i < n && (text.charCodeAt(i) | 0x20) === 0x65 /* e E */) {
    i++;
    if (i < n && (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d)) i++;
    if (i >= n || !isDigit(text.charCodeAt(i))) return -1;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
  }
  return i;
}

/** The number a string spells when the whole string is a JSON number (`"42"`, `"-1.5e3"`), else NaN. */
export function jsonNumberValue(text: string): number {
  if (text.length === 0 || scanJsonNumber(text, 0) !== text.length) return NaN;
  return Number(text);
}

/** The character a one-letter escape stands for (`\n` → newline), or undefined for an unknown escape. */
function simpleEscape(letter: string): string | undefined {
  switch (letter) {
    case '"':
    case "'":
    case '\\':
    case '/':
      return letter;
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    default:
      return undefined;
  }
}

function hexValue(c: number): number {
  if (c >= CH_0 && c <= CH_9) return c - CH_0;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Splits filter text into tokens, ending with one `eof` token. Throws EvqFilterError on a bad token. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const n = source.length;
  let i = 0;
  while (i < n) {
    const c = source.charCodeAt(i);
    // whitespace
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      i++;
      continue;
    }
    const start = i;
    if (isWordStart(c)) {
      i++;
      while (i < n && isWordPart(source.charCodeAt(i))) i++;
      const text = source.slice(start, i);
      tokens.push({ kind: 'word', value: text, text, start });
      continue;
    }
    if (isDigit(c) || c === 0x2d /* - */) {
      const end = scanJsonNumber(source, start);
      if (end < 0 || (end < n && (isWordPart(source.charCodeAt(end)) || source.charCodeAt(end) === 0x2e))) {
        let stop = start + 1;
        while (stop < n && (isWordPart(source.charCodeAt(stop)) || '.+-'.includes(source[stop] ?? ' '))) stop++;
        const bad = source.slice(start, stop);
        const what =
          bad === '-' ? "expected a digit after '-'" : `'${bad}' is not a number (numbers are written as in JSON: -12, 0.5, 1e3)`;
        throw filterError(source, start, what);
      }
      const text = source.slice(start, end);
      tokens.push({ kind: 'number', value: Number(text), text, start });
      i = end;
      continue;
    }
    if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
      i = readString(source, start, tokens);
      continue;
    }
    const two = source.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '<=' || two === '>=' || two === '&&' || two === '||') {
      tokens.push({ kind: 'punct', value: two, text: two, start });
      i += 2;
      continue;
    }
    const one = source[i] ?? '';
    switch (one) {
      case '(':
      case ')':
      case '[':
      case ']':
      case ',':
      case '.':
      case '<':
      case '>':
      case '!':
        tokens.push({ kind: 'punct', value: one, text: one, start });
        i++;
        continue;
      case '=':
        throw filterError(source, start, "expected '==' but found '=' (equality is written ==)");
      case '&':
        throw filterError(source, start, "expected '&&' but found '&' (and is written && or and)");
      case '|':
        throw filterError(source, start, "expected '||' but found '|' (or is written || or or)");
      default: {
        const cp = source.codePointAt(i) ?? c;
        const shown = cp >= 0x20 && cp !== 0x7f ? String.fromCodePoint(cp) : `\\u${cp.toString(16).padStart(4, '0')}`;
        throw filterError(source, start, `unexpected character '${shown}'`);
      }
    }
  }
  tokens.push({ kind: 'eof', value: '', text: '', start: n });
  return tokens;
}

/** Reads the string literal that starts at `start` (on its quote); pushes its token; returns the index after it. */
function readString(source: string, start: number, tokens: Token[]): number {
  const quote = source.charCodeAt(start);
  const n = source.length;
  let out = '';
  let i = start + 1;
  let runStart = i;
  while (i < n) {
    const c = source.charCodeAt(i);
    if (c === quote) {
      out += source.slice(runStart, i);
      tokens.push({ kind: 'string', value: out, text: source.slice(start, i + 1), start });
      return i + 1;
    }
    if (c !== 0x5c /* \ */) {
      i++;
      continue;
    }
    out += source.slice(runStart, i);
    const escape = source[i + 1];
    if (escape === undefined) break;
    if (escape === 'u') {
      let code = 0;
      for (let k = 2; k < 6; k++) {
        const h = hexValue(source.charCodeAt(i + k));
        if (h < 0) throw filterError(source, i, "invalid escape in string: '\\u' takes exactly four hex digits");
        code = code * 16 + h;
      }
      out += String.fromCharCode(code);
      i += 6;
    } else {
      const replacement = simpleEscape(escape);
      if (replacement === undefined) {
        throw filterError(source, i, `invalid escape '\\${escape}' in string (allowed: \\" \\' \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`);
      }
      out += replacement;
      i += 2;
    }
    runStart = i;
  }
  const q = String.fromCharCode(quote);
  throw filterError(source, start, `the string that starts here is not closed: expected a closing ${q}`);
}
