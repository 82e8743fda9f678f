/**
 * A benchmark scenario: what to run, checked once (every problem a usage error that names the option) and
 * with its defaults filled in. The CLI turns its flags into a {@link ScenarioInput}; library users build one
 * by hand.
 */

import { randomBytes } from 'node:crypto';
import { LIMITS } from '../core/limits.js';
import { compileFilter } from '../core/filter/index.js';
import { EvqUsageError } from '../errors.js';
import { validateGroupName, validateTopicName } from '../protocol/validate.js';
import type { BenchConfig, Transport } from './result.js';
import { STAMP_BYTES } from './stamp.js';
import { parseThreshold, thresholdNeedsSubscribers, type Threshold } from './thresholds.js';

/** Defaults of every scenario option. */
export const SCENARIO_DEFAULTS = {
  producers: 1,
  subscribers: 1,
  messages: 100_000,
  size: 100,
  batchSize: LIMITS.defaultBatchCount,
  lingerMs: LIMITS.defaultLingerMs,
  rate: 0,
  warmupMs: 0,
  workers: 0,
  transport: 'ws' as Transport,
  pipelining: 10,
  timeoutMs: 10_000,
  drainTimeoutMs: 10_000,
} as const;

/** Bounds of the scenario options (connections: the broker takes 1,024 at most). */
export const SCENARIO_LIMITS = {
  maxClients: 1000,
  maxWorkers: 64,
  maxPipelining: 1000,
  maxRate: 100_000_000,
} as const;

export interface ScenarioInput {
  /** The broker (any evq broker URL). */
  url: string;
  token?: string | undefined;
  /** Default: a fresh `bench-XXXXXXXX` topic per run. */
  topic?: string | undefined;
  producers?: number;
  subscribers?: number;
  /** Measured messages in all, over every producer (default 100,000 unless `durationMs`). */
  messages?: number | undefined;
  /** Length of the measured phase, instead of a message count. */
  durationMs?: number | undefined;
  /** Value size in bytes (default 100). */
  size?: number | undefined;
  /** Payloads to send instead of generated ones (each is one message value; they are cycled through). */
  payloads?: readonly Buffer[] | undefined;
  /** Where the payloads came from (for the report). */
  payloadFile?: string | undefined;
  batchSize?: number;
  lingerMs?: number;
  /** Constant arrival rate over all producers, msgs/s; 0 = as fast as possible. */
  rate?: number;
  filter?: string | undefined;
  /** Fraction of messages shaped to match the filter (default 1). */
  matchRatio?: number | undefined;
  warmupMs?: number;
  /** Worker threads to run the clients in (0: in this thread). */
  workers?: number;
  transport?: Transport;
  pipelining?: number;
  timeoutMs?: number;
  /** After the last acknowledgement, how long to wait for subscribers without any progress. */
  drainTimeoutMs?: number;
  thresholds?: readonly string[];
  /** Create the topic with this many partitions (default: leave it as it is; a new one gets the broker's default). */
  partitions?: number | undefined;
  /** Read with `members` readers of this consumer group instead of `subscribers` push subscriptions. */
  group?: string | undefined;
  /** Readers of the group (default 1; only with `group`). */
  members?: number | undefined;
}

export interface Scenario {
  url: string;
  token: string | undefined;
  topic: string;
  producers: number;
  subscribers: number;
  messages: number | null;
  durationMs: number | null;
  size: number;
  payloads: Buffer[] | null;
  payloadFile: string | null;
  batchSize: number;
  lingerMs: number;
  rate: number;
  filter: string | null;
  matchRatio: number | null;
  warmupMs: number;
  workers: number;
  transport: Transport;
  pipelining: number;
  timeoutMs: number;
  drainTimeoutMs: number;
  thresholds: Threshold[];
  /** The stamp travels in the value (its first 40 bytes) or as the `evq-bench` header. */
  stampIn: 'value' | 'header';
  /** Partitions asked for with `--partitions` (null: the topic as it is). */
  partitions: number | null;
  /** The consumer group whose members read (null: push subscriptions); its members are `subscribers`. */
  group: string | null;
}

function invalid(message: string): EvqUsageError {
  return new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', message);
}

