#!/usr/bin/env node
// The broker benchmark: produce throughput per fsync mode, end-to-end produce -> subscribe
// throughput and latency, and the ceiling of the same delivery through a bare `ws` forwarder.
//   npm run build && node bench/broker.js          (or: npm run bench -- broker)
//
// The broker (`bin/evq.js serve --port 0` in a temporary data dir, removed afterwards) and the baseline
// server (bench/_ws-baseline-server.js) each run in their own process; the producers and subscribers run in
// this one, so every latency is measured with one clock (performance.now(): the producer writes its send
// time into the first 8 bytes of every message value, the subscriber subtracts it on arrival). Messages are
// 100 bytes, sent as binary produce frames of 1,000 messages (`evq.binary.v1`), at most WINDOW frames in
// flight per producer, acks matched by req id. Everything on 127.0.0.1, bounded in count and time.
//
// Environment (all optional):
//   EVQ_BENCH_BROKER_SECONDS   seconds of each measured run (default 1.5)
//   EVQ_BENCH_BROKER_ROUNDS    alternating rounds of the compared runs (default 3)
//   EVQ_BENCH_BROKER_WINDOW    produce frames in flight per producer (default 64: with --fsync always an ack
//                              waits for an fsync, so a shallow window measures latency, not throughput)
//   EVQ_BENCH_BROKER_LAG       frames a subscriber may lag behind the producer in the delivery runs (default 64,
//                              the same for evq and the forwarder)
//   EVQ_BENCH_BROKER_E2E_FSYNC fsync mode of the broker in the delivery runs (default always, the broker's default)
//   EVQ_BENCH_BROKER_ONLY      comma list of parts to run: produce, e2e, ceiling (default all three)
//   EVQ_BENCH_BROKER_MASK      zero (default) or random: the WebSocket mask of what the producers send. With
//                              an all-zero mask (ws's `generateMask` option) neither the client nor the server
//                              spends CPU on masking; with random masks and no `bufferutil` installed, ws masks
//                              and unmasks in JavaScript, which costs the load generator more than a bare
//                              forwarder costs, so the ceiling would measure the load generator.
//   EVQ_BENCH_BROKER_CPU_PROF  a directory: the broker processes run with --cpu-prof and write their profiles there
//   EVQ_BENCH_BROKER_BIN       the evq entry point to start as the broker (default bin/evq.js), e.g. to compare
//                              another build of the broker with this one
import { availableParallelism, loadavg } from 'node:os';
import { SUBPROTOCOL_BINARY } from '../dist/protocol/ws-frames.js';
import { fmt, median, round } from './_bench-util.js';
import { createWsLoad, startBaseline, startBroker as startEvqBroker } from './_ws-load.js';

const EVQ_BIN = process.env.EVQ_BENCH_BROKER_BIN;

const env = process.env;
const SECONDS = Number(env.EVQ_BENCH_BROKER_SECONDS ?? 1.5);
const ROUNDS = Number(env.EVQ_BENCH_BROKER_ROUNDS ?? 3);
const WINDOW = Number(env.EVQ_BENCH_BROKER_WINDOW ?? 64);
const LAG_FRAMES = Number(env.EVQ_BENCH_BROKER_LAG ?? 64);
const E2E_FSYNC = env.EVQ_BENCH_BROKER_E2E_FSYNC ?? 'always';
const ONLY = new Set((env.EVQ_BENCH_BROKER_ONLY ?? 'produce,e2e,ceiling').split(',').map((s) => s.trim()));
const MASK = env.EVQ_BENCH_BROKER_MASK ?? 'zero';
if (MASK !== 'zero' && MASK !== 'random') throw new Error('EVQ_BENCH_BROKER_MASK must be zero or random');
const ZERO_MASK = MASK === 'zero';
const CPU_PROF = env.EVQ_BENCH_BROKER_CPU_PROF;

const BATCH = 1000;
const VALUE_BYTES = 100;
const GROUP_COMMIT_TARGET = 0.5;
const CEILING_TARGET = 0.5;
const MAX_WALL_SECONDS = 300;

const { produceRun, deliveryRun, warmUp } = createWsLoad({
  batch: BATCH,
  valueBytes: VALUE_BYTES,
  window: WINDOW,
  lagFrames: LAG_FRAMES,
  seconds: SECONDS,
  zeroMask: ZERO_MASK,
});
const startBroker = (fsync) => startEvqBroker(fsync, { evqBin: EVQ_BIN, cpuProfDir: CPU_PROF });

