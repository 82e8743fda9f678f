/**
 * `runBench`: runs a scenario and returns its result. It spreads the producers and subscribers over the nodes
 * (this thread, or `--workers K` worker threads), drives them through their phases together — subscribe,
 * produce on a common start time, drain, report — and merges what they measured: histograms exactly (bucket
 * counts added), counters and timelines by sum. Progress is told through `onProgress`; nothing is printed.
 */

import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { prepareTopic } from './broker-admin.js';
import { configOf, type Scenario } from './scenario.js';
import { buildShapes } from './payload.js';
import { LatencyHistogram } from './histogram.js';
import { matchCount, matchPpm } from './match.js';
import { machineInfo } from './machine.js';
import { BenchNode, earliest, latest, type ConnectFn, type NodeHandle, type NodeReport, type NodeSetup } from './node.js';
import { RESULT_SCHEMA, perSecond, rateSpread, type BenchResult, type Verification } from './result.js';
import { evaluateThresholds } from './thresholds.js';
import { ErrorLog } from './error-log.js';
import { Timeline } from './timeline.js';
import { IntervalHistograms } from './intervals.js';
import { monoMs } from './time.js';
import { DEFAULT_WORKER_URL, WorkerNode } from './worker-node.js';

export interface BenchProgress {
  phase: 'warmup' | 'measuring' | 'draining';
  /** Since the start of the schedule (warm-up included). */
  elapsedMs: number;
  sent: number;
  acked: number;
  delivered: number;
  errors: number;
  /** Over the last interval, msgs/s. */
  publishRate: number;
  deliverRate: number;
  /** The 99th percentile so far (µs): end to end (corrected), or ack latency without subscribers. */
  p99Us: number | null;
  latency: 'e2e' | 'ack';
}

export interface RunOptions {
  /** Aborting stops producing; what is in flight is still acknowledged and drained, and reported. */
  signal?: AbortSignal;
  onProgress?: (progress: BenchProgress) => void;
  /** Default 1,000 ms. */
  progressIntervalMs?: number;
  /** The compiled worker entry (src/bench/worker.ts built to .js), for `workers` > 0. */
  workerUrl?: URL;
  /** How the broker was started, for the report (null: the user's). */
  embedded?: { memory: boolean; fsync: string } | null;
  evqVersion?: string;
  /** The git commit evq runs from, when known (the report's header). */
  evqCommit?: string | null;
  /** The command line as typed, for the report (secrets already masked). */
  command?: string[] | null;
  /** Connects the clients (in-process runs only): tests inject a fault-injecting client. */
  connect?: ConnectFn;
  /**
   * Without `workers`, at a fixed `rate`: the subscribers run in a worker thread of their own (`workerUrl`),
   * the producers in this one — decoding what arrives then never delays the send schedule (the CLI's choice).
   * Ignored with `connect`, without producers or subscribers, and when the compiled worker is not there.
   */
  subscriberThread?: boolean;
}

/** Lead time between the subscribers being ready and the first intended send (lets every worker be on time). */
const START_LEAD_MS = 25;

/**
 * Which node runs which client: producers first, then subscribers, dealt round-robin over the nodes — except
 * a group's members (`together`), which all run in the next node: they share one check of the stream.
 */
export function assignClients(
  producers: number,
  subscribers: number,
  nodes: number,
  together = false,
): { producers: number[]; subscribers: number[] }[] {
  const out = Array.from({ length: Math.max(1, nodes) }, () => ({ producers: [] as number[], subscribers: [] as number[] }));
  let next = 0;
  for (let p = 0; p < producers; p++) (out[next++ % out.length] as { producers: number[] }).producers.push(p);
  const groupNode = next % out.length;
  for (let s = 0; s < subscribers; s++) (out[together ? groupNode : next++ % out.length] as { subscribers: number[] }).subscribers.push(s);
  return out;
}

/**
 * Whether the subscribers run in a thread of their own, apart from the producers (see `subscriberThread`): for
 * a run at a fixed rate (a schedule to keep), when the compiled worker is there (not when run from the sources).
 */
function subscribersApart(scenario: Scenario, options: RunOptions): boolean {
  const url = options.workerUrl ?? DEFAULT_WORKER_URL;
  return (
    options.subscriberThread === true &&
    options.connect === undefined &&
    scenario.workers === 0 &&
    scenario.rate > 0 &&
    scenario.producers > 0 &&
    scenario.subscribers > 0 &&
    url.protocol === 'file:' &&
    existsSync(fileURLToPath(url))
  );
}

