// @ts-check
// Target 11 of bench/compare.js, the scale curves: how evq's throughput and delivery latency change with the
// number of subscribers on one topic, of topics (one producer and one subscriber each), and of producers on
// one topic (one subscriber), at 1, 10, 100 and 1,000 of each, through one `evq serve --fsync always` of its
// own (--max-connections 4096: 1,000 topics are 2,000 connections). Full speed throughout, the raw
// WebSocket load of bench/_ws-load.js (100-message frames, about 64,000 messages in flight at every size).
//
// The figure of each curve is the work the broker does per second: deliveries per second over all
// subscribers. Cost linear in the count (no cliff) means that figure stays about flat as the count grows;
// the target holds the figure at the largest size against the one at size 10 (>= 0.5).
import { fmt, round } from '../_bench-util.js';
import { createWsLoad, startBroker } from '../_ws-load.js';
import { deliveryProblems } from './compare-checks.js';

/** @typedef {import('./compare-report.js').CompareContext} CompareContext */

/** The counts of every curve. */
export const SCALE_SIZES = [1, 10, 100, 1000];

/** The three curves: what grows, and the shape of the run at count n. */
export const CURVES = [
  { key: 'subscribers', label: 'subscribers on one topic', shape: (/** @type {number} */ n) => ({ subscribers: n }) },
  { key: 'topics', label: 'topics, one producer and one subscriber each', shape: (/** @type {number} */ n) => ({ topics: n }) },
  { key: 'producers', label: 'producers on one topic, one subscriber', shape: (/** @type {number} */ n) => ({ producers: n }) },
];

/** @param {CompareContext} ctx */
export async function measureScale(ctx) {
  const { settings: s } = ctx;
  const broker = await ctx.start(() => startBroker('always', { args: ['--max-connections', '4096'] }));
  const load = createWsLoad({ batch: s.fanoutBatch, valueBytes: s.size, window: 640, lagFrames: 640, seconds: s.fanoutSeconds });
  /** @type {Record<string, { count: number, deliveredPerSec: number, publishedPerSec: number, p50Ms: number, p99Ms: number, serverCpuPct: number }[]>} */
  const curves = {};
  try {
    await load.warmUp(broker, 'evq');
    for (const curve of CURVES) {
      curves[curve.key] = [];
      ctx.step(`${curve.label}:`);
      ctx.step(
        `  ${'count'.padStart(6)} ${'delivered/s'.padStart(12)} ${'published/s'.padStart(12)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}  broker cpu`,
      );
      for (const n of SCALE_SIZES) {
        const run = await load.scaleRun(broker, `scale-${curve.key}-${n}`, curve.shape(n));
        ctx.problem(...deliveryProblems(`scale: ${n} ${curve.key}`, run));
        const point = {
          count: n,
          deliveredPerSec: Math.round(run.rate),
          publishedPerSec: Math.round(run.publishRate),
          p50Ms: round(run.p50, 2),
          p99Ms: round(run.p99, 2),
          serverCpuPct: round(run.cpu.server),
        };
        curves[curve.key].push(point);
        ctx.step(
          `  ${fmt(n).padStart(6)} ${fmt(point.deliveredPerSec).padStart(12)} ${fmt(point.publishedPerSec).padStart(12)} ${point.p50Ms.toFixed(1).padStart(8)} ${point.p99Ms.toFixed(1).padStart(8)}  ${Math.round(point.serverCpuPct)}%`,
        );
      }
    }
  } finally {
    await ctx.stopOne(broker);
  }
  const at = (/** @type {string} */ key, /** @type {number} */ n) => curves[key].find((p) => p.count === n)?.deliveredPerSec ?? Number.NaN;
  const largest = SCALE_SIZES[SCALE_SIZES.length - 1];
  /** @type {Record<string, number>} */
  const ratios = Object.fromEntries(CURVES.map((c) => [c.key, at(c.key, largest) / at(c.key, 10)]));
  return { figures: { scale: { sizes: SCALE_SIZES, curves, ratios } }, curves, ratios, largest };
}
