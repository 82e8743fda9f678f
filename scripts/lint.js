#!/usr/bin/env node
/**
 * `npm run lint`: every check of the tree, run side by side (as many at once as the machine has cores),
 * each one's output printed when it ends, then one line per check with its time. Exit code 1 when any fails.
 *
 *   npm run lint                  all of them
 *   npm run lint -- eslint types  only those named
 *
 * bench/, scripts/ and examples/ import ../dist/: `npm ci` builds it (or `npm run build`).
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = (/** @type {string} */ name) => resolve(ROOT, 'node_modules', '.bin', name);
/** tsc's incremental state and prettier's cache: a second run checks only what changed (ESLint's cache would miss type changes). */
const CACHE = 'node_modules/.cache/evq-lint';

/** The checks, the slowest first so that it starts at once. */
const CHECKS = [
  { name: 'eslint', what: 'ESLint (typescript-eslint, type-aware)', command: BIN('eslint'), args: ['.'] },
  {
    name: 'types',
    what: 'tsc --noEmit --noUnusedLocals, src/ and test/',
    command: BIN('tsc'),
    args: ['--noEmit', '--noUnusedLocals', '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', `${CACHE}/src.tsbuildinfo`],
  },
  {
    name: 'js-types',
    what: 'tsc, the JavaScript from its JSDoc',
    command: BIN('tsc'),
    args: ['-p', 'tsconfig.js.json', '--incremental', '--tsBuildInfoFile', `${CACHE}/js.tsbuildinfo`],
  },
  {
    name: 'ui-types',
    what: 'tsc, the web console (ui/) from its JSDoc, against the DOM',
    command: BIN('tsc'),
    args: ['-p', 'tsconfig.ui.json', '--incremental', '--tsBuildInfoFile', `${CACHE}/ui.tsbuildinfo`],
  },
  { name: 'imports', what: 'layers and import cycles of src/', command: process.execPath, args: ['scripts/check-imports.js'] },
  {
    name: 'format',
    what: 'prettier --check',
    command: BIN('prettier'),
    args: ['--check', '--log-level', 'warn', '--cache', '--cache-location', `${CACHE}/prettier`, '.'],
  },
];

/** @param {(typeof CHECKS)[number]} check @returns {Promise<{ ok: boolean, output: string, ms: number }>} */
function run(check) {
  const started = performance.now();
  return new Promise((done) => {
    const child = spawn(check.command, check.args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (err) => done({ ok: false, output: `${output}${err.message}\n`, ms: performance.now() - started }));
    child.on('close', (code) => done({ ok: code === 0, output, ms: performance.now() - started }));
  });
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !CHECKS.some((c) => c.name === name));
if (unknown.length > 0) {
  console.error(`lint: no check named ${unknown.join(', ')} (there are: ${CHECKS.map((c) => c.name).join(', ')})`);
  process.exit(2);
}
const checks = CHECKS.filter((c) => wanted.length === 0 || wanted.includes(c.name));

const started = performance.now();
/** @type {Map<string, { ok: boolean, output: string, ms: number }>} */
const results = new Map();
const queue = [...checks];
const worker = async () => {
  for (let check = queue.shift(); check; check = queue.shift()) {
    const result = await run(check);
    results.set(check.name, result);
    if (!result.ok || result.output.trim() !== '') process.stdout.write(`\n── ${check.name}: ${check.what}\n${result.output}`);
  }
};
await Promise.all(Array.from({ length: Math.min(checks.length, Math.max(2, availableParallelism())) }, worker));

console.log('');
for (const check of checks) {
  const result = /** @type {{ ok: boolean, ms: number }} */ (results.get(check.name));
  console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${check.name.padEnd(9)} ${(result.ms / 1000).toFixed(1).padStart(5)} s  ${check.what}`);
}
const failed = checks.filter((c) => !results.get(c.name)?.ok);
console.log(
  `lint: ${failed.length === 0 ? 'clean' : `${failed.length} of ${checks.length} failed`} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
process.exitCode = failed.length === 0 ? 0 : 1;
