#!/usr/bin/env node
// @ts-check
// evq against its baselines (bare ws, nats-server, autocannon), every figure in one run:  npm run bench:compare  (npm run build && node bench/compare.js)
//
// Starts nats-server -js (installed with apt-get when missing and we are root, like .ci/run), `evq serve
// --fsync always` and `--fsync never` (bin/evq.js, port 0, temporary data dirs), the bare `ws` forwarder and a
// minimal node:http server, all on 127.0.0.1, then measures, 100-byte messages throughout (issue 20's targets):
//   1. evq bench 1 producer -> evq serve --fsync always -> 1 subscriber (delivered/s) vs the raw JetStream
//      fast-pattern publish rate (bench/_jetstream-raw.js; target >= 4x) and vs nats-server core pub/sub with
//      the nats client (bench/_nats-core.js; >= 2x);
//   2. fan-out 1 -> 10 subscribers through evq (fsync always) vs the same load through the bare ws forwarder,
//      100-message batches encoded once and shared (bench/_ws-load.js, raw clients on both sides): >= 0.75;
//   3. the same with each subscriber's own filter `value.g == i` matching 10% (fan-out rate = published x
//      subscribers per second, what the broker matched against a subscription) vs that ceiling: >= 0.5;
//   4. acknowledged msgs/s with 4 producers, --fsync always / --fsync never (bench/_ws-load.js): >= 0.9;
//   5. evq bench --rate at 50% of run 1's rate: e2e p99 <= 3x and p99.9 <= 5x the machine's floor (the bare ws
//      forwarder carrying the same rate of same-size messages), and the generator's send lag p99 <= 1/4 of
//      the e2e p99 (corrected for coordinated omission; uncorrected beside);
//   6. evq bench --transport http vs autocannon, single-message POSTs, the same server (bench/_http-generator.js): >= 1.0;
//   7. broker RSS with 1,000,000 retained messages and 100 idle subscribers <= 200 MB (bench/_broker-memory.js),
//      and the peak RSS of `evq produce` piping 10,000,000 lines <= 100 MB (bench/_produce-pipe.js);
//   8. `evq --help` and `evq produce t x` wall time <= 1.5 x (node -e 0 + one HTTP round trip), medians of 5
//      (bench/_startup.js);
//   9. the Kafka listener: kcat -P / evq produce and kcat -C / evq consume of 1 M keyed lines on one broker,
//      each >= 0.8, and evq bench through it (kafka://) against the native evq bench, ratio printed beside a
//      publish-only kafka:// run (bench/kafka-listener.js; "could not run" without kcat);
//  10. a 6-partition topic, 3 producers, a 3-member consumer group: delivered/s >= 0.9x the 1-partition 1 -> 1
//      figure on the same broker, every message once (bench/lib/compare-partitions.js);
//  11. the scale curves: 1, 10, 100, 1,000 subscribers on one topic, topics (a producer and a subscriber
//      each), producers on one topic: deliveries/s and p99 as tables and plotted in latest.html; each
//      curve's figure at 1,000 >= 0.5x the one at 10 (bench/lib/compare-scale.js);
//  12. the console in chromium: a first load <= 300 KB, the messages view's first page of a 1,000,000-message
//      topic <= 300 ms (bench/console.js; "could not run" without chromium).
// The compared runs of 1, 2-3, 4, 6 and 10 alternate, ROUNDS times; a ratio is the median of the per-round
// ratios. Prints one line per target (ratio, target, PASS/FAIL) and writes every raw figure, the ratios and
// the machine (cpus, load average, node, git commit, date) to bench/results/latest.json and latest.html. Exit
// code 0 also when a target FAILs (it is a measurement); 1 when a run errs or loses, duplicates or reorders a
// message (a target whose measurement erred FAILs with the reason, and the rest are still measured).
//
// The comparison is the table TABLE below: a target is `{ id, title, heading, measure, check }`, measured in
// the table's order; `measure(ctx)` runs the load and returns its figures (kept in the JSON) and what
// `check` needs; `check(measured)` holds them against TARGETS. A new target is a row here, its measurement
// in bench/lib/ (lib/compare-report.js is the one reporter, lib/compare-checks.js the verdict helpers).
//
// Environment (all optional): EVQ_COMPARE_ONLY (a comma list of target numbers, e.g. 9,10: only those are
// measured, and only the servers they need are started), EVQ_COMPARE_ROUNDS (default 3), EVQ_COMPARE_SECONDS (evq bench runs, default 4),
// EVQ_COMPARE_PIPE_LINES (default 10000000), EVQ_COMPARE_RETAINED (default 1000000), EVQ_COMPARE_OUT (the
// JSON file, default bench/results/latest.json), EVQ_BENCH_NATS_SERVER (the nats-server binary).
import { fmt } from './_bench-util.js';
import { stopRunningBenches } from './_evq-bench.js';
import { killChildren } from './_http-generator.js';
import { findNatsServer, startNatsServer } from './_nats-server.js';
import { serverSet } from './_servers.js';
import { startBaseline, startBroker } from './_ws-load.js';
import { megabytes, msFromUs, notRun, ratioAtLeast, ratioAtMost, shortRate, times, valueAtMost } from './lib/compare-checks.js';
import { measureE2e, measureLatency } from './lib/compare-e2e.js';
import { measureFanout } from './lib/compare-fanout.js';
import { measureMemory, measureStartupTime } from './lib/compare-footprint.js';
import { createReporter } from './lib/compare-report.js';
import { TARGETS, compareSettings } from './lib/compare-settings.js';
import { measureGroupCommit, measureHttp } from './lib/compare-throughput.js';
import { measurePartitions } from './lib/compare-partitions.js';
import { measureScale } from './lib/compare-scale.js';
import { measureConsole, measureKafkaListener } from './lib/compare-scripts.js';

