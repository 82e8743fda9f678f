// @ts-check
// Targets 1 and 5 of bench/compare.js: end to end through `evq serve --fsync always` with `evq bench`, 1
// producer -> 1 subscriber, against the raw JetStream publish rate and NATS core pub/sub (alternating
// rounds); then the latency at half the rate reached.
import { fmt, median, round } from '../_bench-util.js';
import { runEvqBench } from '../_evq-bench.js';
import { rawJetStreamBaseline } from '../_jetstream-raw.js';
import { natsCoreBaseline } from '../_nats-core.js';
import { createWsLoad, metric } from '../_ws-load.js';
import { benchFigures, benchProblems, deliveryProblems, msFromUs, ratioOf } from './compare-checks.js';
import { oneProducerArgs } from './compare-settings.js';

/** @typedef {import('./compare-report.js').CompareContext} CompareContext */

/**
 * Target 1: ROUNDS rounds of evq 1 -> 1, JetStream raw publish and NATS core pub/sub, in alternating order.
 * @param {CompareContext} ctx
 */
export async function measureE2e(ctx) {
  const { settings: s, servers } = ctx;
  const e2eRuns = [];
  /** @type {any[]} */
  const rawRuns = [];
  /** @type {any[]} */
  const coreRuns = [];
  for (let round = 0; round < s.rounds; round++) {
    const order = round % 2 === 0 ? ['evq', 'raw', 'core'] : ['core', 'raw', 'evq'];
    for (const kind of order) {
      if (kind === 'evq') {
        const bench = await runEvqBench(servers.always.httpUrl, [...oneProducerArgs(ctx.settings), '--subscribers', '1'], {
          timeoutMs: (s.seconds + s.warmup + 60) * 1000,
        });
        ctx.problem(...benchProblems(`evq bench 1 -> 1 (round ${round + 1})`, bench));
        e2eRuns.push(benchFigures(bench));
        ctx.step(
          `evq 1 -> 1             ${fmt(bench.result.publish.msgsPerSec)} published/s, ${fmt(bench.result.deliver.msgsPerSec)} delivered/s`,
        );
      } else if (kind === 'raw') {
        const raw = await rawJetStreamBaseline(servers.nats.url, {
          size: s.size,
          window: 1000,
          warmupMs: s.warmup * 1000,
          durationMs: (s.seconds - 1) * 1000,
        });
        if (raw.errors > 0 || raw.unacked > 0 || raw.unexpected > 0 || raw.stored !== raw.acked) {
          ctx.problem(
            `JetStream raw: ${raw.errors} errors, ${raw.unacked} never acknowledged, ${raw.unexpected} unexpected acks, ${raw.stored} stored for ${raw.acked} acknowledged`,
          );
        }
        rawRuns.push(raw);
        ctx.step(`JetStream raw publish  ${fmt(raw.msgsPerSec)} acknowledged/s (window 1,000)`);
      } else {
        const core = await natsCoreBaseline(servers.nats.url, {
          size: s.size,
          warmupMs: s.warmup * 1000,
          durationMs: (s.seconds - 1) * 1000,
        });
        if (core.lost > 0 || core.reordered > 0) ctx.problem(`NATS core: ${core.lost} lost, ${core.reordered} reordered`);
        coreRuns.push(core);
        ctx.step(`NATS core pub/sub      ${fmt(core.msgsPerSec)} delivered/s`);
      }
    }
  }
  const deliveredPerSec = median(e2eRuns.map((r) => r.deliveredPerSec));
  return {
    figures: {
      e2e: { runs: e2eRuns, deliveredPerSec },
      jetstreamRaw: {
        runs: rawRuns.map(({ read, ...rest }) => ({ ...rest, readPerSec: read.msgsPerSec })),
        msgsPerSec: median(rawRuns.map((r) => r.msgsPerSec)),
      },
      natsCore: { runs: coreRuns, msgsPerSec: median(coreRuns.map((r) => r.msgsPerSec)) },
    },
    deliveredPerSec,
    /** The rate evq sustained end to end (the lower of published and delivered), median of the rounds. */
    sustainedPerSec: median(e2eRuns.map((r) => Math.min(r.publishedPerSec, r.deliveredPerSec))),
    vsRaw: median(e2eRuns.map((r, i) => ratioOf(r.deliveredPerSec, rawRuns[i].msgsPerSec))),
    vsCore: median(e2eRuns.map((r, i) => ratioOf(r.deliveredPerSec, coreRuns[i].msgsPerSec))),
  };
}