export async function runBench(scenario: Scenario, options: RunOptions = {}): Promise<BenchResult> {
  const startedAt = new Date();
  const t0 = monoMs();
  const machine = machineInfo(options.evqVersion ?? 'unknown', options.evqCommit ?? null);
  const shapes = buildShapes(scenario);
  const runId = randomInt(1, 2 ** 32 - 1);
  // the topic first (created with its partitions, or as it is): every node reads it with that many
  const partitions = await prepareTopic(scenario);
  const split = subscribersApart(scenario, options);
  const assignment = split
    ? [
        { producers: ids(scenario.producers), subscribers: [] },
        { producers: [], subscribers: ids(scenario.subscribers) },
      ]
    : assignClients(scenario.producers, scenario.subscribers, scenario.workers, scenario.group !== null);
  const setups: NodeSetup[] = assignment.map((a, worker) => ({ scenario, shapes, runId, worker, partitions, ...a }));
  const nodes: NodeHandle[] = split
    ? [new BenchNode(setups[0] as NodeSetup), new WorkerNode(setups[1] as NodeSetup, options.workerUrl)]
    : scenario.workers === 0
      ? [new BenchNode(setups[0] as NodeSetup, options.connect)]
      : setups.map((setup) => new WorkerNode(setup, options.workerUrl));

  let interrupted = false;
  const onAbort = (): void => {
    interrupted = true;
    for (const node of nodes) node.abort();
  };
  let reports: NodeReport[];
  let startMs = 0;
  let producedAt = 0;
  let drainedAt = 0;
  let ticker: NodeJS.Timeout | undefined;
  try {
    await Promise.all(nodes.map((n) => n.prepare()));
    startMs = monoMs() + START_LEAD_MS;
    const measuredFromMs = startMs + scenario.warmupMs;
    if (options.signal?.aborted === true) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    let phase: BenchProgress['phase'] = scenario.warmupMs > 0 ? 'warmup' : 'measuring';
    if (options.onProgress !== undefined) {
      const onProgress = options.onProgress;
      let last = { at: monoMs(), acked: 0, delivered: 0 };
      let busy = false;
      ticker = setInterval(() => {
        if (busy) return;
        busy = true;
        Promise.all(nodes.map((n) => n.progress()))
          .then((parts) => {
            const now = monoMs();
            if (phase === 'warmup' && now >= measuredFromMs) phase = 'measuring';
            const live = new LatencyHistogram();
            let sent = 0;
            let acked = 0;
            let delivered = 0;
            let errors = 0;
            for (const p of parts) {
              sent += p.sent;
              acked += p.acked;
              delivered += p.delivered;
              errors += p.errors;
              live.add(p.live);
            }
            const span = now - last.at;
            onProgress({
              phase,
              elapsedMs: Math.max(0, now - startMs),
              sent,
              acked,
              delivered,
              errors,
              publishRate: perSecond(acked - last.acked, span),
              deliverRate: perSecond(delivered - last.delivered, span),
              p99Us: live.count === 0 ? null : live.valueAt(99),
              latency: scenario.subscribers > 0 ? 'e2e' : 'ack',
            });
            last = { at: now, acked, delivered };
          })
          .catch(() => undefined)
          .finally(() => {
            busy = false;
          });
      }, options.progressIntervalMs ?? 1000);
    }

    const parts = await Promise.all(nodes.map((n) => n.run(startMs)));
    producedAt = monoMs();
    phase = 'draining';
    const acked = new Array<number>(scenario.producers).fill(0);
    for (const part of parts) for (const [id, count] of Object.entries(part)) acked[Number(id)] = count;
    await Promise.all(nodes.map((n) => n.drain(acked)));
    drainedAt = monoMs();
    if (ticker !== undefined) clearInterval(ticker);
    ticker = undefined;
    reports = await Promise.all(nodes.map((n) => n.finish(acked)));
    return buildResult(scenario, options, reports, acked, partitions, {
      startedAt,
      machine,
      interrupted,
      t0,
      startMs,
      producedAt,
      drainedAt,
    });
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(nodes.map((n) => n.close().catch(() => undefined)));
  }
}

interface RunTimes {
  startedAt: Date;
  machine: BenchResult['machine'];
  interrupted: boolean;
  t0: number;
  startMs: number;
  producedAt: number;
  drainedAt: number;
}

