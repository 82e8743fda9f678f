import { Command, Option } from '../commander.js';
import type { From } from '../../client/types.js';
import { validateTopicName } from '../../protocol/validate.js';
import { brokerUrl } from '../connection.js';
import type { RecordFormat } from '../record-format.js';
import { withConnectionOptions } from '../connection-options.js';
import { withExamples } from '../help.js';
import {
  countAlias,
  durationInRange,
  FILTER_HELP,
  filterOption,
  FORMAT_HELP,
  formatOf,
  formatOption,
  integerOption,
  jsonFormatOption,
  mergeCount,
  positionOption,
  sinceOption,
} from '../options.js';
import { EvqUsageError } from '../../errors.js';
import type { Output } from '../output.js';

export interface SubscribeFlags {
  url: string;
  token?: string;
  filter?: string;
  from: From;
  /** `--since 5m`: from now minus this (conflicts with --from). */
  since?: From;
  partition?: number;
  count?: number;
  /** `--limit`, the other name of --count. */
  limit?: number;
  /** kcat's -e: answered with the command that does it. */
  exitAtEnd?: boolean;
  format: RecordFormat;
  /** `-J`: --format json. */
  json?: boolean;
  timeout?: number;
}

export interface SubscribePlan {
  topic: string;
  url: string;
  token: string | undefined;
  filter: string | undefined;
  from: From;
  /** Only this partition (else every partition of the topic). */
  partition: number | undefined;
  count: number | undefined;
  format: RecordFormat;
  /** Stop when nothing arrives for this long (ms). */
  idleTimeoutMs: number | undefined;
}

export function toSubscribePlan(topic: string, flags: SubscribeFlags): SubscribePlan {
  validateTopicName(topic);
  if (flags.exitAtEnd === true) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `-e (exit at the end): evq subscribe is live and has no end; \`evq consume ${topic}\` reads the log and exits at the end of the log (or subscribe with --count N or --timeout DURATION)`,
    );
  }
  return {
    topic,
    url: brokerUrl(flags.url),
    token: flags.token === '' ? undefined : flags.token,
    filter: flags.filter,
    from: flags.since ?? flags.from,
    partition: flags.partition,
    count: mergeCount('--count', flags.count, '--limit', flags.limit),
    format: formatOf(flags.format, flags.json),
    idleTimeoutMs: flags.timeout,
  };
}

export function makeSubscribeCommand(output: Output): Command {
  const command = new Command('subscribe')
    .alias('sub')
    .description(
      'print messages of a topic as they arrive (WebSocket push: the filter runs on the broker; over nats://, a JetStream ordered consumer, and over kafka://, a fetch of every partition without a group: it runs in the client)',
    )
    .argument('<topic>', 'topic to subscribe to (it need not exist yet)')
    .option('-f, --filter <expr>', FILTER_HELP, filterOption)
    .addOption(
      new Option(
        '-o, --from <position>',
        'latest (live; or end), earliest (or beginning), an offset (needs --partition on a topic of more than one), -N for the last N of each partition, or a time (2026-12-01T09:00:00Z, @MS)',
      )
        .argParser(positionOption)
        .default('latest'),
    )
    .addOption(
      new Option('--since <duration>', 'start at the first message stamped at or after now minus this (5m, 1h), in each partition')
        .argParser((value: string) => sinceOption(value))
        .conflicts('from'),
    )
    .option('-p, --partition <n>', 'read only this partition (default: every partition of the topic)', integerOption(0, 0xffffffff))
    .option('-n, --count <n>', 'exit after this many messages (also -c, --limit)', integerOption(1))
    .addOption(countAlias('-c, --limit <n>'))
    .addOption(new Option('-e, --exit-at-end').hideHelp())
    .addOption(formatOption())
    .addOption(jsonFormatOption())
    .option(
      '--timeout <duration>',
      'exit when no message arrives for this long (and wait up to this long, at least 10s, for the broker to answer)',
      durationInRange(1, 86_400_000),
    );
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
    "evq subscribe orders --url kafka://127.0.0.1:9092 --since 5m --filter 'value.amount > 100'",
    "evq subscribe orders --from -10 --count 10 --format '{time} {partition}:{offset} {key} {value}'",
    'evq subscribe orders --since 5m',
    'evq subscribe orders --partition 2 --from 1200',
  ]);
  return command.action(async (topic: string, flags: SubscribeFlags) => {
    const plan = toSubscribePlan(topic, flags);
    const { runSubscribe } = await import('../run-subscribe.js');
    await runSubscribe(plan, output);
  });
}
