import { Command, InvalidArgumentError, Option } from '../commander.js';
import { formatDuration } from '../../core/durations.js';
import { parseCount } from '../../core/sizes.js';
import { LIMITS } from '../../core/limits.js';
import { SCENARIO_DEFAULTS, SCENARIO_LIMITS, parseScenario, type ScenarioInput } from '../../bench/scenario.js';
import { EvqUsageError } from '../../errors.js';
import { brokerUrl } from '../connection.js';
import { withConnectionOptions } from '../connection-options.js';
import { withExamples } from '../help.js';
import { durationOption, integerOption, sizeOption } from '../options.js';
import type { Output } from '../output.js';

export interface BenchFlags {
  url: string;
  token?: string;
  embedded?: boolean;
  memory?: boolean;
  fsync?: 'always' | 'interval' | 'never';
  topic?: string;
  producers: number;
  subscribers?: number;
  partitions?: number;
  group?: string;
  members?: number;
  messages?: number;
  duration?: number;
  size?: number;
  payloadFile?: string;
  batchSize: number;
  linger: number;
  rate: number;
  filter?: string;
  matchRatio?: number;
  warmup: number;
  workers: number;
  transport: 'ws' | 'http';
  pipelining: number;
  timeout: number;
  json?: string;
  html?: string;
  csv?: string | true;
  compare?: string;
  threshold?: string[];
}

/** Everything `evq bench` was asked to do, checked: what run-bench.ts executes. */
export interface BenchPlan {
  /** The scenario, without its URL when the broker is embedded, and without the payload file's contents. */
  scenario: Omit<ScenarioInput, 'url' | 'payloads'> & { url: string | null };
  /** Start a broker for the run (on a free port), in memory or in a temporary data dir. */
  embedded: { memory: boolean; fsync: 'always' | 'interval' | 'never' } | null;
  payloadFile: string | null;
  /** Where to write the result as JSON (`-`: stdout). */
  json: string | null;
  /** Where to write the self-contained HTML report. */
  html: string | null;
  /** Where to append the summary as CSV (`-`: stdout). */
  csv: string | null;
  /** A previous `--json` result to compare with. */
  compare: string | null;
}

/** A count, with an optional k or M: `100000`, `100k`, `1.5M`. */
export function countOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = parseCount(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `expected a whole number from ${min} to ${max.toLocaleString('en-US')} (100000, 100k or 1.5M), got "${value}"`,
      );
    }
    return n;
  };
}

/** Messages per second: a number ≥ 0 with an optional k or M (`20000`, `20k`, `1.5M`); 0 = as fast as possible. */
export function rateOption(value: string): number {
  const n = parseCount(value);
  if (!Number.isFinite(n) || n < 0 || n > SCENARIO_LIMITS.maxRate) {
    throw new InvalidArgumentError(`expected messages per second (20000, 20k or 1.5M; 0 = as fast as possible), got "${value}"`);
  }
  return n;
}