/** @typedef {import('./lib/compare-report.js').Target} Target */
/** @typedef {import('./lib/compare-report.js').CompareContext} CompareContext */

const parsed = compareSettings(process.env);
if ('error' in parsed) {
  console.error(parsed.error);
  process.exit(2);
}
const { settings } = parsed;
const N = settings.fanoutSubscribers;

/**
 * The targets, in the order they are measured: 5 needs 1's rate; 2 and 3 share one measurement; 8 runs
 * before 7 (the producer piping 10 M lines leaves a lot in the page cache), and 7 is last (it stops the
 * `--fsync always` broker for a fresh one).
 * @type {Target[]}
 */
const TABLE = [
  {
    id: 1,
    needs: ['always', 'nats'],
    title: 'e2e 1 -> 1, evq serve --fsync always (evq bench)',
    heading: '1. evq bench 1 -> 1 through evq serve --fsync always, vs JetStream raw publish and NATS core pub/sub',
    measure: measureE2e,
    check: (m) => ({
      checks: [
        ratioAtLeast('vs JetStream raw publish', m.vsRaw, TARGETS.jetstream),
        ratioAtLeast('vs NATS core pub/sub', m.vsCore, TARGETS.natsCore),
      ],
      detail:
        `${shortRate(m.deliveredPerSec)}/s vs JetStream raw ${shortRate(m.figures.jetstreamRaw.msgsPerSec)}/s: ${times(m.vsRaw)} (>= ${TARGETS.jetstream}x), ` +
        `vs NATS core ${shortRate(m.figures.natsCore.msgsPerSec)}/s: ${times(m.vsCore)} (>= ${TARGETS.natsCore}x)`,
    }),
  },
  {
    id: 5,
    needs: ['always', 'forwarder'],
    title: (m) => `e2e latency at 50% of the max rate (--rate ${shortRate(m.latency.rate)})`,
    heading: '5. latency at 50% of the full-speed rate (evq bench --rate, 1 -> 1, fsync always)',
    measure: (ctx) => measureLatency(ctx, ctx.measured(1)),
    check: ({ latency, p99VsFloor, p999VsFloor, sendLagShare }) => {
      const L = latency.latencyUs;
      const F = latency.floorMs;
      return {
        checks: [
          ratioAtMost('p99 / the floor p99', p99VsFloor, TARGETS.floorP99),
          ratioAtMost('p99.9 / the floor p99.9', p999VsFloor, TARGETS.floorP999),
          ratioAtMost('send lag p99 / e2e p99', sendLagShare, TARGETS.sendLagShare),
        ],
        detail:
          `p99 ${msFromUs(L.e2e.p99)} ms vs the floor's ${F.p99} ms: ${times(p99VsFloor)} (<= ${TARGETS.floorP99}x), ` +
          `p99.9 ${msFromUs(L.e2e['p99.9'])} ms vs ${F['p99.9']} ms: ${times(p999VsFloor)} (<= ${TARGETS.floorP999}x); ` +
          `send lag p99 ${msFromUs(L.sendLag.p99)} ms = ${times(sendLagShare)} of the e2e p99 (<= ${TARGETS.sendLagShare}); ` +
          `p50 ${msFromUs(L.e2e.p50)} ms, uncorrected p99 ${msFromUs(L.e2eUncorrected.p99)} ms; mean fsync ${latency.fsyncMeanMs ?? 'n/a'} ms`,
      };
    },
  },
  {
    id: 2,
    needs: ['always', 'forwarder'],
    title: `fan-out 1 -> ${N}, no filter, vs bare ws batched ceiling`,
    heading: `2./3. fan-out 1 -> ${N}: evq (fsync always), unfiltered and each subscriber with its own 10% filter, vs the bare ws forwarder (${settings.fanoutBatch}-message batches)`,
    measure: (ctx) => ctx.once('fanout', measureFanout),
    check: (m) => ({
      checks: [ratioAtLeast('delivered/s ratio', m.ratio, TARGETS.fanout)],
      detail: `${shortRate(m.evqRate)}/s vs ceiling ${shortRate(m.ceilingRate)}/s: ${times(m.ratio)} (>= ${TARGETS.fanout})`,
    }),
  },
  {
    id: 3,
    needs: ['always', 'forwarder'],
    title: `fan-out 1 -> ${N}, each its own 10% filter, vs that ceiling`,
    measure: (ctx) => ctx.once('fanout', measureFanout),
    check: (m) => ({
      checks: [ratioAtLeast('fan-out/s ratio', m.filteredRatio, TARGETS.filtered)],
      detail:
        `${shortRate(m.filteredFanoutRate)} msgs x subscribers/s (${shortRate(m.filteredRate)} delivered/s) vs ceiling ${shortRate(m.ceilingRate)}/s: ` +
        `${times(m.filteredRatio)} (>= ${TARGETS.filtered})`,
    }),
  },
  {
    id: 4,
    needs: ['always', 'never'],
    title: '--fsync always vs never, 4 producers',
    heading: '4. group commit: acknowledged msgs/s with 4 producers, --fsync always vs --fsync never (frames of 1,000)',
    measure: measureGroupCommit,
    check: (m) => ({
      checks: [ratioAtLeast('acknowledged/s ratio', m.ratio, TARGETS.fsync)],
      detail: `${shortRate(m.alwaysRate)}/s vs ${shortRate(m.neverRate)}/s: ${times(m.ratio)} (>= ${TARGETS.fsync})`,
    }),
  },
  {
    id: 6,
    needs: [],
    title: 'evq bench --transport http vs autocannon',
    heading:
      '6. evq bench --transport http vs autocannon (single-message POSTs, 10 connections x pipelining 10, a minimal node:http server)',
    measure: measureHttp,
    check: (m) => ({
      checks: [ratioAtLeast('requests/s ratio', m.ratio, TARGETS.http)],
      detail: `${shortRate(m.evqRate)}/s vs ${shortRate(m.autocannonRate)}/s: ${times(m.ratio)} (>= ${TARGETS.http})`,
    }),
  },
  {
    id: 8,
    needs: ['always'],
    title: 'start-up vs node -e 0 + one HTTP round trip',
    heading: '8. start-up: evq --help and evq produce t x (wall time, spawn to exit), vs node -e 0 + one HTTP round trip',
    measure: measureStartupTime,
    check: ({ startup, helpRatio, produceRatio }) => ({
      checks: [
        ratioAtMost('evq --help ratio', helpRatio, TARGETS.startup),
        ratioAtMost('evq produce t x ratio', produceRatio, TARGETS.startup),
      ],
      detail:
        `--help ${startup.medianMs.help.toFixed(0)} ms = ${times(helpRatio)}, produce t x ${startup.medianMs.produce.toFixed(0)} ms = ${times(produceRatio)} ` +
        `of ${startup.baselineMs.toFixed(0)} ms (<= ${TARGETS.startup}x)`,
    }),
  },
  {
    id: 9,
    needs: [],
    title: 'Kafka listener: kcat -P / -C against evq produce / consume, evq bench via kafka://',
    heading: `9. kcat -P -X acks=all and kcat -C -e of ${fmt(settings.kafkaMessages)} keyed lines, against evq produce and evq consume, one evq serve --fsync always; evq bench 1 -> 1 through the listener (kafka://) and native (bench/kafka-listener.js)`,
    measure: () => measureKafkaListener(settings),
    check: (m) =>
      m.notRun !== null
        ? notRun(['kcat -P / evq produce', 'kcat -C / evq consume'], TARGETS.kafkaListener, m.notRun)
        : {
            checks: [
              ratioAtLeast('kcat -P / evq produce', m.produce.ratio, TARGETS.kafkaListener),
              ratioAtLeast('kcat -C / evq consume', m.consume.ratio, TARGETS.kafkaListener),
            ],
            detail:
              `produce ${shortRate(m.produce.kcatPerSec)}/s vs ${shortRate(m.produce.evqPerSec)}/s: ${times(m.produce.ratio)}; ` +
              `read ${shortRate(m.consume.kcatPerSec)}/s vs ${shortRate(m.consume.evqPerSec)}/s: ${times(m.consume.ratio)} (>= ${TARGETS.kafkaListener}); ` +
              `evq bench kafka:// ${shortRate(m.bench.kafka.deliveredPerSec)}/s vs native ${shortRate(m.bench.native.deliveredPerSec)}/s: ${times(m.bench.ratio)} ` +
              `(publish only via kafka:// ${shortRate(m.bench.kafkaPublishOnly.publishedPerSec)}/s: the Kafka client library's own ceiling)`,
          },
  },
  {
    id: 10,
    needs: [],
    title: `${settings.groupPartitions} partitions, ${settings.groupProducers} producers, a ${settings.groupMembers}-member group vs 1 partition 1 -> 1`,
    heading: `10. ${settings.groupProducers} producers into ${settings.groupPartitions} partitions read by a ${settings.groupMembers}-member consumer group, against 1 -> 1 on one partition (fsync always, same broker)`,
    measure: measurePartitions,
    check: (m) =>
      m.notRun !== null
        ? notRun(['delivered/s ratio'], TARGETS.partitions, m.notRun)
        : {
            checks: [
              ratioAtLeast('delivered/s ratio', m.ratio, TARGETS.partitions),
              { name: 'every message once across the members', target: 1, pass: m.exactlyOnce },
            ],
            detail:
              `${shortRate(m.groupPerSec)}/s vs ${shortRate(m.onePerSec)}/s: ${times(m.ratio)} (>= ${TARGETS.partitions}); ` +
              `${m.exactlyOnce ? 'every message once' : 'NOT every message exactly once'}, drained in ${m.drainMs} ms at most`,
          },
  },
  {
    id: 11,
    needs: [],
    title: 'scale curves: 1 to 1,000 subscribers, topics, producers',
    heading:
      '11. scale: deliveries/s and p99 at 1, 10, 100, 1,000 subscribers on one topic, topics (a producer and a subscriber each), producers on one topic (fsync always, full speed)',
    measure: measureScale,
    check: (m) => ({
      checks: Object.entries(m.ratios).map(([key, ratio]) => ratioAtLeast(`${key}: at ${fmt(m.largest)} / at 10`, ratio, TARGETS.scale)),
      detail:
        Object.entries(m.curves)
          .map(([key, points]) => {
            const at = (/** @type {number} */ n) => points.find((/** @type {{ count: number }} */ p) => p.count === n);
            return `${key} ${shortRate(at(10).deliveredPerSec)}/s at 10, ${shortRate(at(m.largest).deliveredPerSec)}/s at ${fmt(m.largest)}: ${times(m.ratios[key])}`;
          })
          .join('; ') + ` (>= ${TARGETS.scale})`,
    }),
  },
  {
    id: 12,
    needs: [],
    title: `console: first load and first page of a ${fmt(settings.consoleMessages)}-message topic`,
    heading: `12. the console in chromium: a first load's bytes, and the messages view's first page of a ${fmt(settings.consoleMessages)}-message topic (bench/console.js)`,
    measure: () => measureConsole(settings),
    check: (m) =>
      m.notRun !== null
        ? notRun(['first load bytes'], TARGETS.consoleFirstLoadBytes, m.notRun)
        : {
            checks: [
              valueAtMost('first load bytes', m.firstLoadBytes, TARGETS.consoleFirstLoadBytes, { positive: true }),
              valueAtMost('messages view first page ms', m.messagesViewMs, TARGETS.consoleFirstPageMs, { positive: true }),
            ],
            detail: `${fmt(m.firstLoadBytes)} bytes (<= ${fmt(TARGETS.consoleFirstLoadBytes)}); first page in ${m.messagesViewMs} ms (<= ${TARGETS.consoleFirstPageMs}), ${m.filteredViewMs} ms filtered; ${fmt(m.topics + 1)} topics drawn in ${m.topicsViewMs} ms`,
          },
  },
  {
    id: 7,
    needs: ['always', 'never'],
    title: `memory: broker with ${fmt(settings.retained)} retained + 100 idle subscribers; evq produce piping ${fmt(settings.pipeLines)} lines`,
    heading: `7. memory: evq serve with ${fmt(settings.retained)} retained messages and 100 idle subscribers; evq produce piping ${fmt(settings.pipeLines)} lines`,
    measure: measureMemory,
    check: (m) => ({
      checks: [
        valueAtMost('broker RSS bytes', m.brokerRssBytes, TARGETS.brokerRssBytes, { positive: true }),
        valueAtMost('producer peak RSS bytes', m.producerPeakRssBytes, TARGETS.producerRssBytes, { positive: true }),
      ],
      detail:
        `broker ${megabytes(m.brokerRssBytes)} (<= 200 MB; peak ${megabytes(m.brokerPeakRssBytes)}), ` +
        `producer peak ${megabytes(m.producerPeakRssBytes)} (<= 100 MB)`,
    }),
  },
];

