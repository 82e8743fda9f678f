#!/usr/bin/env node
// The console's weight and speed on a big broker: `evq serve` with one topic of N messages (EVQ_BENCH_MESSAGES,
// default 1,000,000, ~60 B JSON, piped through `evq produce`) and T more topics (EVQ_BENCH_TOPICS, default
// 1,000), then in Debian's chromium (playwright-core): the bytes transferred for a first load of the console
// (every response's encoded body, cold cache), the time from navigation to the first record drawn in the
// messages view of the big topic (newest page, all partitions; and with a broker-side filter), and to the
// topics table drawn with T + 1 rows, by the browser's own clock (performance.now() from the navigation's
// start to the moment a MutationObserver sees the element, so neither playwright's polling nor its round
// trips are counted). Each is the median of 5 loads; the baseline in the same run is the time
// of one plain `GET /topics/{t}/messages?from=-50` of the same page by Node's fetch (what any client pays).
// Needs a build (`npm run bench -- console` builds). Prints human lines and a `RESULT {json}` line.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { fmt, machineLoad, median, round, spawnReady } from './_bench-util.js';

const N = Math.min(Number(process.env.EVQ_BENCH_MESSAGES ?? 1_000_000), 10_000_000);
const TOPICS = Math.min(Number(process.env.EVQ_BENCH_TOPICS ?? 1_000), 10_000);
const ROUNDS = 5;
const EVQ = fileURLToPath(new URL('../bin/evq.js', import.meta.url));
const CHROMIUM = process.env.EVQ_CHROMIUM ?? '/usr/bin/chromium';

const root = await mkdtemp(join(tmpdir(), 'evq-bench-console-'));
const server = await spawnReady(process.execPath, [EVQ, 'serve', '--data-dir', join(root, 'data'), '--port', '0', '--fsync', 'never'], {
  ready: /listening on (http:\/\/\S+)/,
});
const [, url] = server.match;

/** Pipes `lines` lines made by `line(i)` into `evq produce topic --url`. */
function produce(topic, count, line) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EVQ, 'produce', topic, '--url', url, '-q'], { stdio: ['pipe', 'ignore', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`evq produce exited ${code}`))));
    let i = 0;
    const write = () => {
      while (i < count) {
        const chunk = [];
        for (let j = 0; j < 10_000 && i < count; j++, i++) chunk.push(line(i));
        if (!child.stdin.write(chunk.join('\n') + '\n')) return void child.stdin.once('drain', write);
      }
      child.stdin.end();
    };
    write();
  });
}

try {
  const started = performance.now();
  await fetch(`${url}/topics/big`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"partitions": 3}' });
  await produce('big', N, (i) => JSON.stringify({ id: i, amount: i % 1000, kind: i % 10 === 0 ? 'refund' : 'deposit' }));
  for (let t = 0; t < TOPICS; t += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, TOPICS - t) }, (_, k) =>
        fetch(`${url}/topics/t-${String(t + k).padStart(4, '0')}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: 'x',
        }).then((r) => r.arrayBuffer()),
      ),
    );
  }
  const seeded = (performance.now() - started) / 1000;

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  /** Opens `hash` in a fresh context (cold cache); resolves with ms to `ready` and the bytes transferred. */
  const load = async (hash, ready) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // the page's clock: the first moment `ready` is in the document, in ms from the navigation's start
    await context.addInitScript((selector) => {
      const page = /** @type {any} */ (globalThis); // runs in the browser: window, document
      const seen = () => {
        if (page.__evqReadyAt === undefined && page.document.querySelector(selector) !== null) page.__evqReadyAt = performance.now();
        return page.__evqReadyAt !== undefined;
      };
      new page.MutationObserver(
        (/** @type {unknown} */ _, /** @type {{ disconnect(): void }} */ observer) => seen() && observer.disconnect(),
      ).observe(page.document, { childList: true, subtree: true });
    }, ready);
    const page = await context.newPage();
    let bytes = 0;
    page.on('response', async (res) => {
      const size =
        (
          await res
            .request()
            .sizes()
            .catch(() => null)
        )?.responseBodySize ?? 0;
      bytes += size;
    });
    await page.goto(`${url}/ui/${hash}`);
    await page.locator(ready).first().waitFor({ timeout: 60_000 });
    const ms = await page.evaluate(() => /** @type {any} */ (globalThis).__evqReadyAt);
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await context.close();
    return { ms, bytes };
  };
  const measure = async (hash, ready) => {
    const runs = [];
    for (let r = 0; r < ROUNDS; r++) runs.push(await load(hash, ready));
    return { ms: median(runs.map((x) => x.ms)), bytes: median(runs.map((x) => x.bytes)) };
  };
  const messages = await measure('#/topics/big/messages?partition=all&from=end', 'main tbody tr');
  const filtered = await measure(
    `#/topics/big/messages?partition=all&from=end&filter=${encodeURIComponent('value.kind == "refund" && value.amount > 500')}`,
    'main tbody tr',
  );
  const topics = await measure('#/topics', `main tbody tr:nth-child(${TOPICS + 1})`);
  await browser.close();

  const plain = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    await (await fetch(`${url}/topics/big/messages?from=-50&partition=0`)).text();
    plain.push(performance.now() - t0);
  }
  const baseline = median(plain);

  console.log(
    `console: 1 topic of ${fmt(N)} messages (3 partitions) + ${fmt(TOPICS)} topics, seeded in ${seeded.toFixed(1)} s, load ${machineLoad().one} on ${machineLoad().cores} cores`,
  );
  console.log(`  first load of the console (messages view): ${fmt(messages.bytes)} bytes transferred`);
  console.log(`  messages view, newest page drawn:          ${messages.ms.toFixed(0)} ms (median of ${ROUNDS} cold loads)`);
  console.log(`  messages view with a broker-side filter:   ${filtered.ms.toFixed(0)} ms`);
  console.log(`  topics view, ${fmt(TOPICS + 1)} rows drawn: ${topics.ms.toFixed(0)} ms`);
  console.log(`  baseline: one GET of a 50-record page by fetch: ${baseline.toFixed(1)} ms`);
  console.log(
    `RESULT ${JSON.stringify({
      messages: N,
      topics: TOPICS,
      firstLoadBytes: messages.bytes,
      messagesViewMs: round(messages.ms),
      filteredViewMs: round(filtered.ms),
      topicsViewMs: round(topics.ms),
      plainFetchMs: round(baseline, 1),
    })}`,
  );
} finally {
  await server.stop();
  await rm(root, { recursive: true, force: true });
}
