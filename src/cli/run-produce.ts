import { LIMITS } from '../core/limits.js';
import { closeSync, existsSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import type { EvqClient, MessageAck, MessageRejection, ProduceMessage, ProduceOptions, ProduceResult } from '../client/types.js';
import { formatDuration } from '../core/durations.js';
import { formatSize } from '../core/sizes.js';
import { EXIT, EvqError, EvqUsageError } from '../errors.js';
import { ClientLimitError } from '../client/errors.js';
import type { ProducePlan } from './commands/produce.js';
import { processEnv, type CliEnv } from './connection.js';
import { explainError } from './error-text.js';
import { LinePrinter } from './line-printer.js';
import { BadLineError, DEFAULT_MAX_LINE_BYTES, lineParser, openInput, readMessages, type LineParser, type LongLineSink } from './input.js';
import { onInterrupt } from './signals.js';
import type { Output } from './output.js';
import { startProgress } from './progress.js';
import { valueFields } from '../protocol/wire-record.js';
import { Tally, summary } from './produce-summary.js';

/**
 * `evq produce`: streams the messages (arguments, or lines of stdin / --file) into the client's batched,
 * windowed producer, counts acknowledgements as they come (in input order), and says at the end what
 * happened: one summary line on stderr; exit 0 only when every message was acknowledged. A failure says
 * how many messages were acknowledged before it, so nothing is silently lost.
 */
export async function runProduce(plan: ProducePlan, output: Output, env: CliEnv = processEnv()): Promise<void> {
  const parse = lineParser(plan.parse);
  const deadLetters = plan.deadLetter === undefined ? undefined : new DeadLetterFile(plan.deadLetter);
  const input = plan.args.length > 0 ? undefined : await openInput(plan.file, env.stdin);
  if (input !== undefined && input === env.stdin && env.stdin.isTTY === true) {
    output.info('reading messages from the terminal, one per line; Ctrl-D ends, Ctrl-C cancels');
  }

  const client = await env.connect(plan.url, { token: plan.token, timeoutMs: plan.timeoutMs });
  // --verbose prints partition:offset on a topic of more than one partition (and with --partition), the offset alone on one
  const withPartition = plan.verbose && (plan.partition !== undefined || (await partitionCount(client, plan.topic)) > 1);
  const tally = new Tally();
  const skipped: number[] = []; // line numbers of bad lines (dead-lettered, never sent)
  const lineOf = (index: number): number => {
    let line = index + 1;
    for (const s of skipped) if (s <= line) line++;
    return line;
  };
  const onBadLine =
    deadLetters === undefined
      ? undefined
      : (raw: Buffer, line: number, reason: string): void => {
          insertSorted(skipped, line);
          tally.reject('EVQ_ERR_MALFORMED', `line ${line}: ${reason}`);
          // kept as "raw", not "value": sent back unedited with --json it is refused again, never stored as its text
          deadLetters.writeRaw({ line, code: 'EVQ_ERR_MALFORMED', reason }, raw);
        };
  const counting: LineParser = (line) => {
    tally.read++;
    return parse(line);
  };
  // with --dead-letter a line too long to read goes there too, and the input goes on
  const longLines: LongLineSink | undefined =
    deadLetters === undefined
      ? undefined
      : {
          start: (line, reason) => {
            tally.read++;
            insertSorted(skipped, line);
            tally.reject('EVQ_ERR_MESSAGE_TOO_LARGE', reason);
            deadLetters.start(line, reason);
          },
          data: (piece) => deadLetters.data(piece),
          end: () => deadLetters.end(),
        };
  const argList = input === undefined ? argsList(plan.args, parse) : undefined;
  const messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage> =
    input === undefined
      ? (argList ?? fromArgs(plan.args, counting, onBadLine))
      : readMessages(input, counting, onBadLine, DEFAULT_MAX_LINE_BYTES, longLines);

  const verbose = plan.verbose ? new LinePrinter(env.stdout) : undefined;
  const progress = startProgress(output, {
    label: `producing to ${plan.topic}`,
    enabled: input !== undefined && !(verbose !== undefined && env.stdout.isTTY === true),
  });
  const abort = new AbortController();
  const removeSignalHandlers = onInterrupt(() => abort.abort(), EXIT.failure);

  const options: ProduceOptions = {
    batchSize: plan.batchSize,
    maxInFlight: LIMITS.cliProduceMaxInFlight,
    lingerMs: plan.lingerMs,
    idempotent: plan.idempotent,
    compression: plan.compression,
    ...(plan.acks === 'all' ? {} : { acks: plan.acks }),
    maxMessageBytes: plan.maxMessageBytes,
    signal: abort.signal,
    ...(plan.partition === undefined ? {} : { partition: plan.partition }),
    onAck: (ack: MessageAck) => {
      tally.ack(ack);
      progress.set(tally.acknowledged);
      void verbose?.line(ack.delayed ? 'delayed' : withPartition ? `${ack.partition}:${ack.offset}` : String(ack.offset));
    },
  };
  if (plan.delayMs !== undefined) options.delayMs = plan.delayMs;
  options.onHold = ({ until }) => {
    output.info(
      `the broker has no delayed delivery: this process holds the messages until ${new Date(until).toISOString()} and exits once they are acknowledged`,
    );
  };
  if (plan.at !== undefined) options.at = plan.at;
  if (deadLetters !== undefined) {
    options.onReject = (rejection: MessageRejection) => {
      tally.reject(rejection.code, rejection.reason);
      deadLetters.write(
        {
          line: input === undefined ? undefined : lineOf(rejection.index),
          index: rejection.index,
          code: rejection.code,
          reason: rejection.reason,
        },
        rejection.message,
      );
    };
  }

  const started = performance.now();
  let result: ProduceResult | undefined;
  let failure: unknown;
  try {
    result = await client.produce(plan.topic, messages, options);
  } catch (err) {
    failure = err;
  } finally {
    removeSignalHandlers();
    progress.stop();
    await verbose?.end();
    await client.close().catch(() => undefined);
  }
  // the argument list was read whole, unless the options were refused before the client read any of it
  if (argList !== undefined) tally.read = failure instanceof EvqUsageError && tally.acknowledged === 0 ? 0 : argList.length;
  const deadLetterError = await deadLetters?.close();
  if (result !== undefined) tally.settle(result);
  const elapsedMs = result?.elapsedMs ?? performance.now() - started;

  if (failure !== undefined || abort.signal.aborted) {
    throw failed(failure, abort.signal.aborted, tally, plan, lineOf);
  }
  output.info(summary(plan, tally, elapsedMs, result));
  if (deadLetterError !== undefined) throw deadLetterError;
  if (tally.rejected > 0) {
    const code = tally.firstRejectCode;
    throw new EvqError(
      code,
      `${tally.rejected} of ${tally.read} messages were refused and written to ${plan.deadLetter} ` +
        `(first: ${tally.firstRejectReason}); fix them and send them again with \`evq produce ${plan.topic} --json --file ${plan.deadLetter}\`` +
        ' (a line that could not be read is kept as "raw": give it a "value" first)',
    );
  }
}

/**
 * The topic's partition count, for --verbose. A topic that does not exist yet is created first (with the
 * broker's default count, as the produce would create it), so that the first line printed has its final form.
 */
async function partitionCount(client: EvqClient, topic: string): Promise<number> {
  let info = await client.describeTopic(topic);
  if (info === null) {
    await client.createTopic(topic);
    info = await client.describeTopic(topic);
  }
  return info?.partitions.length ?? 1;
}

/** The client's own refusal of a message too large, in the cause chain of a produce's failure. */
function clientLimitOf(err: unknown): ClientLimitError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof ClientLimitError) return current;
    current = current.cause;
  }
  return undefined;
}

