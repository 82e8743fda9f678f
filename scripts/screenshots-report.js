// Writes docs/bench-report.png (and docs/bench-report-dark.png): a sample `evq bench --html` report, from a
// real run of the built evq (`npm run build` first: `npm run screenshots:report` does) against an embedded
// broker, opened from disk in chromium (playwright-core driving /usr/bin/chromium, or EVQ_CHROMIUM) with the
// network blocked. The README's `evq bench` section shows the light one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'evq-report-shot-'));
const html = join(dir, 'report.html');
try {
  const run = spawnSync(
    process.execPath,
    [
      join(root, 'bin/evq.js'),
      'bench',
      '--embedded',
      '--memory',
      '--producers',
      '2',
      '--subscribers',
      '2',
      '--rate',
      '5k',
      '--duration',
      '10s',
      '--warmup',
      '2s',
      '--html',
      html,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (run.status !== 0) throw new Error(`evq bench exited with ${run.status}`);
  const browser = await chromium.launch({
    executablePath: process.env.EVQ_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    for (const scheme of /** @type {const} */ (['light', 'dark'])) {
      const context = await browser.newContext({ viewport: { width: 1100, height: 1500 }, colorScheme: scheme, deviceScaleFactor: 1 });
      await context.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
      const page = await context.newPage();
      await page.goto(pathToFileURL(html).href);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
      const out = join(root, 'docs', scheme === 'light' ? 'bench-report.png' : 'bench-report-dark.png');
      await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1100, height: 1500 } });
      console.log(`wrote ${out}`);
      await context.close();
    }
  } finally {
    await browser.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
