/**
 * The final report of `evq bench`, in the style of `nats bench` and autocannon: the scenario in one line,
 * throughput (published and delivered), the latency spectrum (end to end corrected for coordinated omission,
 * uncorrected, acknowledgement, and how late the generator sent on its schedule), per-client rates, the
 * verification counts, errors and thresholds. Colours come from the Output's chalk (none off a TTY).
 */

import type { ChalkInstance } from 'chalk';
import type { BenchResult, LatencySummary } from '../bench/result.js';
import { formatDuration } from '../core/durations.js';
import { formatBytes, formatCount, formatMiB, formatMicros, formatSeconds, plural, table } from './bench-format.js';

/** Individual clients listed per kind; the rest are in `--json`. */
const MAX_CLIENT_ROWS = 10;

/** The scenario in one line. */
export function describeScenario(result: BenchResult): string {
  return describeConfig(result.config, result.verification.partitions ?? 1);
}

/** The scenario line of a run's settings, also before it has run (`partitions`: what the topic has). */
export function describeConfig(c: BenchResult['config'], partitions: number): string {
  const readers =
    c.group !== null && c.group !== undefined
      ? `group ${c.group} (${plural(c.members ?? c.subscribers, 'member')})`
      : plural(c.subscribers, 'subscriber');
  const parts = [`${plural(c.producers, 'producer')} → ${readers}`];
  // the partitions when asked for or more than one (a run on a topic of one reads as before partitions)
  if ((c.partitions !== null && c.partitions !== undefined) || partitions > 1) parts.push(plural(partitions, 'partition'));
  const what = c.payloadFile !== null ? `payloads of ${c.payloadFile}` : `${formatBytes(c.size ?? 0)}`;
  parts.push(
    c.messages !== null ? `${formatCount(c.messages)} messages of ${what}` : `${formatDuration(c.durationMs ?? 0)} of ${what} messages`,
  );
  // the batched client produces over a WebSocket to an evq broker, over NATS publishes to JetStream
  parts.push(
    c.transport === 'http'
      ? `http, pipelining ${c.pipelining}`
      : `${c.transport}, batches of ${formatCount(c.batchSize)}, linger ${formatDuration(c.lingerMs)}`,
  );
  parts.push(c.rate > 0 ? `${formatCount(c.rate)} msgs/s` : 'as fast as possible');
  if (c.warmupMs > 0) parts.push(`warm-up ${formatDuration(c.warmupMs)} (left out)`);
  if (c.filter !== null) parts.push(`filter ${JSON.stringify(c.filter)} matching ${Number(((c.matchRatio ?? 1) * 100).toFixed(4))}%`);
  if (c.workers > 0) parts.push(plural(c.workers, 'worker thread'));
  return parts.join(' · ');
}

function latencyCells(name: string, s: LatencySummary): string[] {
  return [name, ...[s.p50, s.p90, s.p99, s['p99.9'], s['p99.99'], s.max, s.mean, s.stddev].map(formatMicros)];
}

