// @ts-check
// How bench/compare.js turns figures into verdicts and words: the check of one figure against its target,
// the checks that a run lost nothing, and the short forms of numbers its lines print.
import { round } from '../_bench-util.js';

const MB = 1_000_000;

/**
 * One figure held against its target.
 * @typedef {{ name: string, ratio?: number | null, value?: number | null, target: number, pass: boolean, atMost?: boolean }} Check
 * (`atMost`: the figure must stay at or under the target)
 */

/**
 * A ratio that must reach `target`.
 * @param {string} name @param {number} ratio @param {number} target @returns {Check}
 */
export const ratioAtLeast = (name, ratio, target) => ({ name, ratio: round(ratio, 3), target, pass: ratio >= target });

/**
 * A ratio that must stay at or under `target`.
 * @param {string} name @param {number} ratio @param {number} target @returns {Check}
 */
export const ratioAtMost = (name, ratio, target) => ({ name, ratio: round(ratio, 3), target, pass: ratio <= target, atMost: true });

/**
 * A measured value (ms, bytes) that must stay at or under `target`; 0 or less counts as not measured.
 * @param {string} name @param {number} value @param {number} target @param {{ digits?: number, positive?: boolean }} [options]
 * @returns {Check}
 */
export const valueAtMost = (name, value, target, { digits, positive = false } = {}) => ({
  name,
  value: digits === undefined ? value : round(value, digits),
  target,
  pass: (!positive || value > 0) && value <= target,
  atMost: true,
});

/** `a / b`, NaN when either is not a number or `b` is not positive. @param {number} a @param {number} b */
export const ratioOf = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN);

/** "1.23x". @param {number} r */
export const times = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a');
/** Microseconds as "1.23" ms. @param {number} us */
export const msFromUs = (us) => (Number.isFinite(us) ? (us / 1000).toFixed(2) : 'n/a');
/** "12.3 MB". @param {number} bytes */
export const megabytes = (bytes) => (Number.isFinite(bytes) ? `${(bytes / MB).toFixed(1)} MB` : 'n/a');
/** A rate as "1.23M" or "456k". @param {number} v */
export const shortRate = (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${Math.round(v / 1e3)}k`);

/**
 * Problems of one `evq bench` run (lost, duplicated or reordered messages, errors, a failed exit).
 * @param {string} name @param {any} bench a result of runEvqBench @returns {string[]}
 */
export function benchProblems(name, bench) {
  const v = bench.result.verification;
  const errors = bench.result.errors.reduce((/** @type {number} */ n, /** @type {{ count: number }} */ e) => n + e.count, 0);
  if (v.lost > 0 || v.duplicated > 0 || v.reordered > 0 || errors > 0 || bench.exitCode !== 0) {
    return [
      `${name}: ${v.lost} lost, ${v.duplicated} duplicated, ${v.reordered} reordered, ${errors} errors${bench.result.errors[0] ? ` (${bench.result.errors[0].message})` : ''}`,
    ];
  }
  return [];
}

/**
 * Problems of one delivery run of the WebSocket load (lost or out-of-order messages, errors).
 * @param {string} name @param {{ lost: number, gaps: number, errors: string[] }} run @returns {string[]}
 */
export function deliveryProblems(name, run) {
  if (run.lost !== 0 || run.gaps !== 0 || run.errors.length > 0)
    return [`${name}: ${run.lost} lost, ${run.gaps} out of order ${run.errors.join('; ')}`.trim()];
  return [];
}

/**
 * The figures of one `evq bench` run kept in the JSON.
 * @param {any} bench a result of runEvqBench
 */
export function benchFigures(bench) {
  const r = bench.result;
  const lat = (/** @type {any} */ d) => ({ p50: d.p50, p99: d.p99, 'p99.9': d['p99.9'], max: d.max });
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

/**
 * The verdict of a target that could not be measured here (kcat or chromium missing, a run that erred): a
 * FAIL per check, with the reason.
 * @param {string[]} names @param {number} target @param {string} why @returns {{ checks: Check[], detail: string }}
 */
export const notRun = (names, target, why) => ({
  checks: names.map((name) => ({ name, ratio: null, target, pass: false })),
  detail: `could not run: ${why}`,
});
