import { Command } from 'commander';
import { withConnectionOptions, withExamples } from '../help.js';
import { notYetAvailable } from '../not-yet.js';
import { integerOption } from '../options.js';

export function makeConsumeCommand(): Command {
  const command = new Command('consume')
    .description('read messages of a topic by pull (HTTP), optionally as a consumer group')
    .argument('<topic>', 'topic to read')
    .option('-g, --group <group>', 'consumer group: resume from, and commit, its offset')
    .option('--from <position>', 'earliest, latest or an offset (places a group that has none yet)', 'earliest')
    .option('-l, --limit <n>', 'read at most this many messages', integerOption(1))
    .option('-f, --filter <expr>', 'only messages matching this predicate')
    .option('--follow', 'wait for new messages at the end of the log')
    .option('--format <format>', 'raw (the value), json (the whole record) or a template', 'raw');
  withConnectionOptions(command);
  withExamples(command, [
    'evq consume orders',
    'evq consume orders --group billing --limit 100',
    'evq consume orders --from 42 --follow --format json',
  ]);
  return command.action(notYetAvailable('consume'));
}
