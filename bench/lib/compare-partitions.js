// @ts-check
// Targets 9 and 10 of bench/compare.js, the cost of partitions (issue 15):
//   9. `evq bench` 1 -> 1 on a 1-partition topic through `evq serve --fsync always`, today's evq against the
//      commit before partitions (EVQ_COMPARE_BASELINE, default c22df79), each with its own broker and its
//      own `evq bench`, fresh brokers, alternating rounds: delivered/s ratio >= 0.95;
//   10. one producer at full speed into a 6-partition topic read by a 3-member consumer group
//      (`--partitions 6 --group G --members 3`): delivered/s over published/s >= 0.95, with the lag at the
//      end of producing (acknowledged minus delivered then) and the drain time beside. A broker whose groups
//      cannot share partitions stops the run before producing: the target FAILs with the bench's own line.
import { fmt, median } from '../_bench-util.js';
import { EVQ_BIN, runEvqBench } from '../_evq-bench.js';
import { startBroker } from '../_ws-load.js';
import { baselineBuild } from './compare-baseline.js';
import { benchFigures, benchProblems, ratioOf } from './compare-checks.js';
import { oneProducerArgs } from './compare-settings.js';
import { lagAtEnd } from './lag-at-end.js';

/** @typedef {import('./compare-report.js').CompareContext} CompareContext */

/**
 * Target 9: today's 1 -> 1 against the baseline commit's, ROUNDS alternating rounds.
 * @param {CompareContext} ctx
 */
export async function measureBaseline(ctx) {
  const { settings: s } = ctx;
  const baseline = baselineBuild(s.baseline, ctx.step);
  const now = await ctx.start(() => startBroker('always'));
  const before = await ctx.start(() => startBroker('always', { evqBin: baseline.bin }));
  /** @type {any[]} */
  const nowRuns = [];
  /** @type {any[]} */
  const beforeRuns = [];
  const timeoutMs = (s.seconds + s.warmup + 60) * 1000;
  try {
    for (let round = 0; round < s.rounds; round++) {
      const order = round % 2 === 0 ? ['now', 'before'] : ['before', 'now'];
      for (const kind of order) {
        const server = kind === 'now' ? now : before;
        const bin = kind === 'now' ? EVQ_BIN : baseline.bin;
        const bench = await runEvqBench(server.httpUrl, [...oneProducerArgs(s), '--subscribers', '1'], { bin, timeoutMs });
        ctx.problem(
          ...benchProblems(`evq bench 1 -> 1, ${kind === 'now' ? 'today' : baseline.commit.slice(0, 7)} (round ${round + 1})`, bench),
        );
        (kind === 'now' ? nowRuns : beforeRuns).push(benchFigures(bench));
        ctx.step(
          `${kind === 'now' ? 'today  ' : baseline.commit.slice(0, 7)} 1 -> 1   ${fmt(bench.result.publish.msgsPerSec)} published/s, ${fmt(bench.result.deliver.msgsPerSec)} delivered/s`,
        );
      }
    }
  } finally {
    await ctx.stopOne(now);
    await ctx.stopOne(before);
  }
  return {
    figures: {
      partitionsCost: {
        baselineCommit: baseline.commit,
        today: { runs: nowRuns, deliveredPerSec: median(nowRuns.map((r) => r.deliveredPerSec)) },
        baseline: { runs: beforeRuns, deliveredPerSec: median(beforeRuns.map((r) => r.deliveredPerSec)) },
      },
    },
    baselineCommit: baseline.commit,
    nowPerSec: median(nowRuns.map((r) => r.deliveredPerSec)),
    beforePerSec: median(beforeRuns.map((r) => r.deliveredPerSec)),
    ratio: median(nowRuns.map((r, i) => ratioOf(r.deliveredPerSec, beforeRuns[i].deliveredPerSec))),
  };
}

/**
 * Target 10: one producer at full speed, 6 partitions, a 3-member group.
 * @param {CompareContext} ctx
 */
export async function measureGroupKeepUp(ctx) {
  const { settings: s } = ctx;
  const broker = await ctx.start(() => startBroker('always'));
  const args = [
    ...oneProducerArgs(s),
    '--partitions',
    String(s.groupPartitions),
    '--group',
    'bench-keep-up',
    '--members',
    String(s.groupMembers),
  ];
  try {
    const bench = await runEvqBench(broker.httpUrl, args, { timeoutMs: (s.seconds + s.warmup + 60) * 1000 });
    ctx.problem(...benchProblems('evq bench, 6 partitions, 3-member group', bench));
    const r = bench.result;
    const figures = benchFigures(bench);
    const lag = lagAtEnd(r.timeline);
    ctx.step(
      `1 -> group of ${s.groupMembers} on ${s.groupPartitions} partitions   ${fmt(r.publish.msgsPerSec)} published/s, ${fmt(r.deliver.msgsPerSec)} delivered/s, ` +
        `lag ${fmt(lag)} at the end, drained in ${r.phases.drainMs} ms`,
    );
    return {
      figures: { groupKeepUp: { ...figures, lagAtEnd: lag } },
      notRun: null,
      publishedPerSec: r.publish.msgsPerSec,
      deliveredPerSec: r.deliver.msgsPerSec,
      ratio: ratioOf(r.deliver.msgsPerSec, r.publish.msgsPerSec),
      lag,
      drainMs: r.phases.drainMs,
      exactlyOnce: r.verification.delivered === r.verification.published && r.verification.duplicated === 0,
    };
  } catch (error) {
    // the run could not start (the group could not form): a FAIL that says why, not a silent pass
    const text = error instanceof Error ? error.message : String(error);
    const line = text.split('\n').find((l) => l.startsWith('error:')) ?? text.split('\n')[0];
    ctx.step(`could not run: ${line}`);
    return {
      figures: { groupKeepUp: { error: line } },
      notRun: line,
      ratio: Number.NaN,
      lag: Number.NaN,
      drainMs: Number.NaN,
      exactlyOnce: false,
    };
  } finally {
    await ctx.stopOne(broker);
  }
}
