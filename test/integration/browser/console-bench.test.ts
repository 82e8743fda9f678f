/**
 * The console's bench view in chromium: an `evq bench` run against the broker shows in the list while it
 * runs and after, with its scenario line and verdict; its page draws the throughput and p99 lines from the
 * points the bench reported; a title that would be markup is shown as text. Also the route itself: bounded
 * and checked updates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_BOARD_LIMITS } from '../../../src/broker/bench-board.js';
import { browserTestsEnabled } from '../../helpers/browser.js';
import { getJson, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../../helpers/console-page.js';
import { runEvq } from '../../helpers/spawn-broker.js';

let browser: ConsoleBrowser;
let broker: TestBroker;

async function post(id: string, body: unknown): Promise<Response> {
  return fetch(`${broker.url}/bench/runs/${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe.skipIf(!browserTestsEnabled())('the console: bench runs', () => {
  beforeAll(async () => {
    broker = await startTestBroker({ memory: true });
    browser = await startConsoleBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.close();
  });

  it('a run of evq bench against the broker is listed with its scenario and verdict, and its page draws its rates', async () => {
    const run = await runEvq(['bench', '--url', broker.url, '--messages', '150000', '--rate', '50000', '--topic', 'benched'], {
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const { runs } = (await getJson(`${broker.url}/bench/runs`)) as {
      runs: { id: string; title: string; finished: { ok: boolean } | null }[];
    };
    expect(runs).toHaveLength(1);
    expect(runs[0]?.title).toMatch(
      /^1 producer → 1 subscriber · 150,000 messages of 100 B · ws, batches of 1,000, linger 5ms · 50,000 msgs\/s$/,
    );
    expect(runs[0]?.finished?.ok).toBe(true);

    const page = await browser.open(`${broker.url}/ui/#/bench`, 'main table.data, main p.muted');
    const row = page.locator(`tr[data-run="${runs[0]?.id}"]`);
    expect(await row.locator('td').nth(1).textContent()).toBe(runs[0]?.title);
    expect(await row.locator('.badge').textContent()).toBe('passed');
    await row.locator('a').click();
    await page.locator('.verdict.ok').waitFor();
    expect(await page.locator('.verdict.ok p').first().textContent()).toBe('every message exactly once, in order; every threshold held');
    // two seconds of points at least: each line of the throughput chart has them
    const counts = await page
      .locator('svg.bench-chart polyline')
      .evaluateAll((lines) => lines.map((l) => Number(l.getAttribute('data-points'))));
    expect(counts).toHaveLength(3);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(2);
    browser.expectClean(page);
  }, 90_000);

  it('a run that is going on is shown as running and refreshed; a title that would be markup is text', async () => {
    const title = '<img src=x onerror=alert(1)> run';
    expect((await post('live-1', { title })).status).toBe(200);
    const page = await browser.open(`${broker.url}/ui/#/bench`, 'main table.data');
    const row = page.locator('tr[data-run="live-1"]');
    expect(await row.locator('td').nth(1).textContent()).toBe(title);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await row.locator('.badge').textContent()).toBe('starting');
    const point = {
      elapsedMs: 1000,
      phase: 'measuring',
      publishRate: 1234,
      deliverRate: 1200,
      p99Us: 2500,
      acked: 1234,
      delivered: 1200,
      errors: 0,
    };
    expect((await post('live-1', { point })).status).toBe(200);
    await page.locator('tr[data-run="live-1"] td.num').first().filter({ hasText: '1,234' }).waitFor();
    browser.expectClean(page);
  });

  it('updates are checked and bounded: a bad id, a bad point, the wrong content type; at most 20 runs are kept', async () => {
    expect((await post('bad%20id', { title: 't' })).status).toBe(400);
    expect((await post('p', { point: { phase: 'measuring', elapsedMs: -1 } })).status).toBe(400);
    const text = await fetch(`${broker.url}/bench/runs/t`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(text.status).toBe(415);
    for (let i = 0; i < BENCH_BOARD_LIMITS.runs + 5; i++) expect((await post(`many-${i}`, { title: `run ${i}` })).status).toBe(200);
    const { runs } = (await getJson(`${broker.url}/bench/runs`)) as { runs: { id: string }[] };
    expect(runs).toHaveLength(BENCH_BOARD_LIMITS.runs);
    expect(runs[0]?.id).toBe(`many-${BENCH_BOARD_LIMITS.runs + 4}`);
    expect((await fetch(`${broker.url}/bench/runs/many-0`)).status).toBe(404);
  });
});
