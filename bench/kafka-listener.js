#!/usr/bin/env node
// The Kafka listener against evq's own client on the same broker: `evq serve --fsync always --kafka-port 0`
// in a temporary directory, then N keyed lines (EVQ_BENCH_MESSAGES, default 1,000,000; ~44 bytes each)
// produced with `kcat -P -K: -X acks=all` to one topic and with `evq produce` to another, and read back to the
// end with `kcat -C -e` and `evq consume`. Each run is checked (every line back), timed by wall clock, and
// printed as messages per second with the ratio kcat / evq (the baseline: evq's own client, same run, same
// broker), after a warm-up of 100,000 lines through each produce path (a cold broker's first path timed
// would pay for compiling the broker's hot code). Then `evq bench` 1 -> 1 (100-byte messages, EVQ_BENCH_SECONDS, default 4 s) through the Kafka
// listener (`--url kafka://…`: the kafka:// transport, kafkajs) against the native `evq bench` on the same
// broker, and a publish-only kafka:// run beside (what the Kafka client library itself costs). Needs Debian's
// kcat and a build (`npm run bench -- kafka-listener` builds). Prints human lines and a final `RESULT {json}` line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { fmt, machineLoad, round, spawnReady } from './_bench-util.js';
import { runEvqBench } from './_evq-bench.js';

const N = Math.min(Number(process.env.EVQ_BENCH_MESSAGES ?? 1_000_000), 10_000_000);
const SECONDS = Math.min(Math.max(Number(process.env.EVQ_BENCH_SECONDS ?? 4) || 4, 1), 60);
const EVQ = fileURLToPath(new URL('../bin/evq.js', import.meta.url));
if (spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status !== 0) {
  console.error('kafka-listener: kcat is not installed (apt-get install kcat)');
  process.exit(2);
}
const root = await mkdtemp(join(tmpdir(), 'evq-bench-kafka-'));
const input = join(root, 'lines.txt');
const lines = Array.from({ length: N }, (_, i) => `key${i % 100}:value-${i}-xxxxxxxxxxxxxxxxxxxxxxxx\n`);
await writeFile(input, lines.join(''));
// the warm-up: both produce paths (the Kafka listener's and evq's own) compiled before either is timed
const warmInput = join(root, 'warm.txt');
await writeFile(warmInput, lines.slice(0, Math.min(N, 100_000)).join(''));

/** Runs `command args` with `stdinFile` as stdin, counts stdout lines; resolves with seconds and the count. */
function timed(command, args, stdinFile) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: [stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    if (stdinFile) createReadStream(stdinFile).pipe(child.stdin);
    let count = 0;
    let err = '';
    child.stdout.on('data', (chunk) => {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) count++;
    });
    child.stderr.setEncoding('utf8').on('data', (c) => (err = (err + c).slice(-2000)));
    child.once('exit', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${err}`));
      else resolve({ seconds, count });
    });
  });
}

const server = await spawnReady(
  process.execPath,
  [EVQ, 'serve', '--data-dir', join(root, 'data'), '--port', '0', '--kafka-port', '0', '--fsync', 'always'],
  { ready: /listening on (http:\/\/\S+) and kafka:\/\/(\S+)/ },
);
try {
  const [, http, kafka] = server.match;
  const rate = (r) => N / r.seconds;
  await timed('kcat', ['-b', kafka, '-P', '-t', 'warm-kcat', '-K:', '-X', 'acks=all'], warmInput);
  await timed(process.execPath, [EVQ, 'produce', 'warm-evq', '--url', http, '--key', 'k'], warmInput);
  const kcatP = await timed('kcat', ['-b', kafka, '-P', '-t', 'kcat', '-K:', '-X', 'acks=all'], input);
  const kcatC = await timed('kcat', ['-b', kafka, '-C', '-t', 'kcat', '-e', '-q', '-o', 'beginning', '-f', '%k:%s\n']);
  const evqP = await timed(process.execPath, [EVQ, 'produce', 'evq', '--url', http, '--key', 'k'], input);
  const evqC = await timed(process.execPath, [EVQ, 'consume', 'evq', '--url', http]);
  if (kcatC.count !== N || evqC.count !== N) throw new Error(`read back ${kcatC.count} (kcat) and ${evqC.count} (evq) of ${N}`);
  const rows = [
    ['produce', kcatP, evqP],
    ['read to the end', kcatC, evqC],
  ];
  console.log(`kafka-listener: ${fmt(N)} messages, evq serve --fsync always, load ${machineLoad().one} on ${machineLoad().cores} cores`);
  const result = {};
  for (const [what, k, e] of rows) {
    console.log(
      `  ${what.padEnd(16)} kcat ${fmt(rate(k)).padStart(9)} msg/s (${k.seconds.toFixed(2)} s)   evq ${fmt(rate(e)).padStart(9)} msg/s (${e.seconds.toFixed(2)} s)   kcat/evq ${(rate(k) / rate(e)).toFixed(2)}`,
    );
    result[what === 'produce' ? 'produce' : 'consume'] = {
      kcatPerSec: round(rate(k)),
      evqPerSec: round(rate(e)),
      ratio: round(rate(k) / rate(e), 2),
    };
  }
  // evq bench through the listener (kafka://) against the native evq bench, same broker
  const benchArgs = ['--producers', '1', '--size', '100', '--duration', `${SECONDS}s`, '--warmup', '1s'];
  /** @type {Record<string, { publishedPerSec: number, deliveredPerSec: number | null, e2eP99Ms: number | null }>} */
  const bench = {};
  for (const [name, url, subscribers] of [
    ['native', http, '1'],
    ['kafka', `kafka://${kafka}`, '1'],
    ['kafkaPublishOnly', `kafka://${kafka}`, '0'],
  ]) {
    const run = await runEvqBench(url, [...benchArgs, '--subscribers', subscribers], { timeoutMs: (SECONDS + 60) * 1000 });
    const r = run.result;
    const v = r.verification;
    if (run.exitCode !== 0 || v.lost > 0 || v.duplicated > 0 || v.reordered > 0) {
      throw new Error(`${run.command}: exit ${run.exitCode}, ${v.lost} lost, ${v.duplicated} duplicated, ${v.reordered} reordered`);
    }
    bench[name] = {
      publishedPerSec: Math.round(r.publish.msgsPerSec),
      deliveredPerSec: subscribers === '0' ? null : Math.round(r.deliver.msgsPerSec),
      e2eP99Ms: subscribers === '0' ? null : round(r.latency.e2e.p99 / 1000, 2),
    };
    console.log(
      `  evq bench ${name.padEnd(16)} ${fmt(r.publish.msgsPerSec).padStart(9)} published/s` +
        (subscribers === '0'
          ? ' (publish only)'
          : `, ${fmt(r.deliver.msgsPerSec).padStart(9)} delivered/s, e2e p99 ${(r.latency.e2e.p99 / 1000).toFixed(1)} ms`),
    );
  }
  const benchRatio = round(/** @type {number} */ (bench.kafka.deliveredPerSec) / /** @type {number} */ (bench.native.deliveredPerSec), 3);
  console.log(`  evq bench kafka:// / native: ${benchRatio.toFixed(2)} (delivered/s)`);
  console.log(`RESULT ${JSON.stringify({ messages: N, ...result, bench: { ...bench, ratio: benchRatio } })}`);
} finally {
  await server.stop();
  await rm(root, { recursive: true, force: true });
}
