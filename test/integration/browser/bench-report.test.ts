/**
 * The HTML report of `evq bench --html` and `evq bench report`, in chromium (test/helpers/browser.ts): opened
 * from disk with every network request blocked, it draws with no console error, every chart has pixels, the
 * header shows what the JSON says, nothing of the run is parsed as HTML (a filter with a <script> in it), two
 * runs overlay as two labelled series with a table of differences, and a 10-minute run's report stays small.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../../src/bench/result.js';
import { htmlReport } from '../../../src/cli/bench-html.js';
import { runBenchCommand } from '../../../src/cli/run-bench.js';
import { toBenchPlan } from '../../../src/cli/commands/bench.js';
import { createOutput } from '../../../src/cli/output.js';
import { browserTestsEnabled, launchBrowser, type TestBrowser } from '../../helpers/browser.js';
import { asSchema1, syntheticResult } from '../../helpers/bench-result.js';

const FILTER = 'value.note != "</script><script>window.pwned = 1</script><img src=x onerror=alert(1)>"';

let dir: string;
let browser: TestBrowser;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evq-report-'));
  if (browserTestsEnabled()) browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Drawn {
  ready: string | null;
  error: string;
  charts: { id: string; width: number; height: number; painted: number }[];
  header: Record<string, string[]>;
  legends: Record<string, string[]>;
  pwned: boolean;
  scripts: number;
  images: number;
}

/** Opens a report file as a user would (file://), with the network blocked, and reads what it drew. */
async function open(path: string): Promise<{ page: Page; drawn: Drawn; blocked: string[] }> {
  const page = await browser.newPage();
  const blocked: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(path).href);
  await page.waitForSelector('body[data-ready]', { timeout: 15_000 });
  const drawn = (await page.evaluate(`(() => {
    const charts = [...document.querySelectorAll('[data-chart]')].map((box) => {
      const canvas = box.querySelector('canvas');
      let painted = 0;
      if (canvas && canvas.width > 0 && canvas.height > 0) {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
      }
      return { id: box.getAttribute('data-chart'), width: canvas ? canvas.width : 0, height: canvas ? canvas.height : 0, painted };
    });
    const header = {};
    for (const row of document.querySelectorAll('#header tr[data-key]'))
      header[row.getAttribute('data-key')] = [...row.querySelectorAll('td')].map((td) => td.textContent);
    const legends = {};
    for (const box of document.querySelectorAll('[data-chart]'))
      legends[box.getAttribute('data-chart')] = [...box.querySelectorAll('.u-legend .u-series .u-label')].map((l) => l.textContent);
    return {
      ready: document.body.getAttribute('data-ready'),
      error: document.getElementById('error').textContent,
      charts, header, legends,
      pwned: window.pwned === 1,
      scripts: document.scripts.length,
      images: document.images.length,
    };
  })()`)) as Drawn;
  return { page, drawn, blocked };
}

function expectDrawn(drawn: Drawn, ids: string[]): void {
  expect(drawn.ready).toBe('true');
  expect(drawn.error).toBe('');
  expect(drawn.charts.map((c) => c.id)).toEqual(expect.arrayContaining(ids));
  for (const c of drawn.charts) {
    expect([c.id, c.width > 200, c.height > 100]).toEqual([c.id, true, true]);
    expect([c.id, c.painted > 500]).toEqual([c.id, true]);
  }
}

