import { createReadStream } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from './commander.js';
import type { EagerAsyncIterator } from '../client/feed.js';
import type { ProduceMessage } from '../client/types.js';
import { LIMITS } from '../core/limits.js';
import { EvqError, EvqUsageError } from '../errors.js';
import { BASE64_EXPECTED, decodeBase64Strict } from '../protocol/base64.js';
import { checkHeaders } from '../protocol/ndjson.js';

/**
 * Where `evq produce` gets its messages: stdin or a file, one message per line, read as a stream. The
 * source is pulled only as fast as the producer takes messages (an async iterator over the stream reads
 * the next chunk only when asked), so ten million lines from a pipe never sit in memory: at most one chunk
 * of input plus the producer's window of batches in flight.
 *
 * A line ends at `\n`; everything before it is the message, byte for byte (a `\r` is kept, empty lines are
 * empty messages). A last line without `\n` is a message too.
 */

/** Longest line accepted: {@link LIMITS.maxInputLineBytes}. */
export const DEFAULT_MAX_LINE_BYTES = LIMITS.maxInputLineBytes;
const NEWLINE = 0x0a;

/**
 * Where a line longer than the limit goes instead of ending the input (`--dead-letter`): its bytes piece by
 * piece as they are read (never held whole), then its end.
 */
export interface LongLineSink {
  start(lineNumber: number, reason: string): void;
  data(piece: Buffer): void;
  end(): void;
}

/** Stands in the lines of a chunk for a line that went to a {@link LongLineSink} (compared by identity). */
const LONG_LINE: Buffer = Buffer.alloc(0);

/** Splits chunks into lines: a line is a view into its chunk, or a copy when it spans chunks. */
export class LineSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #lineNumber = 0;
  readonly #maxLineBytes: number;
  readonly #longLines: LongLineSink | undefined;
  /** A line over the limit is being passed to `#longLines` (up to its newline). */
  #skipping = false;

  constructor(maxLineBytes = DEFAULT_MAX_LINE_BYTES, longLines?: LongLineSink) {
    this.#maxLineBytes = maxLineBytes;
    this.#longLines = longLines;
  }

  /** Lines completed so far. */
  get lineNumber(): number {
    return this.#lineNumber;
  }

  /** The complete lines of this chunk (a line started in an earlier chunk is joined). */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (this.#skipping) {
        this.#longLines?.data(chunk.subarray(start, nl === -1 ? chunk.length : nl));
        if (nl === -1) return lines;
        this.#endLongLine(lines);
        start = nl + 1;
        continue;
      }
      if (nl === -1) break;
      let line = chunk.subarray(start, nl);
      if (this.#pendingBytes + line.length > this.#maxLineBytes && this.#longLines !== undefined) {
        this.#startLongLine(line);
        this.#endLongLine(lines);
        start = nl + 1;
        continue;
      }
      if (this.#pending.length > 0) {
        this.#checkLength(this.#pendingBytes + line.length);
        this.#pending.push(line);
        line = Buffer.concat(this.#pending, this.#pendingBytes + line.length);
        this.#pending = [];
        this.#pendingBytes = 0;
      } else {
        this.#checkLength(line.length);
      }
      this.#lineNumber++;
      lines.push(line);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (this.#pendingBytes + rest.length > this.#maxLineBytes && this.#longLines !== undefined) {
        this.#startLongLine(rest);
        return lines;
      }
      this.#checkLength(this.#pendingBytes + rest.length);
      this.#pending.push(rest);
      this.#pendingBytes += rest.length;
    }
    return lines;
  }

  /** The last line when the input did not end with a newline. */
  end(): Buffer | undefined {
    if (this.#skipping) {
      this.#endLongLine([]);
      return undefined;
    }
    if (this.#pending.length === 0) return undefined;
    const line = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#lineNumber++;
    return line;
  }

  /** Hands what was held of the line, and `piece`, to the sink. */
  #startLongLine(piece: Buffer): void {
    const sink = this.#longLines as LongLineSink;
    sink.start(
      this.#lineNumber + 1,
      `line ${this.#lineNumber + 1} is longer than ${this.#maxLineBytes} bytes, the longest line evq produce reads`,
    );
    for (const held of this.#pending) sink.data(held);
    sink.data(piece);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#skipping = true;
  }

  /** Ends the long line; `lines` gets {@link LONG_LINE} in its place, so that the lines after it keep their numbers. */
  #endLongLine(lines: Buffer[]): void {
    this.#skipping = false;
    this.#lineNumber++;
    this.#longLines?.end();
    lines.push(LONG_LINE);
  }

  #checkLength(bytes: number): void {
    if (bytes > this.#maxLineBytes) {
      throw new EvqError(
        'EVQ_ERR_MESSAGE_TOO_LARGE',
        `line ${this.#lineNumber + 1} is longer than ${this.#maxLineBytes} bytes, the longest line evq produce reads: --dead-letter sets such lines aside`,
      );
    }
  }
}