/** Keeps `list` ascending (a long line is known before the lines read with it in one chunk are parsed). */
function insertSorted(list: number[], n: number): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as number) > n) i--;
  list.splice(i, 0, n);
}

/**
 * The message arguments as an array when every one of them parses: the client sends a short array in one HTTP
 * request instead of opening a WebSocket. Undefined when one does not parse: then `fromArgs` reads them one
 * by one, so that the bad one is reported (or dead-lettered) in its place.
 */
function argsList(args: string[], parse: LineParser): ProduceMessage[] | undefined {
  if (args.length > LIMITS.httpProduceMaxMessages) return undefined;
  const messages: ProduceMessage[] = [];
  for (const arg of args) {
    try {
      messages.push(parse(Buffer.from(arg, 'utf8')));
    } catch (err) {
      if (err instanceof BadLineError) return undefined;
      throw err;
    }
  }
  return messages;
}

function* fromArgs(
  args: string[],
  parse: LineParser,
  onBadLine: ((raw: Buffer, line: number, reason: string) => void) | undefined,
): Generator<ProduceMessage> {
  for (let i = 0; i < args.length; i++) {
    const raw = Buffer.from(args[i] ?? '', 'utf8');
    try {
      yield parse(raw);
    } catch (err) {
      if (!(err instanceof BadLineError)) throw err;
      if (onBadLine === undefined) throw new EvqError('EVQ_ERR_MALFORMED', `message argument ${i + 1}: ${err.message}`);
      onBadLine(raw, i + 1, err.message);
    }
  }
}