describe.skipIf(!browserTestsEnabled())('the HTML report in chromium', () => {
  it('a real run (evq bench --html): drawn offline, no console error, the header is the JSON', async () => {
    const html = join(dir, 'run.html');
    const json = join(dir, 'run.json');
    const plan = toBenchPlan({
      url: 'http://127.0.0.1:7070',
      embedded: true,
      memory: true,
      producers: 2,
      subscribers: 2,
      duration: 2500,
      warmup: 1000,
      rate: 4000,
      batchSize: 100,
      linger: 5,
      workers: 0,
      transport: 'ws',
      pipelining: 10,
      timeout: 10_000,
      filter: FILTER,
      json,
      html,
    });
    const sink = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;
    const quiet = createOutput(sink, sink);
    await runBenchCommand(plan, quiet, { argv: ['bench', '--embedded', '--filter', FILTER, '--html', html] });
    const result = JSON.parse(await readFile(json, 'utf8')) as BenchResult;
    const { page, drawn, blocked } = await open(html);
    expect(browser.consoleOf(page)).toEqual([]);
    expect(blocked).toEqual([]);
    expectDrawn(drawn, ['spectrum', 'throughput', 'latency-e2e', 'latency-ack', 'histogram', 'clients-0-0', 'clients-0-3']);
    expect(drawn.header).toMatchObject({
      broker: [`${result.target.url} (embedded, in memory)`],
      transport: [result.config.transport],
      topic: [result.config.topic],
      date: [result.startedAt],
      evq: [result.machine.versions.evq],
      'evq commit': [result.machine.versions.evqCommit ?? 'unknown'],
      command: [result.command!.join(' ')],
    });
    // the filter is shown as text, never run: three scripts (data, uPlot, the page), no image
    expect(drawn.header.command![0]).toContain('<script>window.pwned = 1</script>');
    expect(drawn.header.settings![0]).toContain(FILTER);
    expect(drawn.pwned).toBe(false);
    expect([drawn.scripts, drawn.images]).toEqual([3, 0]);
    expect(await page.textContent('[data-check="lost"]')).toMatch(/✓\s*lost\s*0/);
    expect(drawn.legends.spectrum).toEqual(['percentile', 'end to end (corrected)', 'end to end (uncorrected)', 'ack', 'send lag']);
    await page.close();
  });

  it('two runs overlaid: every chart shows both, labelled, and a table of differences; an evq-bench/1 run still draws', async () => {
    const a = syntheticResult({ seconds: 8, rate: 400, seed: 3 });
    const b = asSchema1(syntheticResult({ seconds: 8, rate: 800, seed: 4, medianUs: 2500 }));
    const file = join(dir, 'two.html');
    await writeFile(
      file,
      htmlReport([
        { label: 'evq serve', result: a },
        { label: 'jetstream <b>', result: b },
      ]),
    );
    const { page, drawn } = await open(file);
    expect(browser.consoleOf(page)).toEqual([]);
    expectDrawn(drawn, ['spectrum', 'throughput', 'latency-e2e', 'histogram']);
    expect(drawn.legends.spectrum).toEqual(
      expect.arrayContaining(['evq serve · end to end (corrected)', 'jetstream <b> · end to end (corrected)']),
    );
    expect(drawn.legends.throughput).toEqual([
      'second',
      'evq serve · published msgs/s',
      'evq serve · delivered msgs/s',
      'jetstream <b> · published msgs/s',
      'jetstream <b> · delivered msgs/s',
    ]);
    expect(drawn.header.schema).toEqual(['evq-bench/2', 'evq-bench/1']);
    const row = await page.textContent('#differences tr:nth-child(2)');
    expect(row).toMatch(/published msgs\/s\s*400\s*800\s*\+100\.0%/);
    await page.close();
  });

  it('a 10-minute run: the report stays under 2 MB and draws', async () => {
    const result = syntheticResult({ seconds: 600, rate: 1000, subscribers: 1, producers: 4, warmupSeconds: 10 });
    const json = JSON.stringify(result);
    const html = htmlReport([{ label: 'ten minutes', result }]);
    expect(html.length).toBeLessThan(2 * 1024 * 1024);
    const file = join(dir, 'long.html');
    await writeFile(file, html);
    const { page, drawn } = await open(file);
    expect(browser.consoleOf(page)).toEqual([]);
    expectDrawn(drawn, ['spectrum', 'throughput', 'latency-e2e', 'latency-ack', 'histogram']);
    await page.close();
    // for the closing note: the JSON beside it
    expect(json.length).toBeLessThan(4 * 1024 * 1024);
  });
});
