#!/usr/bin/env node
/**
 * The second half of `npm run build`: bundles the command line (src/cli/main.ts and everything it imports) with
 * esbuild into dist/bundle/, which bin/evq.js loads. Start-up is mostly Node resolving, reading and linking
 * modules: one file for what `evq --help` runs (a few more, split off, for what each subcommand loads lazily)
 * instead of ~60 (~110 for `evq produce`).
 *
 * - The npm packages stay outside, loaded from node_modules when a command needs them (kafkajs, @nats-io, ws,
 *   ora, hdr-histogram-js…), except commander and chalk, which every command loads.
 * - `import.meta.url` in a bundled module is rewritten to the URL of that module's tsc-built file in dist/
 *   (the bundle's files all lie in dist/bundle/), so that everything a module finds next to itself — the
 *   worker files (`new Worker(new URL('./worker.js', import.meta.url))`), package.json, ui/, `createRequire` —
 *   is found where it was: the workers run the tsc-built dist/ files.
 * - dist/index.js, the library, is not bundled (tsc builds it).
 */
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = resolve(ROOT, 'src');
const OUT = resolve(ROOT, 'dist', 'bundle');
/** npm packages bundled in: loaded by every command anyway. */
const BUNDLED_PACKAGES = new Set(['commander', 'chalk']);
/** commander is loaded with `createRequire(import.meta.url)('commander')` (see src/cli/commander.ts): bundled, it is a plain require. */
const COMMANDER_REQUIRE = "createRequire(import.meta.url)('commander')";

/**
 * commander loads node:child_process (~5 ms) for its executable subcommands, which evq has none of: bundled, it
 * gets it only if it ever spawns one.
 */
const COMMANDER_CHILD_PROCESS = "const childProcess = require('node:child_process');";
const LAZY_CHILD_PROCESS = "const childProcess = { spawn: (...args) => process.getBuiltinModule('node:child_process').spawn(...args) };";

/** @type {import('esbuild').Plugin} */
const distUrls = {
  name: 'evq-dist-urls',
  setup(b) {
    // every bare specifier but the bundled packages stays an import of node_modules
    // node's own modules through process.getBuiltinModule (Node 20.16+): an `import` of one makes Node build an
    // ES module facade of it (every export), ~1 ms each at start-up
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'evq-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'evq-builtin' }, async (args) => {
      const names = Object.keys(await import(args.path)).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
      const lines = [`const m = process.getBuiltinModule(${JSON.stringify(args.path)});`, 'export default m;'];
      for (const name of names) lines.push(`export const ${name} = m.${name};`);
      return { contents: lines.join('\n'), loader: 'js' };
    });
    b.onResolve({ filter: /^[^./#]/ }, (args) => {
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      return BUNDLED_PACKAGES.has(name) ? undefined : { path: args.path, external: true };
    });
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(COMMANDER_CHILD_PROCESS))
        throw new Error(`bundle-cli: ${args.path} no longer has ${COMMANDER_CHILD_PROCESS}: update scripts/bundle-cli.js`);
      return { contents: text.replace(COMMANDER_CHILD_PROCESS, LAZY_CHILD_PROCESS), loader: 'js' };
    });
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const file = relative(SRC, args.path);
      if (file.startsWith('..')) return undefined;
      let text = await readFile(args.path, 'utf8');
      if (file === 'cli/commander.ts') {
        if (!text.includes(COMMANDER_REQUIRE))
          throw new Error(`bundle-cli: ${file} no longer has ${COMMANDER_REQUIRE}: update scripts/bundle-cli.js`);
        text = text.replace(COMMANDER_REQUIRE, "require('commander')");
      }
      const distFile = `../${file.replace(/\\/g, '/').replace(/\.ts$/, '.js')}`;
      text = text.replaceAll('import.meta.url', `new URL(${JSON.stringify(distFile)}, import.meta.url).href`);
      return { contents: text, loader: 'ts' };
    });
  },
};

await rm(OUT, { recursive: true, force: true });
await build({
  entryPoints: { evq: resolve(SRC, 'cli', 'main.ts') },
  outdir: OUT,
  bundle: true,
  splitting: process.env.EVQ_SPLIT !== '0',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  // .mjs: Node knows them for ES modules without looking for a package.json "type" for each
  outExtension: { '.js': '.mjs' },
  sourcemap: true,
  logLevel: 'warning',
  // a CommonJS package bundled into ES modules (commander) calls require() for node's own modules
  banner: { js: "import { createRequire as __evqCreateRequire } from 'node:module'; const require = __evqCreateRequire(import.meta.url);" },
  plugins: [distUrls],
});
