/** The flags every client command shares — --url, --token, --timeout — and reading them back (subcommands included). */
import { Option, type Command } from './commander.js';
import { brokerUrl } from './connection.js';
import { durationInRange } from './options.js';
import { formatDuration } from '../core/durations.js';
import { LIMITS } from '../core/limits.js';

/** The broker URL and token options every client subcommand shares. */
export function withConnectionOptions(command: Command): Command {
  return command
    .option(
      '-u, --url <url>',
      'broker URL: http://HOST:PORT for evq serve, nats://HOST:4222 for NATS JetStream, kafka://HOST:9092[,HOST2:9092] for Kafka (env EVQ_URL)',
      process.env.EVQ_URL ?? 'http://127.0.0.1:7070',
    )
    .option('--token <token>', 'access token (env EVQ_TOKEN)', process.env.EVQ_TOKEN);
}

/** `--timeout DUR` (1ms to 24h), for commands whose only waiting is for the broker's answers (produce, consume, topics, groups). */
export function withTimeoutOption(command: Command): Command {
  return command.addOption(
    new Option('--timeout <duration>', 'give up when the broker does not answer for this long')
      .argParser(durationInRange(1, 86_400_000))
      .default(LIMITS.defaultTimeoutMs, formatDuration(LIMITS.defaultTimeoutMs)),
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
  return {
    url: brokerUrl(pick('url') ?? ''),
    token: token === '' ? undefined : token,
    timeoutMs: pick('timeout') ?? LIMITS.defaultTimeoutMs,
  };
}

/** The client flags of a command or subcommand: --url, --token, --timeout. */
export function withClientOptions(command: Command): Command {
  return withConnectionOptions(withTimeoutOption(command));
}

/** `--json` given to a subcommand or to its parent command (`evq topics --json ls`, `evq groups ls --json`). */
export function jsonOf(flags: { json?: boolean }, cmd: Command): boolean {
  return flags.json === true || cmd.parent?.opts<{ json?: boolean }>().json === true;
}
