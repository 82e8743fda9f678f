import { Command, InvalidArgumentError, Option } from '../commander.js';
import type { GroupResetTo } from '../../client/types.js';
import { validateGroupName, validateTopicName } from '../../protocol/validate.js';
import { connectionOf, jsonOf, withClientOptions, type Connection } from '../connection-options.js';
import { withExamples } from '../help.js';
import type { Output } from '../output.js';

export interface GroupsPlan extends Connection {
  /** Print JSON even on a terminal. */
  json: boolean;
}

export interface DescribeGroupPlan extends Connection {
  group: string;
  json: boolean;
}

export interface ResetGroupPlan extends Connection {
  group: string;
  topic: string;
  to: GroupResetTo;
  dryRun: boolean;
  json: boolean;
}

/**
 * Reads `--to` of `evq groups reset`: earliest (or beginning, start), latest (or end), an offset, or a time
 * with a time of day (ISO 8601: the first record stamped at or after it).
 */
export function resetToOption(value: string): GroupResetTo {
  const text = value.trim();
  if (text === 'earliest' || text === 'beginning' || text === 'start') return 'earliest';
  if (text === 'latest' || text === 'end') return 'latest';
  if (/^\d{1,16}$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (/\d[T ]\d{1,2}:\d{2}/i.test(text) && Number.isSafeInteger(ms) && ms >= 0) return { time: ms };
  throw new InvalidArgumentError(
    `expected earliest, latest, an offset or a time like 2026-12-01T09:00:00Z (the first record at or after it), got "${value}"`,
  );
}

function checkedGroup(group: string): string {
  validateGroupName(group);
  return group;
}

export function makeGroupsCommand(output: Output): Command {
  const command = new Command('groups')
    .description('list consumer groups per topic: committed offset, lag, members reading now (a table on a terminal, JSON otherwise)')
    .option('--json', 'print JSON even on a terminal');
  withClientOptions(command);
  command.addHelpText(
    'after',
    '\nMEMBERS are the consumers of the group reading now (an `evq consume --group G --follow` counts while it\n' +
      'runs; each owns its own partitions: `evq groups describe G` shows which); MISSED are records retention\n' +
      'removed before the group read them.',
  );
  withExamples(command, [
    'evq groups',
    "evq groups --json | jq '.[] | select(.lag > 0)'",
    'evq groups describe billing',
    'evq groups reset billing --topic orders --to earliest --dry-run',
  ]);

  const describe = new Command('describe')
    .description('one group: its members and the partitions each owns, and per partition the committed offset, end, lag and owner')
    .argument('<group>', 'the group')
    .option('--json', 'print JSON even on a terminal');
  withClientOptions(describe);
  withExamples(describe, ['evq groups describe billing', 'evq groups describe billing --json']);
  describe.action(async (group: string, flags: { json?: boolean }, cmd: Command) => {
    const plan: DescribeGroupPlan = { ...connectionOf(cmd), group: checkedGroup(group), json: jsonOf(flags, cmd) };
    const { runDescribeGroup } = await import('../run-groups.js');
    await runDescribeGroup(plan, output);
  });
  command.addCommand(describe);

  const reset = new Command('reset')
    .description("move a group's committed offset on a topic (backwards too); refused while its consumers read")
    .argument('<group>', 'the group')
    .requiredOption('-t, --topic <topic>', 'the topic whose offset to move')
    .addOption(
      new Option('--to <position>', 'earliest, latest, an offset, or a time (ISO 8601: the first record at or after it)')
        .argParser(resetToOption)
        .makeOptionMandatory(),
    )
    .option('--dry-run', 'say what the offset would be, change nothing')
    .option('--json', 'print the result as JSON on stdout');
  withClientOptions(reset);
  withExamples(reset, [
    'evq groups reset billing --topic orders --to earliest',
    'evq groups reset billing --topic orders --to 2026-12-01T09:00:00Z --dry-run',
    'evq groups reset billing --topic orders --to 1200',
  ]);
  reset.action(async (group: string, flags: { topic: string; to: GroupResetTo; dryRun?: boolean; json?: boolean }, cmd: Command) => {
    validateTopicName(flags.topic);
    const plan: ResetGroupPlan = {
      ...connectionOf(cmd),
      group: checkedGroup(group),
      topic: flags.topic,
      to: flags.to,
      dryRun: flags.dryRun === true,
      json: jsonOf(flags, cmd),
    };
    const { runResetGroup } = await import('../run-groups.js');
    await runResetGroup(plan, output);
  });
  command.addCommand(reset);

  const list = new Command('ls')
    .alias('list')
    .description('list consumer groups (the same as `evq groups`)')
    .option('--json', 'print JSON even on a terminal');
  withClientOptions(list);
  list.action(async (flags: { json?: boolean }, cmd: Command) => {
    await listGroups({ ...connectionOf(cmd), json: jsonOf(flags, cmd) });
  });
  command.addCommand(list);

  async function listGroups(plan: GroupsPlan): Promise<void> {
    const { runGroups } = await import('../run-groups.js');
    await runGroups(plan, output);
  }

  return command.action(async (flags: { json?: boolean }, cmd: Command) => {
    await listGroups({ ...connectionOf(cmd), json: flags.json === true });
  });
}
