/**
 * A real browser (chromium through test/helpers/browser.ts) against a real broker: a page of another local
 * origin (a second port) tries what a hostile site would — subscribe over WebSocket, read /topics with a plain
 * CORS `fetch`, POST with `fetch(…, {mode: 'no-cors'})` and with HTML forms, commit a group with a GET (a
 * no-cors `fetch`, an `<img>`) — and none of it works; a page whose origin is a DNS-rebound name sees only 421;
 * a page of an `--allow-origin` origin can subscribe and produce. Each test runs alone too (`-t`).
 * What happened is checked on the broker, not only in the page.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, launchBrowser, serveStatic, type StaticSite, type TestBrowser } from '../../helpers/browser.js';
import { postMessage, startTestBroker, type TestBroker } from '../../helpers/broker.js';

/** The little of the DOM the page scripts below use (tsconfig has no DOM lib: the rest of the tree is Node). */
interface PageElement {
  name: string;
  method: string;
  action: string;
  enctype: string;
  target: string;
  value: string;
  src: string;
  append(...nodes: PageElement[]): void;
  addEventListener(type: string, listener: () => void, options?: { once?: boolean }): void;
  submit(): void;
}
declare const document: { createElement(tag: string): PageElement; body: PageElement };

const TOPIC = 'orders';
const PAGE = '<!doctype html><meta charset="utf-8"><title>a page</title><body></body>';

let browser: TestBrowser | undefined;
/** Why chromium did not start (under CI=true without chromium): every test then fails with it, none skips. */
let launchError: unknown;

async function openPage(): Promise<Page> {
  if (browser === undefined) throw launchError ?? new Error('the browser did not start');
  return browser.newPage();
}

function consoleOf(page: Page): string {
  return browser?.consoleOf(page).join('\n') ?? '';
}
let broker: TestBroker;
let hostile: StaticSite;
let trusted: StaticSite;

async function messageCount(topic = TOPIC): Promise<number> {
  const res = await fetch(`${broker.url}/topics`);
  const { topics } = (await res.json()) as { topics: { topic: string; messageCount: number }[] };
  return topics.find((t) => t.topic === topic)?.messageCount ?? 0;
}

/** How many requests the broker refused with EVQ_ERR_FORBIDDEN_ORIGIN so far (its /metrics). */
async function forbiddenOriginCount(): Promise<number> {
  const text = await (await fetch(`${broker.url}/metrics`)).text();
  const line = /^evq_rejected_requests_total\{reason="EVQ_ERR_FORBIDDEN_ORIGIN"\} (\d+)$/m.exec(text);
  return Number(line?.[1] ?? 0);
}

