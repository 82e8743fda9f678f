/**
 * The data model of the HTML report (`evq bench --html`, `evq bench report`): everything the page draws,
 * computed from one or more results — JSON-safe, small (a few hundred numbers per run and chart, whatever the
 * run's length), with no markup in it. The page (src/cli/) embeds it compressed and builds every text node from
 * it with `textContent`. Pure: no I/O, no printing.
 */

import { formatDuration } from '../../core/durations.js';
import type { BenchResult, LatencySummary } from '../result.js';
import { differencesOf, type DifferenceRow } from './differences.js';
import { SPECTRUM_X, bucketCounts, decoded, spectrumOf, spectrumOfSummary, BUCKETS_PER_DECADE } from './histograms.js';
import { timeSeriesOf, type TimeSeries } from './series.js';

export const REPORT_FORMAT = 'evq-bench-report/1';

/** Clients listed per kind and run (the rest are counted in `more`). */
export const MAX_CLIENT_ROWS = 200;

export const LATENCY_KINDS = ['e2e', 'e2eUncorrected', 'ack', 'sendLag'] as const;
export type LatencyKind = (typeof LATENCY_KINDS)[number];

export const LATENCY_NAMES: Record<LatencyKind, string> = {
  e2e: 'end to end (corrected)',
  e2eUncorrected: 'end to end (uncorrected)',
  ack: 'ack',
  sendLag: 'send lag',
};

export interface ClientRow {
  /** `producer 0`, `subscriber 3`, `member 1`. */
  name: string;
  worker: number;
  /** Measured messages sent (producers) or received (subscribers). */
  messages: number;
  msgsPerSec: number;
  /** Errors (producers); lost + duplicated + reordered + unexpected (subscribers). */
  problems: number;
  /** Ack latency (producers) or end to end (subscribers), µs. */
  p50: number;
  p99: number;
  max: number;
}

export interface CheckRow {
  name: string;
  value: string;
  ok: boolean;
}

export interface RunModel {
  label: string;
  schema: string;
  ok: boolean;
  interrupted: boolean;
  /** Name → value, in order: the header table. */
  header: [string, string][];
  /** Verification counts and thresholds, each green or red. */
  checks: CheckRow[];
  /** The latency table: one row per kind with values (µs). */
  latency: { kind: LatencyKind; name: string; summary: LatencySummary }[];
  /** Latency (µs) at each of the model's spectrumX, per kind; null where unknown. */
  spectrum: Record<LatencyKind, (number | null)[]>;
  /** True when the spectrum comes from whole histograms, false from an old result's percentiles. */
  exactSpectrum: boolean;
  timeline: TimeSeries;
  /** Length of the warm-up (shaded before second 0). */
  warmupSeconds: number;
  /** Count per log bucket (index k: from 10^(k/10) µs), end to end and ack; null without histograms. */
  buckets: { e2e: [number, number][]; ack: [number, number][] } | null;
  producers: ClientRow[];
  subscribers: ClientRow[];
  /** Clients left out of the lists above. */
  moreClients: number;
}

export interface ReportModel {
  format: typeof REPORT_FORMAT;
  title: string;
  spectrumX: number[];
  bucketsPerDecade: number;
  runs: RunModel[];
  /** With two runs or more: each headline figure of every run. */
  differences: DifferenceRow[];
}

export interface LabelledResult {
  label: string;
  result: BenchResult;
}

function describeSettings(r: BenchResult): string {
  const c = r.config;
  const parts: string[] = [`${c.producers} producer${c.producers === 1 ? '' : 's'}`];
  parts.push(
    c.group !== null && c.group !== undefined ? `group ${c.group} (${c.members ?? c.subscribers} members)` : `${c.subscribers} subscribers`,
  );
  if (c.partitions !== null && c.partitions !== undefined) parts.push(`${c.partitions} partitions`);
  parts.push(c.messages !== null ? `${c.messages} messages` : `${formatDuration(c.durationMs ?? 0)}`);
  parts.push(c.payloadFile !== null ? `payloads of ${c.payloadFile}` : `${c.size ?? 0} B values`);
  if (c.transport === 'http') parts.push(`pipelining ${c.pipelining}`);
  else parts.push(`batch ${c.batchSize}, linger ${formatDuration(c.lingerMs)}`);
  parts.push(c.rate > 0 ? `rate ${c.rate} msgs/s` : 'as fast as possible');
  if (c.warmupMs > 0) parts.push(`warm-up ${formatDuration(c.warmupMs)}`);
  if (c.workers > 0) parts.push(`${c.workers} workers`);
  if (c.filter !== null) parts.push(`filter ${c.filter} (match ${(c.matchRatio ?? 1) * 100}%)`);
  return parts.join(' · ');
}

