import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The lowest versions the project accepts: below them are known denial-of-service holes (ws CVE-2024-37890). */
const MINIMUM: Record<string, string> = { ws: '8.21.0', undici: '7.28.0' };
/** Packages that evaluate strings as code, or escape a sandbox: never in the tree. */
const FORBIDDEN = ['expr-eval', 'vm2', 'safe-eval'];

/** Every installed package of the lockfile (v2/v3 `packages`) as name and version. */
function lockedPackages(lock: {
  packages?: Record<string, { version?: string; name?: string }>;
}): { name: string; version: string; path: string }[] {
  const out: { name: string; version: string; path: string }[] = [];
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    const at = path.lastIndexOf('node_modules/');
    if (at < 0) continue;
    out.push({ name: entry.name ?? path.slice(at + 'node_modules/'.length), version: entry.version ?? '0.0.0', path });
  }
  return out;
}

function versionBelow(version: string, minimum: string): boolean {
  const parse = (v: string): number[] =>
    v
      .replace(/^[^\d]*/, '')
      .split(/[.+-]/)
      .slice(0, 3)
      .map((n) => Number.parseInt(n, 10) || 0);
  const a = parse(version);
  const b = parse(minimum);
  for (let i = 0; i < 3; i++) {
    if ((a[i] as number) !== (b[i] as number)) return (a[i] as number) < (b[i] as number);
  }
  return false;
}

/** The source with comments and the text of string literals blanked, so only code is searched. */
function codeOnly(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      // a string literal keeps its quotes and loses its text (an import specifier is checked apart)
      out += c;
      i++;
      while (i < source.length && source[i] !== c) {
        if (source[i] === '\\') i++;
        else if (source[i] === '\n' && c !== '`') break;
        i++;
      }
      out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** What a source file uses that runs strings as code: `eval(`, `new Function`, and the `vm` module. */
function dynamicCodeUses(source: string): string[] {
  const found: string[] = [];
  const code = codeOnly(source);
  if (/(^|[^\w$.])eval\s*\(/.test(code)) found.push('eval(');
  if (/\bnew\s+Function\b/.test(code) || /(^|[^\w$.])Function\s*\(/.test(code)) found.push('new Function');
  // module specifiers are string literals, so the vm module is looked for in the import and require forms
  if (
    /\bfrom\s+['"](node:)?vm['"]|\bimport\s*\(\s*['"](node:)?vm['"]\s*\)|\brequire\s*\(\s*['"](node:)?vm['"]\s*\)|\bimport\s+['"](node:)?vm['"]/.test(
      source,
    )
  ) {
    found.push('vm');
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(ts|js|mjs|cjs)$/.test(name)) files.push(path);
  }
  return files;
}

describe('supply chain', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Parameters<typeof lockedPackages>[0];
  const packages = lockedPackages(lock);

  it('locks no ws below 8.21.0 and no undici below 7.28.0, wherever they sit in the tree', () => {
    expect(packages.some((p) => p.name === 'ws')).toBe(true);
    expect(packages.some((p) => p.name === 'undici')).toBe(true);
    const tooOld = packages.filter((p) => MINIMUM[p.name] !== undefined && versionBelow(p.version, MINIMUM[p.name] as string));
    expect(tooOld.map((p) => `${p.path}@${p.version}`)).toEqual([]);
  });

  it('locks none of expr-eval, vm2, safe-eval', () => {
    expect(packages.filter((p) => FORBIDDEN.includes(p.name)).map((p) => p.path)).toEqual([]);
  });

  it('has no eval, new Function or vm in src/', () => {
    const files = sourceFiles(join(ROOT, 'src'));
    expect(files.length).toBeGreaterThan(20);
    const uses = files.flatMap((file) => dynamicCodeUses(readFileSync(file, 'utf8')).map((what) => `${relative(ROOT, file)}: ${what}`));
    expect(uses).toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('compare versions numerically', () => {
    expect(versionBelow('8.20.9', '8.21.0')).toBe(true);
    expect(versionBelow('8.9.0', '8.21.0')).toBe(true);
    expect(versionBelow('7.3.0', '8.21.0')).toBe(true);
    expect(versionBelow('8.21.0', '8.21.0')).toBe(false);
    expect(versionBelow('9.0.0', '8.21.0')).toBe(false);
    expect(versionBelow('7.28.1', '7.28.0')).toBe(false);
  });

  it('find nested copies of a package in a lockfile', () => {
    const lock = { packages: { '': {}, 'node_modules/a/node_modules/ws': { version: '7.4.5' }, 'node_modules/ws': { version: '8.23.0' } } };
    const found = lockedPackages(lock).filter((p) => p.name === 'ws' && versionBelow(p.version, '8.21.0'));
    expect(found.map((p) => p.path)).toEqual(['node_modules/a/node_modules/ws']);
  });

  it('find dynamic code in code and not in comments or strings', () => {
    expect(dynamicCodeUses('const x = eval("1");')).toEqual(['eval(']);
    expect(dynamicCodeUses('const f = new Function("a", "return a");')).toEqual(['new Function']);
    expect(dynamicCodeUses("import { runInNewContext } from 'node:vm';")).toEqual(['vm']);
    expect(dynamicCodeUses("const vm = require('vm');")).toEqual(['vm']);
    expect(dynamicCodeUses("import * as vm from 'vm';")).toEqual(['vm']);
    expect(dynamicCodeUses('// never eval( or new Function here\n/* nor vm */ const a = 1;')).toEqual([]);
    expect(dynamicCodeUses("const s = 'eval( and new Function in a string';")).toEqual([]);
    expect(dynamicCodeUses('ctx.eval(x); retrieval(y);')).toEqual([]);
  });
});
