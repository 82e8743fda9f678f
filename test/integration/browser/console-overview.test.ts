/**
 * The console's overview (its start page) in chromium against a real broker: version, data dir, fsync and
 * listeners (the Kafka one too), totals that follow a produce made while the page is open, and the rate
 * chart drawn (uPlot's canvas, served by the broker under the console's CSP) once messages flowed.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled } from '../../helpers/browser.js';
import { createTopic, postBatch, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../../helpers/console-page.js';
import { waitFor } from '../../helpers/wait.js';

let browser: ConsoleBrowser;
let broker: TestBroker;

const totalOf = (page: Page, id: string): Promise<string | null> => page.locator(`[data-total="${id}"] .value`).textContent();
const factOf = (page: Page, id: string): Promise<string | null> => page.locator(`[data-fact="${id}"]`).textContent();

describe.skipIf(!browserTestsEnabled())('the console: overview', () => {
  beforeAll(async () => {
    broker = await startTestBroker({ fsync: 'interval', kafkaPort: 0 });
    await createTopic(broker.url, 'wide', 3);
    browser = await startConsoleBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.close();
  });

  it('is the start page: version, data dir, fsync, HTTP and Kafka listeners, and the totals', async () => {
    const page = await browser.open(`${broker.url}/ui/`, '[data-total="topics"]');
    expect(await page.locator('main h1').textContent()).toBe('Overview');
    expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Overview');
    expect(await factOf(page, 'version')).toMatch(/^\d+\.\d+\.\d+/);
    expect(await factOf(page, 'data-dir')).toBe(broker.dataDir);
    expect(await factOf(page, 'fsync')).toBe('interval');
    expect(await factOf(page, 'uptime')).toMatch(/^\d+s$|^\d+m \d+s$/);
    const listeners = await factOf(page, 'listeners');
    expect(listeners).toContain(broker.url);
    expect(listeners).toContain(broker.kafkaUrl as string);
    expect(await totalOf(page, 'topics')).toBe('1');
    expect(await totalOf(page, 'partitions')).toBe('3');
    browser.expectClean(page);
    await page.close();
  });

  it("serves uPlot from the package's node_modules under /ui/vendor/, with the console's headers", async () => {
    for (const [path, type] of [
      ['/ui/vendor/uPlot.esm.js', 'text/javascript; charset=utf-8'],
      ['/ui/vendor/uPlot.min.css', 'text/css; charset=utf-8'],
    ] as const) {
      const res = await fetch(`${broker.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
      expect(res.headers.get('etag')).toMatch(/^"/);
      expect((await res.text()).length).toBeGreaterThan(1000);
    }
  });

  it('totals follow a produce made while the page is open, and the rate chart is drawn once messages flowed', async () => {
    const page = await browser.open(`${broker.url}/ui/#/overview`, '[data-total="topics"]');
    const values = Array.from({ length: 250 }, (_, i) => `m${i}`);
    expect((await postBatch(broker.url, 'orders', values)).status).toBe(201);
    expect((await readAll(broker.url, 'orders', '?limit=100')).records).toHaveLength(100);

    await waitFor(async () => (await totalOf(page, 'messages')) === '250', { what: 'the overview to count 250 messages' });
    expect(await totalOf(page, 'topics')).toBe('2');
    expect(await totalOf(page, 'partitions')).toBe('4');
    expect(await totalOf(page, 'bytes')).toMatch(/^\d+(\.\d)? (B|KiB)$/);
    expect(Number(await totalOf(page, 'connections'))).toBeGreaterThanOrEqual(1);

    // the broker samples its counters every second: the chart is drawn from them, with both series
    const canvas = page.locator('#rate-chart canvas');
    await canvas.waitFor({ timeout: 10_000 });
    await waitFor(async () => /250 produced, 100 delivered/.test((await page.locator('#rate-now').textContent()) ?? ''), {
      what: 'the since-start counts under the chart',
    });
    const box = await canvas.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(100);
    expect(box?.height ?? 0).toBeGreaterThan(100);
    expect(await page.locator('#rate-chart .u-legend').textContent()).toMatch(/produced.*delivered/);
    // something was drawn on it: not every pixel is transparent
    const painted = await canvas.evaluate((c: any) => {
      const data: Uint8ClampedArray = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(100);
    browser.expectClean(page);
    await page.close();
  });
});
