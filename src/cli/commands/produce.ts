import { Command, InvalidArgumentError, Option } from '../commander.js';
import { formatDuration } from '../../core/durations.js';
import { LIMITS } from '../../core/limits.js';
import { formatSize } from '../../core/sizes.js';
import { EvqUsageError } from '../../errors.js';
import { validateTopicName } from '../../protocol/validate.js';
import { brokerUrl } from '../connection.js';
import { withClientOptions } from '../connection-options.js';
import { withExamples } from '../help.js';
import { keyDelimiterOption, type LineParseOptions } from '../input.js';
import { durationInRange, headerOption, integerOption, sizeInRange } from '../options.js';
import type { Output } from '../output.js';

/** `--compression`: gzip everywhere; snappy, lz4 (and zstd, which evq cannot encode) over kafka:// only. */
export type Compression = 'gzip' | 'snappy' | 'lz4' | 'zstd' | 'none';

export interface ProduceFlags {
  url: string;
  token?: string;
  key?: string;
  keyDelimiter?: string;
  header?: Record<string, string>;
  json?: boolean;
  file?: string;
  batchSize: number;
  linger: number;
  delay?: number;
  at?: number;
  idempotent?: boolean;
  compression: Compression;
  acks: 'all' | '1' | '0';
  deadLetter?: string;
  timeout: number;
  verbose?: boolean;
  maxMessageBytes: number;
  partition?: number;
}

/** Everything `evq produce` was asked to do, checked: what run-produce.ts executes. */
export interface ProducePlan {
  topic: string;
  url: string;
  token: string | undefined;
  timeoutMs: number;
  /** Messages given as arguments; empty means read `file` or stdin. */
  args: string[];
  file: string | undefined;
  parse: LineParseOptions;
  batchSize: number;
  lingerMs: number;
  delayMs: number | undefined;
  at: number | undefined;
  idempotent: boolean;
  compression: Compression;
  /** Kafka's acks (kafka:// only; evq serve and JetStream acknowledge every stored message). */
  acks: 'all' | 1 | 0;
  deadLetter: string | undefined;
  verbose: boolean;
  /** `--partition N`: every message goes there (else the broker places each by its key). */
  partition: number | undefined;
  /** The broker's --max-message-bytes: larger messages are refused before they are sent. */
  maxMessageBytes: number;
}

/**
 * Reads `--at`: an ISO 8601 time with a time of day (`2026-12-01T09:00:00Z`) or milliseconds since the epoch.
 * A date alone (midnight UTC, which few mean) and a time already past are usage errors.
 */
export function atOption(value: string, now: number = Date.now()): number {
  const text = value.trim();
  const epoch = /^\d+$/.test(text);
  const ms = epoch ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new InvalidArgumentError(`expected a time like 2026-12-01T09:00:00Z or milliseconds since the epoch, got "${value}"`);
  }
  if (!epoch && !/\d[T ]\d{1,2}:\d{2}/i.test(text)) {
    const day = /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : new Date(ms).toISOString().slice(0, 10);
    throw new InvalidArgumentError(`"${value}" has no time of day: write it like ${day}T09:00:00Z (UTC) or ${day}T09:00:00+01:00`);
  }
  if (ms < now) {
    throw new InvalidArgumentError(
      `${epoch ? `${text} (${new Date(ms).toISOString()})` : text} is in the past (it is now ${new Date(now).toISOString()}): give a later time, or --delay DURATION`,
    );
  }
  return ms;
}

export function toProducePlan(topic: string, args: string[], flags: ProduceFlags): ProducePlan {
  validateTopicName(topic);
  if (args.length > 0 && flags.file !== undefined) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', 'give messages as arguments or with --file, not both');
  }
  if (flags.json === true && flags.keyDelimiter !== undefined) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', '--key-delimiter cannot be used with --json (the records carry their keys)');
  }
  if (flags.delay !== undefined && flags.delay > LIMITS.maxDelayMs) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `--delay is longer than the limit of ${LIMITS.maxDelayMs / 86_400_000} days`);
  }
  return {
    topic,
    url: brokerUrl(flags.url),
    token: flags.token === '' ? undefined : flags.token,
    timeoutMs: flags.timeout,
    args,
    file: flags.file,
    parse: { key: flags.key, headers: flags.header, keyDelimiter: flags.keyDelimiter, json: flags.json === true },
    batchSize: flags.batchSize,
    lingerMs: flags.linger,
    delayMs: flags.delay,
    at: flags.at,
    idempotent: flags.idempotent === true,
    compression: flags.compression,
    acks: flags.acks === '1' ? 1 : flags.acks === '0' ? 0 : 'all',
    deadLetter: flags.deadLetter,
    verbose: flags.verbose === true,
    partition: flags.partition,
    maxMessageBytes: flags.maxMessageBytes,
  };
}

