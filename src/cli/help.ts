import { Option, type Command } from './commander.js';
import { brokerUrl } from './connection.js';
import { durationInRange } from './options.js';
import { LIMITS } from '../core/limits.js';

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

/** How long a client command waits for the broker to answer (connecting included) by default. */
export const DEFAULT_TIMEOUT_MS = LIMITS.defaultTimeoutMs;

/** `--timeout DUR` (1ms to 24h), for commands whose only waiting is for the broker's answers (produce, consume, topics, groups). */
export function withTimeoutOption(command: Command): Command {
  return command.addOption(
    new Option('--timeout <duration>', 'give up when the broker does not answer for this long')
      .argParser(durationInRange(1, 86_400_000))
      .default(DEFAULT_TIMEOUT_MS, '10s'),
  );
}

/** Where the broker is, and how long to wait for its answers. */
export interface Connection {
  url: string;
  token: string | undefined;
  timeoutMs: number;
}

interface ConnectionFlags {
  url: string;
  token?: string;
  timeout?: number;
}

/**
 * The connection flags of a subcommand (`evq topics create|delete|ls`, `evq groups describe|reset`), where
 * those given to the parent command itself count too: `evq topics --url U delete t` and `evq topics delete t
 * --url U` are the same.
 */
export function connectionOf(command: Command): Connection {
  const own = command.opts<ConnectionFlags>();
  const parent = command.parent;
  const pick = <K extends 'url' | 'token' | 'timeout'>(name: K): ConnectionFlags[K] => {
    const fromParent = parent !== null && parent.getOptionValueSource(name) === 'cli';
    const fromSelf = command.getOptionValueSource(name) === 'cli';
    return fromSelf || !fromParent ? own[name] : parent.opts<ConnectionFlags>()[name];
  };
  const token = pick('token');
  return { url: brokerUrl(pick('url') ?? ''), token: token === '' ? undefined : token, timeoutMs: pick('timeout') ?? DEFAULT_TIMEOUT_MS };
}

/** The client flags of a command or subcommand: --url, --token, --timeout. */
export function withClientOptions(command: Command): Command {
  return withConnectionOptions(withTimeoutOption(command));
}
