import { InvalidArgumentError } from './commander.js';
import { EvqError, EvqUsageError } from '../errors.js';
import type { ConnectOptions, EvqClient } from '../client/types.js';
import { formatDuration } from '../core/durations.js';
import { recordJson } from '../protocol/wire-record.js';
import type { EvqRecord } from '../protocol/record.js';

/**
 * How `evq subscribe` and `evq consume` print a record, one per line:
 *
 * - `raw` — the value's bytes as they are (what was produced, byte for byte);
 * - `json` — the whole record as one JSON line, the shape of an NDJSON read (`value` as text, or
 *   `valueBase64` when it is not UTF-8); `evq produce --json` reads these lines back;
 * - a template such as `'{offset} {key} {value}'` with the placeholders below, and `\t`, `\n`, `\\`
 *   escapes; `{{` and `}}` are literal braces.
 */

export const TEMPLATE_PLACEHOLDERS = ['topic', 'offset', 'timestamp', 'time', 'key', 'value', 'headers'] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

/** One record → one line (without its newline): bytes for `raw`, text otherwise. */
export interface RecordFormat {
  readonly name: string;
  format(record: EvqRecord): Buffer | string;
}

/** A record as JSON, exactly as the broker's NDJSON reads give it. */
export const recordToJson: (record: EvqRecord) => string = recordJson;

const RAW: RecordFormat = { name: 'raw', format: (record) => record.value };
const JSON_FORMAT: RecordFormat = { name: 'json', format: recordToJson };

type Piece = string | ((record: EvqRecord) => string);

