/**
 * The client's errors: network failures turned into `EvqConnectionError`s whose message says what to do, and
 * the error a failed produce rejects with (it carries what was acknowledged before the failure).
 */

import { EvqConnectionError, EvqError } from '../errors.js';
import type { EvqErrorCode } from '../errors.js';
import type { ProduceResult } from './types.js';
import { formatDuration } from '../core/durations.js';

/** Socket error codes that mean "nothing answers there". */
const UNREACHABLE_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EADDRNOTAVAIL: 'address not available',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CLOSED: 'connection closed',
};

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The `code` of an error or of the first error in its `cause` chain (undici wraps socket errors). */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (code in UNREACHABLE_REASONS || TIMEOUT_CODES.has(code))) return code;
    const errors = (current as { errors?: unknown }).errors; // AggregateError of happy eyeballs
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = networkCode(errors[0]);
      if (inner !== undefined) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function unreachableError(url: string, reason: string, cause?: unknown): EvqConnectionError {
  return new EvqConnectionError(
    'EVQ_ERR_UNREACHABLE',
    `no evq broker answers at ${url} (${reason}): start one with \`evq serve\``,
    cause === undefined ? undefined : { cause },
  );
}

export function timeoutError(url: string, what: string, timeoutMs: number, cause?: unknown): EvqConnectionError {
  return new EvqConnectionError(
    'EVQ_ERR_TIMEOUT',
    `the evq broker at ${url} did not ${what} within ${formatDuration(timeoutMs)}: check that it is running and reachable, or raise --timeout`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Turns what a socket or HTTP client threw into an EvqError: an EvqError as it is; connection failures as
 * EVQ_ERR_UNREACHABLE, timeouts as EVQ_ERR_TIMEOUT; anything else as EVQ_ERR_UNREACHABLE too (an unknown
 * failure of the transport) with the original as `cause`.
 */
export function toConnectionError(error: unknown, url: string, what: string, timeoutMs: number): EvqError {
  if (error instanceof EvqError) return error;
  if (isTlsMismatch(error)) return noTlsError(url, error);
  const code = networkCode(error);
  if (code !== undefined && TIMEOUT_CODES.has(code)) return timeoutError(url, what, timeoutMs, error);
  if (code !== undefined) return unreachableError(url, UNREACHABLE_REASONS[code] as string, error);
  const message = error instanceof Error ? error.message : String(error);
  return unreachableError(url, firstLine(message), error);
}

/** The first line of a message (OpenSSL's errors span several). */
function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return (end === -1 ? text : text.slice(0, end)).trim();
}

/** Whether a connection failed because the two ends disagree about TLS (an https:// URL to a plain server). */
function isTlsMismatch(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') return true;
    if (typeof message === 'string' && /wrong version number|packet length too long|SSL routines/.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** An https:// (or wss://) URL whose server answered in plain HTTP. */
function noTlsError(url: string, cause?: unknown): EvqConnectionError {
  const plain = url.replace(/^https:/, 'http:').replace(/^wss:/, 'ws:');
  return new EvqConnectionError(
    'EVQ_ERR_UNREACHABLE',
    `the server at ${url} does not speak TLS at that address: use ${plain} for a plain evq serve, or check the port`,
    cause === undefined ? undefined : { cause },
  );
}

/** A connection that was open and was lost. */
export function connectionLostError(url: string, detail: string, cause?: unknown): EvqConnectionError {
  return new EvqConnectionError(
    'EVQ_ERR_CLOSED',
    `the connection to the evq broker at ${url} was lost (${detail})`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * A produce that could not complete. `result` tells what was acknowledged before the failure (nothing is
 * silently lost: every message before `firstUnacknowledged` was acknowledged or reported as rejected).
 */
export class EvqProduceError extends EvqError {
  override name = 'EvqProduceError';
  /** What was acknowledged (and rejected) before the produce failed. */
  readonly result: ProduceResult;
  /** Input position of the first message neither acknowledged nor rejected, or null when there is none. */
  readonly firstUnacknowledged: number | null;

  constructor(code: EvqErrorCode, message: string, result: ProduceResult, firstUnacknowledged: number | null, options?: ErrorOptions) {
    super(code, message, options);
    this.result = result;
    this.firstUnacknowledged = firstUnacknowledged;
  }
}

/** The error of a failed produce to `topic`: the cause, what was acknowledged and where the input stopped. */
export function produceFailure(
  topic: string,
  cause: EvqError,
  result: ProduceResult,
  first: number | null,
  idempotent: boolean,
): EvqProduceError {
  const n = (x: number): string => x.toLocaleString('en-US');
  let text = `produce to "${topic}" failed: ${cause.message}. ${n(result.acknowledged)} message${result.acknowledged === 1 ? ' was' : 's were'} acknowledged`;
  if (result.rejected > 0) text += `, ${n(result.rejected)} rejected`;
  if (first !== null) text += `; the first message not acknowledged is number ${n(first + 1)} of the input`;
  const lostAck = cause.code === 'EVQ_ERR_CLOSED' || cause.code === 'EVQ_ERR_TIMEOUT';
  if (lostAck && cause.message !== 'the produce was aborted' && !idempotent) {
    text += '; batches sent without an acknowledgement may or may not have been appended (produce with --idempotent to retry them safely)';
  }
  return new EvqProduceError(cause.code as EvqErrorCode, text, result, first, { cause });
}

/** Any thrown value as an EvqError (EVQ_ERR_INTERNAL when it is not one already). */
export function toEvqError(error: unknown): EvqError {
  if (error instanceof EvqError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EvqError('EVQ_ERR_INTERNAL', message, { cause: error });
}

/**
 * A consumer group's commit that the broker refused or did not answer: the records were handed out but the
 * group's offset did not move, so its next read hands them out again. Keeps the code of what failed.
 */
export class CommitError extends EvqError {
  override name = 'CommitError';
  readonly topic: string;
  readonly group: string;
  readonly offset: number;

  /** `at`: where, when it is more than one offset (`partition 0 offset 12, partition 2 offset 7`). */
  constructor(topic: string, group: string, offset: number, cause: unknown, at = `offset ${offset}`) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      cause instanceof EvqError ? cause.code : 'EVQ_ERR_INTERNAL',
      `the records read were not committed for group "${group}" of ${topic} (${at}): ${why}; its next read starts before them again`,
      { cause },
    );
    this.topic = topic;
    this.group = group;
    this.offset = offset;
  }
}

/**
 * A read's topic is not there: it does not exist (`deleted` false; pass `allowMissing` to wait for it), or it
 * was deleted while it was read (`deleted` true: a topic of the same name created since is another log, and
 * the read does not go on in it from its old offset). With a `detail`, what the read saw instead of a 404 (its
 * end offset went back), which `deleted` true covers too.
 */
export class TopicGoneError extends EvqError {
  override name = 'TopicGoneError';
  readonly topic: string;
  readonly deleted: boolean;

  constructor(topic: string, deleted: boolean, detail?: string, options?: ErrorOptions) {
    super(
      'EVQ_ERR_NOT_FOUND',
      !deleted
        ? `topic "${topic}" does not exist`
        : detail === undefined
          ? `topic "${topic}" was deleted while it was read: its records from then on were not read`
          : `topic "${topic}" ${detail}: the read stops there, its records from then on were not read`,
      options,
    );
    this.topic = topic;
    this.deleted = deleted;
  }
}

/**
 * A message the client itself did not send: its value is larger than the client's `maxMessageBytes` (default
 * 1 MiB). Not the broker's answer: a broker started with a larger limit takes it once the client's is raised.
 */
export class ClientLimitError extends EvqError {
  override name = 'ClientLimitError';
  readonly valueBytes: number;
  readonly limit: number;

  constructor(valueBytes: number, limit: number, options?: ErrorOptions) {
    super(
      'EVQ_ERR_MESSAGE_TOO_LARGE',
      `a message of ${valueBytes} bytes is larger than the client's own limit of ${limit} bytes (its max message bytes, not the broker's)`,
      options,
    );
    this.valueBytes = valueBytes;
    this.limit = limit;
  }
}

/** What the client's own check of a message threw, as said to the caller: a value over its own limit is a {@link ClientLimitError}. */
export function ownRefusal(error: EvqError, maxMessageBytes: number): EvqError {
  if (error.code !== 'EVQ_ERR_MESSAGE_TOO_LARGE') return error;
  const match = /^a message of (\d+) bytes is larger than the limit of (\d+) bytes$/.exec(error.message);
  if (match === null || Number(match[2]) !== maxMessageBytes) return error;
  return new ClientLimitError(Number(match[1]), maxMessageBytes, { cause: error });
}
