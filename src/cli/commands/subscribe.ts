import { Command } from 'commander';
import { withConnectionOptions, withExamples } from '../help.js';
import { notYetAvailable } from '../not-yet.js';
import { integerOption } from '../options.js';

export function makeSubscribeCommand(): Command {
  const command = new Command('subscribe')
    .description('print messages of a topic as they arrive (WebSocket push; the filter runs on the broker)')
    .argument('<topic>', 'topic to subscribe to')
    .option('-f, --filter <expr>', 'only messages matching this predicate (see docs/FILTERS.md)')
    .option('--from <position>', 'latest, earliest or an offset', 'latest')
    .option('-n, --count <n>', 'exit after this many messages', integerOption(1))
    .option('--format <format>', 'raw (the value), json (the whole record) or a template', 'raw');
  withConnectionOptions(command);
  withExamples(command, [
    'evq subscribe orders',
    'evq subscribe orders --filter \'value.amount > 100 && headers.type == "deposit"\'',
    'evq subscribe orders --from earliest --count 10 --format json',
  ]);
  return command.action(notYetAvailable('subscribe'));
}