function failed(err: unknown, interrupted: boolean, tally: Tally, plan: ProducePlan, lineOf: (index: number) => number): EvqError {
  // options refused before anything was read: the reason is the whole story
  if (err instanceof EvqUsageError && tally.read === 0) return err;
  let progress = `${tally.acknowledged} of ${tally.read} message${tally.read === 1 ? '' : 's'} read${tally.offsets()}`;
  // the client's produce error carries where it stopped; its cause is the failure itself
  const stoppedAt = (err as { firstUnacknowledged?: unknown } | null)?.firstUnacknowledged;
  if (typeof stoppedAt === 'number') {
    progress += `; the first one not acknowledged is ${plan.args.length > 0 ? 'argument' : 'line'} ${plan.args.length > 0 ? stoppedAt + 1 : lineOf(stoppedAt)}`;
  }
  if (interrupted) return new EvqError('EVQ_ERR_CLOSED', `interrupted; acknowledged before that: ${progress}`);
  const own = clientLimitOf(err);
  if (own !== undefined && typeof stoppedAt === 'number') {
    const where = plan.args.length > 0 ? `argument ${stoppedAt + 1}` : `line ${lineOf(stoppedAt)}`;
    return new EvqError(
      own.code,
      `${where} was not sent: it is ${own.valueBytes} bytes, larger than --max-message-bytes ${formatSize(own.limit)}, a limit of evq produce ` +
        `itself (not the broker's): raise --max-message-bytes to send it, up to the broker's own --max-message-bytes; ` +
        `acknowledged before the failure: ${progress}`,
      { cause: err },
    );
  }
  const cause = typeof stoppedAt === 'number' || stoppedAt === null ? ((err as Error).cause ?? err) : err;
  const explained = explainError(cause, plan.url, formatDuration(plan.timeoutMs));
  const code = explained instanceof EvqError ? explained.code : 'EVQ_ERR_INTERNAL';
  const message = explained instanceof Error ? explained.message : String(explained);
  let text = `${message}; acknowledged before the failure: ${progress}`;
  if ((code === 'EVQ_ERR_CLOSED' || code === 'EVQ_ERR_TIMEOUT') && !plan.idempotent) {
    text += ' (batches sent but not acknowledged may have been appended: --idempotent makes a retry safe)';
  }
  return new EvqError(code, text, { cause: err });
}

/**
 * Messages rejected for good, appended as JSON lines `evq produce --json` reads back (plus why). Opened
 * before anything is sent (a file that cannot be written is a usage error, not a message lost later) and
 * written synchronously: dead letters are few, and a line too long to hold is written piece by piece.
 */
class DeadLetterFile implements LongLineSink {
  readonly #path: string;
  readonly #fd: number;
  #error: Error | undefined;
  /** Bytes of a long line not yet base64-encoded (fewer than 3). */
  #carry: Buffer = Buffer.alloc(0);
  /** Whether the file was there before (one made for nothing is removed again). */
  readonly #existed: boolean;
  #written = 0;

  /** The file, opened for appending; throws EvqUsageError when it cannot be. */
  constructor(path: string) {
    this.#path = path;
    this.#existed = existsSync(path);
    try {
      if (existsSync(path) && statSync(path).isDirectory()) throw Object.assign(new Error('it is a directory'), { code: 'EISDIR' });
      this.#fd = openSync(path, 'a');
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why =
        code === 'ENOENT'
          ? 'no such directory'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : code === 'EISDIR'
              ? 'it is a directory'
              : code === 'EROFS'
                ? 'read-only file system'
                : (err as Error).message;
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `cannot write the dead letters to --dead-letter ${path}: ${why}`);
    }
  }

  /** A line that could not be read as a message: its bytes as they were, under "raw" (text) or "rawBase64". */
  writeRaw(meta: { line: number; code: string; reason: string }, raw: Buffer): void {
    const record: Record<string, unknown> = { ...meta };
    const text = raw.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(raw)) record.raw = text;
    else record.rawBase64 = raw.toString('base64');
    this.#append(`${JSON.stringify(record)}\n`);
  }

  write(meta: { line?: number | undefined; index?: number; code: string; reason: string }, message: ProduceMessage): void {
    const record = { ...meta, key: message.key ?? null, headers: message.headers ?? null, ...valueFields(message.value) };
    this.#append(`${JSON.stringify(record)}\n`);
  }

  /** A line too long to hold: its record is written as its bytes come, as `valueBase64`. */
  start(lineNumber: number, reason: string): void {
    const head = JSON.stringify({ line: lineNumber, code: 'EVQ_ERR_MESSAGE_TOO_LARGE', reason, key: null, headers: null });
    this.#append(`${head.slice(0, -1)},"valueBase64":"`);
    this.#carry = Buffer.alloc(0);
  }

  data(piece: Buffer): void {
    const bytes = this.#carry.length === 0 ? piece : Buffer.concat([this.#carry, piece]);
    const whole = bytes.length - (bytes.length % 3);
    this.#append(bytes.subarray(0, whole).toString('base64'));
    this.#carry = Buffer.from(bytes.subarray(whole));
  }

  end(): void {
    this.#append(`${this.#carry.toString('base64')}"}\n`);
    this.#carry = Buffer.alloc(0);
  }

  #append(text: string): void {
    if (this.#error !== undefined || text === '') return;
    try {
      this.#written += writeSync(this.#fd, text);
    } catch (err) {
      this.#error = err as Error;
    }
  }

  /** Closes the file; resolves with the error to report when it could not be written. */
  async close(): Promise<EvqError | undefined> {
    try {
      closeSync(this.#fd);
      if (!this.#existed && this.#written === 0) unlinkSync(this.#path);
    } catch (err) {
      this.#error ??= err as Error;
    }
    if (this.#error === undefined) return undefined;
    return new EvqError('EVQ_ERR_STORAGE', `cannot write the dead letters to ${this.#path}: ${this.#error.message}`);
  }
}
