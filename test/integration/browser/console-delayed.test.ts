/**
 * The console's delayed-messages view in chromium against a real broker: a message produced with a delay is
 * listed with its due time, topic, key and value; the filter (run on the broker) narrows the list and the
 * histogram; cancel removes it and it never arrives; deliver now makes it arrive in a read; a read-only
 * console has neither button.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled } from '../../helpers/browser.js';
import { jsonOf, postMessage, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../../helpers/console-page.js';

let browser: ConsoleBrowser;
let broker: TestBroker;

const waiting = async (topic: string): Promise<any[]> => (await jsonOf(await fetch(`${broker.url}/delayed?topic=${topic}`))).delayed;

describe.skipIf(!browserTestsEnabled())('the console: delayed messages', () => {
  beforeAll(async () => {
    broker = await startTestBroker();
    browser = await startConsoleBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.close();
  });

  it('lists a delayed message with its due time; the filter narrows the list and the histogram', async () => {
    const one = await postMessage(broker.url, 'reminders', '{"who":"ann","amount":5}', { 'evq-delay': '1h', 'evq-key': 'k-ann' });
    const two = await postMessage(broker.url, 'reminders', '{"who":"bob","amount":500}', { 'evq-delay': '2h', 'evq-key': 'k-bob' });
    await postMessage(broker.url, 'other', 'plain', { 'evq-delay': '90m' });
    const page = await browser.open(`${broker.url}/ui/#/delayed`, 'table.delayed tbody tr[data-id]');
    const rows = page.locator('table.delayed tbody tr[data-id]');
    expect(await rows.count()).toBe(3);
    const first = rows.nth(0);
    expect(await first.locator('time').getAttribute('datetime')).toBe(new Date(one.json.dueAt).toISOString());
    expect(await first.locator('td.topic').textContent()).toBe('reminders');
    expect(await first.locator('td.key').textContent()).toBe('k-ann');
    expect(await first.locator('pre[data-kind="json"]').textContent()).toBe(JSON.stringify({ who: 'ann', amount: 5 }, null, 2));
    expect(await first.locator('td.time .muted').textContent()).toMatch(/^in (60|59)m$/);
    expect(await page.locator('#summary').textContent()).toBe('3 messages waiting');
    expect(await page.locator('#histogram .bar').count()).toBe(24);
    const counted = await page.locator('#histogram .bar').evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('data-count'))));
    expect(counted.reduce((a, b) => a + b, 0)).toBe(3);

    await page.fill('#d-filter', 'value.amount > 100');
    await page.press('#d-filter', 'Enter');
    await page.locator('#summary', { hasText: 'match' }).waitFor();
    expect(await page.locator('#summary').textContent()).toBe('3 messages waiting · 1 match');
    expect(await rows.count()).toBe(1);
    expect(await rows.nth(0).locator('time').getAttribute('datetime')).toBe(new Date(two.json.dueAt).toISOString());
    const narrowed = await page.locator('#histogram .bar').evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('data-count'))));
    expect(narrowed.reduce((a, b) => a + b, 0)).toBe(1);
    expect(decodeURIComponent(page.url())).toContain('filter=value.amount+>+100');

    // by topic, and a bad filter shows the parser's message
    await page.fill('#d-filter', '');
    await page.fill('#d-topic', 'other');
    await page.press('#d-topic', 'Enter');
    await page.locator('table.delayed tbody tr[data-id] td.topic', { hasText: 'other' }).waitFor();
    expect(await page.locator('#summary').textContent()).toBe('3 messages waiting · 1 match');
    expect(await rows.nth(0).locator('td.value').textContent()).toBe('plain');
    browser.expectClean(page);
    await page.fill('#d-filter', 'value.amount >');
    await page.press('#d-filter', 'Enter');
    await page.locator('#problem .error').waitFor();
    expect(await page.locator('#problem .error').textContent()).toMatch(/^invalid filter at column 15: /);
    // the two refused requests (the list and the histogram), nothing else
    const refused = 'error: Failed to load resource: the server responded with a status of 400 (Bad Request)';
    expect(browser.logOf(page)).toBe(`${refused}\n${refused}`);
    await page.close();
    for (const t of ['reminders', 'other'])
      for (const d of await waiting(t)) await fetch(`${broker.url}/delayed/${encodeURIComponent(d.id)}`, { method: 'DELETE' });
  });

  it('cancels one behind a confirmation: it is gone from the list and never arrives', async () => {
    await postMessage(broker.url, 'cancel-me', 'never', { 'evq-delay': '1500ms' });
    await postMessage(broker.url, 'cancel-me', 'marker', { 'evq-delay': '1600ms' });
    const page = await browser.open(`${broker.url}/ui/#/delayed?topic=cancel-me`, 'table.delayed tbody tr[data-id]');
    const rows = page.locator('table.delayed tbody tr[data-id]');
    expect(await rows.count()).toBe(2);
    // the confirmation's Cancel keeps it
    await rows.nth(0).getByRole('button', { name: 'Cancel' }).click();
    await page.locator('dialog.confirm').waitFor();
    expect(await page.locator('dialog.confirm h2').textContent()).toBe('Cancel this delayed message?');
    await page.locator('dialog.confirm').getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.locator('dialog.confirm').waitFor({ state: 'detached' });
    expect((await waiting('cancel-me')).length).toBe(2);
    await rows.nth(0).getByRole('button', { name: 'Cancel' }).click();
    await page.locator('dialog.confirm').getByRole('button', { name: 'Cancel the message' }).click();
    await page.locator('#result .ok').waitFor();
    expect(await page.locator('#result .ok').textContent()).toBe('Cancelled: it will not be delivered to “cancel-me”.');
    await page.locator('#summary', { hasText: '1 message waiting' }).waitFor();
    expect(await rows.count()).toBe(1);
    // the marker, due after the cancelled one, arrives alone
    const { records } = await readAll(broker.url, 'cancel-me', '?from=0&wait=5s');
    expect(records.map((r) => r.value)).toEqual(['marker']);
    browser.expectClean(page);
    await page.close();
  });

  it('delivers one now behind a confirmation: a read has it at once', async () => {
    await postMessage(broker.url, 'hurry', 'now please', { 'evq-delay': '1h', 'evq-key': 'k' });
    const page = await browser.open(`${broker.url}/ui/#/delayed?topic=hurry`, 'table.delayed tbody tr[data-id]');
    await page.getByRole('button', { name: 'Deliver now' }).click();
    await page.locator('dialog.confirm').getByRole('button', { name: 'Deliver now' }).click();
    await page.locator('#result .ok').waitFor();
    expect(await page.locator('#result .ok').textContent()).toBe('Delivered to “hurry”, partition 0, offset 0.');
    const { records } = await readAll(broker.url, 'hurry');
    expect(records.map((r) => [r.key, r.value])).toEqual([['k', 'now please']]);
    await page.locator('#summary', { hasText: '0 messages waiting' }).waitFor();
    browser.expectClean(page);
    await page.close();
  });

  it('shows no cancel or deliver button in a read-only console', async () => {
    await using readOnly = await startTestBroker({ memory: true, uiReadOnly: true });
    await postMessage(readOnly.url, 'ro', 'x', { 'evq-delay': '1h' });
    const page = await browser.open(`${readOnly.url}/ui/#/delayed`, 'table.delayed tbody tr[data-id]');
    expect(await page.locator('table.delayed button').count()).toBe(0);
    browser.expectClean(page);
    await page.close();
  });
});
