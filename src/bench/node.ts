/**
 * The clients of one thread — the main thread, or one worker thread with `--workers K` — and the phases the
 * run drives them through: `prepare` (connect, subscribe), `run` (produce until the schedule is over),
 * `drain` (wait until the subscribers have every acknowledged message), `finish` (close, report). The
 * coordinator (runner.ts) drives every node through the same {@link NodeHandle} interface, whether the node is
 * in this thread or behind a worker's message port (worker-node.ts).
 */

import { connect } from '../client/connect.js';
import type { EvqClient } from '../client/types.js';
import { ErrorLog } from './error-log.js';
import type { EncodedHistogram, LatencyHistogram } from './histogram.js';
import { HttpProducer, requestTemplates } from './http-producer.js';
import { Meters, mergedHistogram, type ProducerMeter } from './meters.js';
import { Pacer, PaceTimer } from './pacer.js';
import { MessageFactory, type Shapes } from './payload.js';
import type { IntervalEntry } from './intervals.js';
import type { ErrorEntry, ProducerStats, SubscriberStats, TimelineEntry } from './result.js';
import { messagesOf, type Scenario } from './scenario.js';
import { BenchSubscriber } from './subscriber.js';
import { monoMs } from './time.js';
import type { VerifierCounts } from './verifier.js';
import { WsProducer } from './ws-producer.js';

export interface NodeSetup {
  scenario: Scenario;
  shapes: Shapes;
  runId: number;
  /** This node's number (0 without workers). */
  worker: number;
  /** Global ids of the producers and subscribers that run here (a group's members all run in one node). */
  producers: number[];
  subscribers: number[];
  /** Partitions of the topic when the run starts. */
  partitions: number;
}

/** Counters for the live line, and the latency so far (e2e, or ack without subscribers). */
export interface NodeProgress {
  sent: number;
  acked: number;
  delivered: number;
  errors: number;
  live: LatencyHistogram | EncodedHistogram;
}

export interface NodeReport {
  worker: number;
  producers: ProducerStats[];
  subscribers: SubscriberStats[];
  verification: VerifierCounts & { foreign: number; undeliveredReasons: string[] };
  histograms: { e2e: EncodedHistogram; e2eUncorrected: EncodedHistogram; ack: EncodedHistogram; sendLag: EncodedHistogram };
  timeline: TimelineEntry[];
  intervals: IntervalEntry[];
  errors: ErrorEntry[];
  publish: {
    sent: number;
    acked: number;
    bytes: number;
    firstSendMs: number;
    lastSendMs: number;
    firstIntendedMs: number;
    lastIntendedMs: number;
    lastAckMs: number;
  };
  deliver: { received: number; bytes: number; lastReceiveMs: number };
}

export interface NodeHandle {
  readonly worker: number;
  prepare(): Promise<void>;
  /** Produces from `startMs` (monotonic) on; resolves with the acknowledged prefix of each producer here. */
  run(startMs: number): Promise<Record<number, number>>;
  /** Waits for the subscribers here to have every acknowledged message; false when it gave up. */
  drain(acked: readonly number[]): Promise<boolean>;
  progress(): Promise<NodeProgress>;
  finish(acked: readonly number[]): Promise<NodeReport>;
  abort(): void;
  close(): Promise<void>;
}

type Producer = WsProducer | HttpProducer;

/** How a node connects to the broker (tests inject a fault-injecting client here). */
export type ConnectFn = (url: string, options: { token?: string | undefined; timeoutMs: number }) => Promise<EvqClient>;

export class BenchNode implements NodeHandle {
  readonly worker: number;
  readonly #setup: NodeSetup;
  readonly #connect: ConnectFn;
  readonly #errors = new ErrorLog();
  readonly #meters = new Meters(this.#errors);
  readonly #timer = new PaceTimer();
  readonly #abort = new AbortController();
  readonly #producers: Producer[] = [];
  readonly #subscribers: BenchSubscriber[] = [];
  #client: EvqClient | undefined;
  #closed = false;

