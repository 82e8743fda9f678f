/**
 * The web console's serving (src/broker/ui/): `evq serve` serves `/ui/` with strict headers, gzip and ETags;
 * `--no-ui` turns it off; Host and Origin checks cover it; with `--token` the printed console address
 * carries the token in its fragment, the console keeps it for the tab and sends it as a Bearer header, and
 * asks for it when it has none; `--ui-read-only` hides every mutating action and the broker refuses them
 * from the console. In chromium (test/helpers/browser.ts), against real brokers on port 0.
 */
import { readdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { CONSOLE_DIR } from '../../../src/broker/ui/console.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled } from '../../helpers/browser.js';
import { postMessage, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { startConsoleBrowser, type ConsoleBrowser } from '../../helpers/console-page.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker } from '../../helpers/spawn-broker.js';
import { waitFor } from '../../helpers/wait.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw GET (no automatic decompression), with the headers given. */
function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The little of the page's globals the scripts below use (tsconfig has no DOM lib). */
declare const sessionStorage: { getItem(key: string): string | null };
declare const performance: { getEntriesByType(type: string): { name: string }[] };
declare const document: { cookie: string };

let browser: ConsoleBrowser;
const brokers: TestBroker[] = [];

async function broker(options: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
  const b = await startTestBroker({ memory: true, ...options });
  brokers.push(b);
  return b;
}

describe.skipIf(!browserTestsEnabled())('the console is served by evq serve', () => {
  beforeAll(async () => {
    browser = await startConsoleBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    for (const b of brokers) await b.close();
    await killSpawned();
    await removeTempDirs();
  });
  afterEach(async () => {
    await killSpawned();
  });

  it('serves /ui/ with a strict CSP, nosniff, no framing; gzip when asked; an ETag that gives 304', async () => {
    const b = await broker();
    const page = await get(`${b.url}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body.toString()).toContain('<script type="module" src="app.js">');

    const plain = await get(`${b.url}/ui/messages.js`);
    const zipped = await get(`${b.url}/ui/messages.js`, { 'accept-encoding': 'gzip, br' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    const etag = String(plain.headers.etag);
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get(`${b.url}/ui/messages.js`, { 'if-none-match': etag, 'accept-encoding': 'gzip' });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect((await get(`${b.url}/ui`)).headers.location).toBe('/ui/');
    expect((await get(`${b.url}/ui/nothing.js`)).status).toBe(404);
    expect((await get(`${b.url}/ui/%2e%2e/package.json`)).status).toBe(404);
  });

  it('a first load: every script hinted at once, the settings in the page (no config.json), the newest page one read per partition', async () => {
    const b = await broker({ uiReadOnly: true });
    const html = (await get(`${b.url}/ui/`)).body.toString();
    const hinted = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)"/g)].map((m) => m[1]).sort();
    const scripts = (await readdir(CONSOLE_DIR)).filter((f) => f.endsWith('.js') && f !== 'app.js');
    expect(hinted).toEqual([...scripts, 'vendor/uPlot.esm.js'].sort());
    expect(html).toContain('<meta name="evq-config" content="{&quot;readOnly&quot;:true}" />');

    await fetch(`${b.url}/topics/big`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"partitions":3}' });
    for (let i = 0; i < 90; i++) expect((await postMessage(b.url, 'big', `{"n":${i}}`)).status).toBe(201);
    const page = await browser.open(`${b.consoleUrl as string}#/topics/big/messages?partition=all&from=end`, 'main tbody tr');
    expect(await page.locator('#mode').isVisible()).toBe(true);
    const requested = await page.evaluate(() =>
      performance.getEntriesByType('resource').map((e) => e.name.slice(e.name.indexOf('/', 'http://'.length))),
    );
    expect(requested.filter((path) => path.includes('config.json'))).toEqual([]);
    const reads = requested.filter((path) => path.includes('/messages?'));
    expect(reads.sort()).toEqual([0, 1, 2].map((p) => `/topics/big/messages?partition=${p}&last=17&limit=17`));
    expect(await page.locator('main tbody tr').count()).toBe(51);
    browser.expectClean(page);
    await page.close();
  });

  it('answers only its own names and origin (issue 9), and --no-ui serves nothing', async () => {
    const b = await broker();
    expect((await get(`${b.url}/ui/`, { host: 'rebind.example' })).status).toBe(421);
    expect((await get(`${b.url}/ui/app.js`, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(`${b.url}/ui/app.js`, { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' })).status).toBe(403);
    const off = await broker({ ui: false });
    expect(off.consoleUrl).toBeNull();
    expect((await get(`${off.url}/ui/`)).status).toBe(404);
  });

  it('opens on the overview in chromium with no console error; the topics view is a click away', async () => {
    const b = await broker();
    expect((await postMessage(b.url, 'orders', 'x')).status).toBe(201);
    const page = await browser.open(b.consoleUrl as string, '[data-total="topics"]');
    expect(await page.locator('main h1').textContent()).toBe('Overview');
    expect(await page.locator('[data-total="topics"] .value').textContent()).toBe('1');
    await page.getByRole('link', { name: 'Topics' }).click();
    await page.locator('table.topics tbody tr').first().waitFor();
    expect(await page.locator('main h1').textContent()).toBe('Topics');
    expect(await page.locator('table.topics tbody tr th').allTextContents()).toEqual(['orders']);
    browser.expectClean(page);
    await page.close();
  });

  it('evq serve --token prints a console address with the token in the fragment; the console keeps it for the tab, and asks for it in another', async () => {
    const dir = await makeTempDir();
    const spawned = await spawnBroker(dir, { args: ['--memory', '--token', 's3cret/+&'] });
    const line = await waitFor(() => /evq console: (\S+)/.exec(spawned.stderr())?.[1] ?? '', { what: 'the console line on stderr' });
    expect(line).toBe(`${spawned.url}/ui/#token=s3cret%2F%2B%26`);
    const produced = await postMessage(spawned.url, 'orders', 'hello', { authorization: 'Bearer s3cret/+&' });
    expect(produced.status).toBe(201);

    const page = await browser.open(line, '[data-total="topics"]');
    expect(await page.locator('[data-total="topics"] .value').textContent()).toBe('1');
    // out of the address bar and the history, kept for this tab only
    expect(page.url()).not.toContain('token');
    expect(await page.evaluate(() => sessionStorage.getItem('evq.token'))).toBe('s3cret/+&');
    expect(await page.evaluate(() => document.cookie)).toBe('');
    browser.expectClean(page);

    // a new tab has no token: the console asks, says when one is refused, and goes on with the right one
    const other = await browser.open(`${spawned.url}/ui/`, 'form.token-form');
    await other.fill('#token', 'wrong');
    await other.click('form.token-form button');
    await other.locator('form.token-form .error').waitFor();
    expect(await other.locator('form.token-form .error').textContent()).toContain('refused');
    await other.fill('#token', 's3cret/+&');
    await other.click('form.token-form button');
    await other.locator('[data-total="topics"]').waitFor();
    expect(await other.locator('[data-total="topics"] .value').textContent()).toBe('1');
    // the two 401s (no token, the wrong one) are the page's only log lines
    expect(browser.logOf(other).split('\n')).toEqual([
      'error: Failed to load resource: the server responded with a status of 401 (Unauthorized)',
      'error: Failed to load resource: the server responded with a status of 401 (Unauthorized)',
    ]);
    await page.close();
    await other.close();
  });

  it('--ui-read-only: no create, no delete in the page, and the broker refuses them from the console (EVQ_ERR_READ_ONLY)', async () => {
    const b = await broker({ uiReadOnly: true });
    expect((await postMessage(b.url, 'orders', 'x')).status).toBe(201);
    const page = await browser.open(`${b.consoleUrl as string}#/topics`, 'table.topics tbody tr');
    expect(await page.locator('#mode').isVisible()).toBe(true);
    expect(await page.locator('form.create').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    browser.expectClean(page);
    // what the console would send: refused by the broker, whatever the page shows
    const refused = await page.evaluate(async () => {
      const res = await fetch('/topics/orders', { method: 'DELETE', headers: { 'evq-console': '1' } });
      return { status: res.status, body: await res.text() };
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('EVQ_ERR_READ_ONLY');
    const topics = (await (await fetch(`${b.url}/topics`)).json()) as { topics: unknown[] };
    expect(topics.topics).toHaveLength(1);
    // a read is not refused
    const read = await page.evaluate(async () => (await fetch('/topics/orders/messages', { headers: { 'evq-console': '1' } })).status);
    expect(read).toBe(200);
    await page.close();
  });
});