/** A fraction from 0 to 1, or a percentage: `0.1`, `10%`. */
export function ratioOption(value: string): number {
  const text = value.trim();
  const percent = text.endsWith('%');
  const n = Number(percent ? text.slice(0, -1) : text) / (percent ? 100 : 1);
  if (text === '' || text === '%' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError(`expected a fraction from 0 to 1 or a percentage (0.1 or 10%), got "${value}"`);
  }
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Checks the flags (the whole scenario, before anything starts) and turns them into a plan. */
export function toBenchPlan(flags: BenchFlags): BenchPlan {
  const embedded = flags.embedded === true;
  if (!embedded && flags.memory === true)
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', '--memory applies to the broker --embedded starts');
  if (!embedded && flags.fsync !== undefined)
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', '--fsync applies to the broker --embedded starts');
  const url = embedded ? null : brokerUrl(flags.url);
  const scenario: BenchPlan['scenario'] = {
    url,
    token: flags.token === '' ? undefined : flags.token,
    topic: flags.topic,
    producers: flags.producers,
    // with --group the members read: no subscribers (commander refuses both)
    subscribers: flags.subscribers ?? (flags.group === undefined ? SCENARIO_DEFAULTS.subscribers : undefined),
    partitions: flags.partitions,
    group: flags.group,
    members: flags.members,
    messages: flags.messages,
    durationMs: flags.duration,
    size: flags.size,
    payloadFile: flags.payloadFile,
    batchSize: flags.batchSize,
    lingerMs: flags.linger,
    rate: flags.rate,
    filter: flags.filter,
    matchRatio: flags.matchRatio,
    warmupMs: flags.warmup,
    workers: flags.workers,
    transport: flags.transport,
    pipelining: flags.pipelining,
    timeoutMs: flags.timeout,
    thresholds: flags.threshold ?? [],
  };
  // every usage error now, before a broker is started or a file read (payloads: a stand-in)
  parseScenario({
    ...scenario,
    url: url ?? 'http://127.0.0.1:7070',
    payloads: flags.payloadFile === undefined ? undefined : [Buffer.from('x')],
  });
  if (flags.json !== undefined && flags.json === '-' && flags.csv === true) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', '--json - and --csv both write to stdout: give one of them a file');
  }
  return {
    scenario,
    embedded: embedded ? { memory: flags.memory === true, fsync: flags.fsync ?? 'always' } : null,
    payloadFile: flags.payloadFile ?? null,
    json: flags.json ?? null,
    html: flags.html ?? null,
    csv: flags.csv === undefined ? null : flags.csv === true ? '-' : flags.csv,
    compare: flags.compare ?? null,
  };
}

