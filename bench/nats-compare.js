#!/usr/bin/env node
// evq against NATS JetStream, with one tool and one command line:
//   npm run build && node bench/nats-compare.js          (or: npm run bench -- nats-compare)
//
// Starts `evq serve --fsync always` (bin/evq.js, port 0, a temporary data dir) and `nats-server -js` (file
// storage, a port it picks, a temporary store dir; installed with apt-get when missing and we are root, as
// .ci/run does), both on 127.0.0.1, and runs the SAME `evq bench` command line against each, as its own
// process: 1 producer → 1 subscriber, 100-byte messages, --duration/--warmup below.
//   1. full speed (--rate 0);
//   2. each at half of its own full-speed rate (--rate R, R = 50% of min(published, delivered) msgs/s of
//      run 1): latency without queueing (end to end, corrected for coordinated omission);
//   3. publish only (--subscribers 0) against each, and the raw JetStream baseline (bench/_jetstream-raw.js:
//      plain nc.publish with a shared reply inbox and 1,000 acks outstanding, no evq in between), which says
//      how close evq's nats:// transport drives JetStream; then the rate at which a bare ordered consumer
//      reads that stream back (what evq's nats:// subscriptions could reach).
// Prints a table, the ratios evq / JetStream and one RESULT line; exits 1 if any run lost, duplicated or
// reordered a message or had an error. A run at 50% that could not keep its rate (a busy machine starves
// the load generator) is marked: its latency then includes queueing. Both servers and their directories
// are removed at the end, also on an error or Ctrl-C. The whole run takes about a minute.
//
// Environment (all optional):
//   EVQ_BENCH_NATS_SECONDS   measured seconds per run (default 4)
//   EVQ_BENCH_NATS_WARMUP    warm-up seconds per run, left out of the figures (default 1)
//   EVQ_BENCH_NATS_WINDOW    outstanding acks of the raw JetStream baseline (default 1000)
//   EVQ_BENCH_NATS_SERVER    the nats-server binary (default: nats-server on PATH, or /usr/sbin/nats-server)
import { readFileSync } from 'node:fs';
import { fmt, machineLoad, round } from './_bench-util.js';
import { runEvqBench, startEvqServe, stopRunningBenches } from './_evq-bench.js';
import { rawJetStreamBaseline } from './_jetstream-raw.js';
import { findNatsServer, startNatsServer } from './_nats-server.js';
import { serverSet } from './_servers.js';

const env = process.env;
const SECONDS = Number(env.EVQ_BENCH_NATS_SECONDS ?? 4);
const WARMUP = Number(env.EVQ_BENCH_NATS_WARMUP ?? 1);
const WINDOW = Number(env.EVQ_BENCH_NATS_WINDOW ?? 1000);
if (!(SECONDS > 0 && SECONDS <= 600) || !(WARMUP >= 0 && WARMUP <= 60) || !(Number.isInteger(WINDOW) && WINDOW >= 1 && WINDOW <= 100_000)) {
  console.error(
    'EVQ_BENCH_NATS_SECONDS must be in (0, 600], EVQ_BENCH_NATS_WARMUP in [0, 60], EVQ_BENCH_NATS_WINDOW an integer in [1, 100000]',
  );
  process.exit(2);
}
const SIZE = 100;
const HALF = 0.5;
/**
 * A --rate run kept up with its rate when it published and delivered at least KEPT_RATE of it per second and
 * its subscriber was at most DRAIN_SHARE of the measured time (or DRAIN_MIN_MS) behind at the end.
 */
const KEPT_RATE = 0.9;
const DRAIN_SHARE = 0.05;
const DRAIN_MIN_MS = 250;
/** Whatever happens, the script ends within this (every run is bounded by its own timeout too). */
const MAX_WALL_SECONDS = 300 + 8 * (SECONDS + WARMUP);
/** The command line both brokers get (plus --url, and --rate / --subscribers per run). */
const COMMON = ['--producers', '1', '--size', String(SIZE), '--duration', `${SECONDS}s`, '--warmup', `${WARMUP}s`];
const BENCH_TIMEOUT_MS = (SECONDS + WARMUP + 60) * 1000;
const natsClientVersion = JSON.parse(
  readFileSync(new URL('../node_modules/@nats-io/transport-node/package.json', import.meta.url), 'utf8'),
).version;

