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
import { readFile, readdir, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
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

/** An import of one of node's modules: `import x, { a, b as c } from 'node:m';`, `import * as x from 'node:m';`. */
const BUILTIN_IMPORT = /^import\s+(?!type\s)([\w$]+\s*,\s*)?(\{[^}]*\}|\*\s+as\s+[\w$]+|[\w$]+)\s+from\s+'(node:[\w/]+)';?$/gm;

/**
 * Its imports of node's modules as `process.getBuiltinModule` (Node 20.16+) calls: an `import` of one makes Node
 * build an ES module facade of it (every export read, lazy ones loaded: ~1 ms each at start-up); reading only
 * the names used keeps node's lazily loaded parts (fs.ReadStream, process.stdin…) unloaded.
 */
export function builtinsByGetter(text, file = '') {
  return text.replace(BUILTIN_IMPORT, (_all, defaultPart, clause, name) => {
    const get = `globalThis.process.getBuiltinModule(${JSON.stringify(name)})`; // globalThis: the module may name a binding `process`
    const lazy = lazyFunctions(name, defaultPart, clause, text, file);
    if (lazy !== undefined) return lazy;
    const decls = [];
    if (defaultPart !== undefined) decls.push(`const ${defaultPart.replace(/\s*,\s*$/, '')} = ${get};`);
    if (clause.startsWith('{')) {
      const names = clause
        .slice(1, -1)
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '' && !n.startsWith('type '))
        .map((n) => n.replace(/^([\w$]+)\s+as\s+([\w$]+)$/, '$1: $2'));
      if (names.length > 0) decls.push(`const { ${names.join(', ')} } = ${get};`);
    } else decls.push(`const ${clause.replace(/^\*\s+as\s+/, '')} = ${get};`);
    return decls.join(' ');
  });
}

/**
 * node's modules loaded only when one of the functions (or classes) imported from them is first called: loading
 * node:crypto costs ~2.5 ms, node:http ~1 ms and net and streams with it ~5 ms, which `evq --help` never uses.
 * None of them is on a hot path of the broker (crc32, in node:zlib, is).
 */
const LAZY_BUILTINS = new Set(['node:crypto', 'node:http', 'node:https']);
/** node:zlib (~1 ms) too, in the client and the command line (the producer's gzip), not in the broker's crc32s. */
const LAZY_IN_CLIENT = new Set(['node:zlib']);

/**
 * `import { a, b as c } from 'node:crypto'` as functions that load the module at their first call, when each
 * name is a function of it (a class only where the file neither tests `instanceof` it nor `extends` it: `new`
 * of the stand-in returns the real one's instance); else undefined.
 */
function lazyFunctions(name, defaultPart, clause, text, file) {
  const lazy = LAZY_BUILTINS.has(name) || (LAZY_IN_CLIENT.has(name) && /^(client|cli)\//.test(file));
  if (!lazy || defaultPart !== undefined || !clause.startsWith('{')) return undefined;
  const mod = process.getBuiltinModule(name);
  const specs = clause
    .slice(1, -1)
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '' && !n.startsWith('type '))
    .map((n) => {
      const [imported, local = imported] = n.split(/\s+as\s+/);
      return { imported, local };
    });
  const usable = ({ imported, local }) =>
    typeof mod[imported] === 'function' && !new RegExp(`\\b(instanceof|extends)\\s+${local}\\b`).test(text);
  if (!specs.every(usable)) return undefined;
  const cache = `__evq_${name.replace(/\W/g, '_')}`;
  const get = `(${cache} ??= globalThis.process.getBuiltinModule(${JSON.stringify(name)}))`;
  const fns = specs.map(({ imported, local }) =>
    /^[A-Z]/.test(imported)
      ? `function ${local}(...args) { return new ${get}.${imported}(...args); }`
      : `function ${local}(...args) { return ${get}.${imported}(...args); }`,
  );
  return [`let ${cache};`, ...fns].join(' ');
}

