#!/usr/bin/env node
// @ts-check
/**
 * Screenshots of every console view at 1280×800, for the README: starts `evq serve` (from dist/: `npm run
 * build` first) in a temporary directory, fills it with a little of everything (a 3-partition topic of JSON
 * orders with keys and headers, a consumer group that read part of it, delayed messages, a bench run), opens
 * each view in Debian's chromium (playwright-core, `EVQ_CHROMIUM` to point elsewhere) and writes
 * docs/console/<view>.png. Light theme; `EVQ_SCREENSHOT_DARK=1` adds <view>-dark.png.
 *
 *   npm run screenshots [-- outDir]
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const EVQ = fileURLToPath(new URL('../bin/evq.js', import.meta.url));
const OUT = process.argv[2] ?? fileURLToPath(new URL('../docs/console/', import.meta.url));
const CHROMIUM = process.env.EVQ_CHROMIUM ?? '/usr/bin/chromium';

/** @param {string[]} args @param {string} [stdin] @returns {Promise<string>} */
function evq(args, stdin) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EVQ, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (err += c));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`evq ${args.join(' ')}: exit ${code}: ${err}`))));
    child.stdin.end(stdin ?? '');
  });
}

const root = await mkdtemp(join(tmpdir(), 'evq-screenshots-'));
const server = spawn(process.execPath, [EVQ, 'serve', '--data-dir', join(root, 'data'), '--port', '0', '--kafka-port', '0'], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
const url = await new Promise((resolve, reject) => {
  let seen = '';
  server.stdout.setEncoding('utf8').on('data', (chunk) => {
    seen += chunk;
    const match = /listening on (http:\/\/\S+)/.exec(seen);
    if (match !== null) resolve(match[1]);
  });
  server.once('exit', (code) => reject(new Error(`evq serve exited (${code})`)));
});

try {
  const u = ['--url', url];
  await evq(['topics', 'create', 'orders', '--partitions', '3', ...u]);
  const customers = ['alice', 'bob', 'carol', 'dave', 'erin'];
  const orders = Array.from({ length: 300 }, (_, i) =>
    JSON.stringify({
      key: customers[i % customers.length],
      headers: { type: i % 4 === 0 ? 'refund' : 'deposit', source: 'web' },
      value: JSON.stringify({ id: 1000 + i, amount: (i * 37) % 500, currency: 'EUR', items: [{ sku: `SKU-${i % 17}`, qty: 1 + (i % 3) }] }),
    }),
  );
  await evq(['produce', 'orders', '--json', ...u], orders.join('\n') + '\n');
  await evq(['topics', 'create', 'audit', ...u]);
  await evq(['produce', 'audit', ...u], Array.from({ length: 40 }, (_, i) => `user ${i % 7} logged in`).join('\n') + '\n');
  await evq(['consume', 'orders', '--group', 'billing', '--count', '180', ...u]);
  for (const delay of ['2m', '10m', '30m', '1h'])
    await evq(['produce', 'reminders', '--delay', delay, ...u, `{"remind": "call back in ${delay}"}`]);
  await evq(['bench', ...u, '--messages', '200000', '--rate', '50000', '--topic', 'bench-demo']);

  await mkdir(OUT, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const themes = process.env.EVQ_SCREENSHOT_DARK === '1' ? ['light', 'dark'] : ['light'];
  const { runs } = /** @type {{ runs: { id: string }[] }} */ (await (await fetch(`${url}/bench/runs`)).json());
  const views = [
    ['overview', '#/', '#rate-chart canvas'],
    ['topics', '#/topics', 'main tbody tr'],
    ['messages', '#/topics/orders/messages?partition=all&from=end', 'main tbody tr'],
    [
      'messages-filtered',
      `#/topics/orders/messages?partition=all&from=end&filter=${encodeURIComponent('value.amount > 400 && headers.type == "deposit"')}`,
      'main .record, main table',
    ],
    ['tail', '#/topics/orders/tail', 'main h1'],
    ['produce', '#/topics/orders/produce', 'form.produce'],
    ['groups', '#/groups/billing', '#lag-chart canvas'],
    ['bench', `#/bench/${runs[0]?.id ?? ''}`, 'svg.bench-chart'],
    ['delayed', '#/delayed', '.histogram .bucket'],
  ];
  for (const theme of themes) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: /** @type {'light' | 'dark'} */ (theme) });
    for (const [name, hash, ready] of views) {
      await page.goto(`${url}/ui/${hash}`);
      await page.locator(ready).first().waitFor({ timeout: 10_000 });
      const file = join(OUT, `${name}${theme === 'dark' ? '-dark' : ''}.png`);
      await page.screenshot({ path: file });
      console.log(file);
    }
    await page.close();
  }
  await browser.close();
} finally {
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
  await rm(root, { recursive: true, force: true });
}
