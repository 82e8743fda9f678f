#!/usr/bin/env node
// evq against its baselines (bare ws, nats-server, autocannon), every figure in one run:  npm run bench:compare  (npm run build && node bench/compare.js)
//
// Starts nats-server -js (installed with apt-get when missing and we are root, like .ci/run), `evq serve
// --fsync always` and `--fsync never` (bin/evq.js, port 0, temporary data dirs), the bare `ws` forwarder and a
// minimal node:http server, all on 127.0.0.1, then measures, 100-byte messages throughout:
//   1. evq bench 1 producer -> evq serve --fsync always -> 1 subscriber (delivered/s) vs the raw JetStream
//      fast-pattern publish rate (bench/_jetstream-raw.js; target >= 4x) and vs nats-server core pub/sub with
//      the nats client (bench/_nats-core.js; >= 1.0x);
//   2. fan-out 1 -> 10 subscribers through evq (fsync always) vs the same load through the bare ws forwarder,
//      100-message batches encoded once and shared (bench/_ws-load.js, raw clients on both sides): >= 0.5;
//   3. the same with each subscriber's own filter `value.g == i` matching 10% (fan-out rate = published x
//      subscribers per second, what the broker matched against a subscription) vs that ceiling: >= 0.25;
//   4. acknowledged msgs/s with 4 producers, --fsync always / --fsync never (bench/_ws-load.js): >= 0.6;
//   5. evq bench --rate at 50% of run 1's rate: e2e p99 <= 2 ms, p99.9 <= 10 ms (corrected for coordinated
//      omission; uncorrected and the generator's send lag reported beside);
//   6. evq bench --transport http vs autocannon, single-message POSTs, the same server (bench/_http-generator.js): >= 1.0;
//   7. broker RSS with 1,000,000 retained messages and 100 idle subscribers <= 200 MB (bench/_broker-memory.js),
//      and the peak RSS of `evq produce` piping 10,000,000 lines <= 100 MB (bench/_produce-pipe.js);
//   8. `evq --help` and `evq produce t x` wall time <= 1.5 x (node -e 0 + one HTTP round trip), medians of 5
//      (bench/_startup.js).
// The compared runs of 1, 2-3, 4 and 6 alternate, ROUNDS times; a ratio is the median of the per-round
// ratios. Prints one line per target (ratio, target, PASS/FAIL) and writes every raw figure, the ratios and
// the machine (cpus, load average, node, git commit, date) to bench/results/latest.json. Exit code 0 also
// when a target FAILs (it is a measurement); 1 when a run errs or loses, duplicates or reorders a message.
//
// Environment (all optional): EVQ_COMPARE_ROUNDS (default 3), EVQ_COMPARE_SECONDS (evq bench runs, default 4),
// EVQ_COMPARE_PIPE_LINES (default 10000000), EVQ_COMPARE_RETAINED (default 1000000), EVQ_COMPARE_OUT (the
// JSON file, default bench/results/latest.json), EVQ_BENCH_NATS_SERVER (the nats-server binary).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, machineLoad, median, round } from './_bench-util.js';
import { brokerMemory } from './_broker-memory.js';
import { runEvqBench, stopRunningBenches } from './_evq-bench.js';
import { autocannonRun, evqHttpRun, killChildren, startMinimalServer } from './_http-generator.js';
import { rawJetStreamBaseline } from './_jetstream-raw.js';
import { natsCoreBaseline } from './_nats-core.js';
import { findNatsServer, startNatsServer } from './_nats-server.js';
import { generatedLines, produceFromPipe } from './_produce-pipe.js';
import { serverSet } from './_servers.js';
import { measureStartup } from './_startup.js';
import { createWsLoad, metric, startBaseline, startBroker } from './_ws-load.js';