function headerOf(r: BenchResult): [string, string][] {
  const m = r.machine;
  const broker =
    r.target.embedded === null
      ? r.target.url
      : `${r.target.url} (embedded, ${r.target.embedded.memory ? 'in memory' : `fsync ${r.target.embedded.fsync}`})`;
  const rows: [string, string][] = [
    ['command', r.command === undefined || r.command === null ? '(not recorded)' : r.command.join(' ')],
    ['broker', broker],
    ['transport', r.config.transport],
    ['topic', r.config.topic],
    ['settings', describeSettings(r)],
    [
      'machine',
      `${m.platform} ${m.arch}, ${m.cpus} CPUs (${m.cpuModel}), ${Math.round(m.totalMemoryBytes / 2 ** 30)} GiB, load ${m.loadAverage.join(' ')}`,
    ],
    ['date', r.startedAt],
    ['evq', m.versions.evq],
    ['evq commit', m.versions.evqCommit ?? 'unknown'],
    ['node', m.versions.node],
    ['schema', r.schema],
  ];
  return rows;
}

function checksOf(r: BenchResult): CheckRow[] {
  const v = r.verification;
  const errors = r.errors.reduce((n, e) => n + e.count, 0);
  const rows: CheckRow[] = [
    { name: 'lost', value: String(v.lost), ok: v.lost === 0 },
    { name: 'duplicated', value: String(v.duplicated), ok: v.duplicated === 0 },
    { name: 'reordered', value: String(v.reordered), ok: v.reordered === 0 },
    { name: 'unexpected', value: String(v.unexpected), ok: v.unexpected === 0 },
    { name: 'errors', value: String(errors), ok: errors === 0 },
  ];
  for (const t of r.thresholds) {
    rows.push({ name: `threshold ${t.expression}`, value: t.actual === null ? 'no such figure' : `${t.metric} = ${t.actual}`, ok: t.ok });
  }
  return rows;
}

function clientRows(r: BenchResult): { producers: ClientRow[]; subscribers: ClientRow[]; more: number } {
  const all = { producers: r.clients.producers, subscribers: r.clients.subscribers };
  const member = r.config.group !== null && r.config.group !== undefined;
  const producers = all.producers.slice(0, MAX_CLIENT_ROWS).map((p): ClientRow => ({
    name: `producer ${p.id}`,
    worker: p.worker,
    messages: p.acked,
    msgsPerSec: p.msgsPerSec,
    problems: p.errors,
    p50: p.ack.p50,
    p99: p.ack.p99,
    max: p.ack.max,
  }));
  const subscribers = all.subscribers.slice(0, MAX_CLIENT_ROWS).map((s): ClientRow => ({
    name: `${member ? 'member' : 'subscriber'} ${s.id}`,
    worker: s.worker,
    messages: s.received,
    msgsPerSec: s.msgsPerSec,
    problems: s.lost + s.duplicated + s.reordered + s.unexpected,
    p50: s.e2e.p50,
    p99: s.e2e.p99,
    max: s.e2e.max,
  }));
  return { producers, subscribers, more: all.producers.length - producers.length + all.subscribers.length - subscribers.length };
}

export function runModelOf(label: string, r: BenchResult): RunModel {
  const h = r.histograms;
  const spectrum = {} as Record<LatencyKind, (number | null)[]>;
  for (const kind of LATENCY_KINDS) spectrum[kind] = h === undefined ? spectrumOfSummary(r.latency[kind]) : spectrumOf(decoded(h[kind]));
  const clients = clientRows(r);
  return {
    label,
    schema: r.schema,
    ok: r.ok,
    interrupted: r.interrupted,
    header: headerOf(r),
    checks: checksOf(r),
    latency: LATENCY_KINDS.map((kind) => ({ kind, name: LATENCY_NAMES[kind], summary: r.latency[kind] })),
    spectrum,
    exactSpectrum: h !== undefined,
    timeline: timeSeriesOf(r),
    warmupSeconds: r.config.warmupMs / 1000,
    buckets:
      h === undefined
        ? null
        : {
            e2e: [...bucketCounts(decoded(h.e2e))].sort((a, b) => a[0] - b[0]),
            ack: [...bucketCounts(decoded(h.ack))].sort((a, b) => a[0] - b[0]),
          },
    producers: clients.producers,
    subscribers: clients.subscribers,
    moreClients: clients.more,
  };
}

/** The model of a report of one run or several (overlaid, the first being the baseline of the differences). */
export function reportModelOf(runs: readonly LabelledResult[]): ReportModel {
  const title =
    runs.length === 1
      ? `evq bench · ${(runs[0] as LabelledResult).result.startedAt}`
      : `evq bench · ${runs.map((r) => r.label).join(' vs ')}`;
  return {
    format: REPORT_FORMAT,
    title,
    spectrumX: [...SPECTRUM_X],
    bucketsPerDecade: BUCKETS_PER_DECADE,
    runs: runs.map((r) => runModelOf(r.label, r.result)),
    differences: differencesOf(runs.map((r) => r.result)),
  };
}