// ------------------------------------------------------------------------------------------ main
//
// The machine may be busy with other work, which moves every absolute figure. So the runs that are
// compared with each other (always vs never, evq vs the forwarder) alternate, ROUNDS times, with every
// server started before the first round; a ratio is the median of the per-round ratios, and each figure
// is the median of its rounds with the lowest and highest shown as the spread. CPU time per message
// (from /proc) is also shown: it moves much less than throughput when the machine is shared.

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const pct = (x) => (Number.isFinite(x) ? `${Math.round(x)}%` : 'n/a');
const short = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${Math.round(x / 1e3)}k`);
const spread = (values) => `${short(Math.min(...values))}-${short(Math.max(...values))}`;
const usPerMsg = (cpuMs, messages) => (messages > 0 ? (cpuMs * 1000) / messages : Number.NaN);

const started = performance.now();
const loadBefore = loadavg()[0];
const result = {
  bench: 'broker',
  messageBytes: VALUE_BYTES,
  batchMessages: BATCH,
  window: WINDOW,
  seconds: SECONDS,
  rounds: ROUNDS,
  mask: MASK,
};
const problems = [];
const servers = new Set();
async function start(starter) {
  const server = await starter();
  servers.add(server);
  return server;
}
async function stopAll() {
  const list = [...servers];
  servers.clear();
  await Promise.all(list.map((server) => server.stop()));
}
const abort = (code) => {
  void Promise.all([...servers].map((server) => server.stop(2000).catch(() => undefined))).finally(() => process.exit(code));
};
process.on('SIGINT', () => abort(130));
// bounded in time whatever happens (a run that waits for acks or deliveries that never come)
setTimeout(() => {
  console.log(`!! the benchmark did not finish in ${MAX_WALL_SECONDS} s: stopping`);
  abort(1);
}, MAX_WALL_SECONDS * 1000).unref();

console.log(
  `broker: ${VALUE_BYTES}-byte messages, binary produce frames of ${fmt(BATCH)} messages, window ${WINDOW} frames per producer, ` +
    `${ROUNDS} alternating rounds of ${SECONDS} s runs, ${MASK} WebSocket masks; ` +
    `servers in their own process; load average ${loadBefore.toFixed(2)} on ${availableParallelism()} cores`,
);
console.log('(cpu: share of one core used during the run; µs/msg: CPU microseconds per message acknowledged (1.) or delivered (2., 3.))');

try {
  // 1. produce throughput per fsync mode --------------------------------------------------------------
  if (ONLY.has('produce')) {
    const modes = ['always', 'interval', 'never'];
    const brokers = {};
    await Promise.all(modes.map(async (mode) => (brokers[mode] = await start(() => startBroker(mode)))));
    for (const mode of modes) await warmUp(brokers[mode], 'evq');
    const configs = modes.flatMap((mode) => [1, 4].map((producers) => ({ mode, producers, key: `${mode}${producers}`, runs: [] })));
    for (let round = 0; round < ROUNDS; round++) {
      // rotate the order, so that no configuration always runs first or last in a round
      for (let i = 0; i < configs.length; i++) {
        const c = configs[(i + round * 2) % configs.length];
        c.runs.push(await produceRun(brokers[c.mode], `produce-${c.producers}-r${round}`, c.producers, SECONDS));
      }
    }
    await stopAll();

    console.log(`\n1. produce throughput (binary frames over WebSocket, acks matched by req id; median of ${ROUNDS} rounds)`);
    console.log(
      `   ${pad('fsync', 9)}${lpad('producers', 9)}${lpad('messages/s', 13)}${lpad('spread', 13)}${lpad('ack p50 ms', 12)}${lpad('ack p99 ms', 12)}` +
        `${lpad('frames/fsync', 14)}${lpad('fsync ms', 10)}${lpad('broker cpu', 12)}${lpad('µs/msg', 8)}`,
    );
    const produce = {};
    for (const c of configs) {
      const rates = c.runs.map((r) => r.rate);
      const framesPerFsync = c.runs.map((r) => r.framesPerFsync).filter((x) => x !== null);
      const entry = {
        messagesPerSec: Math.round(median(rates)),
        min: Math.round(Math.min(...rates)),
        max: Math.round(Math.max(...rates)),
        ackP50Ms: round(median(c.runs.map((r) => r.ackP50)), 2),
        ackP99Ms: round(median(c.runs.map((r) => r.ackP99)), 2),
        fsyncs: c.runs.reduce((n, r) => n + r.fsyncs, 0),
        framesPerFsync: framesPerFsync.length > 0 ? round(median(framesPerFsync), 2) : null,
        fsyncMs: framesPerFsync.length > 0 ? round(median(c.runs.map((r) => r.fsyncMs).filter((x) => x !== null)), 2) : null,
        brokerCpuPct: round(median(c.runs.map((r) => r.cpu.server))),
        brokerCpuUsPerMsg: round(median(c.runs.map((r) => usPerMsg(r.cpu.serverMs, r.messages))), 3),
      };
      produce[c.key] = entry;
      console.log(
        `   ${pad(c.mode, 9)}${lpad(c.producers, 9)}${lpad(fmt(entry.messagesPerSec), 13)}${lpad(spread(rates), 13)}` +
          `${lpad(ms(entry.ackP50Ms), 12)}${lpad(ms(entry.ackP99Ms), 12)}` +
          `${lpad(entry.framesPerFsync === null ? '-' : entry.framesPerFsync.toFixed(1), 14)}${lpad(entry.fsyncMs === null ? '-' : entry.fsyncMs.toFixed(2), 10)}` +
          `${lpad(pct(entry.brokerCpuPct), 12)}${lpad(entry.brokerCpuUsPerMsg.toFixed(2), 8)}`,
      );
    }
    const byKey = Object.fromEntries(configs.map((c) => [c.key, c.runs]));
    const ratios = byKey.always4.map((r, i) => r.rate / byKey.never4[i].rate);
    const ratio = median(ratios);
    const ok = ratio >= GROUP_COMMIT_TARGET;
    result.produce = produce;
    result.groupCommit = { ratio: round(ratio, 3), rounds: ratios.map((x) => round(x, 3)), target: GROUP_COMMIT_TARGET, ok };
    if (!ok) problems.push(`group commit ratio ${ratio.toFixed(2)} < ${GROUP_COMMIT_TARGET}`);
    console.log(
      `   always (4 producers) / never (4 producers) = ${ratio.toFixed(2)} (per round ${ratios.map((x) => x.toFixed(2)).join(', ')}; ` +
        `target >= ${GROUP_COMMIT_TARGET}): ${ok ? 'PASS' : 'FAIL'}`,
    );
  }

  // 2. and 3. delivery through evq and through the bare forwarder --------------------------------------
  const wantE2e = ONLY.has('e2e');
  const wantCeiling = ONLY.has('ceiling');
  if (wantE2e || wantCeiling) {
    const kinds = [...(wantE2e ? ['evq'] : []), ...(wantCeiling ? ['baseline'] : [])];
    const srv = {};
    if (wantE2e) srv.evq = await start(() => startBroker(E2E_FSYNC));
    if (wantCeiling) srv.baseline = await start(startBaseline);
    for (const kind of kinds) await warmUp(srv[kind], kind);
    const runs = { evq: { 1: [], 10: [] }, baseline: { 1: [], 10: [] } };
    for (let round = 0; round < ROUNDS; round++) {
      for (const subs of [1, 10]) {
        const order = round % 2 === 0 ? kinds : [...kinds].reverse();
        for (const kind of order) runs[kind][subs].push(await deliveryRun(srv[kind], kind, `e2e-${subs}-r${round}`, subs));
      }
    }
    const oneFrame = { evq: {}, baseline: {} };
    for (const kind of kinds) {
      for (const subs of [1, 10]) {
        oneFrame[kind][subs] = await deliveryRun(srv[kind], kind, `e2e-one-${subs}`, subs, {
          seconds: 1,
          maxFrames: 200,
          window: 1,
          lagFrames: 1,
        });
      }
    }
    await stopAll();

    const names = { evq: `evq (fsync ${E2E_FSYNC})`, baseline: 'bare ws forwarder' };
    const out = { evq: {}, baseline: {} };
    for (const kind of kinds) {
      if (kind === 'evq') {
        console.log(
          `\n2. end to end: 1 producer -> evq broker (fsync ${E2E_FSYNC}) -> subscribers (${SUBPROTOCOL_BINARY}, from latest, one connection each);` +
            ` median of ${ROUNDS} rounds`,
        );
      } else {
        console.log(
          `\n3. the ceiling: the same delivery through a bare ws server that forwards each frame as it is; median of ${ROUNDS} rounds`,
        );
      }
      console.log(
        `   ${pad('server', 20)}${lpad('subs', 5)}${lpad('delivered/s', 13)}${lpad('spread', 13)}${lpad('published/s', 13)}` +
          `${lpad('p50 ms', 8)}${lpad('p99 ms', 8)}${lpad('lost', 6)}${lpad('server cpu', 12)}${lpad('µs/msg', 8)}${lpad('bench cpu', 11)}${lpad('µs/msg', 8)}`,
      );
      for (const subs of [1, 10]) {
        const list = runs[kind][subs];
        const rates = list.map((r) => r.rate);
        const entry = {
          deliveredPerSec: Math.round(median(rates)),
          min: Math.round(Math.min(...rates)),
          max: Math.round(Math.max(...rates)),
          publishedPerSec: Math.round(median(list.map((r) => r.publishRate))),
          p50Ms: round(median(list.map((r) => r.p50)), 2),
          p99Ms: round(median(list.map((r) => r.p99)), 2),
          published: list.reduce((n, r) => n + r.published, 0),
          delivered: list.reduce((n, r) => n + r.delivered, 0),
          lost: list.reduce((n, r) => n + r.lost, 0),
          gaps: list.reduce((n, r) => n + r.gaps, 0),
          serverCpuPct: round(median(list.map((r) => r.cpu.server))),
          serverCpuUsPerMsg: round(median(list.map((r) => usPerMsg(r.cpu.serverMs, r.delivered))), 3),
          benchCpuPct: round(median(list.map((r) => r.cpu.bench))),
          benchCpuUsPerMsg: round(median(list.map((r) => usPerMsg(r.cpu.benchMs, r.delivered))), 3),
        };
        out[kind][`subs${subs}`] = entry;
        console.log(
          `   ${pad(names[kind], 20)}${lpad(subs, 5)}${lpad(fmt(entry.deliveredPerSec), 13)}${lpad(spread(rates), 13)}${lpad(fmt(entry.publishedPerSec), 13)}` +
            `${lpad(ms(entry.p50Ms), 8)}${lpad(ms(entry.p99Ms), 8)}${lpad(entry.lost + entry.gaps, 6)}` +
            `${lpad(pct(entry.serverCpuPct), 12)}${lpad(entry.serverCpuUsPerMsg.toFixed(2), 8)}` +
            `${lpad(pct(entry.benchCpuPct), 11)}${lpad(entry.benchCpuUsPerMsg.toFixed(2), 8)}`,
        );
        for (const r of list) {
          if (r.lost !== 0 || r.gaps !== 0 || r.errors.length > 0) {
            problems.push(`${names[kind]}, ${subs} subscribers: ${r.lost} lost, ${r.gaps} gaps ${r.errors.join('; ')}`.trim());
          }
        }
      }
      for (const subs of [1, 10]) {
        const r = oneFrame[kind][subs];
        out[kind][`oneFrame${subs}`] = { p50Ms: round(r.p50, 3), p99Ms: round(r.p99, 3), frames: r.published / BATCH };
        console.log(
          `   ${pad(names[kind], 20)}${lpad(subs, 5)}   one frame at a time (${r.published / BATCH} frames): ` +
            `latency p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms${r.lost + r.gaps > 0 ? `, ${r.lost + r.gaps} LOST` : ''}`,
        );
        if (r.lost !== 0 || r.gaps !== 0)
          problems.push(`${names[kind]}, ${subs} subscribers, one frame at a time: ${r.lost} lost, ${r.gaps} gaps`);
      }
    }
    if (wantE2e) result.e2e = { fsync: E2E_FSYNC, lagFrames: LAG_FRAMES, ...out.evq };
    if (wantCeiling) result.ceiling = out.baseline;

    if (wantE2e && wantCeiling) {
      console.log('');
      const ceilingRatio = { target: CEILING_TARGET };
      let ok = true;
      for (const subs of [1, 10]) {
        const ratios = runs.evq[subs].map((r, i) => r.rate / runs.baseline[subs][i].rate);
        const ratio = median(ratios);
        ceilingRatio[`subs${subs}`] = round(ratio, 3);
        ceilingRatio[`subs${subs}Rounds`] = ratios.map((x) => round(x, 3));
        ok &&= ratio >= CEILING_TARGET;
        console.log(
          `   evq / ceiling, ${lpad(subs, 2)} subscriber${subs > 1 ? 's' : ' '}: ${ratio.toFixed(2)} ` +
            `(per round ${ratios.map((x) => x.toFixed(2)).join(', ')}; target >= ${CEILING_TARGET}): ${ratio >= CEILING_TARGET ? 'PASS' : 'FAIL'}`,
        );
      }
      ceilingRatio.ok = ok;
      result.ceilingRatio = ceilingRatio;
      if (!ok) problems.push('evq delivers less than half of the ceiling');
    }
  }
} finally {
  await stopAll();
}

result.ok = problems.length === 0;
result.wallSeconds = round((performance.now() - started) / 1000, 1);
// other processes on the machine skew every figure: the 1-minute load average says how busy it was
result.loadAverage = { before: round(loadBefore, 2), after: round(loadavg()[0], 2), cores: availableParallelism() };
if (problems.length > 0) for (const p of problems) console.log(`!! ${p}`);
console.log(
  `\n${result.ok ? 'all targets met' : 'FAILED'} (${result.wallSeconds} s, load average ${loadBefore.toFixed(2)} -> ${loadavg()[0].toFixed(2)})`,
);
console.log(`RESULT ${JSON.stringify(result)}`);
if (!result.ok) process.exitCode = 1;
