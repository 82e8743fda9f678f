#!/usr/bin/env node
// evq's command line. The TypeScript sources are built into dist/ by `npm install` (the prepare script): the
// command line bundled into dist/bundle/ (scripts/bundle-cli.js: a few files to load, not ~60), else tsc's dist/cli/.
// node's modules through process.getBuiltinModule, not `import`: no ES module facade of them to build at start-up.
const { existsSync } = process.getBuiltinModule('node:fs');
const module = process.getBuiltinModule('node:module');

// Node 22.1+: the compiled code of evq's modules is kept on disk between runs (absent before: nothing to do)
/** @type {{ enableCompileCache?: () => unknown }} */ (module).enableCompileCache?.();
const bundle = new URL('../dist/bundle/evq.mjs', import.meta.url);
const entry = existsSync(bundle) ? bundle : new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('error: evq is not built: run `npm install` (or `npm run build`) in the evq directory\n');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
