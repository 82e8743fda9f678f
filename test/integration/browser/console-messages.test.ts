/**
 * The console's messages view in chromium against a real broker: pages backward and forward from the end,
 * from an offset and from a time, one partition or all; each record's partition, offset, time, key, headers
 * and value (JSON pretty-printed and collapsible, text as text, bytes as hex); a filter run on the broker
 * that narrows the page, one it refuses (its message and column shown); the position and filter in the
 * address; a payload that would run script if it were markup, shown as text; copy as `evq produce` and
 * as curl (run in sh, they produce the same record again), export as NDJSON, replay, and a filtered scan's
 * progress with its Stop button.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled } from '../../helpers/browser.js';
import { createTopic, postMessage, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../../helpers/console-page.js';
import { EVQ_BIN } from '../../helpers/spawn-broker.js';

/** The little of the page's DOM the scripts below use (tsconfig has no DOM lib). */
declare const document: { getElementById(id: string): { textContent: string | null } | null };
declare const navigator: { clipboard: { readText(): Promise<string> } };

/** A value, key and header a shell would expand or split if they were not quoted. */
const SHELL_VALUE = `it's "$HOME" \`id\` $(echo no) \\ end\nsecond line 'quoted'`;
const SHELL_KEY = "k'ey $USER";
const SHELL_HEADER = "it's $PATH";

/** Runs a copied command in sh, `evq` being this checkout's bin/evq.js. */
async function runInShell(command: string): Promise<string> {
  const script = `evq() { ${JSON.stringify(process.execPath)} ${JSON.stringify(EVQ_BIN)} "$@"; }\n${command}\n`;
  const { stdout } = await promisify(execFile)('sh', ['-c', script], { timeout: 10_000 });
  return stdout;
}

let browser: ConsoleBrowser;
let broker: TestBroker;
const BASE_TIME = Date.parse('2026-03-01T12:00:00Z');
const XSS = '<img src=x onerror=alert(1)>';