function whole(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw invalid(`${name} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, got ${String(v)}`);
  }
  return v;
}

function number(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw invalid(`${name} must be a number from ${min} to ${max.toLocaleString('en-US')}, got ${String(v)}`);
  }
  return v;
}

/** A fresh topic name for a run. */
export function benchTopic(): string {
  return `bench-${randomBytes(4).toString('hex')}`;
}

/** Checks a scenario and fills in its defaults. Throws EvqUsageError (exit 2) naming the bad option. */
/** Which broker a URL reaches: evq's own (http, https, ws, wss), NATS JetStream or a Kafka cluster. */
export function brokerKind(url: string): 'evq' | 'nats' | 'kafka' {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim())?.[1]?.toLowerCase();
  return scheme === 'nats' ? 'nats' : scheme === 'kafka' ? 'kafka' : 'evq';
}

export function parseScenario(input: ScenarioInput): Scenario {
  if (typeof input.url !== 'string' || input.url.trim() === '') throw invalid('a broker URL is needed (--url, or --embedded)');
  const topic = input.topic ?? benchTopic();
  validateTopicName(topic);
  const producers = whole('--producers', input.producers, SCENARIO_DEFAULTS.producers, 1, SCENARIO_LIMITS.maxClients);
  const broker = brokerKind(input.url);
  const isNats = broker === 'nats';
  const partitions = input.partitions === undefined ? null : whole('--partitions', input.partitions, 1, 1, LIMITS.maxPartitions);
  if (partitions !== null && partitions > 1 && isNats) {
    throw invalid('--partitions needs an evq broker (http://): a JetStream stream is one partition; leave --partitions out');
  }
  const group = input.group === undefined ? null : input.group;
  if (group !== null) {
    validateGroupName(group);
    if (input.subscribers !== undefined) throw invalid('give --subscribers or --group with --members, not both');
    if (isNats) throw invalid('--group needs an evq broker (http://): over nats:// leave --group and --members out');
  } else if (input.members !== undefined) {
    throw invalid('--members needs --group: it says how many readers share the group');
  }
  const subscribers =
    group !== null
      ? whole('--members', input.members, 1, 1, SCENARIO_LIMITS.maxClients)
      : whole('--subscribers', input.subscribers, SCENARIO_DEFAULTS.subscribers, 0, SCENARIO_LIMITS.maxClients);
  if (input.messages !== undefined && input.durationMs !== undefined) throw invalid('give --messages or --duration, not both');
  const durationMs = input.durationMs === undefined ? null : whole('--duration', input.durationMs, 0, 1, 365 * 86_400_000);
  const messages = durationMs !== null ? null : whole('--messages', input.messages, SCENARIO_DEFAULTS.messages, 1, Number.MAX_SAFE_INTEGER);

  const payloads = input.payloads === undefined ? null : [...input.payloads];
  if (payloads !== null && input.size !== undefined) throw invalid('give --size or --payload-file, not both');
  if (payloads !== null && payloads.length === 0)
    throw invalid(`the payload file ${input.payloadFile ?? ''} has no payloads (one per line)`.replace('  ', ' '));
  for (const p of payloads ?? []) {
    if (p.length > LIMITS.maxMessageBytes)
      throw invalid(`a payload of ${p.length} bytes is larger than the broker's default limit of ${LIMITS.maxMessageBytes} bytes`);
  }
  const size = whole('--size', input.size, SCENARIO_DEFAULTS.size, 1, LIMITS.maxMessageBytes);

  const batchSize = whole('--batch-size', input.batchSize, SCENARIO_DEFAULTS.batchSize, 1, LIMITS.maxBatchCount);
  const lingerMs = whole('--linger', input.lingerMs, SCENARIO_DEFAULTS.lingerMs, 0, 60_000);
  const rate = number('--rate', input.rate, SCENARIO_DEFAULTS.rate, 0, SCENARIO_LIMITS.maxRate);

  const filter = input.filter === undefined || input.filter.trim() === '' ? null : input.filter;
  if (filter !== null) compileFilter(filter); // a bad filter is a usage error that names the column
  if (input.matchRatio !== undefined && filter === null)
    throw invalid('--match-ratio needs --filter: it says what fraction of the messages the filter matches');
  const matchRatio = filter === null ? null : number('--match-ratio', input.matchRatio, 1, 0, 1);

  const warmupMs = whole('--warmup', input.warmupMs, SCENARIO_DEFAULTS.warmupMs, 0, 365 * 86_400_000);
  const workers = whole('--workers', input.workers, SCENARIO_DEFAULTS.workers, 0, SCENARIO_LIMITS.maxWorkers);
  if (workers > producers + subscribers) {
    throw invalid(`--workers ${workers} is more than the ${producers + subscribers} producers and subscribers to spread over them`);
  }
  const transport = input.transport ?? SCENARIO_DEFAULTS.transport;
  if (transport !== 'ws' && transport !== 'http') throw invalid(`--transport must be ws or http, got ${String(transport)}`);
  if (transport === 'http' && broker !== 'evq') {
    throw invalid(
      `--transport http needs an evq broker (http://): over ${broker}:// the producers publish with the ${broker === 'nats' ? 'JetStream' : 'Kafka'} client; leave --transport out`,
    );
  }
  const pipelining = whole('--pipelining', input.pipelining, SCENARIO_DEFAULTS.pipelining, 1, SCENARIO_LIMITS.maxPipelining);
  const timeoutMs = whole('--timeout', input.timeoutMs, SCENARIO_DEFAULTS.timeoutMs, 1, 3_600_000);
  const drainTimeoutMs = whole('drainTimeoutMs', input.drainTimeoutMs, SCENARIO_DEFAULTS.drainTimeoutMs, 1, 3_600_000);

  const thresholds = (input.thresholds ?? []).map(parseThreshold);
  if (subscribers === 0) {
    const needs = thresholds.find(thresholdNeedsSubscribers);
    if (needs !== undefined) {
      throw invalid(
        `threshold "${needs.expression}" is about end-to-end delivery, but the run has no subscribers (--subscribers 1, or a threshold on ack.p99)`,
      );
    }
  }
  const stampIn = payloads === null && filter === null && size >= STAMP_BYTES ? 'value' : 'header';

  return {
    url: input.url.trim(),
    token: input.token === '' ? undefined : input.token,
    topic,
    producers,
    subscribers,
    messages,
    durationMs,
    size,
    payloads,
    payloadFile: input.payloadFile ?? null,
    batchSize,
    lingerMs,
    rate,
    filter,
    matchRatio,
    warmupMs,
    workers,
    transport,
    pipelining,
    timeoutMs,
    drainTimeoutMs,
    thresholds,
    stampIn,
    partitions,
    group,
  };
}

