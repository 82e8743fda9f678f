// @ts-check
// Target 10 of bench/compare.js, partitions at work: a 6-partition topic with 3 producers, read by a 3-member
// consumer group (`evq bench --partitions 6 --producers 3 --group G --members 3`), against the 1-partition
// 1 -> 1 figure (`--producers 1 --subscribers 1`) on the same fresh `evq serve --fsync always`, alternating
// rounds: delivered/s in total >= 0.9 of it, every message once across the members. A broker whose groups
// cannot share partitions stops the run before producing: the target FAILs with the bench's own line.
import { fmt, median } from '../_bench-util.js';
import { runEvqBench } from '../_evq-bench.js';
import { startBroker } from '../_ws-load.js';
import { benchFigures, benchProblems, ratioOf } from './compare-checks.js';
import { oneProducerArgs } from './compare-settings.js';
import { lagAtEnd } from './lag-at-end.js';

/** @typedef {import('./compare-report.js').CompareContext} CompareContext */

/** @param {CompareContext} ctx */
export async function measurePartitions(ctx) {
  const { settings: s } = ctx;
  const broker = await ctx.start(() => startBroker('always'));
  const timeoutMs = (s.seconds + s.warmup + 60) * 1000;
  const one = [...oneProducerArgs(s), '--subscribers', '1'];
  const grouped = (/** @type {number} */ round) => [
    ...oneProducerArgs(s, s.groupProducers),
    '--partitions',
    String(s.groupPartitions),
    '--group',
    `bench-group-${round}`,
    '--members',
    String(s.groupMembers),
  ];
  /** @type {any[]} */
  const oneRuns = [];
  /** @type {any[]} */
  const groupRuns = [];
  try {
    for (let round = 0; round < s.rounds; round++) {
      const order = round % 2 === 0 ? ['one', 'group'] : ['group', 'one'];
      for (const kind of order) {
        const bench = await runEvqBench(broker.httpUrl, kind === 'one' ? one : grouped(round), { timeoutMs });
        const r = bench.result;
        if (kind === 'one') {
          ctx.problem(...benchProblems(`evq bench 1 -> 1, 1 partition (round ${round + 1})`, bench));
          oneRuns.push(benchFigures(bench));
          ctx.step(`1 partition, 1 -> 1              ${fmt(r.publish.msgsPerSec)} published/s, ${fmt(r.deliver.msgsPerSec)} delivered/s`);
        } else {
          ctx.problem(
            ...benchProblems(`evq bench, ${s.groupPartitions} partitions, ${s.groupMembers}-member group (round ${round + 1})`, bench),
          );
          const lag = lagAtEnd(r.timeline);
          groupRuns.push({
            ...benchFigures(bench),
            lagAtEnd: lag,
            exactlyOnce:
              r.verification.delivered === r.verification.published && r.verification.duplicated === 0 && r.verification.lost === 0,
          });
          ctx.step(
            `${s.groupPartitions} partitions, ${s.groupProducers} -> group of ${s.groupMembers}   ${fmt(r.publish.msgsPerSec)} published/s, ${fmt(r.deliver.msgsPerSec)} delivered/s, ` +
              `lag ${fmt(lag)} at the end, drained in ${r.phases.drainMs} ms`,
          );
        }
      }
    }
  } catch (error) {
    // the run could not start (the group could not form): a FAIL that says why, not a silent pass
    const text = error instanceof Error ? error.message : String(error);
    const line = text.split('\n').find((l) => l.startsWith('error:')) ?? text.split('\n')[0];
    ctx.step(`could not run: ${line}`);
    return { figures: { partitions: { error: line } }, notRun: line };
  } finally {
    await ctx.stopOne(broker);
  }
  return {
    figures: {
      partitions: {
        partitions: s.groupPartitions,
        producers: s.groupProducers,
        members: s.groupMembers,
        onePartition: { runs: oneRuns, deliveredPerSec: median(oneRuns.map((r) => r.deliveredPerSec)) },
        group: { runs: groupRuns, deliveredPerSec: median(groupRuns.map((r) => r.deliveredPerSec)) },
      },
    },
    notRun: null,
    onePerSec: median(oneRuns.map((r) => r.deliveredPerSec)),
    groupPerSec: median(groupRuns.map((r) => r.deliveredPerSec)),
    ratio: median(groupRuns.map((r, i) => ratioOf(r.deliveredPerSec, oneRuns[i].deliveredPerSec))),
    exactlyOnce: groupRuns.every((r) => r.exactlyOnce),
    drainMs: Math.max(...groupRuns.map((r) => r.drainMs)),
  };
}
