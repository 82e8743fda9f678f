import type { Command } from 'commander';

/** Appends an "Examples:" section to a command's --help. */
export function withExamples(command: Command, examples: readonly string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
}

/** The broker URL and token options every client subcommand shares. */
export function withConnectionOptions(command: Command): Command {
  return command
    .option(
      '-u, --url <url>',
      'broker URL: http://HOST:PORT for evq serve, nats://HOST:4222 for NATS JetStream (env EVQ_URL)',
      process.env.EVQ_URL ?? 'http://127.0.0.1:7070',
    )
    .option('--token <token>', 'access token (env EVQ_TOKEN)', process.env.EVQ_TOKEN);
}
