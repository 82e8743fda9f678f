/**
 * The result of a run: everything `evq bench` reports, and exactly what `--json` writes (documented in
 * docs/BENCH-SCHEMA.md, schema in docs/bench-result.schema.json). Latencies are in microseconds.
 */

import type { EncodedHistogram, LatencySummary } from './histogram.js';
import type { IntervalEntry } from './intervals.js';

export type { EncodedHistogram, LatencySummary } from './histogram.js';
export type { IntervalEntry } from './intervals.js';

/**
 * The `schema` field of every result: bumped when a field changes meaning or goes away. evq-bench/2 added the
 * whole histograms and the per-second ones (`histograms`, `intervals`); a result of evq-bench/1 reads the same
 * without them.
 */
export const RESULT_SCHEMA = 'evq-bench/2';
/** Every schema a saved result may carry and still be read (`--compare`, `evq bench report`). */
export const READABLE_SCHEMAS = ['evq-bench/1', 'evq-bench/2'] as const;

export type Transport = 'ws' | 'http';

/** The scenario as run (JSON-safe: no payload bytes). */
export interface BenchConfig {
  topic: string;
  producers: number;
  subscribers: number;
  /** Measured messages in all (null with a duration). */
  messages: number | null;
  /** Measured phase (null with a message count). */
  durationMs: number | null;
  /** Value size in bytes (null with a payload file). */
  size: number | null;
  payloadFile: string | null;
  /** Distinct payloads the messages cycle through. */
  payloads: number;
  batchSize: number;
  lingerMs: number;
  /** Constant arrival rate across producers, msgs/s; 0 = as fast as possible. */
  rate: number;
  filter: string | null;
  matchRatio: number | null;
  warmupMs: number;
  workers: number;
  /**
   * `ws` (evq's batched client), `nats` (the same client over NATS JetStream), `kafka` (the same client over
   * Kafka's protocol, kafkajs) or `http` (single POSTs).
   */
  transport: Transport | 'nats' | 'kafka';
  /** Requests in flight per connection (HTTP transport). */
  pipelining: number;
  timeoutMs: number;
  drainTimeoutMs: number;
  /** Where the stamp travels: the first 40 bytes of the value, or the `evq-bench` header. */
  stampIn: 'value' | 'header';
  thresholds: string[];
  /** Partitions the run asked the topic to have (`--partitions`; null: the topic as it was). */
  partitions: number | null;
  /** The consumer group whose members read (`--group`; null: push subscriptions). */
  group: string | null;
  /** Readers in that group (`--members`; null without a group). With a group, `subscribers` is the same number. */
  members: number | null;
}

export interface MachineInfo {
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  totalMemoryBytes: number;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverage: number[];
  versions: {
    node: string;
    v8: string;
    evq: string;
    hdrHistogram: string;
    /** The git commit evq runs from (a git checkout), else null; absent in evq-bench/1. */
    evqCommit?: string | null;
  };
}

export interface Throughput {
  /** Measured messages (acknowledged ones for publish; received ones, over all subscribers, for deliver). */
  messages: number;
  bytes: number;
  /** From the start of the measured phase to the last acknowledgement / delivery. */
  durationMs: number;
  msgsPerSec: number;
  bytesPerSec: number;
}

export interface PublishThroughput extends Throughput {
  /** Measured messages handed to the broker (acknowledged or not). */
  sent: number;
  /** Messages on the --rate schedule per second of the measured phase (null without --rate). */
  intendedMsgsPerSec: number | null;
  /** Messages actually sent per second, first to last send of the measured phase. */
  sendMsgsPerSec: number;
}

export interface ProducerStats {
  id: number;
  /** The worker thread it ran in (0 without --workers). */
  worker: number;
  sent: number;
  acked: number;
  warmup: number;
  msgsPerSec: number;
  bytesPerSec: number;
  errors: number;
  ack: LatencySummary;
  sendLag: LatencySummary;
}

export interface SubscriberStats {
  id: number;
  worker: number;
  /** Measured messages received (warm-up ones excluded; duplicates included). */
  received: number;
  warmup: number;
  msgsPerSec: number;
  bytesPerSec: number;
  e2e: LatencySummary;
  e2eUncorrected: LatencySummary;
  /** Acknowledged, missing from its live stream. */
  lost: number;
  /** Acknowledged, after its subscription ended early (`endedBy`): not delivered, not lost. */
  undelivered: number;
  /** Why the subscription ended before the run (null: it ran to the end). */
  endedBy: string | null;
  duplicated: number;
  reordered: number;
  unexpected: number;
  foreign: number;
}