  constructor(setup: NodeSetup, connectTo: ConnectFn = connect) {
    this.#setup = setup;
    this.#connect = connectTo;
    this.worker = setup.worker;
    const { scenario, shapes, runId } = setup;
    const templates = scenario.transport === 'http' && setup.producers.length > 0 ? requestTemplates(scenario, shapes) : undefined;
    for (const id of setup.producers) {
      const factory = new MessageFactory(scenario, shapes, runId, id);
      this.#producers.push(
        templates === undefined
          ? new WsProducer(id, scenario, factory, this.#meters, this.#timer)
          : new HttpProducer(id, scenario, factory, this.#meters, this.#timer, templates),
      );
    }
    if (scenario.group !== null) {
      // the members of the group are one subscriber: one copy of the stream, checked across them
      const first = setup.subscribers[0];
      if (first !== undefined)
        this.#subscribers.push(new BenchSubscriber(first, scenario, runId, this.#meters, setup.partitions, setup.subscribers.length));
    } else {
      for (const id of setup.subscribers) this.#subscribers.push(new BenchSubscriber(id, scenario, runId, this.#meters, setup.partitions));
    }
  }

  async prepare(): Promise<void> {
    const { scenario } = this.#setup;
    const needsClient = this.#subscribers.length > 0 || (scenario.transport === 'ws' && this.#producers.length > 0);
    if (needsClient) this.#client = await this.#connect(scenario.url, { token: scenario.token, timeoutMs: scenario.timeoutMs });
    const client = this.#client;
    await Promise.all([
      ...this.#producers.map((p) => (p instanceof HttpProducer ? p.open() : undefined)),
      ...this.#subscribers.map((s) => s.start(client as EvqClient)),
    ]);
  }

  async run(startMs: number): Promise<Record<number, number>> {
    const { scenario } = this.#setup;
    const measuredFromMs = startMs + scenario.warmupMs;
    this.#meters.start(measuredFromMs);
    const signal = this.#abort.signal;
    await Promise.all(
      this.#producers.map((producer) => {
        const id = producer.meter.id;
        const pacer = new Pacer({
          startMs,
          measuredFromMs,
          ratePerSec: scenario.rate / scenario.producers,
          offsetMs: scenario.rate > 0 ? (id * 1000) / scenario.rate : 0,
          measured: messagesOf(scenario, id),
          endMs: scenario.durationMs === null ? null : measuredFromMs + scenario.durationMs,
        });
        return producer instanceof HttpProducer ? producer.run(pacer, signal) : producer.run(this.#client as EvqClient, pacer, signal);
      }),
    );
    const acked: Record<number, number> = {};
    for (const p of this.#producers) acked[p.meter.id] = p.meter.ackedPrefix;
    return acked;
  }

  async drain(acked: readonly number[]): Promise<boolean> {
    if (this.#subscribers.length === 0) return true;
    let complete = false;
    const all = Promise.all(this.#subscribers.map((s) => s.expect(acked))).then(() => {
      complete = true;
    });
    const seen = (): number => this.#subscribers.reduce((n, s) => n + s.seen, 0);
    let last = seen();
    let lastChange = monoMs();
    const timeout = this.#setup.scenario.drainTimeoutMs;
    while (!complete) {
      await Promise.race([all, new Promise((resolve) => setTimeout(resolve, Math.min(100, timeout)))]);
      const now = seen();
      if (now !== last) {
        last = now;
        lastChange = monoMs();
      } else if (monoMs() - lastChange >= timeout) break;
    }
    return this.#subscribers.every((s) => s.complete);
  }

  progress(): Promise<NodeProgress> {
    const m = this.#meters;
    const live = mergedHistogram(
      this.#setup.scenario.subscribers > 0 ? this.#subscribers.map((s) => s.e2e) : this.#producers.map((p) => p.meter.ack),
    );
    return Promise.resolve({ sent: m.sent, acked: m.acked, delivered: m.delivered, errors: this.#errors.total, live });
  }

  async finish(acked: readonly number[]): Promise<NodeReport> {
    await this.close();
    const m = this.#meters;
    const meters: ProducerMeter[] = this.#producers.map((p) => p.meter);
    const verification = {
      received: 0,
      lost: 0,
      undelivered: 0,
      duplicated: 0,
      reordered: 0,
      unexpected: 0,
      foreign: 0,
      undeliveredReasons: [] as string[],
    };
    const subscribers = this.#subscribers.flatMap((s) => {
      const counts = s.counts(acked);
      verification.received += counts.received;
      verification.lost += counts.lost;
      verification.undelivered += counts.undelivered;
      if (s.endedBy !== null)
        verification.undeliveredReasons.push(
          `${this.#setup.scenario.group === null ? 'subscriber' : 'group member'} ${s.id}: ${s.endedBy}`,
        );
      verification.duplicated += counts.duplicated;
      verification.reordered += counts.reordered;
      verification.unexpected += counts.unexpected;
      verification.foreign += s.foreign;
      return s.stats(this.worker, acked);
    });
    return {
      worker: this.worker,
      producers: meters.map((p) => p.stats(this.worker)),
      subscribers,
      verification,
      histograms: {
        e2e: mergedHistogram(this.#subscribers.map((s) => s.e2e)).encode(),
        e2eUncorrected: mergedHistogram(this.#subscribers.map((s) => s.e2eUncorrected)).encode(),
        ack: mergedHistogram(meters.map((p) => p.ack)).encode(),
        sendLag: mergedHistogram(meters.map((p) => p.sendLag)).encode(),
      },
      timeline: m.timeline.entries(),
      intervals: m.intervals.entries(),
      errors: this.#errors.entries(),
      publish: {
        sent: sum(meters.map((p) => p.sent)),
        acked: sum(meters.map((p) => p.acked)),
        bytes: sum(meters.map((p) => p.ackedBytes)),
        firstSendMs: earliest(meters.map((p) => p.firstSendMs)),
        lastSendMs: latest(meters.map((p) => p.lastSendMs)),
        firstIntendedMs: earliest(meters.map((p) => p.firstIntendedMs)),
        lastIntendedMs: latest(meters.map((p) => p.lastIntendedMs)),
        lastAckMs: latest(meters.map((p) => p.lastAckMs)),
      },
      deliver: {
        received: sum(this.#subscribers.map((s) => s.received)),
        bytes: sum(this.#subscribers.map((s) => s.bytes)),
        lastReceiveMs: latest(this.#subscribers.map((s) => s.lastReceiveMs)),
      },
    };
  }

  /** Stops producing (what is in flight is still acknowledged, and still expected by the subscribers). */
  abort(): void {
    this.#abort.abort();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer.close();
    for (const p of this.#producers) if (p instanceof HttpProducer) p.close();
    await Promise.all(this.#subscribers.map((s) => s.close()));
    await this.#client?.close();
  }
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** The earliest of some times; NaN when none is known. */
export function earliest(values: readonly number[]): number {
  let out = Number.NaN;
  for (const v of values) if (!Number.isNaN(v) && !(v >= out)) out = v;
  return out;
}

/** The latest of some times; NaN when none is known. */
export function latest(values: readonly number[]): number {
  let out = Number.NaN;
  for (const v of values) if (!Number.isNaN(v) && !(v <= out)) out = v;
  return out;
}
