import { Command, InvalidArgumentError, Option } from '../commander.js';
import type { From } from '../../client/types.js';
import { compileFilter } from '../../core/filter/index.js';
import { EvqError } from '../../errors.js';
import { validateTopicName } from '../../protocol/validate.js';
import { brokerUrl, DEFAULT_FORMAT, parseFormat, type RecordFormat } from '../format.js';
import { withConnectionOptions, withExamples } from '../help.js';
import { durationInRange, integerOption } from '../options.js';
import type { Output } from '../output.js';

/** Reads `--from`: earliest, latest, an offset, or -N (the last N records). */
export function positionOption(value: string): From {
  const text = value.trim();
  if (text === 'earliest' || text === 'latest') return text;
  const match = /^(-?)(0|[1-9]\d{0,15})$/.exec(text);
  const n = match === null ? Number.NaN : Number(match[2]);
  if (match === null || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected earliest, latest, an offset or -N (the last N messages), got "${value}"`);
  }
  if (match[1] === '-') {
    if (n === 0) throw new InvalidArgumentError('-0 reads nothing: use latest, or -N with N of 1 or more');
    return { last: n };
  }
  return n;
}

/**
 * Reads `--filter`: compiled here once so a bad filter fails at once (exit 2, naming the column). It runs on
 * an evq broker; over nats:// the client runs it (JetStream has no such filter).
 */
export function filterOption(value: string): string {
  try {
    compileFilter(value);
  } catch (err) {
    if (err instanceof EvqError) throw new InvalidArgumentError(err.message);
    throw err;
  }
  return value;
}

/** `--format raw|json|TEMPLATE`, default raw (shown as such in --help). */
export function formatOption(): Option {
  return new Option('--format <format>', "raw (the value), json (the whole record) or a template like '{offset} {key} {value}'")
    .argParser(parseFormat)
    .default(DEFAULT_FORMAT, 'raw');
}

/** `--filter` in --help of subscribe and consume: where it runs, and what crosses the network. */
export const FILTER_HELP =
  'only messages matching this predicate (docs/FILTERS.md); it runs on an evq broker, so only matches cross the network; ' +
  'over nats:// it runs in the client, so every message crosses the network';

export const FORMAT_HELP =
  '\nTemplate placeholders: {topic} {offset} {timestamp} (ms since the epoch) {time} (ISO 8601, UTC) {key}\n' +
  '{value} {headers} (JSON) {headers.NAME}; \\t and \\n are a tab and a newline, {{ and }} literal braces.\n';

export interface SubscribeFlags {
  url: string;
  token?: string;
  filter?: string;
  from: From;
  count?: number;
  format: RecordFormat;
  timeout?: number;
}

export interface SubscribePlan {
  topic: string;
  url: string;
  token: string | undefined;
  filter: string | undefined;
  from: From;
  count: number | undefined;
  format: RecordFormat;
  /** Stop when nothing arrives for this long (ms). */
  idleTimeoutMs: number | undefined;
}

export function toSubscribePlan(topic: string, flags: SubscribeFlags): SubscribePlan {
  validateTopicName(topic);
  return {
    topic,
    url: brokerUrl(flags.url),
    token: flags.token === '' ? undefined : flags.token,
    filter: flags.filter,
    from: flags.from,
    count: flags.count,
    format: flags.format,
    idleTimeoutMs: flags.timeout,
  };
}

export function makeSubscribeCommand(output: Output): Command {
  const command = new Command('subscribe')
    .description(
      'print messages of a topic as they arrive (WebSocket push: the filter runs on the broker; over nats://, a JetStream ordered consumer: it runs in the client)',
    )
    .argument('<topic>', 'topic to subscribe to (it need not exist yet)')
    .option('-f, --filter <expr>', FILTER_HELP, filterOption)
    .addOption(
      new Option('--from <position>', 'latest (live), earliest, an offset, or -N for the last N')
        .argParser(positionOption)
        .default('latest'),
    )
    .option('-n, --count <n>', 'exit after this many messages', integerOption(1))
    .addOption(formatOption())
    .option('--timeout <duration>', 'exit when no message arrives for this long', durationInRange(1, 86_400_000));
  withConnectionOptions(command);
  command.addHelpText(
    'after',
    `${FORMAT_HELP}\nExit status: 0 after --count messages, on Ctrl-C, or when --timeout passes with no message (1 if\n` +
      'that happens before --count messages arrived); 1 when the broker is unreachable or drops the subscription;\n' +
      '2 for a usage error (a bad filter names its column).',
  );
  withExamples(command, [
    'evq subscribe orders',
    'evq subscribe orders --filter \'value.amount > 100 && headers.type == "deposit"\'',
    'evq subscribe orders --url nats://127.0.0.1:4222 --from earliest --count 100',
    "evq subscribe orders --from -10 --count 10 --format '{time} {key} {value}'",
  ]);
  return command.action(async (topic: string, flags: SubscribeFlags) => {
    const plan = toSubscribePlan(topic, flags);
    const { runSubscribe } = await import('../run-subscribe.js');
    await runSubscribe(plan, output);
  });
}
