/**
 * The console's live tail in chromium against a real broker: a message produced after the page loaded
 * shows; the filter runs on the broker (only matches arrive) and a bad one is shown with its column; Pause
 * ends the subscription on the broker and nothing more shows; the page keeps at most `max` rows and counts
 * what it dropped from view; with a token the WebSocket is let in.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled } from '../../helpers/browser.js';
import { postBatch, postMessage, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../../helpers/console-page.js';
import { expectQuietFor, waitFor } from '../../helpers/wait.js';

let browser: ConsoleBrowser;
let broker: TestBroker;

async function values(page: Page): Promise<string[]> {
  return page.locator('table.tail tbody pre').allTextContents();
}

async function live(page: Page, b: TestBroker = broker): Promise<void> {
  await page.locator('#state[data-state="live"]').waitFor();
  await waitFor(() => b.stats().subscriptions === 1, { what: 'the console’s subscription on the broker' });
}

describe.skipIf(!browserTestsEnabled())('the console: live tail', () => {
  beforeAll(async () => {
    broker = await startTestBroker({ memory: true });
    expect((await postMessage(broker.url, 'orders', 'before the page')).status).toBe(201);
    browser = await startConsoleBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.close();
  });

  it('shows what is produced after the page loaded, filtered on the broker, and nothing once paused', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/orders/tail?filter=${encodeURIComponent('value.amount > 100')}`, '#state');
    await live(page);
    expect(await values(page)).toEqual([]);
    expect((await postMessage(broker.url, 'orders', '{"amount": 5}', { 'content-type': 'application/json' })).status).toBe(201);
    expect((await postMessage(broker.url, 'orders', '{"amount": 500}', { 'content-type': 'application/json' })).status).toBe(201);
    await page.locator('table.tail tbody tr').first().waitFor();
    expect(await values(page)).toEqual([JSON.stringify({ amount: 500 }, null, 2)]);

    await page.click('#toggle');
    await page.locator('#state[data-state="paused"]').waitFor();
    await waitFor(() => broker.stats().subscriptions === 0, { what: 'the subscription to end on the broker' });
    expect((await postMessage(broker.url, 'orders', '{"amount": 900}', { 'content-type': 'application/json' })).status).toBe(201);
    await expectQuietFor(300, 'no row while paused', async () => (await values(page)).length !== 1);

    await page.click('#toggle');
    await live(page);
    expect((await postMessage(broker.url, 'orders', '{"amount": 700}', { 'content-type': 'application/json' })).status).toBe(201);
    await waitFor(async () => (await values(page)).length === 2, { what: 'the row after resuming' });
    expect((await values(page))[0]).toBe(JSON.stringify({ amount: 700 }, null, 2));
    browser.expectClean(page);
    await page.click('#toggle');
    await page.close();
  });

  it('keeps at most max rows, the newest first, and counts what it dropped', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/orders/tail?max=10`, '#state');
    await live(page);
    expect(
      (
        await postBatch(
          broker.url,
          'orders',
          Array.from({ length: 25 }, (_, i) => `m${i}`),
        )
      ).status,
    ).toBe(201);
    await waitFor(async () => (await page.locator('#counts').textContent())?.startsWith('25 received'), { what: '25 records received' });
    expect(await page.locator('#counts').textContent()).toBe('25 received · 10 shown (at most 10) · 15 dropped from view');
    expect(await values(page)).toEqual(Array.from({ length: 10 }, (_, i) => `m${24 - i}`));
    browser.expectClean(page);
    await page.close();
  });

  it('a bad filter is shown with its column and no subscription is made', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/orders/tail?filter=${encodeURIComponent('value.x ==')}`, '#problem .error');
    expect(await page.locator('#problem .error').textContent()).toMatch(/^invalid filter at column \d+: /);
    expect(await page.locator('#state').getAttribute('data-state')).toBe('paused');
    expect(broker.stats().subscriptions).toBe(0);
    await page.close();
  });

  it('subscribes with the token of the tab on a broker that wants one', async () => {
    await using secured = await startTestBroker({ memory: true, token: 't0ken' });
    const page = await browser.open(`${secured.url}/ui/#token=t0ken&/topics/orders/tail`, '#state');
    await live(page, secured);
    expect(page.url()).not.toContain('t0ken');
    expect((await postMessage(secured.url, 'orders', 'secret', { authorization: 'Bearer t0ken' })).status).toBe(201);
    await waitFor(async () => (await values(page)).includes('secret'), { what: 'the record on the secured broker' });
    browser.expectClean(page);
    await page.close();
  });
});
