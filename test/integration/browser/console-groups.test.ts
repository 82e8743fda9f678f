/**
 * The console's consumer groups in chromium against a real broker: a group's lag after `evq consume --group`
 * took part of a topic (in the list and per partition, in messages and in time), its lag chart drawn, a
 * reset behind a dialog naming group and topic that moves the lag (checked on the broker too), and a
 * read-only console without the reset (the broker refusing it from there).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled } from '../../helpers/browser.js';
import { createTopic, getJson, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../../helpers/console-page.js';
import { runEvq } from '../../helpers/spawn-broker.js';
import { waitFor } from '../../helpers/wait.js';

let browser: ConsoleBrowser;
let broker: TestBroker;
let readOnly: TestBroker;

const HOUR = 3_600_000;

async function brokerLag(b: TestBroker, group: string): Promise<number> {
  const d = await getJson(`${b.url}/groups/${group}`);
  return (d.partitions as { lag: number }[]).reduce((n, p) => n + p.lag, 0);
}

const text = async (page: Page, selector: string): Promise<string> => (await page.locator(selector).first().textContent()) ?? '';

describe.skipIf(!browserTestsEnabled())('the console: consumer groups', () => {
  beforeAll(async () => {
    broker = await startTestBroker({ memory: true });
    readOnly = await startTestBroker({ memory: true, uiReadOnly: true });
    for (const b of [broker, readOnly]) {
      await createTopic(b.url, 'orders', 2);
      // ten records stamped two hours ago, five a partition (explicit partitions: where they land is known)
      const old = Date.now() - 2 * HOUR;
      for (const partition of [0, 1]) {
        const body = Array.from({ length: 5 }, (_, i) => JSON.stringify({ value: `p${partition}-${i}`, timestamp: old + i })).join('\n');
        const res = await fetch(`${b.url}/topics/orders/batch?partition=${partition}`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-ndjson' },
        });
        expect(res.status).toBe(201);
      }
      const consumed = await runEvq(['consume', 'orders', '--group', 'billing', '--limit', '4', '--url', b.url]);
      expect(consumed.code, consumed.stderr).toBe(0);
      expect(consumed.stdout.trim().split('\n')).toHaveLength(4);
    }
    browser = await startConsoleBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.close();
    await readOnly?.close();
  });

  it('lists the group with the lag evq consume left, and its page shows members, per-partition offsets and lag in messages and in time', async () => {
    expect(await brokerLag(broker, 'billing')).toBe(6);
    const page = await browser.open(`${broker.url}/ui/#/groups`, 'table.groups tbody tr');
    expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Groups');
    const row = page.locator('tr[data-group="billing"][data-topic="orders"]');
    expect(await row.locator('td.lag').textContent()).toBe('6');
    expect(await row.locator('td').allTextContents()).toEqual(['orders', '6', '4 / 10', '0', expect.stringMatching(/ago$/)]);

    await row.getByRole('link', { name: 'billing' }).click();
    await page.locator('table.group-partitions tbody tr').first().waitFor();
    expect(await page.locator('main h1').textContent()).toBe('Groups / billing');
    expect(await text(page, '[data-fact="state"]')).toBe('empty');
    expect(await text(page, '[data-fact="lag"]')).toBe('6 messages');
    // the oldest unread record was stamped two hours ago
    expect(await text(page, '[data-fact="age"]')).toMatch(/^2h 0m old$/);
    expect(await text(page, '#members')).toBe('No members now.');
    const rows = page.locator('table.group-partitions tbody tr');
    expect(await rows.count()).toBe(2);
    const committed = (await page.locator('td.committed').allTextContents()).map(Number);
    const lags = (await page.locator('table.group-partitions td.lag').allTextContents()).map(Number);
    expect(committed.reduce((a, b) => a + b, 0)).toBe(4);
    expect(lags.map((l, i) => l + (committed[i] as number))).toEqual([5, 5]);
    for (const age of await page.locator('table.group-partitions td.age').allTextContents()) expect(age).toMatch(/^(2h 0m|0s)$/);

    // the page samples the lag: its chart is drawn
    const canvas = page.locator('#lag-chart canvas');
    await canvas.waitFor();
    const box = await canvas.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(100);
    expect(box?.height ?? 0).toBeGreaterThan(100);
    browser.expectClean(page);
    await page.close();
  });

  it('resets the offsets only once the dialog naming group and topic is confirmed; the lag moves', async () => {
    const page = await browser.open(`${broker.url}/ui/#/groups/billing`, 'form.reset');
    await page.locator('#reset-topic option[value="orders"]').waitFor({ state: 'attached' });
    await page.selectOption('#reset-to', 'earliest');
    await page.getByRole('button', { name: 'Reset…' }).click();
    const dialog = page.locator('dialog[open]');
    expect(await dialog.locator('h2').textContent()).toBe('Reset group “billing” on topic “orders”?');
    expect(await dialog.locator('p').textContent()).toContain('the lag goes from 6 to 10 messages');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await brokerLag(broker, 'billing')).toBe(6);

    await page.getByRole('button', { name: 'Reset…' }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Reset billing' }).click();
    await page.locator('#reset-result .ok').waitFor();
    expect(await text(page, '#reset-result')).toBe('Reset billing on orders: lag 10.');
    expect(await brokerLag(broker, 'billing')).toBe(10);
    await waitFor(async () => (await text(page, '[data-fact="lag"]')) === '10 messages', { what: 'the page to show the new lag' });

    // to an offset on one partition: only that one moves
    await page.selectOption('#reset-partition', '1');
    await page.selectOption('#reset-to', 'offset');
    await page.fill('#reset-offset', '3');
    await page.getByRole('button', { name: 'Reset…' }).click();
    expect(await page.locator('dialog[open] p').textContent()).toContain('partition 1 move to offset 3: the lag goes from 5 to 2 messages');
    await page.locator('dialog[open]').getByRole('button', { name: 'Reset billing' }).click();
    await waitFor(async () => (await text(page, '[data-fact="lag"]')) === '7 messages', { what: 'the page to show lag 7' });
    expect(await brokerLag(broker, 'billing')).toBe(7);

    // to latest: nothing left to read, and no age
    await page.selectOption('#reset-partition', 'all');
    await page.selectOption('#reset-to', 'latest');
    await page.getByRole('button', { name: 'Reset…' }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Reset billing' }).click();
    await waitFor(async () => (await text(page, '[data-fact="lag"]')) === '0 messages', { what: 'the page to show lag 0' });
    expect(await text(page, '[data-fact="age"]')).toBe('none');
    expect(await brokerLag(broker, 'billing')).toBe(0);
    browser.expectClean(page);
    await page.close();
  });

  it("shows a joined member with its assignment and as owner; a reset while it is there is refused in the broker's words", async () => {
    const joined = await fetch(`${broker.url}/groups/billing/members`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topics: ['orders'], clientId: 'worker', sessionTimeoutMs: 60_000 }),
    });
    expect(joined.status).toBe(201);
    const { memberId } = (await joined.json()) as { memberId: string };
    const page = await browser.open(`${broker.url}/ui/#/groups/billing`, `li[data-member="${memberId}"]`);
    expect(await text(page, '[data-fact="state"]')).toBe('stable');
    expect(await text(page, `li[data-member="${memberId}"]`)).toContain('worker (');
    expect(await text(page, `li[data-member="${memberId}"]`)).toMatch(/orders\/0, orders\/1$/);
    expect(await page.locator('table.group-partitions tbody tr td:last-child').allTextContents()).toEqual([memberId, memberId]);

    await page.selectOption('#reset-to', 'earliest');
    await page.getByRole('button', { name: 'Reset…' }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Reset billing' }).click();
    await page.locator('#reset-result .error').waitFor();
    expect(await text(page, '#reset-result')).toMatch(/group "billing" has 1 member: stop it first/);
    expect(browser.logOf(page)).toBe('error: Failed to load resource: the server responded with a status of 409 (Conflict)');
    expect((await fetch(`${broker.url}/groups/billing/members/${memberId}`, { method: 'DELETE' })).status).toBe(204);
    await page.close();
  });

  it('a read-only console shows the group without the reset, and the broker refuses one from it', async () => {
    const page = await browser.open(`${readOnly.url}/ui/#/groups/billing`, 'table.group-partitions tbody tr');
    expect(await text(page, '[data-fact="lag"]')).toBe('6 messages');
    expect(await page.locator('form.reset').count()).toBe(0);
    expect(await page.getByRole('button', { name: /Reset/ }).count()).toBe(0);
    browser.expectClean(page);
    const refused = await page.evaluate(async () => {
      const res = await fetch('/topics/orders/groups/billing/reset', {
        method: 'POST',
        headers: { 'evq-console': '1', 'content-type': 'application/json' },
        body: JSON.stringify({ to: 'earliest' }),
      });
      return { status: res.status, body: await res.text() };
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('EVQ_ERR_READ_ONLY');
    expect(await brokerLag(readOnly, 'billing')).toBe(6);
    await page.close();
  });
});