/** The report, one string per line. */
export function renderReport(result: BenchResult, color: ChalkInstance): string[] {
  const lines: string[] = [];
  const head = (text: string): string => color.bold(text);
  const c = result.config;
  const target =
    result.target.embedded === null
      ? result.target.url
      : `${result.target.url} (embedded, ${result.target.embedded.memory ? 'in memory' : `fsync ${result.target.embedded.fsync}`})`;
  lines.push(`${head('evq bench')} · ${describeScenario(result)}`);
  lines.push(color.dim(`broker ${target} · topic ${c.topic} · ran ${formatSeconds(result.phases.totalMs)}`));
  if (result.interrupted) lines.push(color.yellow('interrupted: producing stopped early; the figures cover what ran'));
  lines.push('');

  const rows: string[][] = [['throughput', 'messages', 'msgs/s', 'MiB/s', 'time', '']];
  rows.push([
    'published',
    formatCount(result.publish.messages),
    formatCount(result.publish.msgsPerSec),
    formatMiB(result.publish.bytesPerSec),
    formatSeconds(result.publish.durationMs),
    '',
  ]);
  if (c.subscribers > 0) {
    rows.push([
      'delivered',
      formatCount(result.deliver.messages),
      formatCount(result.deliver.msgsPerSec),
      formatMiB(result.deliver.bytesPerSec),
      formatSeconds(result.deliver.durationMs),
      c.group !== null && c.group !== undefined
        ? `over ${plural(c.subscribers, 'member')} of group ${c.group}`
        : `over ${plural(c.subscribers, 'subscriber')}`,
    ]);
  }
  lines.push(...table(rows, ['l', 'r', 'r', 'r', 'r', 'l'], { indent: '  ', style: (t, r) => (r === 0 ? head(t) : t) }));
  if (result.publish.intendedMsgsPerSec !== null) {
    lines.push(
      color.dim(
        `  schedule: ${formatCount(result.publish.intendedMsgsPerSec)} msgs/s intended, ${formatCount(result.publish.sendMsgsPerSec)} msgs/s sent` +
          ` (send lag p99 ${formatMicros(result.latency.sendLag.p99)})`,
      ),
    );
  }
  lines.push('');

  const lat: string[][] = [['latency', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'mean', 'stddev']];
  if (c.subscribers > 0) {
    lat.push(latencyCells('end to end', result.latency.e2e));
    lat.push(latencyCells('uncorrected', result.latency.e2eUncorrected));
  }
  lat.push(latencyCells('ack', result.latency.ack));
  if (c.rate > 0) lat.push(latencyCells('send lag', result.latency.sendLag));
  lines.push(
    ...table(lat, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'], {
      indent: '  ',
      style: (t, r, col) => (r === 0 ? head(t) : r === 1 && col === 3 && c.subscribers > 0 ? color.cyan(t) : t),
    }),
  );
  const notes: string[] = [];
  if (c.subscribers > 0) {
    notes.push('end to end: from the intended send time (corrected for coordinated omission)', 'uncorrected: from the actual send time');
  }
  notes.push('ack: send to broker acknowledgement');
  if (c.rate > 0) notes.push('send lag: actual minus intended send time');
  lines.push(color.dim(`  (${notes.join('; ')})`));
  lines.push('');

  lines.push(...clientLines(result, color));

  const v = result.verification;
  if (c.subscribers === 0) {
    lines.push(`${head('verification')}  no subscribers: nothing to verify (${plural(v.published, 'message')} acknowledged)`);
  } else {
    const matching = v.matching === v.published ? '' : `, ${formatCount(v.matching)} matching`;
    const counts = [
      `${formatCount(v.delivered)} delivered`,
      `${formatCount(v.lost)} lost`,
      `${formatCount(v.duplicated)} duplicated`,
      `${formatCount(v.reordered)} reordered`,
    ];
    if (c.filter !== null || v.unexpected > 0) counts.push(`${formatCount(v.unexpected)} unexpected`);
    if (v.foreign > 0) counts.push(`${formatCount(v.foreign)} not of this run, ignored`);
    const undelivered = v.undelivered;
    const verdict = !v.ok
      ? color.red('✗ FAILED')
      : undelivered > 0
        ? color.green(`✓ nothing lost, duplicated or reordered (${formatCount(undelivered)} not delivered)`)
        : color.green('✓ every message exactly once, in order');
    const copies =
      c.group !== null && c.group !== undefined
        ? `once across group ${c.group} (${plural(v.subscribers, 'member')})`
        : `× ${plural(v.subscribers, 'subscriber')}`;
    lines.push(
      `${head('verification')}  ${formatCount(v.published)} published${matching} ${copies} = ${formatCount(v.expected)} expected · ${counts.join(' · ')}  ${verdict}`,
    );
    if (undelivered > 0) {
      // not lost: acknowledged and still in the broker, but a subscription ended before they reached it
      lines.push(
        color.yellow(
          `${' '.repeat(14)}${formatCount(undelivered)} not delivered (still in the broker, not lost): ${v.undeliveredReasons.join('; ')}`,
        ),
      );
    }
  }

  if (result.errors.length > 0) {
    const total = result.errors.reduce((n, e) => n + e.count, 0);
    lines.push(color.red(`${head('errors')}  ${formatCount(total)}`));
    for (const e of result.errors.slice(0, 10))
      lines.push(`  ${e.client}: ${e.message} [${e.code}]${e.count > 1 ? ` ×${formatCount(e.count)}` : ''}`);
    if (result.errors.length > 10) lines.push(color.dim(`  … ${result.errors.length - 10} more in --json`));
  }

  if (result.thresholds.length > 0) {
    lines.push(head('thresholds'));
    for (const t of result.thresholds) {
      const actual = t.actual === null ? 'no such figure in this run' : `${t.metric} = ${formatMetric(t.metric, t.actual)}`;
      lines.push(`  ${t.ok ? color.green('✓') : color.red('✗')} ${t.expression}  ${color.dim(`(${actual})`)}`);
    }
  }
  return lines;
}

