/**
 * What `GET /info` answers (the console's overview): how the broker runs, its totals now, and the messages
 * produced and delivered per interval over the last minutes. The rates come from the broker's own counters
 * (those of GET /metrics): a timer takes their totals every interval into a bounded ring, so that a page
 * opened now sees the last minutes at once. Nothing here is secret beyond what GET /topics and /metrics
 * tell; the route needs the token like them.
 */
import { readFileSync } from 'node:fs';
import type { BrokerInfo } from '../protocol/http-broker-state.js';
import type { Clock } from '../core/clock.js';
import type { BrokerContext } from './context.js';
import type { BrokerMetrics } from './metrics.js';

/** One sample a second, five minutes of them. */
export const RATE_INTERVAL_MS = 1000;
export const RATE_SAMPLES = 300;

/** evq's version, from its package.json (read once). */
let version: string | null = null;
export function brokerVersion(): string {
  if (version === null) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      version = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}

/**
 * The message rates of the last minutes: every `intervalMs` the totals of messages in and out are read, and
 * the difference to the previous reading kept, at most `samples` of them (a ring: memory is fixed).
 */
export class RateSampler {
  readonly #times: number[] = [];
  readonly #produced: number[] = [];
  readonly #delivered: number[] = [];
  #lastIn: number;
  #lastOut: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly metrics: BrokerMetrics,
    private readonly clock: Clock,
    readonly intervalMs: number = RATE_INTERVAL_MS,
    readonly samples: number = RATE_SAMPLES,
  ) {
    this.#lastIn = metrics.messagesIn.total;
    this.#lastOut = metrics.messagesOut.total;
  }

  /** Starts the timer (unref'd: it keeps no process alive). */
  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Takes one sample now (the timer calls it; tests may too). */
  sample(): void {
    const inTotal = this.metrics.messagesIn.total;
    const outTotal = this.metrics.messagesOut.total;
    this.#times.push(this.clock.now());
    this.#produced.push(Math.max(0, inTotal - this.#lastIn));
    this.#delivered.push(Math.max(0, outTotal - this.#lastOut));
    this.#lastIn = inTotal;
    this.#lastOut = outTotal;
    if (this.#times.length > this.samples) {
      this.#times.shift();
      this.#produced.shift();
      this.#delivered.shift();
    }
  }

  rates(): BrokerInfo['rates'] {
    return { intervalMs: this.intervalMs, times: [...this.#times], produced: [...this.#produced], delivered: [...this.#delivered] };
  }
}

/** What only the server knows (its listeners exist once it listens): read at each request. */
export interface InfoSources {
  startedAt: number;
  dataDir: string | null;
  fsync: BrokerInfo['fsync'];
  retention: BrokerInfo['retention'];
  listeners(): BrokerInfo['listeners'];
  connections(): BrokerInfo['totals']['connections'];
  subscribers(): number;
  delayedPending(): number;
}

/** The body of GET /info now. */
export function brokerInfo(ctx: BrokerContext, sources: InfoSources, sampler: RateSampler): BrokerInfo {
  const topics = ctx.store.list();
  const sum = (f: (t: (typeof topics)[number]) => number): number => topics.reduce((n, t) => n + f(t), 0);
  const groups = new Set<string>([
    ...ctx.groups.list().map((g) => g.group),
    ...ctx.coordinator.groupNames(),
    ...ctx.kafkaGroups.groupIds(),
  ]);
  const now = ctx.clock.now();
  const m = ctx.metrics;
  return {
    version: brokerVersion(),
    startedAt: sources.startedAt,
    uptimeMs: Math.max(0, now - sources.startedAt),
    dataDir: sources.dataDir,
    memory: sources.dataDir === null,
    fsync: sources.fsync,
    retention: sources.retention,
    listeners: sources.listeners(),
    totals: {
      topics: topics.length,
      partitions: sum((t) => t.partitions.length),
      messages: sum((t) => t.messageCount),
      bytes: sum((t) => t.sizeBytes),
      groups: groups.size,
      connections: sources.connections(),
      subscribers: sources.subscribers(),
      delayedPending: sources.delayedPending(),
    },
    counters: { messagesIn: m.messagesIn.total, bytesIn: m.bytesIn.total, messagesOut: m.messagesOut.total, bytesOut: m.bytesOut.total },
    rates: sampler.rates(),
  };
}