const env = process.env;
const ROUNDS = Number(env.EVQ_COMPARE_ROUNDS ?? 3);
const SECONDS = Number(env.EVQ_COMPARE_SECONDS ?? 4);
const PIPE_LINES = Number(env.EVQ_COMPARE_PIPE_LINES ?? 10_000_000);
const RETAINED = Number(env.EVQ_COMPARE_RETAINED ?? 1_000_000);
const OUT = env.EVQ_COMPARE_OUT ?? fileURLToPath(new URL('results/latest.json', import.meta.url));
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1 && ROUNDS <= 10) || !(SECONDS >= 1 && SECONDS <= 60)) {
  console.error('EVQ_COMPARE_ROUNDS must be a whole number from 1 to 10, EVQ_COMPARE_SECONDS a number from 1 to 60');
  process.exit(2);
}
if (
  !(Number.isInteger(PIPE_LINES) && PIPE_LINES >= 1000 && PIPE_LINES <= 100_000_000) ||
  !(Number.isInteger(RETAINED) && RETAINED >= 1000 && RETAINED <= 10_000_000)
) {
  console.error('EVQ_COMPARE_PIPE_LINES must be a whole number from 1,000 to 100,000,000, EVQ_COMPARE_RETAINED from 1,000 to 10,000,000');
  process.exit(2);
}
const WARMUP = 1;
const SIZE = 100;
const FANOUT_SUBSCRIBERS = 10;
const FANOUT_BATCH = 100;
const FANOUT_SECONDS = 2;
const PRODUCE_SECONDS = 1.5;
const HTTP_SECONDS = 3;
const MB = 1_000_000;
const MAX_WALL_SECONDS = 900;

const TARGETS = {
  jetstream: 4,
  natsCore: 1,
  fanout: 0.5,
  filtered: 0.25,
  fsync: 0.6,
  p99Ms: 2,
  p999Ms: 10,
  http: 1,
  brokerRssBytes: 200 * MB,
  producerRssBytes: 100 * MB,
  startup: 1.5,
};

// ------------------------------------------------------------------------------------------ servers and cleanup

const { start, stopOne, stopAll } = serverSet({
  maxWallSeconds: MAX_WALL_SECONDS,
  what: 'the comparison',
  beforeStop: () => {
    stopRunningBenches();
    killChildren();
  },
});

// ------------------------------------------------------------------------------------------ helpers

const x = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a');
const msOf = (us) => (Number.isFinite(us) ? (us / 1000).toFixed(2) : 'n/a');
const mb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / MB).toFixed(1)} MB` : 'n/a');
const k = (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${Math.round(v / 1e3)}k`);
const ratioOf = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN);
const problems = [];
const step = (text) => console.log(`   ${text}`);

