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
} from '../options.js';
import type { Output } from '../output.js';

export interface ConsumeFlags {
  url: string;
  token?: string;
  group?: string;
  from: From;
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
  return {
    topic,
    url: brokerUrl(flags.url),
    token: flags.token === '' ? undefined : flags.token,
    group,
    from: flags.from,
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
      'read messages of a topic by pull (HTTP, or JetStream pull consumers over nats://), optionally as a consumer group; ends at the end of the log',
    )
    .argument('<topic>', 'topic to read')
    .option('-g, --group <group>', 'consumer group: resume from, and commit, its offset')
    .addOption(
      new Option(
        '-o, --from <position>',
        'earliest, latest, an offset or -N (the last N); with --group it only places a group that has no offset yet',
      )
        .argParser(positionOption)
        .default('earliest'),
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
    'evq consume orders --from -5 --follow --format json',
    'evq consume orders -o beginning -c 10 -J             # kcat -C -o beginning -c 10 -J',
    'EVQ_URL=nats://127.0.0.1:4222 evq consume orders --group billing',
  ]);
  return command.action(async (topic: string, flags: ConsumeFlags) => {
    const plan = toConsumePlan(topic, flags);
    const { runConsume } = await import('../run-consume.js');
    await runConsume(plan, output);
  });
}