export function makeProduceCommand(output: Output): Command {
  const command = new Command('produce')
    .alias('pub')
    .description('send messages to a topic: the arguments, or stdin (or --file) one message per line')
    .argument('<topic>', 'topic to produce to')
    .argument('[message...]', 'messages to send (default: read stdin, one per line)')
    .option('-k, --key <key>', 'key of every message')
    .option('-K, --key-delimiter <text>', "the part of each line before this is its key (kcat's -K)", keyDelimiterOption)
    .option('-H, --header <name=value>', 'header of every message (repeatable)', headerOption)
    .option('--json', 'each line is a record as `evq consume --format json` prints it (key, headers, value)')
    .option('-F, --file <path>', 'read the messages from this file, one per line (- is stdin)')
    .option('--batch-size <n>', 'messages per batch', integerOption(1, LIMITS.maxBatchCount), LIMITS.defaultBatchCount)
    .addOption(
      new Option(
        '--linger <duration>',
        'longest wait before a partial batch is sent while 4 batches are in flight (with fewer, it goes at once)',
      )
        .argParser(durationInRange(0, 60_000))
        .default(LIMITS.defaultLingerMs, formatDuration(LIMITS.defaultLingerMs)),
    )
    .addOption(
      new Option('--delay <duration>', 'deliver the messages after this delay (at most 30 days)')
        .argParser(durationInRange(0, LIMITS.maxDelayMs))
        .conflicts('at'),
    )
    .addOption(
      new Option('--at <time>', 'deliver the messages at this time (ISO 8601 or ms since the epoch)').argParser((value: string) =>
        atOption(value),
      ),
    )
    .option(
      '--idempotent',
      "send each batch with an idempotency key, so a retried batch is never appended twice (kafka://: Kafka's idempotent producer)",
    )
    .addOption(
      new Option('--compression <codec>', 'compress batches on the wire (snappy and lz4: kafka:// only)')
        .choices(['gzip', 'snappy', 'lz4', 'zstd', 'none'])
        .default('none'),
    )
    .addOption(
      new Option('--acks <acks>', 'kafka://: wait for all in-sync replicas, the leader (1) or nothing (0)')
        .choices(['all', '1', '0'])
        .default('all'),
    )
    .option(
      '--dead-letter <file>',
      'append messages the broker rejects for good (too large, invalid) to this file as JSON lines, with the reason',
    )
    .addOption(
      new Option(
        '--max-message-bytes <size>',
        "largest message this command sends, its own limit (raise it up to the broker's --max-message-bytes)",
      )
        .argParser(sizeInRange(1, 2 ** 31))
        .default(LIMITS.maxMessageBytes, formatSize(LIMITS.maxMessageBytes)),
    )
    .option(
      '-p, --partition <n>',
      'append every message to this partition (default: a keyed message goes where its key hashes, as in Kafka)',
      integerOption(0, 0xffffffff),
    )
    .option(
      '-v, --verbose',
      'print the offset of each acknowledged message on stdout, in input order (partition:offset on a topic of more than one partition)',
    );
  withClientOptions(command);
  command.addHelpText(
    'after',
    '\nExit status: 0 when the broker acknowledged every message; 1 otherwise (unreachable broker, rejected\n' +
      'messages, timeout — the error says how many were acknowledged; with --dead-letter the rejected ones are\n' +
      'in the file and the summary counts them); 2 for a usage error.',
  );
  withExamples(command, [
    'evq produce orders --key customer-7 --header type=deposit \'{"amount": 5}\'',
    'seq 1 1000 | evq produce numbers',
    'evq produce orders --key customer-7 --verbose \'{"amount": 5}\'   # prints partition:offset',
    'evq consume orders --format json | evq produce orders-copy --json',
    'seq 1 1000 | evq produce numbers --url kafka://127.0.0.1:9092 --compression lz4 --acks all --idempotent',
    'evq produce orders --url kafka://127.0.0.1:9092 --acks 1 --key customer-7 \'{"amount": 5}\'',
  ]);
  return command.action(async (topic: string, args: string[], flags: ProduceFlags) => {
    const plan = toProducePlan(topic, args, flags);
    const { runProduce } = await import('../run-produce.js');
    // lines of a stream to evq's own broker, without --dead-letter: its producer keeps nothing of a message
    // once its batch is encoded (the NATS and Kafka producers, and --dead-letter, keep them until the ack)
    if (plan.args.length === 0 && plan.deadLetter === undefined && !/^\s*(nats|kafka):/i.test(plan.url)) {
      const { keepYoungGenerationSmall } = await import('../young-generation.js');
      keepYoungGenerationSmall();
    }
    await runProduce(plan, output);
  });
}