/**
 * Modules imported with `await import()` (so that tsc's dist/ loads them only for the command that runs them)
 * that the bundle has in its entry file instead: the client commands' code is small next to what each more file
 * costs to resolve, load and link. The broker, the load generator and the NATS and Kafka transports stay split off.
 */
const STATIC_IN_BUNDLE = new Set([
  'cli/run-produce.ts',
  'cli/run-consume.ts',
  'cli/run-subscribe.ts',
  'cli/run-topics.ts',
  'cli/run-groups.ts',
  'client/index.ts',
]);

/** `await import('./x.js')` of a module of STATIC_IN_BUNDLE as a static import (`from` is the importer, relative to src/). */
function dynamicToStatic(text, from) {
  const imports = [];
  const out = text.replace(/\bimport\('(\.{1,2}\/[\w./-]+)\.js'\)/g, (all, spec) => {
    const target = join(dirname(from), `${spec}.ts`).replace(/\\/g, '/');
    if (!STATIC_IN_BUNDLE.has(target)) return all;
    const name = `__evqStatic${imports.length}`;
    imports.push(`import * as ${name} from '${spec}.js';`);
    return `Promise.resolve(${name})`;
  });
  return imports.length === 0 ? text : `${imports.join('\n')}\n${out}`;
}

/** @type {import('esbuild').Plugin} */
const distUrls = {
  name: 'evq-dist-urls',
  setup(b) {
    // chalk's colour detection reads tty.isatty() when loaded, and node:tty loads node:net (~5 ms): evq gives every
    // Chalk its level (src/cli/output.ts), so the bundle's chalk detects nothing
    b.onResolve({ filter: /^#supports-color$/ }, (args) =>
      /[\\/]chalk[\\/]/.test(args.importer) ? { path: 'supports-color', namespace: 'evq-no-color-detection' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'evq-no-color-detection' }, () => ({
      contents: 'export default { stdout: false, stderr: false };',
      loader: 'js',
    }));
    // every bare specifier but node's and the bundled packages stays an import of node_modules
    b.onResolve({ filter: /^[^./#]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      return BUNDLED_PACKAGES.has(name) ? undefined : { path: args.path, external: true };
    });
    // the bundled packages' ES modules (chalk's)
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.js$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      if (/[\\/]commander[\\/]lib[\\/]command\.js$/.test(args.path)) {
        if (!text.includes(COMMANDER_CHILD_PROCESS))
          throw new Error(`bundle-cli: ${args.path} no longer has ${COMMANDER_CHILD_PROCESS}: update scripts/bundle-cli.js`);
        text = text.replace(COMMANDER_CHILD_PROCESS, LAZY_CHILD_PROCESS);
      }
      // commander's require()s of node's modules: no `require` to give a bundled ES module without reading import.meta
      text = text.replace(/\brequire\('(node:[\w/]+)'\)/g, (_all, name) => `globalThis.process.getBuiltinModule('${name}')`);
      return { contents: builtinsByGetter(text), loader: 'js' };
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
      return { contents: builtinsByGetter(dynamicToStatic(text, file), file.replace(/\\/g, '/')), loader: 'ts' };
    });
  },
};

await rm(OUT, { recursive: true, force: true });
await build({
  entryPoints: { evq: resolve(SRC, 'cli', 'main.ts') },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  // .mjs: Node knows them for ES modules without looking for a package.json "type" for each
  outExtension: { '.js': '.mjs' },
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  plugins: [distUrls],
});
// a require() esbuild could not bundle would throw "Dynamic require of … is not supported" when it runs
for (const file of await readdir(OUT)) {
  if (file.endsWith('.mjs') && (await readFile(join(OUT, file), 'utf8')).includes('__require(')) {
    throw new Error(`bundle-cli: dist/bundle/${file} calls require() of a module that is not bundled: import it, or bundle it`);
  }
}
