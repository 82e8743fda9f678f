/**
 * Thresholds (`--threshold 'p99<5ms'`, repeatable, as k6 has them): a condition on one figure of the result;
 * a run that breaks one fails (the CLI exits 1 and says which).
 *
 * ```text
 * threshold := metric op value
 * op        := < | <= | > | >= | == | !=
 * metric    := latency | throughput | count
 * latency   := [e2e. | uncorrected. | ack. | lag.] (p50 | p90 | p99 | p99.9 | p99.99 | max | min | mean)
 *              (no prefix = e2e: corrected for coordinated omission); value: a duration, 250us, 5ms, 1.5s
 *              (a bare number is milliseconds)
 * throughput:= rate | publish.rate | deliver.rate (msgs/s; rate = publish.rate); value: 100000, 100k, 1.5M
 * count     := lost | undelivered | duplicated | reordered | unexpected | errors
 * ```
 */

import { parseCount } from '../core/sizes.js';
import { EvqUsageError } from '../errors.js';
import type { BenchResult, ThresholdOutcome } from './result.js';

export const THRESHOLD_OPS = ['<=', '>=', '==', '!=', '<', '>'] as const;
export type ThresholdOp = (typeof THRESHOLD_OPS)[number];

const LATENCY_STATS = ['p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'min', 'mean'] as const;
type LatencyStat = (typeof LATENCY_STATS)[number];
const LATENCY_KINDS = { e2e: 'e2e', uncorrected: 'e2eUncorrected', ack: 'ack', lag: 'sendLag' } as const;
type LatencyKind = keyof typeof LATENCY_KINDS;
const RATES = ['rate', 'publish.rate', 'deliver.rate'] as const;
const COUNTS = ['lost', 'undelivered', 'duplicated', 'reordered', 'unexpected', 'errors'] as const;

export type ThresholdMetric =
  | { kind: 'latency'; latency: LatencyKind; stat: LatencyStat }
  | { kind: 'rate'; name: (typeof RATES)[number] }
  | { kind: 'count'; name: (typeof COUNTS)[number] };

export interface Threshold {
  /** As the user wrote it. */
  expression: string;
  /** Canonical name: `e2e.p99`, `publish.rate`, `lost`. */
  metric: string;
  parsed: ThresholdMetric;
  op: ThresholdOp;
  /** Microseconds for latencies, msgs/s for rates, a count otherwise. */
  limit: number;
}

const SHAPE = /^\s*([a-z][a-z0-9.]*)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$/i;
const LATENCY_VALUE = /^(\d+(?:\.\d+)?)(us|µs|ms|s)?$/;

function usage(expression: string, why: string): EvqUsageError {
  return new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `invalid threshold "${expression}": ${why}`);
}

/** Reads one threshold; throws EvqUsageError (exit 2) that says what is wrong and what is accepted. */
export function parseThreshold(expression: string): Threshold {
  const match = SHAPE.exec(expression);
  if (match === null) {
    throw usage(expression, "expected METRIC OP VALUE, like 'p99<5ms', 'rate>100000' or 'lost==0'");
  }
  const name = (match[1] as string).toLowerCase();
  const op = match[2] as ThresholdOp;
  const text = match[3] as string;
  const parsed = parseMetric(name);
  if (parsed === undefined) {
    throw usage(
      expression,
      `unknown metric "${name}": use p50, p90, p99, p99.9, p99.99, max, min or mean (e2e latency, corrected), with a prefix uncorrected., ack. or lag. for the others; rate, publish.rate, deliver.rate; lost, undelivered, duplicated, reordered, unexpected, errors`,
    );
  }
  let limit: number;
  if (parsed.kind === 'latency') {
    const value = LATENCY_VALUE.exec(text);
    if (value === null) throw usage(expression, `expected a latency like 800us, 5ms or 1.5s, got "${text}"`);
    const unit = value[2] ?? 'ms';
    const factor = unit === 's' ? 1_000_000 : unit === 'ms' ? 1000 : 1;
    limit = Number(value[1]) * factor;
  } else if (parsed.kind === 'rate') {
    limit = parseCount(text);
    if (Number.isNaN(limit)) throw usage(expression, `expected messages per second like 100000, 100k or 1.5M, got "${text}"`);
  } else {
    if (!/^\d+$/.test(text)) throw usage(expression, `expected a whole number, got "${text}"`);
    limit = Number(text);
  }
  return { expression: expression.trim(), metric: canonical(parsed), parsed, op, limit };
}

function parseMetric(name: string): ThresholdMetric | undefined {
  if ((RATES as readonly string[]).includes(name)) return { kind: 'rate', name: name as (typeof RATES)[number] };
  if ((COUNTS as readonly string[]).includes(name)) return { kind: 'count', name: name as (typeof COUNTS)[number] };
  let latency: LatencyKind = 'e2e';
  let stat = name;
  for (const prefix of Object.keys(LATENCY_KINDS) as LatencyKind[]) {
    if (name.startsWith(`${prefix}.`)) {
      latency = prefix;
      stat = name.slice(prefix.length + 1);
      break;
    }
  }
  if ((LATENCY_STATS as readonly string[]).includes(stat)) return { kind: 'latency', latency, stat: stat as LatencyStat };
  return undefined;
}

function canonical(metric: ThresholdMetric): string {
  if (metric.kind === 'latency') return `${metric.latency}.${metric.stat}`;
  return metric.name === 'rate' ? 'publish.rate' : metric.name;
}

/** Whether a threshold can be judged at all with this many subscribers (e2e latency needs one). */
export function thresholdNeedsSubscribers(threshold: Threshold): boolean {
  const p = threshold.parsed;
  return (p.kind === 'latency' && (p.latency === 'e2e' || p.latency === 'uncorrected')) || (p.kind === 'rate' && p.name === 'deliver.rate');
}

/** The figure a threshold is about, from a result (null when the run has none). */
export function thresholdActual(threshold: Threshold, result: BenchResult): number | null {
  const p = threshold.parsed;
  switch (p.kind) {
    case 'latency': {
      const summary = result.latency[LATENCY_KINDS[p.latency]];
      if (summary.count === 0) return null;
      return summary[p.stat];
    }
    case 'rate':
      return p.name === 'deliver.rate' ? result.deliver.msgsPerSec : result.publish.msgsPerSec;
    case 'count': {
      if (p.name === 'errors') return result.errors.reduce((n, e) => n + e.count, 0);
      return result.verification[p.name];
    }
  }
}

function holds(actual: number, op: ThresholdOp, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
    case '!=':
      return actual !== limit;
  }
}

/** Judges every threshold against a result; a figure the run does not have breaks its threshold. */
export function evaluateThresholds(thresholds: readonly Threshold[], result: BenchResult): ThresholdOutcome[] {
  return thresholds.map((t) => {
    const actual = thresholdActual(t, result);
    return {
      expression: t.expression,
      metric: t.metric,
      op: t.op,
      limit: t.limit,
      actual,
      ok: actual !== null && holds(actual, t.op, t.limit),
    };
  });
}
