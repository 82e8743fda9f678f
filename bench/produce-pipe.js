#!/usr/bin/env node
// `evq produce` from a pipe: 1,000,000 lines of 100 bytes into `evq serve --fsync always` (spawned), against
// the same messages posted by curl as NDJSON batches of 1,000 (the baseline), in one run.
//   npm run build && node bench/produce-pipe.js          (or: npm run bench -- produce-pipe)
//   EVQ_BENCH_PIPE_LINES=200000 node bench/produce-pipe.js   (a shorter run)
//
// evq produce: `node bin/evq.js produce pipe`, its stdin a pipe this process writes a file into; the rate
// is messages over the wall time from spawn to exit (Node's start-up included), and its peak RSS is the
// VmHWM of /proc/PID/status (polled every 20 ms; the last value read before the exit). A second run with
// --compression gzip gives the bytes on the wire (from its summary line).
// Baseline: curl posting the same messages, prepared beforehand as 1,000 NDJSON bodies of 1,000 lines
// (the JSON encoding is not timed: that favours curl), from one curl process that keeps its connections
// alive and runs 4 requests at once (`--parallel --parallel-max 4`): with --fsync always a client that waits
// for each batch pays one fsync per batch, and evq produce keeps up to 16 batches in flight on its one
// WebSocket, so the baseline gets concurrency too. A sequential curl (one request at a time) is shown for
// information.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, round, spawnNode } from './_bench-util.js';
import { produceFromPipe as produce } from './_produce-pipe.js';

const LINES = Number(process.env.EVQ_BENCH_PIPE_LINES ?? 1_000_000);
const LINE_BYTES = 100;
const BATCH = 1000;
const CURL_PARALLEL = 4;
const EVQ = fileURLToPath(new URL('../bin/evq.js', import.meta.url));

/** Line i: a small JSON order, padded to exactly 100 bytes (plain ASCII). */
function line(i) {
  const head = `{"id":${i},"customer":"c-${(i * 7919) % 5000}","amount":${((i * 37) % 100000) / 100},"currency":"EUR","note":"`;
  return `${head}${'x'.repeat(LINE_BYTES - head.length - 2)}"}`;
}

async function writeInput(dir) {
  const path = join(dir, 'lines.txt');
  const out = createWriteStream(path);
  let chunk = '';
  for (let i = 0; i < LINES; i++) {
    chunk += `${line(i)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise((r) => out.once('finish', () => r()));
  return path;
}

async function writeBatches(dir) {
  const config = [];
  for (let b = 0; b * BATCH < LINES; b++) {
    let body = '';
    for (let i = b * BATCH; i < Math.min(LINES, (b + 1) * BATCH); i++) body += `{"value":${JSON.stringify(line(i))}}\n`;
    const path = join(dir, `batch-${b}.ndjson`);
    await writeFile(path, body);
    config.push(path);
  }
  return config;
}

/** Posts every batch with one curl process, `parallel` requests at once. */
function curl(url, topic, batches, parallel) {
  return new Promise((resolve, reject) => {
    const lines = [];
    for (const path of batches) {
      if (lines.length > 0) lines.push('next'); // each request its own options (else the bodies add up)
      lines.push(
        `url = "${url}/topics/${topic}/batch"`,
        `data-binary = "@${path}"`,
        'header = "content-type: application/x-ndjson"',
        'output = "/dev/null"',
        'write-out = "%{http_code}\\n"',
      );
    }
    const args = ['--silent', '--show-error', '--no-progress-meter', '-K', '-'];
    if (parallel > 1) args.unshift('--parallel', '--parallel-max', String(parallel));
    const started = performance.now();
    const child = spawn('curl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (err += c));
    child.stdin.end(lines.join('\n'));
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = performance.now() - started;
      const statuses = out.trim().split('\n');
      const failed = statuses.filter((s) => s !== '201').length;
      if (code !== 0 || failed > 0) reject(new Error(`curl exited ${code}, ${failed} batches not 201: ${err.trim()}`));
      else resolve({ ms });
    });
  });
}

async function messageCount(url, topic) {
  const body = /** @type {any} */ (await (await fetch(`${url}/topics`)).json());
  return body.topics.find((t) => t.topic === topic)?.messageCount ?? 0;
}

const dir = await mkdtemp(join(tmpdir(), 'evq-bench-pipe-'));
let broker;
try {
  const input = await writeInput(dir);
  const batches = await writeBatches(dir);
  broker = await spawnNode([EVQ, 'serve', '--port', '0', '--data-dir', join(dir, 'data'), '--fsync', 'always'], {
    ready: /listening on (http:\/\/\S+)/,
  });
  const url = broker.match[1];

  const evq = await produce(url, 'pipe', input);
  const gzip = await produce(url, 'pipe-gzip', input, ['--compression', 'gzip']);
  const curlParallel = await curl(url, 'curl', batches, CURL_PARALLEL);
  const curlSequential = await curl(url, 'curl-seq', batches, 1);
  for (const [topic, want] of [
    ['pipe', LINES],
    ['pipe-gzip', LINES],
    ['curl', LINES],
    ['curl-seq', LINES],
  ]) {
    const got = await messageCount(url, topic);
    if (got !== want) throw new Error(`topic ${topic} holds ${got} messages, expected ${want}`);
  }

  const rate = (ms) => (LINES * 1000) / ms;
  const evqRate = rate(evq.ms);
  const gzipRate = rate(gzip.ms);
  const curlRate = rate(curlParallel.ms);
  const curlSeqRate = rate(curlSequential.ms);
  const ratio = evqRate / curlRate;
  const wire = /; (\S+) on the wire \(gzip\)/.exec(gzip.summary)?.[1] ?? 'n/a';
  console.log(
    `input: ${fmt(LINES)} lines of ${LINE_BYTES} bytes (${fmt((LINES * (LINE_BYTES + 1)) / 1048576)} MiB) from a pipe; evq serve --fsync always`,
  );
  console.log(
    `evq produce:        ${fmt(evqRate)} msg/s (${(evq.ms / 1000).toFixed(2)} s wall, start-up included), peak RSS ${fmt(evq.peak / 1048576)} MiB`,
  );
  console.log(`  its summary:      ${evq.summary}`);
  console.log(`evq produce --compression gzip: ${fmt(gzipRate)} msg/s, peak RSS ${fmt(gzip.peak / 1048576)} MiB, ${wire} on the wire`);
  console.log(
    `curl NDJSON batches of ${BATCH} (${CURL_PARALLEL} at once): ${fmt(curlRate)} msg/s (${(curlParallel.ms / 1000).toFixed(2)} s)`,
  );
  console.log(`curl NDJSON batches of ${BATCH} (one at a time, information): ${fmt(curlSeqRate)} msg/s`);
  console.log(`ratio evq produce / curl: ${ratio.toFixed(2)}`);
  const result = {
    lines: LINES,
    lineBytes: LINE_BYTES,
    evqPerSec: Math.round(evqRate),
    evqPeakRssBytes: evq.peak,
    gzipPerSec: Math.round(gzipRate),
    gzipPeakRssBytes: gzip.peak,
    gzipWire: wire,
    curlPerSec: Math.round(curlRate),
    curlParallel: CURL_PARALLEL,
    curlSequentialPerSec: Math.round(curlSeqRate),
    ratio: round(ratio, 3),
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
}