export interface RateSpread {
  min: number;
  mean: number;
  max: number;
  stddev: number;
}

export interface TimelineEntry {
  /** Seconds since the start of the measured phase (negative: warm-up). */
  second: number;
  sent: number;
  acked: number;
  delivered: number;
  errors: number;
}

export interface Verification {
  /** Messages acknowledged by the broker (warm-up included): what subscribers must receive. */
  published: number;
  /** Of those, the ones that match the filter (all without one): what each subscriber must receive. */
  matching: number;
  subscribers: number;
  /** matching × subscribers; with a group, matching (its members share one copy: each message once across them). */
  expected: number;
  /** Partitions the topic had when the run started (1 over nats://). */
  partitions: number;
  /** Distinct expected messages received, over all subscribers. */
  delivered: number;
  /** Acknowledged by the broker and missing from a live subscription: real loss. */
  lost: number;
  /** Acknowledged, but never delivered because a subscription ended early (see `undeliveredReasons`): not lost. */
  undelivered: number;
  /** Why those subscriptions ended, one entry per distinct reason (`subscriber 2: closed by the broker as …`). */
  undeliveredReasons: string[];
  duplicated: number;
  reordered: number;
  /** Messages the filter should have kept from a subscriber. */
  unexpected: number;
  /** Messages on the topic that were not this run's (another run, another producer). */
  foreign: number;
  ok: boolean;
}

export interface ErrorEntry {
  /** `producer 3`, `subscriber 0`, `run`. */
  client: string;
  code: string;
  message: string;
  count: number;
}

export interface ThresholdOutcome {
  expression: string;
  metric: string;
  op: string;
  limit: number;
  /** null when the run has no such figure. */
  actual: number | null;
  ok: boolean;
}

export interface BenchResult {
  /** `evq-bench/2` as written; a result read back may be of an earlier schema (see READABLE_SCHEMAS). */
  schema: (typeof READABLE_SCHEMAS)[number];
  /** No errors, nothing lost, duplicated or reordered, every threshold met. */
  ok: boolean;
  interrupted: boolean;
  startedAt: string;
  finishedAt: string;
  config: BenchConfig;
  target: { url: string; embedded: { memory: boolean; fsync: string } | null };
  machine: MachineInfo;
  phases: { warmupMs: number; measuredMs: number; drainMs: number; totalMs: number };
  publish: PublishThroughput;
  deliver: Throughput;
  latency: {
    unit: 'us';
    /** Receive time − intended send time: corrected for coordinated omission. */
    e2e: LatencySummary;
    /** Receive time − actual send time. */
    e2eUncorrected: LatencySummary;
    /** Acknowledgement time − actual send time. */
    ack: LatencySummary;
    /** Actual send time − intended send time: how far the generator fell behind its schedule. */
    sendLag: LatencySummary;
  };
  clients: { producers: ProducerStats[]; subscribers: SubscriberStats[] };
  clientRates: { producers: RateSpread; subscribers: RateSpread };
  timeline: TimelineEntry[];
  /** The command line as typed (a `--token` value replaced by `***`); null from the library, absent in evq-bench/1. */
  command?: string[] | null;
  /**
   * The whole histograms behind `latency` (µs, measured messages): HdrHistogram's compressed base64 with the
   * exact count, min, max and sum. Absent in an evq-bench/1 result.
   */
  histograms?: { e2e: EncodedHistogram; e2eUncorrected: EncodedHistogram; ack: EncodedHistogram; sendLag: EncodedHistogram };
  /** One entry per second with a latency: that second's end-to-end and ack histograms. Absent in evq-bench/1. */
  intervals?: IntervalEntry[];
  verification: Verification;
  errors: ErrorEntry[];
  thresholds: ThresholdOutcome[];
}

/** min / mean / max / standard deviation of per-client rates (as nats bench prints them). */
export function rateSpread(rates: readonly number[]): RateSpread {
  if (rates.length === 0) return { min: 0, mean: 0, max: 0, stddev: 0 };
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const r of rates) {
    sum += r;
    if (r < min) min = r;
    if (r > max) max = r;
  }
  const mean = sum / rates.length;
  let sq = 0;
  for (const r of rates) sq += (r - mean) ** 2;
  return { min: Math.round(min), mean: Math.round(mean), max: Math.round(max), stddev: Math.round(Math.sqrt(sq / rates.length)) };
}

/** Per second, rounded (0 for a zero duration). */
export function perSecond(count: number, durationMs: number): number {
  return durationMs > 0 ? Math.round((count * 1000) / durationMs) : 0;
}
