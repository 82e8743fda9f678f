// Start-up of evq's commands (target 8 of bench/compare.js), for bench/compare.js: the wall time from spawn to exit of
// `evq --help` and `evq produce TOPIC x` against a running broker, against `node -e 0` plus one HTTP round
// trip of a minimal node:http client (a fresh connection, a one-byte POST, as `evq produce t x` sends it),
// each the median of `runs` runs.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { median } from './_bench-util.js';

const EVQ = fileURLToPath(new URL('../bin/evq.js', import.meta.url));

/** Wall time (ms) of `node ARGS` from spawn to exit; rejects when it does not exit 0. */
export function nodeWallMs(args, { timeoutMs = 30_000, nodeArgs = [] } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr = (stderr + c).slice(-2048)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`node ${args.join(' ')} exited ${signal ?? code}: ${stderr.trim()}`));
      else resolve(ms);
    });
  });
}

/** One POST of `body` to `url` over a fresh connection (no agent): ms until the whole response is read. */
export function httpRoundTripMs(url, body = 'x') {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.once('end', () => {
        if (res.statusCode !== 201 && res.statusCode !== 200) reject(new Error(`POST ${url}: HTTP ${res.statusCode}`));
        else resolve(performance.now() - started);
      });
    });
    req.once('error', reject);
    req.end(body);
  });
}

/**
 * Measures, interleaved (so that a busy moment of the machine spreads over all of them), `runs` times each:
 * `node -e 0`, the HTTP round trip, `evq --help` and `evq produce TOPIC x --url URL`. Resolves with each one's
 * median and samples (ms), and `baselineMs` = node -e 0 + round trip.
 */
export async function measureStartup(brokerUrl, { runs = 5, topic = 'startup' } = {}) {
  const samples = { nodeE0: [], roundTrip: [], help: [], produce: [] };
  // one unmeasured run of each first: the files are in the page cache for every measured one
  await nodeWallMs(['-e', '0']);
  await nodeWallMs([EVQ, '--help']);
  await nodeWallMs([EVQ, 'produce', topic, 'x', '--url', brokerUrl]);
  await httpRoundTripMs(`${brokerUrl}/topics/${topic}/messages`);
  for (let i = 0; i < runs; i++) {
    samples.nodeE0.push(await nodeWallMs(['-e', '0']));
    samples.roundTrip.push(await httpRoundTripMs(`${brokerUrl}/topics/${topic}/messages`));
    samples.help.push(await nodeWallMs([EVQ, '--help']));
    samples.produce.push(await nodeWallMs([EVQ, 'produce', topic, 'x', '--url', brokerUrl]));
  }
  const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  return { runs, medianMs: med, baselineMs: med.nodeE0 + med.roundTrip, samplesMs: samples };
}
