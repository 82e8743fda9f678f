// @ts-check
// Targets 2 and 3 of bench/compare.js: fan-out 1 -> N through `evq serve --fsync always`, unfiltered and with
// each subscriber's own 10% filter, against the same load through the bare ws forwarder (the batched
// ceiling); the three runs alternate, ROUNDS times, and both targets are read from the one measurement.
import { fmt, median, round } from '../_bench-util.js';
import { createWsLoad } from '../_ws-load.js';
import { deliveryProblems } from './compare-checks.js';

/** @typedef {import('./compare-report.js').CompareContext} CompareContext */

/** The figures of one delivery run kept in the JSON. @param {any} run */
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

/** @param {CompareContext} ctx */
export async function measureFanout(ctx) {
  const { settings: s, servers } = ctx;
  const { always, forwarder } = servers;
  const subscribers = s.fanoutSubscribers;
  const window = Math.round((64 * 1000) / s.fanoutBatch); // as many messages in flight as bench/broker.js's 64 frames of 1,000
  const shape = { batch: s.fanoutBatch, valueBytes: s.size, window, lagFrames: window, seconds: s.fanoutSeconds };
  const plain = createWsLoad(shape);
  const grouped = createWsLoad({ ...shape, groups: 10 });
  await plain.warmUp(always, 'evq', { produce: false });
  await plain.warmUp(forwarder, 'baseline');
  await grouped.warmUp(always, 'evq', { produce: false, filtered: true });
  /** @type {{ evq: any[], ceiling: any[], filtered: any[] }} */
  const fan = { evq: [], ceiling: [], filtered: [] };
  for (let round = 0; round < s.rounds; round++) {
    /** @type {('evq' | 'ceiling' | 'filtered')[]} */
    const order = round % 2 === 0 ? ['evq', 'ceiling', 'filtered'] : ['filtered', 'ceiling', 'evq'];
    for (const kind of order) {
      const topic = `fanout-${kind}-${round}`;
      const run =
        kind === 'ceiling'
          ? await plain.deliveryRun(forwarder, 'baseline', topic, subscribers)
          : kind === 'evq'
            ? await plain.deliveryRun(always, 'evq', topic, subscribers)
            : await grouped.deliveryRun(always, 'evq', topic, subscribers, { filtered: true });
      ctx.problem(...deliveryProblems(`fan-out ${kind} (round ${round + 1})`, run));
      fan[kind].push(run);
      ctx.step(
        `${kind.padEnd(9)} ${fmt(run.rate)} delivered/s, ${fmt(run.publishRate)} published/s${kind === 'filtered' ? `, fan-out ${fmt(run.fanoutRate)}/s` : ''}; ` +
          `server cpu ${Math.round(run.cpu.server)}%, bench cpu ${Math.round(run.cpu.bench)}%`,
      );
    }
  }
  return {
    figures: {
      fanout: {
        subscribers,
        batch: s.fanoutBatch,
        window,
        evq: fan.evq.map(keep),
        ceiling: fan.ceiling.map(keep),
        filtered: fan.filtered.map(keep),
      },
    },
    ratio: median(fan.evq.map((r, i) => r.rate / fan.ceiling[i].rate)),
    filteredRatio: median(fan.filtered.map((r, i) => r.fanoutRate / fan.ceiling[i].rate)),
    evqRate: median(fan.evq.map((r) => r.rate)),
    ceilingRate: median(fan.ceiling.map((r) => r.rate)),
    filteredFanoutRate: median(fan.filtered.map((r) => r.fanoutRate)),
    filteredRate: median(fan.filtered.map((r) => r.rate)),
  };
}
