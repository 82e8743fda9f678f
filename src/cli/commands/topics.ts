import { Command } from 'commander';
import { withConnectionOptions, withExamples } from '../help.js';
import { notYetAvailable } from '../not-yet.js';

export function makeTopicsCommand(): Command {
  const command = new Command('topics').description('list topics with message counts, sizes and offsets');
  withConnectionOptions(command);
  withExamples(command, ['evq topics', 'EVQ_URL=http://127.0.0.1:7171 evq topics']);
  return command.action(notYetAvailable('topics'));
}