function gitCommit() {
  try {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** Records a problem (lost, duplicated or reordered messages, errors) of one `evq bench` run. */
function checkBench(name, bench) {
  const v = bench.result.verification;
  const errors = bench.result.errors.reduce((n, e) => n + e.count, 0);
  if (v.lost > 0 || v.duplicated > 0 || v.reordered > 0 || errors > 0 || bench.exitCode !== 0) {
    problems.push(
      `${name}: ${v.lost} lost, ${v.duplicated} duplicated, ${v.reordered} reordered, ${errors} errors${bench.result.errors[0] ? ` (${bench.result.errors[0].message})` : ''}`,
    );
  }
}

/** The figures of one `evq bench` run kept in the JSON. */
function benchFigures(bench) {
  const r = bench.result;
  const lat = (d) => ({ p50: d.p50, p99: d.p99, 'p99.9': d['p99.9'], max: d.max });
  return {
    command: bench.command,
    publishedPerSec: r.publish.msgsPerSec,
    deliveredPerSec: r.config.subscribers > 0 ? r.deliver.msgsPerSec : null,
    intendedPerSec: r.publish.intendedMsgsPerSec,
    messages: r.publish.messages,
    drainMs: r.phases.drainMs,
    latencyUs: {
      e2e: lat(r.latency.e2e),
      e2eUncorrected: lat(r.latency.e2eUncorrected),
      ack: lat(r.latency.ack),
      sendLag: lat(r.latency.sendLag),
    },
    verification: r.verification,
  };
}

function checkDelivery(name, run) {
  if (run.lost !== 0 || run.gaps !== 0 || run.errors.length > 0)
    problems.push(`${name}: ${run.lost} lost, ${run.gaps} out of order ${run.errors.join('; ')}`.trim());
}

// ------------------------------------------------------------------------------------------ the runs

const started = performance.now();
const loadBefore = machineLoad();
const result = {
  schema: 'evq-compare/1',
  date: new Date().toISOString(),
  git: gitCommit(),
  machine: {
    platform: platform(),
    release: release(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    totalMemoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    node: process.version,
    loadAverageBefore: loadavg().map((v) => round(v, 2)),
  },
  settings: { rounds: ROUNDS, seconds: SECONDS, warmupSeconds: WARMUP, messageBytes: SIZE, pipeLines: PIPE_LINES, retained: RETAINED },
  figures: {},
  targets: [],
};
const F = result.figures;
const targets = result.targets;

function target(id, title, checks, detail) {
  const pass = checks.every((c) => c.pass);
  targets.push({ id, title, pass, checks, detail });
}

let exitCode = 0;
try {
  const natsBin = findNatsServer();
  const launched = await Promise.allSettled([
    start(() => startBroker('always')),
    start(() => startBroker('never')),
    start(() => startNatsServer(natsBin)),
    start(startBaseline),
  ]);
  const failed = launched.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const [always, never, nats, forwarder] = launched.map((s) => /** @type {PromiseFulfilledResult<any>} */ (s).value);
  result.servers = {
    evqAlways: always.httpUrl,
    evqNever: never.httpUrl,
    nats: nats.url,
    natsServer: nats.version,
    forwarder: forwarder.wsUrl,
  };
  console.log(
    `bench:compare — evq serve --fsync always/never, nats-server ${nats.version} -js, a bare ws forwarder; ${SIZE}-byte messages; ` +
      `${ROUNDS} alternating round(s); load average ${loadBefore.one} on ${loadBefore.cores} cores (node ${process.version})`,
  );

  // 1. and 5. ---------------------------------------------------------------------------------------
  console.log('\n1. evq bench 1 -> 1 through evq serve --fsync always, vs JetStream raw publish and NATS core pub/sub');
  const common = ['--producers', '1', '--size', String(SIZE), '--duration', `${SECONDS}s`, '--warmup', `${WARMUP}s`];
  const e2eRuns = [];
  const rawRuns = [];
  const coreRuns = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['evq', 'raw', 'core'] : ['core', 'raw', 'evq'];
    for (const kind of order) {
      if (kind === 'evq') {
        const bench = await runEvqBench(always.httpUrl, [...common, '--subscribers', '1'], { timeoutMs: (SECONDS + WARMUP + 60) * 1000 });
        checkBench(`evq bench 1 -> 1 (round ${round + 1})`, bench);
        e2eRuns.push(benchFigures(bench));
        step(
          `evq 1 -> 1             ${fmt(bench.result.publish.msgsPerSec)} published/s, ${fmt(bench.result.deliver.msgsPerSec)} delivered/s`,
        );
      } else if (kind === 'raw') {
        const raw = await rawJetStreamBaseline(nats.url, {
          size: SIZE,
          window: 1000,
          warmupMs: WARMUP * 1000,
          durationMs: (SECONDS - 1) * 1000,
        });
        if (raw.errors > 0 || raw.unacked > 0 || raw.unexpected > 0 || raw.stored !== raw.acked) {
          problems.push(
            `JetStream raw: ${raw.errors} errors, ${raw.unacked} never acknowledged, ${raw.unexpected} unexpected acks, ${raw.stored} stored for ${raw.acked} acknowledged`,
          );
        }
        rawRuns.push(raw);
        step(`JetStream raw publish  ${fmt(raw.msgsPerSec)} acknowledged/s (window 1,000)`);
      } else {
        const core = await natsCoreBaseline(nats.url, { size: SIZE, warmupMs: WARMUP * 1000, durationMs: (SECONDS - 1) * 1000 });
        if (core.lost > 0 || core.reordered > 0) problems.push(`NATS core: ${core.lost} lost, ${core.reordered} reordered`);
        coreRuns.push(core);
        step(`NATS core pub/sub      ${fmt(core.msgsPerSec)} delivered/s`);
      }
    }
  }
  const sustained = (r) => Math.min(r.publishedPerSec, r.deliveredPerSec);
  const evqE2e = median(e2eRuns.map((r) => r.deliveredPerSec));
  const vsRaw = median(e2eRuns.map((r, i) => ratioOf(r.deliveredPerSec, rawRuns[i].msgsPerSec)));
  const vsCore = median(e2eRuns.map((r, i) => ratioOf(r.deliveredPerSec, coreRuns[i].msgsPerSec)));
  F.e2e = { runs: e2eRuns, deliveredPerSec: evqE2e };
  F.jetstreamRaw = {
    runs: rawRuns.map(({ read, ...rest }) => ({ ...rest, readPerSec: read.msgsPerSec })),
    msgsPerSec: median(rawRuns.map((r) => r.msgsPerSec)),
  };
  F.natsCore = { runs: coreRuns, msgsPerSec: median(coreRuns.map((r) => r.msgsPerSec)) };
  target(
    1,
    'e2e 1 -> 1, evq serve --fsync always (evq bench)',
    [
      { name: 'vs JetStream raw publish', ratio: round(vsRaw, 3), target: TARGETS.jetstream, pass: vsRaw >= TARGETS.jetstream },
      { name: 'vs NATS core pub/sub', ratio: round(vsCore, 3), target: TARGETS.natsCore, pass: vsCore >= TARGETS.natsCore },
    ],
    `${k(evqE2e)}/s vs JetStream raw ${k(F.jetstreamRaw.msgsPerSec)}/s: ${x(vsRaw)} (>= ${TARGETS.jetstream}x), vs NATS core ${k(F.natsCore.msgsPerSec)}/s: ${x(vsCore)} (>= ${TARGETS.natsCore}x)`,
  );

  console.log('\n5. latency at 50% of the full-speed rate (evq bench --rate, 1 -> 1, fsync always)');
  const halfRate = Math.max(1000, Math.floor(0.5 * median(e2eRuns.map(sustained))));
  const fsyncs0 = await metric(always, 'evq_fsync_seconds_count');
  const fsyncSeconds0 = await metric(always, 'evq_fsync_seconds_sum');
  const half = await runEvqBench(always.httpUrl, [...common, '--subscribers', '1', '--rate', String(halfRate)], {
    timeoutMs: (SECONDS + WARMUP + 60) * 1000,
  });
  checkBench('evq bench --rate', half);
  // with --fsync always a record is delivered once it is on disk: the broker's mean fsync time is part of the latency
  const fsyncs = (await metric(always, 'evq_fsync_seconds_count')) - fsyncs0;
  const fsyncMeanMs = fsyncs > 0 ? (((await metric(always, 'evq_fsync_seconds_sum')) - fsyncSeconds0) * 1000) / fsyncs : null;
  // the machine's own floor: one 100-message frame at a time through the bare ws forwarder, to one subscriber
  const floor = await createWsLoad({ batch: FANOUT_BATCH, valueBytes: SIZE }).deliveryRun(forwarder, 'baseline', 'floor', 1, {
    seconds: 1,
    maxFrames: 500,
    window: 1,
    lagFrames: 1,
  });
  checkDelivery('forwarder, one frame at a time', floor);
  F.latency = {
    rate: halfRate,
    ...benchFigures(half),
    fsyncs,
    fsyncMeanMs: round(fsyncMeanMs, 3),
    forwarderOneFrameMs: {
      frames: floor.published / FANOUT_BATCH,
      p50: round(floor.p50, 3),
      p99: round(floor.p99, 3),
      max: round(floor.max, 3),
    },
  };
  const L = F.latency.latencyUs;
  const kept =
    Math.min(half.result.publish.msgsPerSec, half.result.deliver.msgsPerSec) >= 0.9 * halfRate &&
    half.result.phases.drainMs <= Math.max(250, 0.05 * half.result.phases.measuredMs);
  F.latency.keptRate = kept;
  step(
    `--rate ${fmt(halfRate)}: e2e p50/p99/p99.9 ${msOf(L.e2e.p50)}/${msOf(L.e2e.p99)}/${msOf(L.e2e['p99.9'])} ms corrected, ` +
      `${msOf(L.e2eUncorrected.p50)}/${msOf(L.e2eUncorrected.p99)}/${msOf(L.e2eUncorrected['p99.9'])} ms uncorrected; ` +
      `send lag p50/p99/p99.9 ${msOf(L.sendLag.p50)}/${msOf(L.sendLag.p99)}/${msOf(L.sendLag['p99.9'])} ms${kept ? '' : '; did NOT keep its rate'}`,
  );
  step(
    `${fsyncs} fsyncs, ${fsyncMeanMs === null ? 'n/a' : fsyncMeanMs.toFixed(2)} ms on average; the machine's floor (bare ws forwarder, one frame at a time): ` +
      `p50 ${floor.p50.toFixed(2)} ms, p99 ${floor.p99.toFixed(2)} ms`,
  );

  // 2. and 3. ---------------------------------------------------------------------------------------
  console.log(
    `\n2./3. fan-out 1 -> ${FANOUT_SUBSCRIBERS}: evq (fsync always), unfiltered and each subscriber with its own 10% filter, vs the bare ws forwarder (${FANOUT_BATCH}-message batches)`,
  );
  const window = Math.round((64 * 1000) / FANOUT_BATCH); // as many messages in flight as bench/broker.js's 64 frames of 1,000
  const plain = createWsLoad({ batch: FANOUT_BATCH, valueBytes: SIZE, window, lagFrames: window, seconds: FANOUT_SECONDS });
  const grouped = createWsLoad({ batch: FANOUT_BATCH, valueBytes: SIZE, groups: 10, window, lagFrames: window, seconds: FANOUT_SECONDS });
  await plain.warmUp(always, 'evq', { produce: false });
  await plain.warmUp(forwarder, 'baseline');
  await grouped.warmUp(always, 'evq', { produce: false, filtered: true });
  const fan = { evq: [], ceiling: [], filtered: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['evq', 'ceiling', 'filtered'] : ['filtered', 'ceiling', 'evq'];
    for (const kind of order) {
      const topic = `fanout-${kind}-${round}`;
      const run =
        kind === 'ceiling'
          ? await plain.deliveryRun(forwarder, 'baseline', topic, FANOUT_SUBSCRIBERS)
          : kind === 'evq'
            ? await plain.deliveryRun(always, 'evq', topic, FANOUT_SUBSCRIBERS)
            : await grouped.deliveryRun(always, 'evq', topic, FANOUT_SUBSCRIBERS, { filtered: true });
      checkDelivery(`fan-out ${kind} (round ${round + 1})`, run);
      fan[kind].push(run);
      step(
        `${kind.padEnd(9)} ${fmt(run.rate)} delivered/s, ${fmt(run.publishRate)} published/s${kind === 'filtered' ? `, fan-out ${fmt(run.fanoutRate)}/s` : ''}; ` +
          `server cpu ${Math.round(run.cpu.server)}%, bench cpu ${Math.round(run.cpu.bench)}%`,
      );
    }
  }
  const keep = (run) => ({
    deliveredPerSec: Math.round(run.rate),
    publishedPerSec: Math.round(run.publishRate),
    fanoutPerSec: Math.round(run.fanoutRate),
    delivered: run.delivered,
    lost: run.lost,
    p50Ms: round(run.p50, 2),
    p99Ms: round(run.p99, 2),
    serverCpuPct: round(run.cpu.server),
    benchCpuPct: round(run.cpu.bench),
  });
  F.fanout = {
    subscribers: FANOUT_SUBSCRIBERS,
    batch: FANOUT_BATCH,
    window,
    evq: fan.evq.map(keep),
    ceiling: fan.ceiling.map(keep),
    filtered: fan.filtered.map(keep),
  };
  const fanRatio = median(fan.evq.map((r, i) => r.rate / fan.ceiling[i].rate));
  const filteredRatio = median(fan.filtered.map((r, i) => r.fanoutRate / fan.ceiling[i].rate));
  const ceilingRate = median(fan.ceiling.map((r) => r.rate));
  target(
    2,
    `fan-out 1 -> ${FANOUT_SUBSCRIBERS}, no filter, vs bare ws batched ceiling`,
    [{ name: 'delivered/s ratio', ratio: round(fanRatio, 3), target: TARGETS.fanout, pass: fanRatio >= TARGETS.fanout }],
    `${k(median(fan.evq.map((r) => r.rate)))}/s vs ceiling ${k(ceilingRate)}/s: ${x(fanRatio)} (>= ${TARGETS.fanout})`,
  );
  target(
    3,
    `fan-out 1 -> ${FANOUT_SUBSCRIBERS}, each its own 10% filter, vs that ceiling`,
    [{ name: 'fan-out/s ratio', ratio: round(filteredRatio, 3), target: TARGETS.filtered, pass: filteredRatio >= TARGETS.filtered }],
    `${k(median(fan.filtered.map((r) => r.fanoutRate)))} msgs x subscribers/s (${k(median(fan.filtered.map((r) => r.rate)))} delivered/s) vs ceiling ${k(ceilingRate)}/s: ${x(filteredRatio)} (>= ${TARGETS.filtered})`,
  );

  // 4. ------------------------------------------------------------------------------------------------
  console.log('\n4. group commit: acknowledged msgs/s with 4 producers, --fsync always vs --fsync never (frames of 1,000)');
  const produce = createWsLoad({ batch: 1000, valueBytes: SIZE, seconds: PRODUCE_SECONDS });
  await produce.produceRun(always, 'warmup-produce', 4, 0.7);
  await produce.produceRun(never, 'warmup-produce', 4, 0.7);
  const fs = { always: [], never: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? ['always', 'never'] : ['never', 'always']) {
      const run = await produce.produceRun(mode === 'always' ? always : never, `produce4-${round}`, 4);
      fs[mode].push(run);
      step(
        `fsync ${mode.padEnd(7)} ${fmt(run.rate)} acknowledged/s, ack p99 ${run.ackP99.toFixed(1)} ms${run.framesPerFsync ? `, ${run.framesPerFsync.toFixed(1)} frames per fsync` : ''}`,
      );
    }
  }
  const fsKeep = (r) => ({
    msgsPerSec: Math.round(r.rate),
    ackP50Ms: round(r.ackP50, 2),
    ackP99Ms: round(r.ackP99, 2),
    fsyncs: r.fsyncs,
    framesPerFsync: round(r.framesPerFsync, 1),
    brokerCpuPct: round(r.cpu.server),
  });
  F.groupCommit = { producers: 4, always: fs.always.map(fsKeep), never: fs.never.map(fsKeep) };
  const fsRatio = median(fs.always.map((r, i) => r.rate / fs.never[i].rate));
  target(
    4,
    '--fsync always vs never, 4 producers',
    [{ name: 'acknowledged/s ratio', ratio: round(fsRatio, 3), target: TARGETS.fsync, pass: fsRatio >= TARGETS.fsync }],
    `${k(median(fs.always.map((r) => r.rate)))}/s vs ${k(median(fs.never.map((r) => r.rate)))}/s: ${x(fsRatio)} (>= ${TARGETS.fsync})`,
  );

  target(
    5,
    `e2e latency at 50% of the max rate (--rate ${k(halfRate)})`,
    [
      { name: 'p99 ms (corrected)', value: round(L.e2e.p99 / 1000, 3), target: TARGETS.p99Ms, pass: L.e2e.p99 / 1000 <= TARGETS.p99Ms },
      {
        name: 'p99.9 ms (corrected)',
        value: round(L.e2e['p99.9'] / 1000, 3),
        target: TARGETS.p999Ms,
        pass: L.e2e['p99.9'] / 1000 <= TARGETS.p999Ms,
      },
    ],
    `p99 ${msOf(L.e2e.p99)} ms (<= ${TARGETS.p99Ms}), p99.9 ${msOf(L.e2e['p99.9'])} ms (<= ${TARGETS.p999Ms}); p50 ${msOf(L.e2e.p50)}; uncorrected p99 ${msOf(L.e2eUncorrected.p99)}; send lag p99 ${msOf(L.sendLag.p99)} ms; mean fsync ${F.latency.fsyncMeanMs ?? 'n/a'} ms; bare ws p99 ${F.latency.forwarderOneFrameMs.p99} ms`,
  );

  // 6. ------------------------------------------------------------------------------------------------
  console.log(
    '\n6. evq bench --transport http vs autocannon (single-message POSTs, 10 connections x pipelining 10, a minimal node:http server)',
  );
  const minimal = await start(startMinimalServer);
  await evqHttpRun(minimal.url, 1);
  await autocannonRun(minimal.url, 1);
  const http = { evq: [], autocannon: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 === 0 ? ['evq', 'autocannon'] : ['autocannon', 'evq']) {
      const run = kind === 'evq' ? await evqHttpRun(minimal.url, HTTP_SECONDS) : await autocannonRun(minimal.url, HTTP_SECONDS);
      if (run.errors > 0) problems.push(`${kind} (HTTP): ${run.errors} errors`);
      http[kind].push(run);
      step(`${kind.padEnd(10)} ${fmt(run.perSec)} requests/s, ${run.cpuUsPerReq.toFixed(1)} CPU µs per request`);
    }
  }
  await stopOne(minimal);
  const httpKeep = (r) => ({
    requestsPerSec: Math.round(r.perSec),
    requests: r.requests,
    cpuUsPerRequest: round(r.cpuUsPerReq, 2),
    errors: r.errors,
  });
  F.http = { evq: http.evq.map(httpKeep), autocannon: http.autocannon.map(httpKeep) };
  const httpRatio = median(http.evq.map((r, i) => r.perSec / http.autocannon[i].perSec));
  target(
    6,
    'evq bench --transport http vs autocannon',
    [{ name: 'requests/s ratio', ratio: round(httpRatio, 3), target: TARGETS.http, pass: httpRatio >= TARGETS.http }],
    `${k(median(http.evq.map((r) => r.perSec)))}/s vs ${k(median(http.autocannon.map((r) => r.perSec)))}/s: ${x(httpRatio)} (>= ${TARGETS.http})`,
  );

  // 8. (before 7: the producer piping 10 M lines leaves a lot in the page cache) ----------------------
  console.log('\n8. start-up: evq --help and evq produce t x (wall time, spawn to exit), vs node -e 0 + one HTTP round trip');
  const startup = await measureStartup(always.httpUrl, { runs: 5 });
  F.startup = startup;
  const m = startup.medianMs;
  step(
    `node -e 0 ${m.nodeE0.toFixed(1)} ms + round trip ${m.roundTrip.toFixed(2)} ms = ${startup.baselineMs.toFixed(1)} ms; evq --help ${m.help.toFixed(1)} ms, evq produce t x ${m.produce.toFixed(1)} ms`,
  );
  const helpRatio = m.help / startup.baselineMs;
  const produceRatio = m.produce / startup.baselineMs;

  // 7. ------------------------------------------------------------------------------------------------
  console.log(
    `\n7. memory: evq serve with ${fmt(RETAINED)} retained messages and 100 idle subscribers; evq produce piping ${fmt(PIPE_LINES)} lines`,
  );
  await stopOne(always); // a fresh broker for the memory figure: nothing but the retained messages in it
  const fresh = await start(() => startBroker('always'));
  const memory = await brokerMemory(fresh, { messages: RETAINED, subscribers: 100 });
  if (!memory.ok) problems.push(`memory run: ${memory.retained} of ${memory.messages} messages retained`);
  step(
    `broker RSS ${mb(memory.rssBytes)} (peak ${mb(memory.peakRssBytes)}; ${mb(memory.rssAtStartBytes)} at start, ${mb(memory.rssAfterProduceBytes)} after producing)`,
  );
  await stopOne(fresh);
  const pipe = await produceFromPipe(never.httpUrl, 'pipe', generatedLines(PIPE_LINES, SIZE + 1));
  const topics = /** @type {any} */ (await (await fetch(`${never.httpUrl}/topics`)).json());
  const piped = topics.topics.find((t) => t.topic === 'pipe')?.messageCount ?? 0;
  if (piped !== PIPE_LINES) problems.push(`evq produce: the topic holds ${piped} messages, ${PIPE_LINES} piped`);
  const pipeRate = (PIPE_LINES * 1000) / pipe.ms;
  step(`evq produce: peak RSS ${mb(pipe.peak)}, ${fmt(pipeRate)} lines/s (${(pipe.ms / 1000).toFixed(1)} s, start-up included)`);
  F.memory = {
    broker: memory,
    producer: {
      lines: PIPE_LINES,
      peakRssBytes: pipe.peak,
      linesPerSec: Math.round(pipeRate),
      wallMs: Math.round(pipe.ms),
      stored: piped,
      summary: pipe.summary,
    },
  };
  target(
    7,
    `memory: broker with ${fmt(RETAINED)} retained + 100 idle subscribers; evq produce piping ${fmt(PIPE_LINES)} lines`,
    [
      {
        name: 'broker RSS bytes',
        value: memory.rssBytes,
        target: TARGETS.brokerRssBytes,
        pass: memory.rssBytes > 0 && memory.rssBytes <= TARGETS.brokerRssBytes,
      },
      {
        name: 'producer peak RSS bytes',
        value: pipe.peak,
        target: TARGETS.producerRssBytes,
        pass: pipe.peak > 0 && pipe.peak <= TARGETS.producerRssBytes,
      },
    ],
    `broker ${mb(memory.rssBytes)} (<= 200 MB; peak ${mb(memory.peakRssBytes)}), producer peak ${mb(pipe.peak)} (<= 100 MB)`,
  );
  target(
    8,
    'start-up vs node -e 0 + one HTTP round trip',
    [
      { name: 'evq --help ratio', ratio: round(helpRatio, 3), target: TARGETS.startup, pass: helpRatio <= TARGETS.startup },
      { name: 'evq produce t x ratio', ratio: round(produceRatio, 3), target: TARGETS.startup, pass: produceRatio <= TARGETS.startup },
    ],
    `--help ${m.help.toFixed(0)} ms = ${x(helpRatio)}, produce t x ${m.produce.toFixed(0)} ms = ${x(produceRatio)} of ${startup.baselineMs.toFixed(0)} ms (<= ${TARGETS.startup}x)`,
  );

  const stoppedCleanly = await stopAll();
  if (!stoppedCleanly) problems.push('a server did not stop cleanly');
} catch (error) {
  exitCode = 1;
  problems.push(error instanceof Error ? error.message : String(error));
} finally {
  await stopAll();
}

// ------------------------------------------------------------------------------------------ the table

targets.sort((a, b) => a.id - b.id);
console.log('\n   target  result  what: measured (ratio) (target)');
for (const t of targets) console.log(`   ${String(t.id).padEnd(8)}${t.pass ? 'PASS' : 'FAIL'}    ${t.title}: ${t.detail}`);
const loadAfter = machineLoad();
result.machine.loadAverageAfter = loadavg().map((v) => round(v, 2));
result.ok = problems.length === 0;
result.problems = problems;
result.passed = targets.filter((t) => t.pass).length;
result.wallSeconds = round((performance.now() - started) / 1000, 1);
for (const p of problems) console.log(`!! ${p}`);
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `\n${result.passed} of 8 targets met; ${result.ok ? 'no run lost anything' : 'FAILED: a run erred or lost messages'} ` +
    `(${result.wallSeconds} s, load average ${loadBefore.one} -> ${loadAfter.one} on ${loadAfter.cores} cores); written to ${OUT}`,
);
process.exitCode = result.ok ? exitCode : 1;