/**
 * Target 5: `evq bench --rate` at half the rate target 1 sustained, against the machine's floor: the bare ws
 * forwarder carrying the same rate of same-size messages (raw clients, 100-message frames); the generator's
 * send lag held against the e2e p99 it is part of; the broker's mean fsync time reported beside.
 * @param {CompareContext} ctx
 * @param {{ sustainedPerSec: number }} e2e what {@link measureE2e} measured
 */
export async function measureLatency(ctx, e2e) {
  const { settings: s, servers } = ctx;
  const { always, forwarder } = servers;
  const halfRate = Math.max(1000, Math.floor(0.5 * e2e.sustainedPerSec));
  const fsyncs0 = await metric(always, 'evq_fsync_seconds_count');
  const fsyncSeconds0 = await metric(always, 'evq_fsync_seconds_sum');
  const half = await runEvqBench(always.httpUrl, [...oneProducerArgs(ctx.settings), '--subscribers', '1', '--rate', String(halfRate)], {
    timeoutMs: (s.seconds + s.warmup + 60) * 1000,
  });
  ctx.problem(...benchProblems('evq bench --rate', half));
  // with --fsync always a record is delivered once it is on disk: the broker's mean fsync time is part of the latency
  const fsyncs = (await metric(always, 'evq_fsync_seconds_count')) - fsyncs0;
  const fsyncMeanMs = fsyncs > 0 ? (((await metric(always, 'evq_fsync_seconds_sum')) - fsyncSeconds0) * 1000) / fsyncs : null;
  // the machine's floor: the bare ws forwarder carrying the same rate of messages of the same size
  const floor = await createWsLoad({ batch: s.fanoutBatch, valueBytes: s.size }).deliveryRun(forwarder, 'baseline', 'floor', 1, {
    seconds: s.seconds,
    rate: halfRate,
    window: 640,
    lagFrames: 640,
  });
  ctx.problem(...deliveryProblems(`forwarder at ${fmt(halfRate)} msgs/s`, floor));
  const latency = {
    rate: halfRate,
    ...benchFigures(half),
    fsyncs,
    fsyncMeanMs: round(fsyncMeanMs ?? Number.NaN, 3),
    floorMs: {
      rate: Math.round(floor.publishRate),
      p50: round(floor.p50, 3),
      p99: round(floor.p99, 3),
      'p99.9': round(floor.p999, 3),
      max: round(floor.max, 3),
    },
    keptRate:
      Math.min(half.result.publish.msgsPerSec, half.result.deliver.msgsPerSec) >= 0.9 * halfRate &&
      half.result.phases.drainMs <= Math.max(250, 0.05 * half.result.phases.measuredMs),
  };
  const L = latency.latencyUs;
  ctx.step(
    `--rate ${fmt(halfRate)}: e2e p50/p99/p99.9 ${msFromUs(L.e2e.p50)}/${msFromUs(L.e2e.p99)}/${msFromUs(L.e2e['p99.9'])} ms corrected, ` +
      `${msFromUs(L.e2eUncorrected.p50)}/${msFromUs(L.e2eUncorrected.p99)}/${msFromUs(L.e2eUncorrected['p99.9'])} ms uncorrected; ` +
      `send lag p50/p99/p99.9 ${msFromUs(L.sendLag.p50)}/${msFromUs(L.sendLag.p99)}/${msFromUs(L.sendLag['p99.9'])} ms${latency.keptRate ? '' : '; did NOT keep its rate'}`,
  );
  ctx.step(
    `${fsyncs} fsyncs, ${fsyncMeanMs === null ? 'n/a' : fsyncMeanMs.toFixed(2)} ms on average; the machine's floor (the bare ws forwarder at ` +
      `${fmt(latency.floorMs.rate)} msgs/s, ${s.fanoutBatch}-message frames): p50/p99/p99.9 ${floor.p50.toFixed(2)}/${floor.p99.toFixed(2)}/${floor.p999.toFixed(2)} ms`,
  );
  const floorUs = { p99: latency.floorMs.p99 * 1000, 'p99.9': latency.floorMs['p99.9'] * 1000 };
  return {
    figures: { latency },
    latency,
    p99VsFloor: ratioOf(L.e2e.p99, floorUs.p99),
    p999VsFloor: ratioOf(L.e2e['p99.9'], floorUs['p99.9']),
    sendLagShare: ratioOf(L.sendLag.p99, L.e2e.p99),
  };
}
