import { Command, Option } from '../commander.js';
import type { From } from '../../client/types.js';
import { LIMITS } from '../../core/limits.js';
import { EvqUsageError } from '../../errors.js';
import { validateTopicName } from '../../protocol/validate.js';
import { brokerUrl } from '../connection.js';
import type { RecordFormat } from '../record-format.js';
import { withClientOptions } from '../connection-options.js';
import { withExamples } from '../help.js';
import {
  countAlias,
  FILTER_HELP,
  FORMAT_HELP,
  filterOption,
  formatOf,
  formatOption,
  integerOption,
  jsonFormatOption,
  mergeCount,
  positionOption,
  sinceOption,
  durationInRange,
} from '../options.js';
import { MAX_SESSION_TIMEOUT_MS, MIN_SESSION_TIMEOUT_MS } from '../../client/options.js';
import type { Output } from '../output.js';

export interface ConsumeFlags {
  url: string;
  token?: string;
  group?: string;
  from: From;
  /** `--since 5m`: a time, as `--from` with one. */
  since?: From;
  partition?: number;
  sessionTimeout?: number;
  limit?: number;
  /** `--count`, the other name of --limit. */
  count?: number;
  filter?: string;
  follow?: boolean;
  allowMissing?: boolean;
  format: RecordFormat;
  /** `-J`: --format json. */
  json?: boolean;
  timeout?: number;
}

export interface ConsumePlan {
  topic: string;
  url: string;
  token: string | undefined;
  group: string | undefined;
  from: From;
  /** Without a group: the one partition read (else every partition). */
  partition: number | undefined;
  /** With a group: the session timeout asked of the broker (ms). */
  sessionTimeoutMs: number | undefined;
  limit: number | undefined;
  filter: string | undefined;
  follow: boolean;
  allowMissing: boolean;
  format: RecordFormat;
  /** How long to wait for the broker to answer (ms). */
  timeoutMs: number;
}

const GROUP_NAME = /^[a-zA-Z0-9._-]+$/;

export function toConsumePlan(topic: string, flags: ConsumeFlags): ConsumePlan {
  validateTopicName(topic);
  const group = flags.group;
  if (group !== undefined && (!GROUP_NAME.test(group) || group === '.' || group === '..' || group.length > LIMITS.maxGroupNameLength)) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `invalid --group "${group}": use only letters, digits, '.', '_' and '-' (1 to ${LIMITS.maxGroupNameLength} characters)`,
    );
  }
  if (flags.partition !== undefined && group !== undefined) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      '--partition and --group together: the members of a group get their partitions from the broker; leave one out',
    );
  }
  if (flags.sessionTimeout !== undefined && group === undefined) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', '--session-timeout is for a member of a group: give --group G too');
  }
  return {
    topic,
    url: brokerUrl(flags.url),
    token: flags.token === '' ? undefined : flags.token,
    group,
    from: flags.since ?? flags.from,
    partition: flags.partition,
    sessionTimeoutMs: flags.sessionTimeout,
    limit: mergeCount('--limit', flags.limit, '--count', flags.count),
    filter: flags.filter,
    follow: flags.follow === true,
    allowMissing: flags.allowMissing === true,
    format: formatOf(flags.format, flags.json),
    timeoutMs: flags.timeout ?? LIMITS.defaultTimeoutMs,
  };
}

export function makeConsumeCommand(output: Output): Command {
  const command = new Command('consume')
    .description(
      'read messages of a topic by pull (HTTP, JetStream pull consumers over nats://, Fetch over kafka://), optionally as a consumer group; ends at the end of the log',
    )
    .argument('<topic>', 'topic to read')
    .option(
      '-g, --group <group>',
      'consumer group: read as one of its members (each member gets its own partitions), resume from, and commit, its offsets',
    )
    .addOption(
      new Option(
        '--session-timeout <duration>',
        "with --group: a member not heard from for this long loses its partitions to the others (default 10s, the broker's)",
      ).argParser(durationInRange(MIN_SESSION_TIMEOUT_MS, MAX_SESSION_TIMEOUT_MS)),
    )
    .addOption(
      new Option(
        '-o, --from <position>',
        'earliest, latest, an offset (needs --partition on a topic of several), -N (the last N of each partition), or a time ' +
          '(2026-12-01T09:00:00Z, @MS); with --group it only places partitions that have no offset yet',
      )
        .argParser(positionOption)
        .default('earliest'),
    )
    .addOption(
      new Option('--since <duration>', 'start at the first message stamped at or after now minus this (5m, 2h): --from with a time')
        .argParser((value: string) => sinceOption(value))
        .conflicts('from'),
    )
    .addOption(
      new Option('-p, --partition <n>', 'read only this partition (default every partition, one page of each in turn)').argParser(
        integerOption(0, LIMITS.maxPartitions - 1),
      ),
    )
    .option('-l, --limit <n>', 'read at most this many messages (also -c, --count)', integerOption(1))
    .addOption(countAlias('-c, --count <n>'))
    .option('-f, --filter <expr>', FILTER_HELP, filterOption)
    .option('--follow', 'wait for new messages at the end of the log instead of exiting')
    .option('--allow-missing', 'wait for a topic that does not exist yet instead of exiting 1')
    .addOption(
      new Option('-e, --exit-at-end', "exit at the end of the log: what consume does without --follow (kcat's -e)").conflicts('follow'),
    )
    .addOption(formatOption())
    .addOption(jsonFormatOption());
  withClientOptions(command);
  command.addHelpText(
    'after',
    `${FORMAT_HELP}\nExit status: 0 at the end of the log (also with --group), after --limit messages, or on Ctrl-C;\n` +
      '1 when the broker is unreachable, refuses the read, fails to commit the group, or the topic does not exist\n' +
      '(or is deleted while it is read); 2 for a usage error.',
  );
  withExamples(command, [
    'evq consume orders',
    'evq consume orders --group billing --limit 100',
    'evq consume orders --group billing --follow            # run it twice: the partitions are shared between them',
    'evq consume orders --group billing --follow --session-timeout 3s',
    'evq consume orders --partition 2 --from 1200',
    'evq consume orders --since 5m --format json',
    'evq consume orders --from 2026-12-01T09:00:00Z --limit 10',
    'evq consume orders --from -5 --follow --format json    # the last 5 of each partition',
    'evq consume orders -o beginning -c 10 -J             # kcat -C -o beginning -c 10 -J',
    'EVQ_URL=nats://127.0.0.1:4222 evq consume orders --group billing',
    'evq consume orders --url kafka://127.0.0.1:9092 --group billing   # a Kafka consumer group: exits at lag 0',
  ]);
  return command.action(async (topic: string, flags: ConsumeFlags) => {
    const plan = toConsumePlan(topic, flags);
    const { runConsume } = await import('../run-consume.js');
    await runConsume(plan, output);
  });
}