// ------------------------------------------------------------------------------------------ servers and cleanup

const { start, stopAll } = serverSet({ maxWallSeconds: MAX_WALL_SECONDS, beforeStop: stopRunningBenches });

// ------------------------------------------------------------------------------------------ runs

const ms = (us) => (Number.isFinite(us) ? (us / 1000).toFixed(us < 10_000 ? 2 : 1) : 'n/a');
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

/** The figures of one `evq bench` result that the table and RESULT line show. */
function summarize(name, kind, bench) {
  const r = bench.result;
  const v = r.verification;
  const e2e = r.config.subscribers > 0;
  const latency = e2e ? r.latency.e2e : r.latency.ack;
  return {
    name,
    kind,
    command: bench.command,
    rate: r.config.rate,
    publishedPerSec: r.publish.msgsPerSec,
    deliveredPerSec: e2e ? r.deliver.msgsPerSec : null,
    latencyOf: e2e ? 'e2e' : 'ack',
    p50Us: latency.p50,
    p99Us: latency.p99,
    p999Us: latency['p99.9'],
    sendLagP99Us: r.latency.sendLag?.p99 ?? null,
    intendedPerSec: r.publish.intendedMsgsPerSec,
    published: v.published,
    lost: v.lost,
    duplicated: v.duplicated,
    reordered: v.reordered,
    errors: r.errors.reduce((n, e) => n + e.count, 0),
    firstError: r.errors[0]?.message ?? null,
    ok: r.ok && bench.exitCode === 0,
    drainMs: r.phases.drainMs,
    keptRate:
      r.config.rate > 0
        ? Math.min(r.publish.msgsPerSec, e2e ? r.deliver.msgsPerSec : Infinity) >= KEPT_RATE * r.config.rate &&
          r.phases.drainMs <= Math.max(DRAIN_MIN_MS, DRAIN_SHARE * r.phases.measuredMs)
        : null,
  };
}

/** The highest rate each broker sustained end to end in a full-speed run. */
const sustained = (run) => Math.min(run.publishedPerSec, run.deliveredPerSec ?? Number.POSITIVE_INFINITY);

const runs = [];
const problems = [];
async function bench(name, kind, url, extra) {
  process.stdout.write(`   ${pad(name, 34)}`);
  const s = summarize(name, kind, await runEvqBench(url, [...COMMON, ...extra], { timeoutMs: BENCH_TIMEOUT_MS }));
  runs.push(s);
  console.log(
    `${lpad(fmt(s.publishedPerSec), 10)} published/s` +
      `${s.deliveredPerSec === null ? '' : `, ${fmt(s.deliveredPerSec)} delivered/s`}, ${s.latencyOf} p99 ${ms(s.p99Us)} ms` +
      `${s.keptRate === false ? ` — did NOT keep up with its rate (send lag p99 ${ms(s.sendLagP99Us)} ms, subscriber ${fmt(s.drainMs)} ms behind at the end): the latency includes queueing` : ''}`,
  );
  if (s.lost > 0 || s.duplicated > 0 || s.reordered > 0 || s.errors > 0 || !s.ok) {
    problems.push(
      `${name}: ${s.lost} lost, ${s.duplicated} duplicated, ${s.reordered} reordered, ${s.errors} errors` +
        `${s.firstError ? ` (${s.firstError})` : ''}${s.ok ? '' : ' — evq bench reported a failure'}`,
    );
  }
  return s;
}