async function produceLines(topic: string, lines: object[]): Promise<void> {
  const res = await fetch(`${broker.url}/topics/${topic}/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: lines.map((line) => JSON.stringify(line)).join('\n'),
  });
  expect(res.status, await res.text()).toBe(201);
}

/** The offsets of the rows shown, in order. */
async function offsets(page: Page): Promise<number[]> {
  return (
    await page.locator('table.messages tbody tr[data-offset]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-offset')))
  ).map(Number);
}

/** Waits for the page's summary to change from `before` (a read finished). */
async function nextSummary(page: Page, before: string | null): Promise<string> {
  await page.waitForFunction((b) => {
    const text = document.getElementById('summary')?.textContent ?? '';
    return text !== '' && text !== b;
  }, before);
  return (await page.locator('#summary').textContent()) ?? '';
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe.skipIf(!browserTestsEnabled())('the console: messages', () => {
  beforeAll(async () => {
    broker = await startTestBroker({ memory: true });
    await produceLines(
      'orders',
      range(0, 119).map((n) => ({
        value: JSON.stringify({ n, amount: n * 10, tags: ['a'] }),
        key: `c-${n % 7}`,
        headers: { type: n % 2 === 0 ? 'deposit' : 'refund' },
        timestamp: BASE_TIME + n * 1000,
      })),
    );
    expect((await postMessage(broker.url, 'mixed', 'plain text, not JSON')).status).toBe(201);
    expect((await postMessage(broker.url, 'mixed', Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x42]))).status).toBe(201);
    await createTopic(broker.url, 'multi', 3);
    for (let p = 0; p < 3; p++) {
      const res = await fetch(`${broker.url}/topics/multi/messages?partition=${p}`, {
        method: 'POST',
        body: `p${p}`,
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(res.status).toBe(201);
    }
    await produceLines('shell', [{ value: SHELL_VALUE, key: SHELL_KEY, headers: { note: SHELL_HEADER } }]);
    const big = range(0, 29_999).map((n) => ({ value: JSON.stringify({ n }) }));
    for (let i = 0; i < big.length; i += 1000) await produceLines('big', big.slice(i, i + 1000));
    await produceLines('xss', [
      { value: XSS, key: XSS, headers: { [XSS.replace(/[^a-z]/g, '')]: XSS } },
      { value: JSON.stringify({ html: XSS }) },
    ]);
    browser = await startConsoleBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.close();
  });

  it('opens on the newest page and pages back to the start and forward again; the address follows', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/orders/messages`, 'table.messages tbody tr[data-offset]');
    expect(await offsets(page)).toEqual(range(70, 119));
    expect(await page.locator('#newer').isDisabled()).toBe(true);
    let summary = await page.locator('#summary').textContent();
    await page.click('#older');
    summary = await nextSummary(page, summary);
    expect(await offsets(page)).toEqual(range(20, 69));
    expect(page.url()).toContain('from=20');
    await page.click('#older');
    summary = await nextSummary(page, summary);
    expect(await offsets(page)).toEqual(range(0, 19));
    expect(await page.locator('#older').isDisabled()).toBe(true);
    await page.click('#newer');
    await nextSummary(page, summary);
    expect(await offsets(page)).toEqual(range(20, 69));
    // the address reopens that page
    const again = await browser.open(page.url(), 'table.messages tbody tr[data-offset]');
    expect(await offsets(again)).toEqual(range(20, 69));
    browser.expectClean(page);
    browser.expectClean(again);
    await page.close();
    await again.close();
  });

  it('shows partition, offset, time, key, headers and the JSON value pretty-printed', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/orders/messages?from=3&limit=20`, 'table.messages tbody tr[data-offset]');
    expect((await offsets(page))[0]).toBe(3);
    const cells = page.locator('tr[data-offset="3"] td');
    expect(await cells.nth(0).textContent()).toBe('0');
    expect(await cells.nth(1).textContent()).toBe('3');
    expect(await cells.nth(2).textContent()).toBe('2026-03-01 12:00:03.000');
    expect(await cells.nth(3).textContent()).toBe('c-3');
    expect(await cells.nth(4).locator('dt').textContent()).toBe('type');
    expect(await cells.nth(4).locator('dd').textContent()).toBe('refund');
    expect(await cells.nth(5).locator('pre[data-kind="json"]').textContent()).toBe(
      JSON.stringify({ n: 3, amount: 30, tags: ['a'] }, null, 2),
    );
    browser.expectClean(page);
    await page.close();
  });

  it('shows text as text and bytes that are not UTF-8 as hex', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/mixed/messages`, 'table.messages tbody tr[data-offset]');
    expect(await page.locator('tr[data-offset="0"] pre[data-kind="text"]').textContent()).toBe('plain text, not JSON');
    expect(await page.locator('tr[data-offset="1"] pre[data-kind="binary"]').textContent()).toBe(
      `00000000  ff fe 00 41 42${' '.repeat(33)}  ..\u002eAB`,
    );
    browser.expectClean(page);
    await page.close();
  });

  it('filters on the broker; the filter is in the address; a bad filter shows the parser’s message with its column', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/orders/messages?from=start`, 'table.messages tbody tr[data-offset]');
    let summary = await page.locator('#summary').textContent();
    await page.fill('#filter', 'value.amount >= 1100 && headers.type == "deposit"');
    await page.press('#filter', 'Enter');
    summary = await nextSummary(page, summary);
    expect(await offsets(page)).toEqual([110, 112, 114, 116, 118]);
    expect(decodeURIComponent(page.url())).toContain('filter=value.amount >= 1100 && headers.type == "deposit"'.replace(/ /g, '+'));
    // backward from the end with a filter: the last matches before the end
    await page.selectOption('#from', 'end');
    await page.fill('#filter', 'value.n < 10');
    await page.press('#filter', 'Enter');
    await nextSummary(page, summary);
    expect(await offsets(page)).toEqual(range(0, 9));

    const reopened = await browser.open(page.url(), 'table.messages tbody tr[data-offset]');
    expect(await reopened.inputValue('#filter')).toBe('value.n < 10');
    expect(await offsets(reopened)).toEqual(range(0, 9));

    await page.fill('#filter', 'value.amount >');
    await page.press('#filter', 'Enter');
    await page.locator('#problem .error').waitFor();
    expect(await page.locator('#problem .error').textContent()).toMatch(/^invalid filter at column 15: /);
    expect(browser.logOf(page)).toBe('error: Failed to load resource: the server responded with a status of 400 (Bad Request)');
    browser.expectClean(reopened);
    await page.close();
    await reopened.close();
  });

  it('starts at a time given in the address, and at an offset chosen in the form', async () => {
    const at = new Date(BASE_TIME + 100_500).toISOString();
    const page = await browser.open(
      `${broker.url}/ui/#/topics/orders/messages?time=${at}&limit=20`,
      'table.messages tbody tr[data-offset]',
    );
    expect(await offsets(page)).toEqual(range(101, 119));
    const summary = await page.locator('#summary').textContent();
    await page.selectOption('#from', 'offset');
    await page.fill('#offset', '42');
    await page.getByRole('button', { name: 'Read' }).click();
    await nextSummary(page, summary);
    expect((await offsets(page)).slice(0, 3)).toEqual([42, 43, 44]);
    expect(page.url()).toContain('from=42');
    browser.expectClean(page);
    await page.close();
  });

  it('reads all partitions, or one', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/multi/messages`, 'table.messages tbody tr[data-offset]');
    expect(await page.inputValue('#partition')).toBe('all');
    expect(await page.locator('table.messages tbody pre').allTextContents()).toEqual(['p0', 'p1', 'p2']);
    const summary = await page.locator('#summary').textContent();
    await page.selectOption('#partition', '1');
    await page.getByRole('button', { name: 'Read' }).click();
    await nextSummary(page, summary);
    expect(await page.locator('table.messages tbody pre').allTextContents()).toEqual(['p1']);
    expect(await page.locator('table.messages tbody tr td').first().textContent()).toBe('1');
    expect(page.url()).toContain('partition=1');
    browser.expectClean(page);
    await page.close();
  });

  it('shows a key, header and value that would be markup as text: no element made, no script run', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/xss/messages`, 'table.messages tbody tr[data-offset]');
    const first = page.locator('tr[data-offset="0"] td');
    expect(await first.nth(3).textContent()).toBe(XSS);
    expect(await first.nth(4).locator('dd').textContent()).toBe(XSS);
    expect(await first.nth(5).textContent()).toBe(XSS);
    expect(await page.locator('tr[data-offset="1"] pre').textContent()).toBe(JSON.stringify({ html: XSS }, null, 2));
    expect(await page.locator('main img').count()).toBe(0);
    // the dialog handler (console-page.ts) logs any alert as an error
    browser.expectClean(page);
    await page.close();
  });
  it('a record stamped past what a Date holds (a stored timestamp may be any safe integer) shows its number, the page goes on', async () => {
    const res = await fetch(`${broker.url}/topics/far-future/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ value: 'later', timestamp: 9_000_000_000_000_000 })}\n${JSON.stringify({ value: 'now' })}\n`,
    });
    expect(res.status).toBe(201);
    const page = await browser.open(`${broker.url}/ui/#/topics/far-future/messages`, 'table.messages tbody tr[data-offset]');
    await page.locator('tr[data-offset="1"]').waitFor();
    expect(await page.locator('tr[data-offset="0"] time').textContent()).toBe('9000000000000000');
    browser.expectClean(page);
    await page.close();
  });

  it('folds a long JSON value and opens it on a click', async () => {
    await produceLines('long', [{ value: JSON.stringify({ items: range(1, 20) }) }, { value: '{"short":true}' }]);
    const page = await browser.open(`${broker.url}/ui/#/topics/long/messages`, 'table.messages tbody tr[data-offset]');
    const long = page.locator('tr[data-offset="0"] details.json-value');
    expect(await long.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(false);
    expect(await long.locator('summary').textContent()).toBe('{…} 1 key, 24 lines');
    expect(await long.locator('pre[data-kind="json"]').isVisible()).toBe(false);
    await long.locator('summary').click();
    expect(await long.locator('pre[data-kind="json"]').isVisible()).toBe(true);
    expect(await page.locator('tr[data-offset="1"] details.json-value pre').isVisible()).toBe(true);
    await page.locator('tr[data-offset="1"] details.json-value summary').click();
    expect(await page.locator('tr[data-offset="1"] details.json-value pre').isVisible()).toBe(false);
    browser.expectClean(page);
    await page.close();
  });

  it('copies a record as evq produce and as curl, quoted for sh: run, each produces the same record again', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/shell/messages`, 'table.messages tbody tr[data-offset]');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: broker.url });
    await page.click('tr[data-offset="0"] button.copy-evq');
    await page.locator('#copy-status', { hasText: 'copied' }).waitFor();
    const evqCommand = (await page.locator('#copy-text').textContent()) ?? '';
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(evqCommand);
    expect(evqCommand.startsWith(`evq produce --url '${broker.url}' --key `)).toBe(true);
    expect(evqCommand).toContain(" -- 'shell' ");
    await runInShell(evqCommand);

    await page.click('tr[data-offset="0"] button.copy-curl');
    await page.locator('#copy-status', { hasText: 'copied' }).waitFor();
    const curl = (await page.locator('#copy-text').textContent()) ?? '';
    expect(curl.startsWith(`curl -sS -X POST '${broker.url}/topics/shell/batch'`)).toBe(true);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(curl);
    expect(JSON.parse(await runInShell(curl))).toMatchObject({ topic: 'shell', count: 1 });

    const { records } = await readAll(broker.url, 'shell');
    expect(records).toHaveLength(3);
    for (const r of records) {
      expect(r.value).toBe(SHELL_VALUE);
      expect(r.key).toBe(SHELL_KEY);
      expect(r.headers).toEqual({ note: SHELL_HEADER });
    }
    browser.expectClean(page);
    await page.close();
  });

  it('exports the loaded rows as an NDJSON download', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/orders/messages?from=10&limit=20`, 'table.messages tbody tr[data-offset]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    expect(download.suggestedFilename()).toBe('orders-10.ndjson');
    const lines = (await readFile(await download.path(), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((r) => r.offset)).toEqual(range(10, 29));
    expect(lines[0]).toMatchObject({ topic: 'orders', partition: 0, offset: 10, key: 'c-3', headers: { type: 'deposit' } });
    expect(JSON.parse(lines[0].value)).toEqual({ n: 10, amount: 100, tags: ['a'] });
    browser.expectClean(page);
    await page.close();
  });

  it('replays a message to another topic behind a confirmation; no replay in a read-only console', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/orders/messages?from=5&limit=20`, 'table.messages tbody tr[data-offset]');
    await page.click('tr[data-offset="5"] button.replay');
    await page.locator('dialog.confirm').waitFor();
    expect(await page.inputValue('#replay-topic')).toBe('orders');
    await page.fill('#replay-topic', 'replayed');
    await page.locator('dialog.confirm').getByRole('button', { name: 'Replay' }).click();
    await page.locator('#action-result .ok').waitFor();
    expect(await page.locator('#action-result .ok').textContent()).toBe('Replayed to “replayed”: partition 0, offset 0.');
    const { records } = await readAll(broker.url, 'replayed');
    expect(records.map((r) => [r.key, r.headers, JSON.parse(r.value).n])).toEqual([['c-5', { type: 'refund' }, 5]]);
    browser.expectClean(page);
    await page.close();

    await using readOnly = await startTestBroker({ memory: true, uiReadOnly: true });
    expect((await postMessage(readOnly.url, 'ro', 'x')).status).toBe(201);
    const ro = await browser.open(`${readOnly.url}/ui/#/topics/ro/messages`, 'table.messages tbody tr[data-offset]');
    expect(await ro.locator('button.replay').count()).toBe(0);
    expect(await ro.locator('button.copy-curl').count()).toBe(1);
    browser.expectClean(ro);
    await ro.close();
  });

  it('shows a filtered scan’s progress read after read, and Stop ends it where it is', async () => {
    const page = await browser.open(`${broker.url}/ui/#/topics/big/messages?from=start`, 'table.messages tbody tr[data-offset]');
    await page.fill('#filter', 'value.n == 29999');
    await page.press('#filter', 'Enter');
    await page.locator('#scan-text', { hasText: 'done' }).waitFor();
    expect(await page.locator('#scan-text').textContent()).toMatch(/^scanned 30,000 · matched 1 · \d+(\.\d)? KiB · \d+\.\d s · done$/);
    expect(await offsets(page)).toEqual([29_999]);
    expect(await page.locator('#scan-stop').isDisabled()).toBe(true);

    // hold the second read until Stop is pressed: the scan ends after it, with what it found
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reached = (): void => undefined;
    const atSecond = new Promise<void>((resolve) => (reached = resolve));
    await page.route(/\/topics\/big\/messages\?.*from=10000/, async (route) => {
      reached();
      await held;
      await route.continue();
    });
    await page.fill('#filter', 'value.n < 0');
    await page.press('#filter', 'Enter');
    await atSecond;
    expect(await page.locator('#scan-text').textContent()).toMatch(/^scanned 10,000 · matched 0 · .* · scanning…$/);
    await page.click('#scan-stop');
    release();
    await page.locator('#scan-text', { hasText: 'stopped' }).waitFor();
    expect(await page.locator('#scan-text').textContent()).toMatch(/^scanned 20,000 · matched 0 · .* · stopped$/);
    expect(await page.locator('#newer').isDisabled()).toBe(false);
    browser.expectClean(page);
    await page.close();
  });
});