/** The scenario as the result reports it (JSON-safe). */
export function configOf(scenario: Scenario): BenchConfig {
  return {
    topic: scenario.topic,
    producers: scenario.producers,
    subscribers: scenario.subscribers,
    messages: scenario.messages,
    durationMs: scenario.durationMs,
    size: scenario.payloads === null ? scenario.size : null,
    payloadFile: scenario.payloadFile,
    payloads: scenario.payloads?.length ?? 1,
    batchSize: scenario.batchSize,
    lingerMs: scenario.lingerMs,
    rate: scenario.rate,
    filter: scenario.filter,
    matchRatio: scenario.matchRatio,
    warmupMs: scenario.warmupMs,
    workers: scenario.workers,
    // the batched client's transport is named after the broker behind the URL
    transport:
      scenario.transport === 'ws' && brokerKind(scenario.url) !== 'evq'
        ? (brokerKind(scenario.url) as 'nats' | 'kafka')
        : scenario.transport,
    pipelining: scenario.pipelining,
    timeoutMs: scenario.timeoutMs,
    drainTimeoutMs: scenario.drainTimeoutMs,
    stampIn: scenario.stampIn,
    thresholds: scenario.thresholds.map((t) => t.expression),
    partitions: scenario.partitions,
    group: scenario.group,
    members: scenario.group === null ? null : scenario.subscribers,
  };
}

/** Measured messages of producer `id` (message-count runs: the count spread over the producers). */
export function messagesOf(scenario: Scenario, id: number): number | null {
  if (scenario.messages === null) return null;
  const base = Math.floor(scenario.messages / scenario.producers);
  return base + (id < scenario.messages % scenario.producers ? 1 : 0);
}
