/**
 * Progress while `evq bench` runs, on stderr: on a terminal a live line (ora) with the elapsed time, the rate
 * and the p99 so far; anywhere else a plain line every 5 seconds (as kafka-producer-perf-test prints), so a
 * long run in CI shows it is alive without flooding the log.
 */

import ora, { type Ora } from 'ora';
import type { BenchProgress } from '../bench/runner.js';
import { formatCount, formatMicros } from './bench-format.js';
import type { Output } from './output.js';

export interface BenchLive {
  onProgress(progress: BenchProgress): void;
  /** Clears the live line (the report follows on a clean line). */
  stop(): void;
}

export interface BenchLiveOptions {
  stream?: NodeJS.WriteStream;
  /** Plain lines: one per this many ms (default 5,000). */
  plainEveryMs?: number;
  subscribers: number;
}

/** The live line: `measuring 3.2s · 98,123 msgs/s published · 97,950 msgs/s delivered · p99 4.21ms`. */
export function liveText(p: BenchProgress, subscribers: number): string {
  const parts = [
    `${p.phase === 'warmup' ? 'warming up' : p.phase} ${(p.elapsedMs / 1000).toFixed(1)}s`,
    `${formatCount(p.publishRate)} msgs/s published`,
  ];
  if (subscribers > 0) parts.push(`${formatCount(p.deliverRate)} msgs/s delivered`);
  if (p.p99Us !== null) parts.push(`${p.latency === 'e2e' ? 'e2e' : 'ack'} p99 ${formatMicros(p.p99Us)}`);
  if (p.errors > 0) parts.push(`${formatCount(p.errors)} errors`);
  return parts.join(' · ');
}

/** The periodic plain line: counts so far and the rates over the last period. */
export function plainText(p: BenchProgress, subscribers: number, publishRate: number, deliverRate: number): string {
  const head = `[${(p.elapsedMs / 1000).toFixed(1)}s${p.phase === 'measuring' ? '' : ` ${p.phase === 'warmup' ? 'warm-up' : p.phase}`}]`;
  const parts = [`${formatCount(p.acked)} published (${formatCount(publishRate)} msgs/s)`];
  if (subscribers > 0) parts.push(`${formatCount(p.delivered)} delivered (${formatCount(deliverRate)} msgs/s)`);
  if (p.p99Us !== null) parts.push(`${p.latency} p99 ${formatMicros(p.p99Us)} so far`);
  parts.push(`${formatCount(p.errors)} errors`);
  return `${head} ${parts.join(', ')}`;
}

export function startBenchLive(output: Output, options: BenchLiveOptions): BenchLive {
  const stream = options.stream ?? process.stderr;
  const live = output.interactive && stream.isTTY === true && stream.columns > 0;
  if (live) {
    let spinner: Ora | undefined;
    return {
      onProgress: (p) => {
        const text = liveText(p, options.subscribers);
        if (spinner === undefined) spinner = ora({ text, stream, discardStdin: false, hideCursor: false }).start();
        else spinner.text = text;
      },
      stop: () => {
        spinner?.stop();
        spinner = undefined;
      },
    };
  }
  const every = options.plainEveryMs ?? 5000;
  let last = { at: 0, acked: 0, delivered: 0 };
  return {
    onProgress: (p) => {
      if (p.elapsedMs - last.at < every) return;
      const span = p.elapsedMs - last.at;
      const rate = (n: number): number => (span > 0 ? Math.round((n * 1000) / span) : 0);
      output.info(plainText(p, options.subscribers, rate(p.acked - last.acked), rate(p.delivered - last.delivered)));
      last = { at: p.elapsedMs, acked: p.acked, delivered: p.delivered };
    },
    stop: () => undefined,
  };
}
