/**
 * A synthetic `evq bench` result of any length (a 10-minute one for the report's size): every field a run
 * writes, with latencies recorded into real histograms — per second and whole — from a seeded random stream, so
 * the data model and the HTML report see what a real run of that length gives them, in milliseconds.
 */
import { LatencyHistogram } from '../../src/bench/histogram.js';
import { RESULT_SCHEMA, type BenchResult, type IntervalEntry } from '../../src/bench/result.js';

export interface SyntheticOptions {
  seconds?: number;
  /** Messages a second. */
  rate?: number;
  warmupSeconds?: number;
  producers?: number;
  subscribers?: number;
  filter?: string | null;
  topic?: string;
  /** Median latency in µs (the tail is 20× it, with a stall in the middle of the run). */
  medianUs?: number;
  seed?: number;
}

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticResult(options: SyntheticOptions = {}): BenchResult {
  const seconds = options.seconds ?? 20;
  const rate = options.rate ?? 2000;
  const warmup = options.warmupSeconds ?? 2;
  const producers = options.producers ?? 2;
  const subscribers = options.subscribers ?? 2;
  const median = options.medianUs ?? 800;
  const rnd = random(options.seed ?? 1);
  const whole = {
    e2e: new LatencyHistogram(),
    e2eUncorrected: new LatencyHistogram(),
    ack: new LatencyHistogram(),
    sendLag: new LatencyHistogram(),
  };
  const intervals: IntervalEntry[] = [];
  const timeline: BenchResult['timeline'] = [];
  const sample = (scale: number, stall: boolean): number => {
    const u = rnd();
    const base = median * scale * Math.exp((rnd() - 0.5) * 1.2);
    return Math.round(u > 0.999 ? base * 20 : stall ? base * 8 : base);
  };
  for (let s = -warmup; s < seconds; s++) {
    timeline.push({ second: s, sent: rate, acked: rate, delivered: rate * subscribers, errors: 0 });
    if (s < 0) continue;
    const stall = s === Math.floor(seconds / 2);
    const e2e = new LatencyHistogram();
    const ack = new LatencyHistogram();
    for (let i = 0; i < rate; i++) {
      const a = sample(0.5, stall);
      ack.record(a);
      whole.ack.record(a);
      whole.sendLag.record(Math.round(rnd() * 50));
      for (let k = 0; k < subscribers; k++) {
        const e = sample(1, stall);
        e2e.record(e);
        whole.e2e.record(e);
        whole.e2eUncorrected.record(Math.round(e * 0.9));
      }
    }
    intervals.push({ second: s, e2e: e2e.encode(), ack: ack.encode() });
  }
  const total = rate * seconds;
  const summary = (h: LatencyHistogram): BenchResult['latency']['e2e'] => h.summary();
  const per = Math.floor(total / producers);
  return {
    schema: RESULT_SCHEMA,
    ok: true,
    interrupted: false,
    startedAt: '2026-11-23T01:40:12.118Z',
    finishedAt: '2026-11-23T01:50:14.081Z',
    config: {
      topic: options.topic ?? 'bench-synthetic',
      producers,
      subscribers,
      messages: null,
      durationMs: seconds * 1000,
      size: 100,
      payloadFile: null,
      payloads: 1,
      batchSize: 1000,
      lingerMs: 5,
      rate: rate,
      filter: options.filter ?? null,
      matchRatio: options.filter === undefined || options.filter === null ? null : 1,
      warmupMs: warmup * 1000,
      workers: 0,
      transport: 'ws',
      pipelining: 10,
      timeoutMs: 10000,
      drainTimeoutMs: 10000,
      stampIn: 'value',
      thresholds: ['p99<1s'],
      partitions: null,
      group: null,
      members: null,
    },
    target: { url: 'http://127.0.0.1:7070', embedded: { memory: true, fsync: 'always' } },
    machine: {
      platform: 'linux',
      arch: 'x64',
      cpus: 2,
      cpuModel: 'Synthetic CPU',
      totalMemoryBytes: 8 * 2 ** 30,
      loadAverage: [0.5, 0.4, 0.3],
      versions: { node: '20.20.0', v8: '11.3', evq: '0.1.0', hdrHistogram: '3.0.1', evqCommit: '0123456789abcdef0123456789abcdef01234567' },
    },
    phases: { warmupMs: warmup * 1000, measuredMs: seconds * 1000, drainMs: 3, totalMs: (seconds + warmup) * 1000 + 50 },
    publish: {
      messages: total,
      bytes: total * 100,
      durationMs: seconds * 1000,
      msgsPerSec: rate,
      bytesPerSec: rate * 100,
      sent: total,
      intendedMsgsPerSec: rate,
      sendMsgsPerSec: rate,
    },
    deliver: {
      messages: total * subscribers,
      bytes: total * subscribers * 100,
      durationMs: seconds * 1000,
      msgsPerSec: rate * subscribers,
      bytesPerSec: rate * subscribers * 100,
    },
    latency: {
      unit: 'us',
      e2e: summary(whole.e2e),
      e2eUncorrected: summary(whole.e2eUncorrected),
      ack: summary(whole.ack),
      sendLag: summary(whole.sendLag),
    },
    clients: {
      producers: Array.from({ length: producers }, (_, id) => ({
        id,
        worker: 0,
        sent: per,
        acked: per,
        warmup: (rate * warmup) / producers,
        msgsPerSec: Math.round(rate / producers) + id * 7,
        bytesPerSec: Math.round(rate / producers) * 100,
        errors: 0,
        ack: summary(whole.ack),
        sendLag: summary(whole.sendLag),
      })),
      subscribers: Array.from({ length: subscribers }, (_, id) => ({
        id,
        worker: 0,
        received: total,
        warmup: rate * warmup,
        msgsPerSec: rate - id * 5,
        bytesPerSec: rate * 100,
        e2e: summary(whole.e2e),
        e2eUncorrected: summary(whole.e2eUncorrected),
        lost: 0,
        undelivered: 0,
        endedBy: null,
        duplicated: 0,
        reordered: 0,
        unexpected: 0,
        foreign: 0,
      })),
    },
    clientRates: { producers: { min: 0, mean: 0, max: 0, stddev: 0 }, subscribers: { min: 0, mean: 0, max: 0, stddev: 0 } },
    timeline,
    command: ['evq', 'bench', '--embedded', '--duration', `${seconds}s`, ...(options.filter ? ['--filter', options.filter] : [])],
    histograms: {
      e2e: whole.e2e.encode(),
      e2eUncorrected: whole.e2eUncorrected.encode(),
      ack: whole.ack.encode(),
      sendLag: whole.sendLag.encode(),
    },
    intervals,
    verification: {
      published: total,
      matching: total,
      subscribers,
      expected: total * subscribers,
      partitions: 1,
      delivered: total * subscribers,
      lost: 0,
      undelivered: 0,
      undeliveredReasons: [],
      duplicated: 0,
      reordered: 0,
      unexpected: 0,
      foreign: 0,
      ok: true,
    },
    errors: [],
    thresholds: [{ expression: 'p99<1s', metric: 'e2e.p99', op: '<', limit: 1_000_000, actual: whole.e2e.valueAt(99), ok: true }],
  };
}

/** The same result as an evq-bench/1 file had it: without the histograms, intervals, command and commit. */
export function asSchema1(result: BenchResult): BenchResult {
  const old = structuredClone(result);
  old.schema = 'evq-bench/1';
  delete old.histograms;
  delete old.intervals;
  delete old.command;
  delete old.machine.versions.evqCommit;
  return old;
}
