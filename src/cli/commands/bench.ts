import { Command } from 'commander';
import { withConnectionOptions, withExamples } from '../help.js';
import { notYetAvailable } from '../not-yet.js';

export function makeBenchCommand(): Command {
  const command = new Command('bench').description(
    'load generator: drive a broker with producers and subscribers, report throughput and latency',
  );
  withConnectionOptions(command);
  withExamples(command, ['evq bench --embedded', 'evq bench --producers 4 --subscribers 4 --messages 1000000']);
  return command.action(notYetAvailable('bench'));
}