/** Every line of a stream, pulled as the consumer asks for them (one promise per chunk read, not per line). */
export function readLines(source: AsyncIterable<Buffer | string>, maxLineBytes = DEFAULT_MAX_LINE_BYTES): LineReader<Buffer> {
  return new LineReader(source[Symbol.asyncIterator](), new LineSplitter(maxLineBytes), (line) => line);
}

/** A line that cannot become a message (with `--json`: not a JSON record). */
export class BadLineError extends Error {
  override name = 'BadLineError';
}

export interface LineParseOptions {
  /** Key of every message (unless the line gives one). */
  key?: string | undefined;
  /** Headers of every message (a `--json` record's own headers win). */
  headers?: Record<string, string> | undefined;
  /** kcat's `-K`: the part of a line before the first delimiter is the key. */
  keyDelimiter?: string | undefined;
  /** Each line is a record as `evq consume --format json` prints it. */
  json?: boolean | undefined;
}

/** Turns one line into a message; throws BadLineError when the line cannot be one. */
export type LineParser = (line: Buffer) => ProduceMessage;

export function lineParser(options: LineParseOptions): LineParser {
  const key = options.key ?? null;
  const headers = options.headers !== undefined && Object.keys(options.headers).length > 0 ? options.headers : null;
  if (options.json === true) return (line) => parseJsonLine(line, key, headers);
  if (options.keyDelimiter !== undefined && options.keyDelimiter !== '') {
    const delimiter = Buffer.from(options.keyDelimiter, 'utf8');
    return (line) => {
      const at = line.indexOf(delimiter);
      if (at === -1) return { value: line, key, headers };
      return { value: line.subarray(at + delimiter.length), key: line.subarray(0, at).toString('utf8'), headers };
    };
  }
  return (line) => ({ value: line, key, headers });
}

/** A record line of `evq consume --format json` (topic and offset are ignored; key, headers, value and timestamp kept). */
export function parseJsonLine(
  line: Buffer,
  defaultKey: string | null = null,
  defaultHeaders: Record<string, string> | null = null,
): ProduceMessage {
  const fail = (what: string): never => {
    throw new BadLineError(what);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.toString('utf8'));
  } catch {
    return fail('not valid JSON (--json expects one record per line, as `evq consume --format json` prints them)');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('expected a JSON object like {"key": "k", "headers": {}, "value": "..."}');
  }
  const record = parsed as Record<string, unknown>;
  let value: Buffer | string;
  if (Object.hasOwn(record, 'valueBase64')) {
    if (typeof record.valueBase64 !== 'string') return fail('"valueBase64" must be a string');
    value = decodeBase64Strict(record.valueBase64) ?? fail(`"valueBase64" is ${BASE64_EXPECTED}`);
  } else if (!Object.hasOwn(record, 'value') || record.value === undefined) {
    return fail('missing "value" (or "valueBase64")');
  } else {
    value = typeof record.value === 'string' ? record.value : JSON.stringify(record.value);
  }
  let key = defaultKey;
  if (record.key !== undefined && record.key !== null) {
    if (typeof record.key !== 'string') return fail('"key" must be a string or null');
    key = record.key;
  }
  const own = checkHeaders(record.headers, fail);
  const headers =
    own === null
      ? defaultHeaders
      : defaultHeaders === null
        ? own
        : Object.assign(Object.create(null) as Record<string, string>, defaultHeaders, own);
  if (record.timestamp === undefined || record.timestamp === null) return { value, key, headers };
  if (typeof record.timestamp !== 'number' || !Number.isSafeInteger(record.timestamp) || record.timestamp < 0) {
    return fail('"timestamp" must be milliseconds since the epoch (a whole number >= 0)');
  }
  return { value, key, headers, timestamp: record.timestamp };
}