// EVQ_COMPARE_ONLY: those targets (5 needs 1's rate: 1 comes along), in the table's order
const wanted = settings.only === null ? null : new Set(settings.only.includes(5) ? [...settings.only, 1] : settings.only);
const unknown = settings.only?.filter((id) => !TABLE.some((t) => t.id === id)) ?? [];
if (unknown.length > 0) {
  console.error(`EVQ_COMPARE_ONLY: no target ${unknown.join(', ')}; the targets are ${TABLE.map((t) => t.id).join(', ')}`);
  process.exit(2);
}
const targets = wanted === null ? TABLE : TABLE.filter((t) => wanted.has(t.id));

const { start, stopOne, stopAll } = serverSet({
  maxWallSeconds: settings.maxWallSeconds,
  what: 'the comparison',
  beforeStop: () => {
    stopRunningBenches();
    killChildren();
  },
});
const report = createReporter(settings);

let exitCode = 0;
try {
  // only the servers the measured targets need (EVQ_COMPARE_ONLY), each started once
  const need = new Set(targets.flatMap((t) => t.needs));
  /** @type {Record<string, () => Promise<any>>} */
  const starters = {
    always: () => startBroker('always'),
    never: () => startBroker('never'),
    nats: () => startNatsServer(findNatsServer()),
    forwarder: startBaseline,
  };
  const names = Object.keys(starters).filter((name) => need.has(name));
  const launched = await Promise.allSettled(names.map((name) => start(starters[name])));
  const failed = launched.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  /** @type {Record<string, any>} */
  const servers = {};
  names.forEach((name, i) => (servers[name] = /** @type {PromiseFulfilledResult<any>} */ (launched[i]).value));
  const { always, never, nats, forwarder } = servers;
  report.servers(
    {
      evqAlways: always?.httpUrl ?? null,
      evqNever: never?.httpUrl ?? null,
      nats: nats?.url ?? null,
      natsServer: nats?.version ?? null,
      forwarder: forwarder?.wsUrl ?? null,
    },
    nats?.version ?? 'not started',
  );
  /** @type {Map<number, any>} */
  const measured = new Map();
  /** @type {Map<string, Promise<any>>} */
  const shared = new Map();
  /** @type {CompareContext} */
  const ctx = {
    settings,
    servers,
    start,
    stopOne,
    step: report.step,
    problem: report.problem,
    measured: (id) => {
      if (!measured.has(id)) throw new Error(`target ${id} is measured later in the table`);
      return measured.get(id);
    },
    once: (key, measure) => {
      if (!shared.has(key)) shared.set(key, measure(ctx));
      return /** @type {Promise<any>} */ (shared.get(key));
    },
  };
  for (const target of targets) {
    report.heading(target);
    try {
      const m = await target.measure(ctx);
      measured.set(target.id, m);
      report.record(target, m);
    } catch (error) {
      // one measurement that errs FAILs its target with the reason; the others are still measured
      exitCode = 1;
      const why = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      report.problem(`target ${target.id}: ${why}`);
      report.failed(target, why);
    }
  }
  if (!(await stopAll())) report.problem('a server did not stop cleanly');
} catch (error) {
  exitCode = 1;
  report.problem(error instanceof Error ? error.message : String(error));
} finally {
  await stopAll();
}

process.exitCode = (await report.finish(targets.length)) ? exitCode : 1;