/** A threshold's figure in its unit. */
export function formatMetric(metric: string, value: number): string {
  if (metric.endsWith('.rate')) return `${formatCount(value)} msgs/s`;
  if (metric.includes('.')) return formatMicros(value);
  return formatCount(value);
}

function clientLines(result: BenchResult, color: ChalkInstance): string[] {
  const lines: string[] = [];
  const c = result.config;
  const { producers, subscribers } = result.clients;
  const spread = (s: { min: number; mean: number; max: number; stddev: number }): string =>
    `min ${formatCount(s.min)} | avg ${formatCount(s.mean)} | max ${formatCount(s.max)} | stddev ${formatCount(s.stddev)} msgs/s`;
  if (producers.length > 1 || subscribers.length > 1) {
    const rows: string[][] = [];
    rows.push([color.bold('producers'), spread(result.clientRates.producers)]);
    for (const p of producers.slice(0, MAX_CLIENT_ROWS)) {
      rows.push([
        `  [${p.id}]`,
        `${formatCount(p.acked)} msgs · ${formatCount(p.msgsPerSec)} msgs/s · ${formatMiB(p.bytesPerSec)} MiB/s · ack p99 ${formatMicros(p.ack.p99)}${p.errors > 0 ? color.red(` · ${formatCount(p.errors)} errors`) : ''}`,
      ]);
    }
    if (producers.length > MAX_CLIENT_ROWS) rows.push(['', color.dim(`… ${producers.length - MAX_CLIENT_ROWS} more in --json`)]);
    if (subscribers.length > 0) {
      rows.push([
        color.bold(c.group !== null && c.group !== undefined ? 'members' : 'subscribers'),
        spread(result.clientRates.subscribers),
      ]);
      for (const s of subscribers.slice(0, MAX_CLIENT_ROWS)) {
        const bad = s.lost + s.duplicated + s.reordered + s.unexpected;
        rows.push([
          `  [${s.id}]`,
          `${formatCount(s.received)} msgs · ${formatCount(s.msgsPerSec)} msgs/s · ${formatMiB(s.bytesPerSec)} MiB/s · e2e p99 ${formatMicros(s.e2e.p99)}` +
            (bad > 0
              ? color.red(` · ${formatCount(s.lost)} lost, ${formatCount(s.duplicated)} duplicated, ${formatCount(s.reordered)} reordered`)
              : '') +
            (s.endedBy === null ? '' : color.yellow(` · ${s.endedBy}: ${formatCount(s.undelivered)} not delivered`)),
        ]);
      }
      if (subscribers.length > MAX_CLIENT_ROWS) rows.push(['', color.dim(`… ${subscribers.length - MAX_CLIENT_ROWS} more in --json`)]);
    }
    for (const row of rows) lines.push(`  ${row[0]}  ${row[1]}`);
    lines.push('');
  }
  return lines;
}