/** What became of a line that could not be a message: handed to the caller (dead letters) or thrown. */
export type BadLineHandler = (line: Buffer, lineNumber: number, reason: string) => void;

/**
 * Messages from a stream of lines. A bad line goes to `onBadLine` when given; otherwise it ends the input
 * with EVQ_ERR_MALFORMED naming the line. The iterator answers at once while the current chunk has lines
 * (an {@link EagerAsyncIterator}): no promise per line, only per chunk read.
 */
export function readMessages(
  source: AsyncIterable<Buffer | string>,
  parse: LineParser,
  onBadLine?: BadLineHandler,
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  longLines?: LongLineSink,
): AsyncIterable<ProduceMessage> {
  let lineNumber = 0;
  const toMessage = (line: Buffer): ProduceMessage | undefined => {
    lineNumber++;
    if (line === LONG_LINE) return undefined; // it went to `longLines`
    try {
      return parse(line);
    } catch (err) {
      if (!(err instanceof BadLineError)) throw err;
      if (onBadLine === undefined) throw new EvqError('EVQ_ERR_MALFORMED', `line ${lineNumber}: ${err.message}`);
      onBadLine(line, lineNumber, err.message);
      return undefined;
    }
  };
  return new LineReader(source[Symbol.asyncIterator](), new LineSplitter(maxLineBytes, longLines), toMessage);
}

/**
 * The lines of a stream, each turned into a `T` by `map` (undefined: skipped). It answers at once while the
 * current chunk has lines (an {@link EagerAsyncIterator}); only reading the next chunk takes a promise.
 */
export class LineReader<T> implements EagerAsyncIterator<T> {
  #lines: Buffer[] = [];
  #index = 0;
  /** The source has ended (or the reader was closed): what is left in `#lines` is all. */
  #ended = false;

  constructor(
    private readonly source: AsyncIterator<Buffer | string>,
    private readonly splitter: LineSplitter,
    private readonly map: (line: Buffer) => T | undefined,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this as AsyncIterator<T>;
  }

  next(): IteratorResult<T> | Promise<IteratorResult<T>> {
    try {
      while (this.#index < this.#lines.length) {
        const value = this.map(this.#lines[this.#index++] as Buffer);
        if (value !== undefined) return { done: false, value };
      }
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#ended) return { done: true, value: undefined };
    return this.#fill().then(() => this.next());
  }

  async return(_value?: unknown): Promise<IteratorResult<T>> {
    this.#ended = true;
    this.#lines = [];
    await this.source.return?.();
    return { done: true, value: undefined };
  }

  /** Reads the next chunk into lines (the last line, without a newline, when the source ends). */
  async #fill(): Promise<void> {
    const next = await this.source.next();
    this.#index = 0;
    if (next.done === true) {
      this.#ended = true;
      const last = this.splitter.end();
      this.#lines = last === undefined ? [] : [last];
      return;
    }
    const chunk = next.value;
    this.#lines = this.splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  }
}

/** Opens `--file` (`-` is stdin) or stdin; a file that cannot be read is a usage error. */
export async function openInput(file: string | undefined, stdin: Readable = process.stdin): Promise<Readable> {
  if (file === undefined || file === '-') return stdin;
  try {
    await access(file, constants.R_OK);
    if ((await stat(file)).isDirectory()) throw new Error('is a directory');
  } catch (err) {
    const why = (err as { code?: string }).code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err);
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `cannot read --file ${file}: ${why}`);
  }
  return createReadStream(file, { highWaterMark: 64 * 1024 });
}

/** Reads `--key-delimiter`: any non-empty text (kcat's -K); `\t` is a tab. */
export function keyDelimiterOption(value: string): string {
  const text = value === '\\t' ? '\t' : value;
  if (text === '') throw new InvalidArgumentError('the key delimiter cannot be empty');
  return text;
}
