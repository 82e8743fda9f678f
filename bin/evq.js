#!/usr/bin/env node
// evq's command line. The TypeScript sources are built into dist/ by `npm install` (the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('error: evq is not built: run `npm install` (or `npm run build`) in the evq directory\n');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