const started = performance.now();
const loadBefore = machineLoad();
const result = {
  bench: 'nats-compare',
  messageBytes: SIZE,
  seconds: SECONDS,
  warmupSeconds: WARMUP,
  command: `evq bench --url URL ${COMMON.join(' ')} [--subscribers 1|0] [--rate R]`,
};
let exitCode = 0;
try {
  const natsBin = findNatsServer();
  // both started before either failure is thrown, so that stopAll() stops whichever did start
  const launched = await Promise.allSettled([start(() => startEvqServe({ fsync: 'always' })), start(() => startNatsServer(natsBin))]);
  const failed = launched.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const [evq, nats] = launched.map((s) => /** @type {PromiseFulfilledResult<any>} */ (s).value);
  result.evq = { url: evq.url, fsync: 'always' };
  result.nats = { url: nats.url, server: nats.version, client: natsClientVersion, storage: 'file' };
  console.log(
    `nats-compare: evq serve --fsync always (${evq.url}) vs nats-server ${nats.version} -js, file storage (${nats.url}); ` +
      `${SIZE}-byte messages, ${SECONDS} s runs after ${WARMUP} s of warm-up; load average ${loadBefore.one} on ${loadBefore.cores} cores`,
  );
  console.log(`   every run: evq bench --url URL ${COMMON.join(' ')} --subscribers 1 (or 0) [--rate R]\n`);

  console.log('1. full speed, 1 producer -> 1 subscriber');
  const evqFull = await bench('evq', 'full', evq.url, ['--subscribers', '1']);
  const natsFull = await bench('JetStream', 'full', nats.url, ['--subscribers', '1']);

  const evqRate = Math.max(1, Math.floor(HALF * sustained(evqFull)));
  const natsRate = Math.max(1, Math.floor(HALF * sustained(natsFull)));
  console.log(`\n2. at ${HALF * 100}% of each one's own full-speed rate (--rate), 1 -> 1`);
  const evqHalf = await bench(`evq --rate ${evqRate}`, 'half', evq.url, ['--subscribers', '1', '--rate', String(evqRate)]);
  const natsHalf = await bench(`JetStream --rate ${natsRate}`, 'half', nats.url, ['--subscribers', '1', '--rate', String(natsRate)]);

  console.log('\n3. publish only (--subscribers 0), and raw JetStream publishing without evq');
  const evqPub = await bench('evq', 'publish', evq.url, ['--subscribers', '0']);
  const natsPub = await bench('JetStream (evq bench)', 'publish', nats.url, ['--subscribers', '0']);
  process.stdout.write(`   ${pad(`JetStream raw (window ${WINDOW})`, 34)}`);
  const raw = await rawJetStreamBaseline(nats.url, { size: SIZE, window: WINDOW, warmupMs: WARMUP * 1000, durationMs: SECONDS * 1000 });
  console.log(`${lpad(fmt(raw.msgsPerSec), 10)} published/s, ack p99 ${ms(raw.ack.p99)} ms`);
  console.log(
    `   ${pad('JetStream raw ordered consumer', 34)}${lpad(fmt(raw.read.msgsPerSec), 10)} read/s ` +
      `(${fmt(raw.read.messages)} stored messages read back${raw.read.complete ? '' : ', NOT all: timed out'})`,
  );
  if (raw.errors > 0 || raw.unacked > 0 || raw.unexpected > 0 || raw.stored !== raw.acked) {
    problems.push(
      `JetStream raw: ${raw.errors} errors${raw.firstError ? ` (${raw.firstError})` : ''}, ${raw.unacked} never acknowledged, ` +
        `${raw.unexpected} unexpected acks, ${raw.stored} stored for ${raw.acked} acknowledged`,
    );
  }

  const stoppedCleanly = await stopAll();
  if (!stoppedCleanly) problems.push('a server did not stop cleanly');

  // ---------------------------------------------------------------------------------------- the table
  /** @type {[string, string, any][]} */
  const rows = [
    ['evq serve --fsync always', 'full speed', evqFull],
    ['nats-server -js (file)', 'full speed', natsFull],
    ['evq serve --fsync always', `--rate ${fmt(evqRate)}`, evqHalf],
    ['nats-server -js (file)', `--rate ${fmt(natsRate)}`, natsHalf],
    ['evq serve --fsync always', 'publish only', evqPub],
    ['nats-server -js (file)', 'publish only', natsPub],
  ];
  console.log(
    `\n   ${pad('target', 26)}${pad('run', 14)}${lpad('published/s', 12)}${lpad('delivered/s', 12)}` +
      `${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('p99.9 ms', 10)}${lpad('lost/dup', 10)}`,
  );
  for (const [target, run, s] of rows) {
    console.log(
      `   ${pad(target, 26)}${pad(run, 14)}${lpad(fmt(s.publishedPerSec), 12)}${lpad(s.deliveredPerSec === null ? '-' : fmt(s.deliveredPerSec), 12)}` +
        `${lpad(ms(s.p50Us), 9)}${lpad(ms(s.p99Us), 9)}${lpad(ms(s.p999Us), 10)}${lpad(`${s.lost}/${s.duplicated}`, 10)}` +
        `${s.latencyOf === 'ack' ? '  (ack latency)' : ''}`,
    );
  }
  console.log(
    `   ${pad('nats-server -js (file)', 26)}${pad('raw publish', 14)}${lpad(fmt(raw.msgsPerSec), 12)}${lpad(fmt(raw.read.msgsPerSec), 12)}` +
      `${lpad(ms(raw.ack.p50), 9)}${lpad(ms(raw.ack.p99), 9)}${lpad('-', 10)}${lpad(`${raw.unacked}/${raw.unexpected}`, 10)}  (ack latency; nc.publish, ${WINDOW} acks outstanding; delivered: read back afterwards)`,
  );
  console.log('   (p50/p99: end to end, corrected for coordinated omission, unless marked as ack latency)');

  const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN);
  const ratios = {
    deliveredFull: ratio(evqFull.deliveredPerSec, natsFull.deliveredPerSec),
    publishedFull: ratio(evqFull.publishedPerSec, natsFull.publishedPerSec),
    p50Full: ratio(evqFull.p50Us, natsFull.p50Us),
    p99Full: ratio(evqFull.p99Us, natsFull.p99Us),
    rateHalf: ratio(evqRate, natsRate),
    p50Half: ratio(evqHalf.p50Us, natsHalf.p50Us),
    p99Half: ratio(evqHalf.p99Us, natsHalf.p99Us),
    publishOnly: ratio(evqPub.publishedPerSec, natsPub.publishedPerSec),
    publishOnlyVsRaw: ratio(evqPub.publishedPerSec, raw.msgsPerSec),
    deliveredFullVsRaw: ratio(evqFull.deliveredPerSec, raw.msgsPerSec),
    natsTransportVsRaw: ratio(natsPub.publishedPerSec, raw.msgsPerSec),
    natsDeliveredVsRawRead: ratio(natsFull.deliveredPerSec, raw.read.msgsPerSec),
  };
  const x = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a');
  console.log('\n   evq / JetStream (throughput: higher is better for evq; latency: lower is better for evq)');
  console.log(
    `   full speed     delivered/s ${x(ratios.deliveredFull)}   published/s ${x(ratios.publishedFull)}   e2e p50 ${x(ratios.p50Full)}   e2e p99 ${x(ratios.p99Full)}`,
  );
  console.log(`   at 50%         rate ${x(ratios.rateHalf)}   e2e p50 ${x(ratios.p50Half)}   e2e p99 ${x(ratios.p99Half)}`);
  console.log(
    `   publish only   evq / JetStream via evq bench ${x(ratios.publishOnly)}   evq / raw JetStream ${x(ratios.publishOnlyVsRaw)}`,
  );
  console.log(`   evq end to end (delivered/s) / raw JetStream publish only: ${x(ratios.deliveredFullVsRaw)}`);
  console.log(
    `   evq bench's nats:// transport: publishes at ${x(ratios.natsTransportVsRaw)} the raw publish rate (publish only); ` +
      `its subscriber (full speed, 1 -> 1) delivers at ${x(ratios.natsDeliveredVsRawRead)} the raw ordered consumer's read rate`,
  );
  for (const s of [evqHalf, natsHalf]) {
    if (s.keptRate === false) {
      console.log(
        `   !! ${s.name}: ${fmt(s.publishedPerSec)} published/s, ${fmt(s.deliveredPerSec)} delivered/s: it did not keep up with its rate, ` +
          'so its latency is not the unqueued one (a busy machine, or a broker slower than at full speed)',
      );
    }
  }

  result.runs = runs;
  result.raw = raw;
  result.ratios = Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, round(v, 3)]));
} catch (error) {
  exitCode = 1;
  problems.push(error instanceof Error ? error.message : String(error));
} finally {
  await stopAll();
}

result.ok = problems.length === 0;
result.problems = problems;
result.wallSeconds = round((performance.now() - started) / 1000, 1);
const loadAfter = machineLoad();
result.loadAverage = { before: loadBefore, after: loadAfter };
for (const p of problems) console.log(`!! ${p}`);
console.log(
  `\n${result.ok ? 'ok' : 'FAILED'} (${result.wallSeconds} s, load average ${loadBefore.one} -> ${loadAfter.one} on ${loadAfter.cores} cores)`,
);
console.log(`RESULT ${JSON.stringify(result)}`);
process.exitCode = result.ok ? exitCode : 1;
