/**
 * The console's produce form in chromium against a real broker: a message with key, headers and a JSON
 * value arrives in `evq consume`; count and partition; a value that is not JSON is stopped in the page;
 * a delayed one waits in the broker's delay queue; a read-only console has no form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled } from '../../helpers/browser.js';
import { createTopic, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../../helpers/console-page.js';
import { runEvq } from '../../helpers/spawn-broker.js';
import { waitFor } from '../../helpers/wait.js';

let browser: ConsoleBrowser;
let broker: TestBroker;

describe.skipIf(!browserTestsEnabled())('the console: produce', () => {
  beforeAll(async () => {
    broker = await startTestBroker({ memory: true });
    await createTopic(broker.url, 'orders', 2);
    browser = await startConsoleBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.close();
  });

  it('sends key, headers and a JSON value that evq consume then reads; count and partition', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/orders/produce`, 'form.produce');
    await page.fill('#p-key', 'c-7');
    await page.fill('#p-headers', 'type=deposit\nsource=console');
    await page.fill('#p-value', '{"amount": 120}');
    await page.fill('#p-partition', '1');
    await page.fill('#p-count', '3');
    await page.getByRole('button', { name: 'Produce' }).click();
    await page.locator('#result .ok').waitFor();
    expect(await page.locator('#result .ok').textContent()).toBe('Produced 3 messages to partition 1, offsets 0…2');

    const consumed = await runEvq(['consume', 'orders', '--url', broker.url, '--partition', '1', '--format', 'json']);
    expect(consumed.code, consumed.stderr).toBe(0);
    const records = consumed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { key: string; headers: Record<string, string>; value: string; partition: number });
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({
      key: 'c-7',
      headers: { type: 'deposit', source: 'console' },
      value: '{"amount": 120}',
      partition: 1,
    });
    browser.expectClean(page);
    await page.close();
  });

  it('stops a value that is not JSON in the page, sends it as text when asked, and delays one', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/orders/produce`, 'form.produce');
    await page.fill('#p-value', 'not json');
    await page.getByRole('button', { name: 'Produce' }).click();
    await page.locator('#result .error').waitFor();
    expect(await page.locator('#result .error').textContent()).toMatch(/^the value is not JSON/);
    await page.uncheck('#p-json');
    await page.fill('#p-partition', '0');
    await page.getByRole('button', { name: 'Produce' }).click();
    await page.locator('#result .ok').waitFor();
    expect((await readAll(broker.url, 'orders', '?partition=0')).records.map((r) => r.value)).toEqual(['not json']);

    // the broker's refusal is shown as it says it
    await page.fill('#p-delay', '1h');
    await page.getByRole('button', { name: 'Produce' }).click();
    await page.locator('#result .error').waitFor();
    expect(await page.locator('#result .error').textContent()).toMatch(/^a delayed message cannot name a partition/);
    await page.fill('#p-partition', '');
    await page.getByRole('button', { name: 'Produce' }).click();
    await page.locator('#result p').waitFor({ timeout: 5000 });
    expect(await page.locator('#result p').textContent()).toMatch(/^1 message waiting until /);
    await waitFor(() => broker.stats().delayedPending === 1, { what: 'the delayed message in the delay queue' });
    // the refused delayed produce's 400 is the page's one log line
    expect(browser.logOf(page)).toBe('error: Failed to load resource: the server responded with a status of 400 (Bad Request)');
    await page.close();
  });

  it('has no form when the console is read-only', async () => {
    await using readOnly = await startTestBroker({ memory: true, uiReadOnly: true });
    await createTopic(readOnly.url, 'orders');
    const page = await browser.open(`${readOnly.url}/ui/#/topics/orders/produce`, 'main h1');
    expect(await page.locator('form.produce').count()).toBe(0);
    await page.goto(`${readOnly.url}/ui/#/topics/orders/messages`);
    await page.locator('table.messages').waitFor();
    expect(await page.locator('#produce').count()).toBe(0);
    browser.expectClean(page);
    await page.close();
  });
});