export function makeBenchCommand(output?: Output): Command {
  const command = new Command('bench')
    .description('load generator: drive a broker with producers and subscribers, report throughput, latency and lost messages')
    .addOption(new Option('--embedded', 'start a broker for the run on a free port (a temporary data dir, or --memory)').conflicts('url'))
    .option('--memory', 'with --embedded: keep the topic in memory only')
    .addOption(
      new Option('--fsync <mode>', 'with --embedded: always, interval or never (default always)').choices(['always', 'interval', 'never']),
    )
    .option('-t, --topic <topic>', 'topic to use (default: a fresh bench-XXXXXXXX per run)')
    .option(
      '-p, --producers <n>',
      'producers, one connection each',
      integerOption(1, SCENARIO_LIMITS.maxClients),
      SCENARIO_DEFAULTS.producers,
    )
    .addOption(
      new Option('-s, --subscribers <n>', `subscribers, one connection each (0: publish only; default ${SCENARIO_DEFAULTS.subscribers})`)
        .argParser(integerOption(0, SCENARIO_LIMITS.maxClients))
        .conflicts('group'),
    )
    .option(
      '--partitions <n>',
      'create the topic with this many partitions (default: the topic as it is; a new one gets the broker default)',
      integerOption(1, LIMITS.maxPartitions),
    )
    .option('--group <group>', 'read with the members of this consumer group instead of subscribers (each message once across them)')
    .option('--members <n>', 'with --group: readers sharing the group (default 1)', integerOption(1, SCENARIO_LIMITS.maxClients))
    .addOption(
      new Option('-n, --messages <n>', 'measured messages in all, spread over the producers (100k, 1M)')
        .argParser(countOption(1))
        .conflicts('duration'),
    )
    .addOption(
      new Option('-d, --duration <duration>', 'measure for this long instead of a message count (30s, 5m)').argParser(durationOption),
    )
    .addOption(
      new Option('--size <bytes>', 'message size (512, 1kb); the first 40 bytes carry the stamp')
        .argParser(sizeOption)
        .conflicts('payloadFile'),
    )
    .option('--payload-file <file>', 'send these payloads instead, one per line (cycled through; shapes --filter runs too)')
    .option('--batch-size <n>', 'messages per produce batch (ws)', integerOption(1, LIMITS.maxBatchCount), SCENARIO_DEFAULTS.batchSize)
    .addOption(
      new Option('--linger <duration>', 'longest wait before a partial batch is sent (ws)')
        .argParser(durationOption)
        .default(SCENARIO_DEFAULTS.lingerMs, formatDuration(SCENARIO_DEFAULTS.lingerMs)),
    )
    .addOption(
      new Option('-r, --rate <msgs/s>', 'constant arrival rate over all producers (20k); 0 = as fast as possible')
        .argParser(rateOption)
        .default(0),
    )
    .option('-f, --filter <expr>', 'subscribe with this filter (docs/FILTERS.md)')
    .option('--match-ratio <r>', 'with --filter: the fraction of messages shaped to match it (0.1 or 10%; default 1)', ratioOption)
    .addOption(
      new Option('-w, --warmup <duration>', 'run this long first, measured but left out of the results')
        .argParser(durationOption)
        .default(0, '0'),
    )
    .option(
      '--workers <n>',
      'worker threads to run the clients in (0: in the main thread; at a fixed --rate the subscribers in one of their own)',
      integerOption(0, SCENARIO_LIMITS.maxWorkers),
      SCENARIO_DEFAULTS.workers,
    )
    .addOption(
      new Option(
        '--transport <kind>',
        'produce over ws (batched, evq binary; over nats:// batched JetStream publishes) or http (one message per POST, evq serve only)',
      )
        .choices(['ws', 'http'])
        .default('ws'),
    )
    .option(
      '--pipelining <n>',
      'with --transport http: requests in flight per connection',
      integerOption(1, SCENARIO_LIMITS.maxPipelining),
      SCENARIO_DEFAULTS.pipelining,
    )
    .addOption(
      new Option('--timeout <duration>', 'give up on a broker that does not answer for this long')
        .argParser(durationOption)
        .default(SCENARIO_DEFAULTS.timeoutMs, '10s'),
    )
    .option('--json <file>', 'write the whole result as JSON (- for stdout)')
    .option('--html <file>', 'write a self-contained HTML report with charts (opens offline; see also: evq bench report)')
    .option('--csv [file]', 'append the summary as a CSV row to this file (stdout without one)')
    .option('--compare <old.json>', 'print each figure beside the one of an earlier --json result')
    .option('--threshold <expr>', "fail (exit 1) unless it holds: 'p99<5ms', 'rate>100k', 'lost==0' (repeatable)", collect);
  withConnectionOptions(command);
  command.addHelpText(
    'after',
    '\nLatency is end to end (subscriber receive time minus the intended send time on the --rate schedule:\n' +
      'corrected for coordinated omission), with the uncorrected figure (from the actual send time) and the\n' +
      'acknowledgement latency beside it; every subscriber checks that it got each message exactly once and in order.\n' +
      'Exit status: 0 when nothing was lost, duplicated or reordered, no error happened and every --threshold\n' +
      'held; 1 otherwise (the report is printed first); 2 for a usage error.',
  );
  withExamples(command, [
    'evq bench --embedded',
    'evq bench --embedded --messages 1M --producers 4 --subscribers 4 --workers 2',
    "evq bench --url http://127.0.0.1:7070 --rate 20k --duration 30s --warmup 5s --threshold 'p99<10ms'",
    'evq bench --url nats://127.0.0.1:4222 --messages 100k',
    'evq bench --embedded --partitions 6 --group bench --members 3 --duration 10s',
    "evq bench --embedded --filter 'value.amount > 100' --match-ratio 10% --subscribers 10",
    'evq bench --embedded --json run.json && evq bench --embedded --compare run.json',
    'evq bench --embedded --duration 30s --warmup 5s --rate 20k --html report.html',
  ]);
  return command.action(async (flags: BenchFlags) => {
    const plan = toBenchPlan(flags);
    const { runBenchCommand } = await import('../run-bench.js');
    await runBenchCommand(plan, output);
  });
}
