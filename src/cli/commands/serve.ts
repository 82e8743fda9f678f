import { Command, InvalidArgumentError, Option } from '../commander.js';
import { LIMITS } from '../../core/limits.js';
import { parseAllowedHost, parseAllowedOrigin } from '../../broker/request-guard.js';
import { EvqError } from '../../errors.js';
import { withExamples } from '../help.js';
import { durationInRange, integerOption, sizeInRange } from '../options.js';
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
  defaultPartitions: number;
  maxConnections: number;
  headersTimeoutMs: number;
  allowHost?: string[];
  allowOrigin?: string[];
  kafkaPort?: number;
  kafkaAdvertisedHost?: string;
  /** false with --no-ui */
  ui: boolean;
  uiReadOnly?: boolean;
}

/** A repeatable flag whose every value is checked by `parse` (a bad one is a usage error, exit 2). */
function repeatable(parse: (value: string) => string): (value: string, previous?: string[]) => string[] {
  return (value, previous = []) => {
    try {
      return [...previous, parse(value)];
    } catch (err) {
      if (err instanceof EvqError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
}

export function makeServeCommand(output: Output): Command {
  const command = new Command('serve')
    .description('start the broker in the foreground; SIGINT or SIGTERM stop it cleanly')
    .option('--host <host>', 'address to bind (anything but loopback needs --token)', '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', integerOption(0, 65535), 7070)
    .option(
      '--kafka-port <port>',
      'also speak Kafka on this port, for kcat, kafkajs, librdkafka (0 picks a free one)',
      integerOption(0, 65535),
    )
    .option('--kafka-advertised-host <host>', 'the host Kafka clients are told to connect to (default: --host)')
    .option('-d, --data-dir <dir>', 'directory of the topic logs', './evq-data')
    .option('--memory', 'keep topics in memory only (nothing on disk; 256mb per partition unless --retention-bytes)')
    .addOption(
      new Option(
        '--fsync <mode>',
        'always: acknowledged = on disk; interval: at most 1s of acknowledged data at risk; never: the OS decides',
      )
        .choices(['always', 'interval', 'never'])
        .default('always'),
    )
    .option('--token <token>', 'require this token on every request (env EVQ_TOKEN)', process.env.EVQ_TOKEN)
    .option(
      '--allow-host <name>',
      'also answer to this name in the Host header, e.g. behind a reverse proxy (repeatable; others get 421)',
      repeatable(parseAllowedHost),
    )
    .option(
      '--allow-origin <url>',
      'trust web pages of this origin (WebSocket, POST, CORS), e.g. https://evq.example.com (repeatable; others get 403)',
      repeatable(parseAllowedOrigin),
    )
    .option(
      '--max-message-bytes <size>',
      'largest message accepted (1b to 512mb)',
      sizeInRange(1, LIMITS.maxServeMessageBytes),
      LIMITS.maxMessageBytes,
    )
    .option('--retention-bytes <size>', 'delete the oldest segments of a partition past this size', sizeInRange(1, Number.MAX_SAFE_INTEGER))
    .option(
      '--retention-age <duration>',
      'delete segments whose messages are all older than this',
      durationInRange(1, Number.MAX_SAFE_INTEGER),
    )
    .option(
      '--default-partitions <n>',
      'partitions of a topic created by its first produce (evq topics create --partitions sets them per topic)',
      integerOption(1, LIMITS.maxPartitions),
      LIMITS.defaultPartitions,
    )
    .option(
      '--max-connections <n>',
      'connections at once (HTTP and WebSocket); past it: 503 with Retry-After',
      integerOption(1, 100_000),
      LIMITS.maxConnections,
    )
    .option(
      '--headers-timeout <duration>',
      'request headers must arrive within this (slow clients get 408)',
      durationInRange(1, 3_600_000),
      LIMITS.headersTimeoutMs,
    )
    .option('--no-ui', 'do not serve the web console under /ui/')
    .option('--ui-read-only', 'the web console only looks: it shows no create, delete or produce, and the broker refuses them from it');
  withExamples(command, [
    'evq serve',
    'evq serve --port 0 --data-dir /tmp/evq --fsync interval',
    'evq serve --memory --retention-bytes 256mb',
    'evq serve --kafka-port 9092                     # kcat -b 127.0.0.1:9092 -L',
    'EVQ_TOKEN=s3cret evq serve --host 0.0.0.0',
    'evq serve --allow-host evq.internal --allow-origin https://evq.internal   # behind a reverse proxy',
    'evq serve --allow-origin http://localhost:5173                           # a dev page may subscribe',
    'evq serve --token s3cret --ui-read-only          # open the printed console URL: it carries the token',
  ]);
  type Flags = Omit<ServeFlags, 'retentionAgeMs' | 'headersTimeoutMs'> & { retentionAge?: number; headersTimeout: number };
  return command.action(async (flags: Flags) => {
    const { runServe } = await import('../run-serve.js');
    await runServe({ ...flags, retentionAgeMs: flags.retentionAge, headersTimeoutMs: flags.headersTimeout }, output);
  });
}