describe.skipIf(!browserTestsEnabled())('a page of another site, in chromium', () => {
  beforeAll(async () => {
    hostile = await serveStatic({ '/': PAGE });
    trusted = await serveStatic({ '/': PAGE });
    broker = await startTestBroker({ memory: true, allowOrigins: [trusted.origin] });
    expect((await postMessage(broker.url, TOPIC, 'secret')).status).toBe(201);
    browser = await launchBrowser({ mapToLoopback: ['rebind.test'] }).catch((err: unknown) => {
      launchError = err;
      return undefined;
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await broker?.close();
    await hostile?.close();
    await trusted?.close();
  });

  it('cannot open a WebSocket to /subscribe/T: no open, no message, no subscription on the broker', async () => {
    const page = await openPage();
    await page.goto(hostile.url('/'));
    const events = await page.evaluate(
      (url) =>
        new Promise<string[]>((resolve) => {
          const seen: string[] = [];
          const ws = new WebSocket(url);
          ws.onopen = () => seen.push('open');
          ws.onmessage = (e) => {
            seen.push(`message ${String(e.data)}`);
            ws.close(); // let in: what it got is the failure, no need to wait longer
          };
          ws.onerror = () => seen.push('error');
          ws.onclose = (e) => {
            seen.push(`close ${e.code}`);
            resolve(seen);
          };
        }),
      `ws://127.0.0.1:${broker.port}/subscribe/${TOPIC}?from=earliest`,
    );
    expect(events, consoleOf(page)).toEqual(['error', 'close 1006']);
    expect(broker.stats()).toMatchObject({ connections: 0, subscriptions: 0 });
    await page.close();
  });

  it('cannot produce with fetch(…, {mode: "no-cors"}) nor with HTML forms; the topic is unchanged', async () => {
    const page = await openPage();
    await page.goto(hostile.url('/'));
    const base = `http://127.0.0.1:${broker.port}`;
    const fetched = await page.evaluate(async (base) => {
      const types: string[] = [];
      const attempts: [string, RequestInit][] = [
        ['/topics/orders/messages', { method: 'POST', mode: 'no-cors', body: 'evil text' }],
        ['/topics/orders/messages', { method: 'POST', mode: 'no-cors', body: new URLSearchParams({ evil: '1' }) }],
        ['/produce/orders', { method: 'POST', mode: 'no-cors', body: new URLSearchParams({ evil: '2' }) }],
        ['/topics/orders/batch', { method: 'POST', mode: 'no-cors', body: '{"value":"evil"}' }],
        ['/topics/orders/messages', { method: 'POST', mode: 'no-cors', body: new Blob(['evil bytes']) }],
      ];
      for (const [path, init] of attempts) types.push((await fetch(base + path, init)).type);
      return types;
    }, base);
    // opaque: the page learns nothing of the reply, and the broker appended nothing (below)
    expect(fetched).toEqual(['opaque', 'opaque', 'opaque', 'opaque', 'opaque']);

    for (const [action, enctype] of [
      [`${base}/produce/${TOPIC}`, 'application/x-www-form-urlencoded'],
      [`${base}/topics/${TOPIC}/messages`, 'text/plain'],
      [`${base}/topics/${TOPIC}/messages`, 'multipart/form-data'],
    ] as const) {
      // the form posts into a frame: the page stays, and the frame shows what the broker answered
      await page.evaluate(
        ({ action, enctype }) =>
          new Promise<void>((resolve) => {
            const frame = document.createElement('iframe');
            frame.name = `target-${Math.random().toString(36).slice(2)}`;
            document.body.append(frame);
            const form = document.createElement('form');
            form.method = 'POST';
            form.action = action;
            form.enctype = enctype;
            form.target = frame.name;
            const input = document.createElement('input');
            input.name = 'evil';
            input.value = 'from a form';
            form.append(input);
            document.body.append(form);
            frame.addEventListener('load', () => resolve(), { once: true });
            form.submit();
          }),
        { action, enctype },
      );
      const answered = page.frames().find((f) => f.url() === action);
      expect(answered, `no frame loaded ${action}`).toBeDefined();
      expect(await answered?.content()).toContain('EVQ_ERR_FORBIDDEN_ORIGIN');
    }
    expect(await messageCount()).toBe(1);
    await page.close();
  });

  it('cannot commit a group with a GET: a no-cors fetch and an <img> of an autocommit read are refused, the group has no offset', async () => {
    const page = await openPage();
    await page.goto(hostile.url('/'));
    const refusedBefore = await forbiddenOriginCount();
    const url = `http://127.0.0.1:${broker.port}/topics/${TOPIC}/groups/g/messages?autocommit=true`;
    // a GET with a side effect: a page cannot read the reply (opaque), but the broker must not have acted on it either
    const outcomes = await page.evaluate(async (url) => {
      const fetched = await fetch(url, { mode: 'no-cors' });
      const image = await new Promise<string>((resolve) => {
        const img = document.createElement('img');
        img.addEventListener('load', () => resolve('load'), { once: true });
        img.addEventListener('error', () => resolve('error'), { once: true });
        img.src = url;
        document.body.append(img);
      });
      return [fetched.type, image];
    }, url);
    expect(outcomes, consoleOf(page)).toEqual(['opaque', 'error']);
    // group g never committed; and both requests did reach the broker (no Origin: Sec-Fetch-Site refused them)
    const group = await fetch(`${broker.url}/topics/${TOPIC}/groups/g`);
    expect(group.status, await group.text()).toBe(404);
    expect(await forbiddenOriginCount()).toBe(refusedBefore + 2);
    expect(await messageCount()).toBe(1);
    await page.close();
  });

  it('cannot read /topics with a plain cross-origin fetch: a TypeError in the page, and the broker refused it (403 EVQ_ERR_FORBIDDEN_ORIGIN)', async () => {
    const page = await openPage();
    await page.goto(hostile.url('/'));
    const refusedBefore = await forbiddenOriginCount();
    // a simple CORS GET (no preflight): the browser sends Origin, and hands the page the reply only if CORS allows it
    const outcome = await page.evaluate(async (url) => {
      try {
        const res = await fetch(url);
        return { read: await res.text() };
      } catch (error) {
        return { error: error instanceof Error ? error.name : String(error) };
      }
    }, `http://127.0.0.1:${broker.port}/topics`);
    expect(outcome, consoleOf(page)).toEqual({ error: 'TypeError' });
    // the browser did not only hide the reply: the broker refused the request itself, once
    expect(await forbiddenOriginCount()).toBe(refusedBefore + 1);
    await page.close();
  });

  it('a DNS-rebound name (the page’s own origin pointed at 127.0.0.1) gets only 421', async () => {
    const page = await openPage();
    const landed = await page.goto(`http://rebind.test:${broker.port}/healthz`);
    expect(landed?.status()).toBe(421);
    // now "same-origin" for the browser: the page could read the reply, and the reply is a refusal
    const reads = await page.evaluate(async () => {
      const res = await fetch('/topics');
      const post = await fetch(`/topics/orders/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return [res.status, await res.text(), post.status];
    });
    expect(reads[0]).toBe(421);
    expect(String(reads[1])).toContain('EVQ_ERR_FORBIDDEN_HOST');
    expect(String(reads[1])).not.toContain('secret');
    expect(reads[2]).toBe(421);
    expect(await messageCount()).toBe(1);
    await page.close();
  });

  it('a page of an --allow-origin origin can subscribe and produce (the harness works)', async () => {
    // its own topic: what the other tests did (or failed to refuse) does not move its offsets
    const topic = 'trusted-orders';
    expect((await postMessage(broker.url, topic, 'shared')).status).toBe(201);
    const page = await openPage();
    await page.goto(trusted.url('/'));
    const got = await page.evaluate(
      async ({ ws, base, topic }) => {
        const socket = new WebSocket(ws);
        const first = new Promise<string>((resolve, reject) => {
          socket.onmessage = (e) => {
            const msg = JSON.parse(String(e.data)) as { op?: string; value?: string };
            if (msg.op === undefined) resolve(String(msg.value));
          };
          socket.onclose = (e) => reject(new Error(`closed ${e.code}`));
        });
        const value = await first;
        // a CORS request with a preflight (JSON body): answered, and readable by this origin
        const res = await fetch(`${base}/topics/${topic}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"from":"the trusted page"}',
        });
        const body = (await res.json()) as { offset: number };
        socket.close();
        return { value, status: res.status, offset: body.offset };
      },
      { ws: `ws://127.0.0.1:${broker.port}/subscribe/${topic}?from=earliest`, base: `http://127.0.0.1:${broker.port}`, topic },
    );
    expect(got).toEqual({ value: 'shared', status: 201, offset: 1 });
    expect(await messageCount(topic)).toBe(2);
    await page.close();
  });
});