function placeholder(name: string): (record: EvqRecord) => string {
  switch (name) {
    case 'topic':
      return (r) => r.topic;
    case 'offset':
      return (r) => String(r.offset);
    case 'timestamp':
      return (r) => String(r.timestamp);
    case 'time':
      return (r) => new Date(r.timestamp).toISOString();
    case 'key':
      return (r) => r.key ?? '';
    case 'value':
      return (r) => r.value.toString('utf8');
    case 'headers':
      return (r) => JSON.stringify(r.headers ?? {});
    default: {
      // {headers.NAME}: one header's value, empty when absent
      if (name.startsWith('headers.') && name.length > 'headers.'.length) {
        const header = name.slice('headers.'.length);
        return (r) => (r.headers !== null && Object.hasOwn(r.headers, header) ? (r.headers[header] ?? '') : '');
      }
      throw new InvalidArgumentError(
        `unknown placeholder {${name}}: use ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')} or {headers.NAME}`,
      );
    }
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', '\\': '\\' };

/** Compiles a template once into pieces; throws InvalidArgumentError (a usage error) when it is not valid. */
export function compileTemplate(template: string): RecordFormat {
  const pieces: Piece[] = [];
  let text = '';
  let placeholders = 0;
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    const next = template[i + 1];
    if (c === '\\' && next !== undefined && Object.hasOwn(ESCAPES, next)) {
      text += ESCAPES[next];
      i++;
    } else if (c === '{' && next === '{') {
      text += '{';
      i++;
    } else if (c === '}' && next === '}') {
      text += '}';
      i++;
    } else if (c === '{') {
      const end = template.indexOf('}', i + 1);
      if (end === -1) throw new InvalidArgumentError(`unclosed "{" at column ${i + 1} (write {{ for a literal brace)`);
      if (text !== '') pieces.push(text);
      text = '';
      pieces.push(placeholder(template.slice(i + 1, end).trim()));
      placeholders++;
      i = end;
    } else if (c === '}') {
      throw new InvalidArgumentError(`unmatched "}" at column ${i + 1} (write }} for a literal brace)`);
    } else {
      text += c;
    }
  }
  if (text !== '') pieces.push(text);
  if (placeholders === 0) {
    throw new InvalidArgumentError(`expected raw, json or a template with placeholders like '{offset} {key} {value}', got "${template}"`);
  }
  return {
    name: template,
    format: (record) => {
      let line = '';
      for (const piece of pieces) line += typeof piece === 'string' ? piece : piece(record);
      return line;
    },
  };
}

/** Reads `--format`: raw, json or a template. A commander option parser (bad value = usage error). */
export function parseFormat(text: string): RecordFormat {
  if (text === 'raw') return RAW;
  if (text === 'json') return JSON_FORMAT;
  return compileTemplate(text);
}

export const DEFAULT_FORMAT = RAW;

/**
 * Writes lines to stdout in chunks of up to 64 KiB, copying each line as it comes (a record's value may be
 * a view into a buffer the client reuses). Passes backpressure on: `line()` returns a promise when the
 * stream is full, and the caller waits for it before pulling the next record. A closed pipe (`| head`)
 * marks the printer broken instead of crashing; the command then stops quietly.
 */
export class LinePrinter {
  static readonly CHUNK_BYTES = 64 * 1024;
  #stream: NodeJS.WritableStream;
  #chunk = Buffer.allocUnsafe(LinePrinter.CHUNK_BYTES);
  #pos = 0;
  #scheduled = false;
  #drain: Promise<void> | undefined;
  #broken = false;
  #onBroken: (() => void) | undefined;
  lines = 0;

  constructor(stream: NodeJS.WritableStream, onBroken?: () => void) {
    this.#stream = stream;
    this.#onBroken = onBroken;
    stream.on('error', this.#onError);
  }

  /** True once the reader went away (EPIPE) or the stream failed: nothing more will be written. */
  get broken(): boolean {
    return this.#broken;
  }

  #onError = (): void => {
    if (this.#broken) return;
    this.#broken = true;
    this.#onBroken?.();
  };

  /** Appends one line (a newline is added). Returns a promise to wait for when the stream is full. */
  line(data: Buffer | string): Promise<void> | undefined {
    if (this.#broken) return undefined;
    this.lines++;
    const size = (typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length) + 1;
    if (this.#pos + size > this.#chunk.length) {
      this.#flush();
      if (size > this.#chunk.length) {
        const big = Buffer.allocUnsafe(size);
        if (typeof data === 'string') big.write(data, 0, 'utf8');
        else data.copy(big, 0);
        big[size - 1] = 0x0a;
        this.#write(big);
        return this.#drain;
      }
    }
    if (typeof data === 'string') this.#pos += this.#chunk.write(data, this.#pos, 'utf8');
    else this.#pos += data.copy(this.#chunk, this.#pos);
    this.#chunk[this.#pos++] = 0x0a;
    if (this.#pos >= this.#chunk.length - 256) this.#flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#flush();
      });
    }
    return this.#drain;
  }

  #flush(): void {
    if (this.#pos === 0 || this.#broken) return;
    const out = this.#chunk.subarray(0, this.#pos);
    this.#chunk = Buffer.allocUnsafe(LinePrinter.CHUNK_BYTES);
    this.#pos = 0;
    this.#write(out);
  }

  #write(buffer: Buffer): void {
    if (this.#broken) return;
    let ok: boolean;
    try {
      ok = this.#stream.write(buffer);
    } catch {
      this.#onError();
      return;
    }
    if (!ok && this.#drain === undefined) {
      this.#drain = new Promise<void>((resolve) => {
        const done = (): void => {
          this.#stream.off('drain', done);
          this.#stream.off('error', done);
          this.#drain = undefined;
          resolve();
        };
        this.#stream.on('drain', done);
        this.#stream.on('error', done);
      });
    }
  }

  /** Writes what is buffered and waits until the stream has taken it. */
  async end(): Promise<void> {
    this.#flush();
    if (this.#drain !== undefined) await this.#drain;
    this.#stream.off('error', this.#onError);
    // a late EPIPE after this point must not crash the process
    this.#stream.on('error', () => undefined);
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EAI_AGAIN']);

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/**
 * The one line a user reads when a client command fails, naming the broker's URL and what to do. Keeps
 * the error's code (and so its exit code); errors it has nothing to add to are returned as they are.
 */
export function explainError(err: unknown, url: string, timeout?: string): unknown {
  const code = err instanceof EvqError ? err.code : networkCode(err) !== undefined ? 'EVQ_ERR_UNREACHABLE' : undefined;
  const options = { cause: err };
  // the client's own connection errors already name the URL and what to do
  if (err instanceof EvqError && code !== 'EVQ_ERR_UNAUTHORIZED' && err.message.includes(hostOf(url))) return err;
  switch (code) {
    case 'EVQ_ERR_UNREACHABLE': {
      const why = networkCode(err);
      return new EvqError(
        'EVQ_ERR_UNREACHABLE',
        `no evq broker answers at ${url}${why === undefined ? '' : ` (${why})`}: start one with \`evq serve\`, or point --url (or EVQ_URL) at yours`,
        options,
      );
    }
    case 'EVQ_ERR_TIMEOUT':
      return new EvqError(
        'EVQ_ERR_TIMEOUT',
        `the broker at ${url} did not answer${timeout === undefined ? ' in time' : ` within ${timeout}`}: check that \`evq serve\` runs there, or wait longer with --timeout`,
        options,
      );
    case 'EVQ_ERR_UNAUTHORIZED':
      return new EvqError(
        'EVQ_ERR_UNAUTHORIZED',
        `the broker at ${url} refused the request: it needs a valid token (--token or EVQ_TOKEN)`,
        options,
      );
    default:
      return err;
  }
}

/** Checks `--url` (or EVQ_URL) before anything connects: a URL that cannot be one is a usage error. */
export function brokerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `invalid --url "${text}": expected a URL like http://127.0.0.1:7070 (or nats://127.0.0.1:4222)`,
    );
  }
  if (!/^(https?|wss?|nats):$/.test(url.protocol)) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `invalid --url "${text}": expected an http:// (or ws://) URL like http://127.0.0.1:7070, or nats://127.0.0.1:4222 for NATS JetStream`,
    );
  }
  return text.replace(/\/+$/, '');
}

/**
 * Connects to the broker (loading the client only now, so `--help` stays fast); a failure becomes the one
 * line that names the URL and says what to do.
 */
export async function connectTo(url: string, options: ConnectOptions): Promise<EvqClient> {
  const { connect } = await import('../client/index.js');
  try {
    return await connect(url, options);
  } catch (err) {
    throw explainError(err, url, options.timeoutMs === undefined ? undefined : formatDuration(options.timeoutMs));
  }
}

/** What the run-* modules reach outside: injectable, so tests can run a command against a fake client. */
export interface CliEnv {
  connect(url: string, options: ConnectOptions): Promise<EvqClient>;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

export function processEnv(): CliEnv {
  return { connect: connectTo, stdin: process.stdin, stdout: process.stdout };
}
