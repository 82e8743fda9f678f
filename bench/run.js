#!/usr/bin/env node
// Runs every benchmark in bench/ (or the ones named on the command line), one process each so they do
// not disturb each other's heap, and prints a summary of their RESULT lines.
//   npm run bench                 # all of them
//   npm run bench -- filter       # only bench/filter.js
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const all = readdirSync(here)
  // compare.js runs the others' measurements again, for minutes: it has its own script (npm run bench:compare)
  .filter((f) => f.endsWith('.js') && f !== 'run.js' && f !== 'compare.js' && !f.startsWith('_'))
  .sort();
const files = wanted.length > 0 ? all.filter((f) => wanted.includes(basename(f, '.js'))) : all;
if (files.length === 0) {
  console.error(`no benchmark named ${wanted.join(', ')}; there are: ${all.map((f) => basename(f, '.js')).join(', ')}`);
  process.exit(2);
}

const results = {};
let failed = 0;
for (const file of files) {
  const name = basename(file, '.js');
  console.log(`\n== ${name} ==`);
  const child = spawnSync(process.execPath, [join(here, file)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  for (const line of child.stdout.split('\n')) {
    if (line.startsWith('RESULT ')) results[name] = JSON.parse(line.slice(7));
    else if (line !== '') console.log(line);
  }
  if (child.status !== 0) {
    failed++;
    console.log(`${name}: FAILED (exit ${child.status})`);
  }
}
console.log('\n== summary (JSON) ==');
console.log(JSON.stringify(results, null, 2));
process.exit(failed === 0 ? 0 : 1);
