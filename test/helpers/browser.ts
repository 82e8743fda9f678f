/**
 * A real browser for tests: Debian's chromium (`/usr/bin/chromium`, installed by .ci/run) driven by
 * playwright-core, headless, in a fresh temporary profile; and small static web sites on 127.0.0.1 port 0,
 * each its own origin, to serve the pages a test loads. Nothing is downloaded: playwright-core only drives
 * the browser that is installed. Close both (or `await using`) in the test that started them.
 *
 *   await using browser = await launchBrowser();
 *   await using site = await serveStatic({ '/index.html': '<script>…</script>' });
 *   const page = await browser.newPage();
 *   await page.goto(site.url('/index.html'));
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where chromium is (`EVQ_CHROMIUM` overrides it). */
export const CHROMIUM_PATH = process.env.EVQ_CHROMIUM ?? '/usr/bin/chromium';

/** The flags of a quiet, headless, reproducible chromium: no GPU, no QUIC, no background traffic, no first-run UI. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/**
 * True when chromium is installed. Without it a browser test skips locally, but fails under `CI=true`
 * (`launchBrowser` throws): CI must never pass by skipping them.
 */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Whether the browser tests run here: chromium is installed, or CI asks for them (and then fails without it). */
export function browserTestsEnabled(): boolean {
  return chromiumAvailable() || process.env.CI === 'true';
}

export interface LaunchOptions {
  /** Host names the browser resolves to 127.0.0.1 (`--host-resolver-rules`): a DNS-rebinding page's name, say. */
  mapToLoopback?: string[];
}

export interface TestBrowser {
  readonly context: BrowserContext;
  /** A new tab; what its pages log to the console is kept in `consoleOf(page)`. */
  newPage(): Promise<Page>;
  /** The console lines a page logged (for failure messages). */
  consoleOf(page: Page): string[];
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts chromium headless in a fresh temporary profile (removed on close). */
export async function launchBrowser(options: LaunchOptions = {}): Promise<TestBrowser> {
  if (!chromiumAvailable()) {
    throw new Error(
      `no chromium at ${CHROMIUM_PATH}: install it (apt-get install chromium fonts-liberation, as .ci/run does) or set EVQ_CHROMIUM`,
    );
  }
  const profile = await mkdtemp(join(tmpdir(), 'evq-chromium-'));
  const args: string[] = [...CHROMIUM_ARGS];
  if (options.mapToLoopback !== undefined && options.mapToLoopback.length > 0) {
    args.push(`--host-resolver-rules=${options.mapToLoopback.map((name) => `MAP ${name} 127.0.0.1`).join(', ')}`);
  }
  let context: BrowserContext;
  try {
    // a persistent context is how playwright takes a --user-data-dir: a fresh one per launch
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args,
      timeout: 30_000,
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  const logs = new WeakMap<Page, string[]>();
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    })());
  return {
    context,
    newPage: async () => {
      const page = await context.newPage();
      const lines: string[] = [];
      logs.set(page, lines);
      page.on('console', (message) => lines.push(`${message.type()}: ${message.text()}`));
      page.on('pageerror', (err) => lines.push(`pageerror: ${err.message}`));
      return page;
    },
    consoleOf: (page) => logs.get(page) ?? [],
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A page (or any file) of a static site: its body and, unless HTML, its content type. */
export type StaticFile = string | { body: string | Buffer; type: string };

export interface StaticSite {
  /** `http://127.0.0.1:PORT`: an origin of its own, apart from the broker's. */
  readonly origin: string;
  readonly port: number;
  /** The requests the site got, as `METHOD path`. */
  readonly requests: string[];
  url(path: string): string;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Serves `files` (path → body) from 127.0.0.1 on a free port; anything else is a 404. A page's HTML is served
 * as it is given: tests write their own pages, nothing from a broker's message is put in one.
 */
export async function serveStatic(files: Record<string, StaticFile>, host = '127.0.0.1'): Promise<StaticSite> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const path = new URL(req.url ?? '/', 'http://site.invalid').pathname;
    requests.push(`${req.method ?? 'GET'} ${path}`);
    req.resume();
    const file = files[path];
    if (file === undefined && path === '/favicon.ico') {
      res.writeHead(204).end(); // what every page asks for: no 404 in its console
      return;
    }
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    const { body, type } = typeof file === 'string' ? { body: file, type: 'text/html; charset=utf-8' } : file;
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${host}:${port}`;
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  return { origin, port, requests, url: (path) => `${origin}${path}`, close, [Symbol.asyncDispose]: close };
}
