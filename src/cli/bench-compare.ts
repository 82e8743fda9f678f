/**
 * `--compare OLD.json`: each headline figure of this run beside the same figure of an earlier one, with the
 * change — green when it got better, red when it got worse (higher is better for rates, lower for latencies
 * and counts). Differences in the scenario are said first: comparing unlike runs is allowed, not hidden.
 */

import type { ChalkInstance } from 'chalk';
import type { BenchConfig, BenchResult } from '../bench/result.js';
import { formatCount, formatMiB, formatMicros, table } from './bench-format.js';

interface Figure {
  name: string;
  get: (r: BenchResult) => number | null;
  format: (x: number) => string;
  better: 'higher' | 'lower';
}

const e2e = (r: BenchResult): boolean => r.config.subscribers > 0;

const FIGURES: Figure[] = [
  { name: 'published msgs/s', get: (r) => r.publish.msgsPerSec, format: formatCount, better: 'higher' },
  { name: 'published MiB/s', get: (r) => r.publish.bytesPerSec, format: formatMiB, better: 'higher' },
  { name: 'delivered msgs/s', get: (r) => (e2e(r) ? r.deliver.msgsPerSec : null), format: formatCount, better: 'higher' },
  ...(['p50', 'p90', 'p99', 'p99.9', 'max'] as const).map((k): Figure => ({
    name: `e2e ${k}`,
    get: (r) => (e2e(r) ? r.latency.e2e[k] : null),
    format: formatMicros,
    better: 'lower',
  })),
  ...(['p50', 'p99'] as const).map((k): Figure => ({
    name: `uncorrected ${k}`,
    get: (r) => (e2e(r) ? r.latency.e2eUncorrected[k] : null),
    format: formatMicros,
    better: 'lower',
  })),
  ...(['p50', 'p99', 'max'] as const).map((k): Figure => ({
    name: `ack ${k}`,
    get: (r) => r.latency.ack[k],
    format: formatMicros,
    better: 'lower',
  })),
  { name: 'lost', get: (r) => r.verification.lost, format: formatCount, better: 'lower' },
  { name: 'duplicated', get: (r) => r.verification.duplicated, format: formatCount, better: 'lower' },
  { name: 'reordered', get: (r) => r.verification.reordered, format: formatCount, better: 'lower' },
  { name: 'errors', get: (r) => r.errors.reduce((n, e) => n + e.count, 0), format: formatCount, better: 'lower' },
];

const COMPARED_CONFIG: (keyof BenchConfig)[] = [
  'producers',
  'subscribers',
  'messages',
  'durationMs',
  'size',
  'payloadFile',
  'batchSize',
  'lingerMs',
  'rate',
  'filter',
  'matchRatio',
  'warmupMs',
  'workers',
  'transport',
  'pipelining',
  'partitions',
  'group',
  'members',
];

/** The settings in which two runs differ, as `rate 0 → 20000`. */
export function configDifferences(old: BenchConfig, now: BenchConfig): string[] {
  // a result written before a setting existed has none: the same as null
  const value = (c: BenchConfig, k: keyof BenchConfig): string => JSON.stringify(c[k] ?? null);
  return COMPARED_CONFIG.filter((k) => value(old, k) !== value(now, k)).map((k) => `${k} ${value(old, k)} → ${value(now, k)}`);
}

/** The change from `old` to `now` in percent (null when it cannot be told). */
export function change(old: number, now: number): number | null {
  if (old === now) return 0;
  if (old === 0) return null;
  return ((now - old) / Math.abs(old)) * 100;
}

export function renderComparison(old: BenchResult, now: BenchResult, oldPath: string, color: ChalkInstance): string[] {
  const lines: string[] = [];
  const diffs = configDifferences(old.config, now.config);
  lines.push(`${color.bold('compared with')} ${oldPath} (${old.startedAt})${diffs.length === 0 ? ', same scenario' : ''}`);
  if (diffs.length > 0) lines.push(color.yellow(`  the scenarios differ: ${diffs.join(', ')}`));
  const rows: string[][] = [['', 'before', 'now', 'change']];
  const tone: ('better' | 'worse' | 'same')[] = ['same'];
  for (const f of FIGURES) {
    const a = f.get(old);
    const b = f.get(now);
    if (a === null || b === null || a === undefined || b === undefined) continue;
    const pct = change(a, b);
    const text = pct === null ? (b > a ? 'new' : '') : pct === 0 ? '=' : `${pct > 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)}%`;
    rows.push([f.name, f.format(a), f.format(b), text]);
    tone.push(a === b ? 'same' : b > a === (f.better === 'higher') ? 'better' : 'worse');
  }
  lines.push(
    ...table(rows, ['l', 'r', 'r', 'r'], {
      indent: '  ',
      style: (t, r, c) => {
        if (r === 0) return color.bold(t);
        if (c !== 3) return t;
        return tone[r] === 'better' ? color.green(t) : tone[r] === 'worse' ? color.red(t) : t;
      },
    }),
  );
  return lines;
}
