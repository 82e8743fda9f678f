/**
 * The console's topics view in chromium against a real broker: the table after produces (also one made
 * while the page is open), sorting and search, creating a topic with partitions, and deleting one behind a
 * confirmation that names it. What the page did is checked on the broker too.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled } from '../../helpers/browser.js';
import { createTopic, postBatch, postMessage, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../../helpers/console-page.js';
import { waitFor } from '../../helpers/wait.js';

let browser: ConsoleBrowser;
let broker: TestBroker;

async function topicNames(page: Page): Promise<string[]> {
  return page.locator('table.topics tbody tr th').allTextContents();
}

async function brokerTopic(name: string): Promise<{ status: number; partitions: number }> {
  const res = await fetch(`${broker.url}/topics/${name}`);
  const body = (await res.json()) as { partitions?: unknown[] };
  return { status: res.status, partitions: body.partitions?.length ?? 0 };
}

describe.skipIf(!browserTestsEnabled())('the console: topics', () => {
  beforeAll(async () => {
    broker = await startTestBroker({ memory: true });
    await createTopic(broker.url, 'alpha', 2);
    expect((await postBatch(broker.url, 'orders', ['a', 'b', 'c'])).status).toBe(201);
    expect((await postMessage(broker.url, 'alpha', 'x')).status).toBe(201);
    browser = await startConsoleBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.close();
  });

  it('lists every topic with partitions, messages, size, offsets and subscribers, and one produced after the page loaded', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics`, 'table.topics tbody tr');
    expect(await topicNames(page)).toEqual(['alpha', 'orders']);
    const orders = page.locator('tr[data-topic="orders"] td');
    // the produce rate needs two refreshes to be known
    expect(await orders.allTextContents()).toEqual(['1', '3', expect.stringMatching(/^\d+ B$/), '0…2', '–', '0', 'Delete']);
    expect(await page.locator('tr[data-topic="alpha"] td').nth(0).textContent()).toBe('2');
    expect(await page.locator('#main p.muted').nth(-2).textContent()).toBe('2 of 2 topics');
    // a memory broker keeps 64 MiB a partition by default
    expect(await page.locator('#retention').textContent()).toMatch(/^Retention \(every topic\): [\d.]+ MiB a partition$/);

    expect((await postMessage(broker.url, 'late', 'y')).status).toBe(201);
    await page.locator('tr[data-topic="late"]').waitFor({ timeout: 10_000 });
    expect(await topicNames(page)).toEqual(['alpha', 'late', 'orders']);

    // 300 messages between two refreshes: a produce rate above 0 for that topic, none for the others
    expect(
      (
        await postBatch(
          broker.url,
          'orders',
          Array.from({ length: 300 }, (_, i) => `m${i}`),
        )
      ).status,
    ).toBe(201);
    await page
      .locator('tr[data-topic="orders"] td.rate')
      .filter({ hasText: /^[1-9][\d,]*$/ })
      .waitFor({ timeout: 10_000 });
    expect(await page.locator('tr[data-topic="alpha"] td.rate').textContent()).toBe('0');
    browser.expectClean(page);
    await page.close();
  });

  it('sorts by a column (and back), and searches by name; both are in the address', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics`, 'table.topics tbody tr');
    await page.getByRole('button', { name: 'Messages' }).click();
    // a number column sorts the largest first
    expect(await topicNames(page)).toEqual(['orders', 'alpha', 'late']);
    expect(await page.locator('th[aria-sort="descending"]').textContent()).toContain('Messages');
    await page.getByRole('button', { name: /Messages/ }).click();
    expect((await topicNames(page))[0]).not.toBe('orders');
    await page.fill('#topic-search', 'ORD');
    expect(await topicNames(page)).toEqual(['orders']);
    expect(page.url()).toContain('q=ORD');
    expect(page.url()).toContain('sort=messages');
    // the address opens the same table
    const again = await browser.open(page.url(), 'table.topics tbody tr');
    expect(await topicNames(again)).toEqual(['orders']);
    browser.expectClean(page);
    browser.expectClean(again);
    await page.close();
    await again.close();
  });

  it('creates a topic with partitions, and deletes one only once the dialog naming it is confirmed', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics`, 'table.topics tbody tr');
    await page.fill('#new-topic', 'payments');
    await page.fill('#new-partitions', '3');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('tr[data-topic="payments"]').waitFor();
    expect(await brokerTopic('payments')).toEqual({ status: 200, partitions: 3 });
    expect(await page.locator('tr[data-topic="payments"] td').first().textContent()).toBe('3');

    // a name the broker refuses: its message, in the page
    await page.fill('#new-topic', 'bad name');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('form.create .error').waitFor();
    expect(await page.locator('form.create .error').textContent()).toMatch(/topic/i);

    const row = page.locator('tr[data-topic="payments"]');
    await row.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.locator('dialog[open]');
    expect(await dialog.locator('h2').textContent()).toBe('Delete topic “payments”?');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await brokerTopic('payments')).status).toBe(200);

    await row.getByRole('button', { name: 'Delete' }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Delete payments' }).click();
    await row.waitFor({ state: 'detached' });
    await waitFor(async () => (await brokerTopic('payments')).status === 404, { what: 'payments to be gone from the broker' });
    expect(await topicNames(page)).not.toContain('payments');
    // the refused create's 400 is the page's one log line
    expect(browser.logOf(page)).toBe('error: Failed to load resource: the server responded with a status of 400 (Bad Request)');
    await page.close();
  });
});
