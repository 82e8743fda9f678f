/**
 * The glob of `like`: `*` matches any run of characters (also none), `?` exactly one character (a Unicode
 * code point), `\` makes the next character literal (`\*`, `\?`, `\\`; a trailing `\` is a literal `\`).
 * A pattern matches the whole text. No regular expressions: common shapes become `===`, `startsWith`,
 * `endsWith` or `includes`, and the rest runs the greedy two-pointer algorithm, which remembers only the
 * last `*` and never backtracks further: its time is bounded by text length × pattern length, without the
 * exponential blow-up of backtracking matchers (`*a*a*a*a*b` over a long run of `a` stays linear).
 */

/** A compiled pattern: does the whole text match it? */
export type GlobMatcher = (text: string) => boolean;

const STAR = -1;
const ANY = -2;

/** Pattern → code points, with STAR and ANY for the wildcards; consecutive stars are one. */
function patternCodes(pattern: string): number[] {
  const codes: number[] = [];
  for (let i = 0; i < pattern.length;) {
    let cp = pattern.codePointAt(i) ?? 0;
    i += cp > 0xffff ? 2 : 1;
    if (cp === 0x5c /* \ */ && i < pattern.length) {
      cp = pattern.codePointAt(i) ?? 0;
      i += cp > 0xffff ? 2 : 1;
      codes.push(cp);
    } else if (cp === 0x2a /* * */) {
      if (codes[codes.length - 1] !== STAR) codes.push(STAR);
    } else if (cp === 0x3f /* ? */) codes.push(ANY);
    else codes.push(cp);
  }
  return codes;
}

function literalText(codes: readonly number[]): string | undefined {
  let text = '';
  for (const c of codes) {
    if (c < 0) return undefined;
    text += String.fromCodePoint(c);
  }
  return text;
}

/** Compiles a glob pattern once into a matcher. */
export function compileGlob(pattern: string): GlobMatcher {
  const codes = patternCodes(pattern);
  const n = codes.length;
  const whole = literalText(codes);
  if (whole !== undefined) return (text) => text === whole;
  if (n === 1 && codes[0] === STAR) return () => true;
  const lead = codes[0] === STAR;
  const trail = codes[n - 1] === STAR;
  const middle = literalText(codes.slice(lead ? 1 : 0, trail ? n - 1 : n));
  if (middle !== undefined) {
    if (lead && trail) return (text) => text.includes(middle);
    if (trail) return (text) => text.startsWith(middle);
    if (lead) return (text) => text.endsWith(middle);
  }
  const program = Int32Array.from(codes);
  return (text) => matchCodes(program, text);
}

/** The greedy two-pointer match of a pattern program against the whole text. */
function matchCodes(p: Int32Array, t: string): boolean {
  const pn = p.length;
  const tn = t.length;
  let pi = 0;
  let ti = 0;
  let star = -1; // index in p of the last * seen
  let mark = 0; // where in t that * is currently made to end
  while (ti < tn) {
    if (pi < pn) {
      const pc = p[pi] as number;
      if (pc === STAR) {
        star = pi++;
        mark = ti;
        continue;
      }
      const cp = t.codePointAt(ti) as number;
      if (pc === ANY || pc === cp) {
        pi++;
        ti += cp > 0xffff ? 2 : 1;
        continue;
      }
    }
    if (star < 0) return false;
    // let the last * swallow one more character and retry what follows it
    const skipped = t.codePointAt(mark) as number;
    mark += skipped > 0xffff ? 2 : 1;
    pi = star + 1;
    ti = mark;
  }
  while (pi < pn && p[pi] === STAR) pi++;
  return pi === pn;
}
