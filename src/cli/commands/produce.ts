import { Command } from 'commander';
import { withConnectionOptions, withExamples } from '../help.js';
import { notYetAvailable } from '../not-yet.js';
import { durationOption, headerOption, integerOption } from '../options.js';

export function makeProduceCommand(): Command {
  const command = new Command('produce')
    .description('send messages to a topic: the arguments, or stdin one message per line')
    .argument('<topic>', 'topic to produce to')
    .argument('[message...]', 'messages to send (default: read stdin, one per line)')
    .option('-k, --key <key>', 'key of every message')
    .option('-H, --header <name=value>', 'header of every message (repeatable)', headerOption)
    .option('--batch-size <n>', 'messages per batch', integerOption(1, 1000), 1000)
    .option('--linger <duration>', 'longest wait before a partial batch is sent', durationOption, 5)
    .option('--delay <duration>', 'deliver the messages after this delay', durationOption)
    .option('--at <time>', 'deliver the messages at this time (ISO 8601)');
  withConnectionOptions(command);
  withExamples(command, [
    'evq produce orders \'{"amount": 120}\'',
    'seq 1 1000 | evq produce numbers',
    'evq produce orders --key customer-7 --header type=deposit \'{"amount": 5}\'',
    'evq produce reminders --delay 5m "call back"',
  ]);
  return command.action(notYetAvailable('produce'));
}