function buildResult(
  scenario: Scenario,
  options: RunOptions,
  reports: NodeReport[],
  acked: number[],
  partitions: number,
  times: RunTimes,
): BenchResult {
  const measuredFromMs = times.startMs + scenario.warmupMs;
  const merged = {
    e2e: new LatencyHistogram(),
    e2eUncorrected: new LatencyHistogram(),
    ack: new LatencyHistogram(),
    sendLag: new LatencyHistogram(),
  };
  const timeline = new Timeline();
  const intervals = new IntervalHistograms();
  const errors = new ErrorLog();
  for (const r of reports) {
    merged.e2e.add(r.histograms.e2e);
    merged.e2eUncorrected.add(r.histograms.e2eUncorrected);
    merged.ack.add(r.histograms.ack);
    merged.sendLag.add(r.histograms.sendLag);
    timeline.merge(r.timeline);
    intervals.merge(r.intervals);
    errors.merge(r.errors);
  }
  const total = (pick: (r: NodeReport) => number): number => reports.reduce((n, r) => n + pick(r), 0);
  const lastAckMs = latest(reports.map((r) => r.publish.lastAckMs));
  const lastReceiveMs = latest(reports.map((r) => r.deliver.lastReceiveMs));
  const since = (t: number): number => (Number.isNaN(t) ? 0 : Math.max(0, t - measuredFromMs));

  const sent = total((r) => r.publish.sent);
  const ackedMeasured = total((r) => r.publish.acked);
  const publishBytes = total((r) => r.publish.bytes);
  const publishMs = since(lastAckMs);
  const firstSend = earliest(reports.map((r) => r.publish.firstSendMs));
  const lastSend = latest(reports.map((r) => r.publish.lastSendMs));
  const firstIntended = earliest(reports.map((r) => r.publish.firstIntendedMs));
  const lastIntended = latest(reports.map((r) => r.publish.lastIntendedMs));
  const intendedSpan = lastIntended - firstIntended + (scenario.rate > 0 ? 1000 / scenario.rate : 0);
  const received = total((r) => r.deliver.received);
  const deliverBytes = total((r) => r.deliver.bytes);
  const deliverMs = since(lastReceiveMs);

  const ppm = matchPpm(scenario.matchRatio ?? 1);
  const published = acked.reduce((n, a) => n + a, 0);
  const matching = acked.reduce((n, a) => n + matchCount(0, a, ppm), 0);
  const v = { received: 0, lost: 0, undelivered: 0, duplicated: 0, reordered: 0, unexpected: 0, foreign: 0 };
  for (const r of reports) for (const key of Object.keys(v) as (keyof typeof v)[]) v[key] += r.verification[key];
  const undeliveredReasons = reports.flatMap((r) => r.verification.undeliveredReasons);
  const verification: Verification = {
    published,
    matching,
    subscribers: scenario.subscribers,
    // a group's members share one copy of the stream: each message once across them
    expected: matching * (scenario.group === null ? scenario.subscribers : Math.min(1, scenario.subscribers)),
    partitions,
    delivered: v.received,
    lost: v.lost,
    undelivered: v.undelivered,
    undeliveredReasons,
    duplicated: v.duplicated,
    reordered: v.reordered,
    unexpected: v.unexpected,
    foreign: v.foreign,
    ok: v.lost === 0 && v.duplicated === 0 && v.reordered === 0 && v.unexpected === 0,
  };

  const producers = reports.flatMap((r) => r.producers).sort((a, b) => a.id - b.id);
  const subscribers = reports.flatMap((r) => r.subscribers).sort((a, b) => a.id - b.id);
  const end = monoMs();
  const result: BenchResult = {
    schema: RESULT_SCHEMA,
    ok: false,
    interrupted: times.interrupted,
    startedAt: times.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    config: configOf(scenario),
    target: { url: scenario.url, embedded: options.embedded ?? null },
    machine: times.machine,
    phases: {
      warmupMs: scenario.warmupMs,
      measuredMs: Math.round(Math.max(0, times.producedAt - measuredFromMs)),
      drainMs: Math.round(times.drainedAt - times.producedAt),
      totalMs: Math.round(end - times.t0),
    },
    publish: {
      messages: ackedMeasured,
      bytes: publishBytes,
      durationMs: round1(publishMs),
      msgsPerSec: perSecond(ackedMeasured, publishMs),
      bytesPerSec: perSecond(publishBytes, publishMs),
      sent,
      intendedMsgsPerSec: scenario.rate > 0 && sent > 0 ? perSecond(sent, intendedSpan) : null,
      sendMsgsPerSec: sent > 1 ? perSecond(sent - 1, lastSend - firstSend) : 0,
    },
    deliver: {
      messages: received,
      bytes: deliverBytes,
      durationMs: round1(deliverMs),
      msgsPerSec: perSecond(received, deliverMs),
      bytesPerSec: perSecond(deliverBytes, deliverMs),
    },
    latency: {
      unit: 'us',
      e2e: merged.e2e.summary(),
      e2eUncorrected: merged.e2eUncorrected.summary(),
      ack: merged.ack.summary(),
      sendLag: merged.sendLag.summary(),
    },
    clients: { producers, subscribers },
    clientRates: {
      producers: rateSpread(producers.map((p) => p.msgsPerSec)),
      subscribers: rateSpread(subscribers.map((s) => s.msgsPerSec)),
    },
    timeline: timeline.entries(),
    command: options.command ?? null,
    histograms: {
      e2e: merged.e2e.encode(),
      e2eUncorrected: merged.e2eUncorrected.encode(),
      ack: merged.ack.encode(),
      sendLag: merged.sendLag.encode(),
    },
    intervals: intervals.entries(),
    verification,
    errors: errors.entries(),
    thresholds: [],
  };
  result.thresholds = evaluateThresholds(scenario.thresholds, result);
  result.ok = result.errors.length === 0 && verification.ok && result.thresholds.every((t) => t.ok);
  return result;
}

function ids(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
