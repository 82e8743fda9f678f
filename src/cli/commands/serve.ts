import { Command, Option } from '../commander.js';
import { withExamples } from '../help.js';
import { durationOption, integerOption, sizeOption } from '../options.js';
import type { Output } from '../output.js';

export interface ServeFlags {
  host: string;
  port: number;
  dataDir: string;
  memory?: boolean;
  fsync: 'always' | 'interval' | 'never';
  token?: string;
  maxMessageBytes: number;
  retentionBytes?: number;
  retentionAgeMs?: number;
}

export function makeServeCommand(output: Output): Command {
  const command = new Command('serve')
    .description('start the broker in the foreground; SIGINT or SIGTERM stop it cleanly')
    .option('--host <host>', 'address to bind (anything but loopback needs --token)', '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', integerOption(0, 65535), 7070)
    .option('-d, --data-dir <dir>', 'directory of the topic logs', './evq-data')
    .option('--memory', 'keep topics in memory only (nothing on disk; 256mb per topic unless --retention-bytes)')
    .addOption(
      new Option('--fsync <mode>', 'always: acknowledged = on disk; interval: at most 1s of acknowledged data at risk; never: the OS decides')
        .choices(['always', 'interval', 'never'])
        .default('always'),
    )
    .option('--token <token>', 'require this token on every request (env EVQ_TOKEN)', process.env.EVQ_TOKEN)
    .option('--max-message-bytes <size>', 'largest message accepted', sizeOption, 1024 * 1024)
    .option('--retention-bytes <size>', 'delete the oldest segments of a topic past this size', sizeOption)
    .option('--retention-age <duration>', 'delete segments whose messages are all older than this', durationOption);
  withExamples(command, [
    'evq serve',
    'evq serve --port 0 --data-dir /tmp/evq --fsync interval',
    'evq serve --memory --retention-bytes 256mb',
    'EVQ_TOKEN=s3cret evq serve --host 0.0.0.0',
  ]);
  return command.action(async (flags: Omit<ServeFlags, 'retentionAgeMs'> & { retentionAge?: number }) => {
    const { runServe } = await import('../run-serve.js');
    await runServe({ ...flags, retentionAgeMs: flags.retentionAge }, output);
  });
}
