/**
 * The table of differences between runs of one report (as `--compare` prints two): each headline figure of
 * every run, the first run being the baseline. Values are raw (µs, msgs/s, counts); the page formats them and
 * colours the change by `better`.
 */

import type { BenchResult } from '../result.js';

export type FigureUnit = 'rate' | 'bytesRate' | 'us' | 'count';

export interface DifferenceRow {
  name: string;
  unit: FigureUnit;
  better: 'higher' | 'lower';
  /** One per run (null: the run has no such figure, e.g. e2e without subscribers). */
  values: (number | null)[];
}

interface Figure {
  name: string;
  unit: FigureUnit;
  better: 'higher' | 'lower';
  get: (r: BenchResult) => number | null;
}

const readers = (r: BenchResult): boolean => r.config.subscribers > 0;

const FIGURES: Figure[] = [
  { name: 'published msgs/s', unit: 'rate', better: 'higher', get: (r) => r.publish.msgsPerSec },
  { name: 'published MiB/s', unit: 'bytesRate', better: 'higher', get: (r) => r.publish.bytesPerSec },
  { name: 'delivered msgs/s', unit: 'rate', better: 'higher', get: (r) => (readers(r) ? r.deliver.msgsPerSec : null) },
  ...(['p50', 'p90', 'p99', 'p99.9', 'max'] as const).map((k): Figure => ({
    name: `e2e ${k}`,
    unit: 'us',
    better: 'lower',
    get: (r) => (readers(r) ? r.latency.e2e[k] : null),
  })),
  ...(['p50', 'p99'] as const).map((k): Figure => ({
    name: `uncorrected ${k}`,
    unit: 'us',
    better: 'lower',
    get: (r) => (readers(r) ? r.latency.e2eUncorrected[k] : null),
  })),
  ...(['p50', 'p99', 'max'] as const).map((k): Figure => ({ name: `ack ${k}`, unit: 'us', better: 'lower', get: (r) => r.latency.ack[k] })),
  { name: 'lost', unit: 'count', better: 'lower', get: (r) => r.verification.lost },
  { name: 'duplicated', unit: 'count', better: 'lower', get: (r) => r.verification.duplicated },
  { name: 'reordered', unit: 'count', better: 'lower', get: (r) => r.verification.reordered },
  { name: 'errors', unit: 'count', better: 'lower', get: (r) => r.errors.reduce((n, e) => n + e.count, 0) },
];

/** The rows for several runs (none for fewer than two). */
export function differencesOf(results: readonly BenchResult[]): DifferenceRow[] {
  if (results.length < 2) return [];
  return FIGURES.map((f) => ({ name: f.name, unit: f.unit, better: f.better, values: results.map((r) => f.get(r)) }));
}
