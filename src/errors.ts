/**
 * The error tree of evq. Every error that crosses a boundary (library API, HTTP reply, WebSocket close,
 * CLI exit) is an EvqError with a stable `code`. The table below is the single source of truth for what
 * each code means on the wire (HTTP status) and on the command line (exit code).
 */

/** Exit codes of the CLI: 0 success, 1 runtime failure, 2 usage error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const ERROR_CODES = {
  // usage: the caller asked for something that can never work as written
  EVQ_ERR_INVALID_ARGUMENT: { status: 400, exit: EXIT.usage },
  EVQ_ERR_INVALID_FILTER: { status: 400, exit: EXIT.usage },
  EVQ_ERR_INVALID_TOPIC: { status: 400, exit: EXIT.usage },
  EVQ_ERR_INVALID_OFFSET: { status: 400, exit: EXIT.usage },
  // rejected by the broker: the request was understood and refused
  EVQ_ERR_MALFORMED: { status: 400, exit: EXIT.failure },
  EVQ_ERR_UNAUTHORIZED: { status: 401, exit: EXIT.failure },
  /** A browser request (Origin, Sec-Fetch-Site) from a page the broker does not trust: no other site may drive it. */
  EVQ_ERR_FORBIDDEN_ORIGIN: { status: 403, exit: EXIT.failure },
  /** A mutating request from the web console of a broker started with --ui-read-only. */
  EVQ_ERR_READ_ONLY: { status: 403, exit: EXIT.failure },
  EVQ_ERR_NOT_FOUND: { status: 404, exit: EXIT.failure },
  EVQ_ERR_METHOD_NOT_ALLOWED: { status: 405, exit: EXIT.failure },
  EVQ_ERR_CONFLICT: { status: 409, exit: EXIT.failure },
  /** A consumer-group member the broker does not know (never joined, left, or expired after its session timeout): join again. */
  EVQ_ERR_UNKNOWN_MEMBER: { status: 404, exit: EXIT.failure },
  /** A member's commit or read for a generation or partition the group has moved on from (a rebalance): heartbeat, then go on. */
  EVQ_ERR_REBALANCE: { status: 409, exit: EXIT.failure },
  EVQ_ERR_MESSAGE_TOO_LARGE: { status: 413, exit: EXIT.failure },
  EVQ_ERR_BATCH_TOO_LARGE: { status: 413, exit: EXIT.failure },
  /** A body whose Content-Type the route does not take (a form or text/plain body cannot produce). */
  EVQ_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, exit: EXIT.failure },
  /** A Host header that is not one of the broker's names (DNS rebinding). */
  EVQ_ERR_FORBIDDEN_HOST: { status: 421, exit: EXIT.failure },
  EVQ_ERR_LIMIT_EXCEEDED: { status: 429, exit: EXIT.failure },
  // the broker's own trouble
  EVQ_ERR_INTERNAL: { status: 500, exit: EXIT.failure },
  EVQ_ERR_CORRUPT_LOG: { status: 500, exit: EXIT.failure },
  EVQ_ERR_NOT_IMPLEMENTED: { status: 501, exit: EXIT.failure },
  EVQ_ERR_UNAVAILABLE: { status: 503, exit: EXIT.failure },
  EVQ_ERR_STORAGE: { status: 507, exit: EXIT.failure },
  // the client's view of the network
  EVQ_ERR_UNREACHABLE: { status: 502, exit: EXIT.failure },
  EVQ_ERR_TIMEOUT: { status: 504, exit: EXIT.failure },
  EVQ_ERR_CLOSED: { status: 503, exit: EXIT.failure },
  EVQ_ERR_SLOW_CONSUMER: { status: 503, exit: EXIT.failure },
} as const satisfies Record<string, { status: number; exit: ExitCode }>;

export type EvqErrorCode = keyof typeof ERROR_CODES;

export function isEvqErrorCode(code: unknown): code is EvqErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/**
 * What a program may branch on besides the code (`error.details` on the wire, docs/PROTOCOL.md): the message
 * says the same in words, and its wording may change.
 */
export interface ErrorDetails {
  /** A 404 EVQ_ERR_NOT_FOUND of a topic: `missing` (it does not exist) or `deleted` (while it was read). */
  reason?: TopicAbsence;
}

export type TopicAbsence = 'missing' | 'deleted';

export class EvqError extends Error {
  override name = 'EvqError';
  readonly code: EvqErrorCode;
  readonly details: ErrorDetails | undefined;

  constructor(code: EvqErrorCode, message: string, options?: ErrorOptions & { details?: ErrorDetails }) {
    super(message, options);
    this.code = code;
    this.details = options?.details;
  }

  /** The HTTP status this error is answered with. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** The CLI exit code this error ends a command with. */
  get exitCode(): ExitCode {
    return ERROR_CODES[this.code].exit;
  }
}

/** The caller's input can never work as written (bad flag, bad filter, bad topic name). Exit 2. */
export class EvqUsageError extends EvqError {
  override name = 'EvqUsageError';
  constructor(
    code: 'EVQ_ERR_INVALID_ARGUMENT' | 'EVQ_ERR_INVALID_FILTER' | 'EVQ_ERR_INVALID_TOPIC' | 'EVQ_ERR_INVALID_OFFSET',
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** A filter expression that does not compile; `column` is 1-based. */
export class EvqFilterError extends EvqUsageError {
  override name = 'EvqFilterError';
  readonly column: number;
  constructor(message: string, column: number, options?: ErrorOptions) {
    super('EVQ_ERR_INVALID_FILTER', message, options);
    this.column = column;
  }
}

/** The broker could not be reached or did not answer in time: worth a retry. */
export class EvqConnectionError extends EvqError {
  override name = 'EvqConnectionError';
  constructor(code: 'EVQ_ERR_UNREACHABLE' | 'EVQ_ERR_TIMEOUT' | 'EVQ_ERR_CLOSED', message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** The log or the disk failed: nothing covered by this error was acknowledged. */
export class EvqStorageError extends EvqError {
  override name = 'EvqStorageError';
  constructor(code: 'EVQ_ERR_STORAGE' | 'EVQ_ERR_CORRUPT_LOG', message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** The broker's 404 of a topic that is not there: it does not exist (`missing`), or was deleted while it was read. */
export function topicNotFound(topic: string, reason: TopicAbsence): EvqError {
  return new EvqError('EVQ_ERR_NOT_FOUND', reason === 'missing' ? `topic "${topic}" does not exist` : `topic "${topic}" was deleted`, {
    details: { reason },
  });
}

/**
 * Whether `error` says that a topic is not there, and why: its `details.reason`, or from a broker that sends
 * none (older than this field) its message's words; undefined for any other error (a 404 of a group, of a route).
 */
export function topicAbsence(error: unknown): TopicAbsence | undefined {
  if (!(error instanceof EvqError) || error.code !== 'EVQ_ERR_NOT_FOUND') return undefined;
  if (error.details?.reason !== undefined) return error.details.reason;
  if (!/^topic "[^"]*" (does not exist|was deleted)/.test(error.message)) return undefined;
  return /^topic "[^"]*" was deleted/.test(error.message) ? 'deleted' : 'missing';
}

/**
 * The EvqError in an evq error body (`{"error": {"code", "message"}}`, docs/PROTOCOL.md), or undefined when
 * the body is not one (another server answered, or nothing came).
 */
export function errorFromBody(body: Buffer | string | null | undefined): EvqError | undefined {
  if (body === null || body === undefined || body.length === 0) return undefined;
  let parsed: { error?: { code?: unknown; message?: unknown } } | null;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as typeof parsed;
  } catch {
    return undefined;
  }
  const error = parsed?.error;
  if (typeof error !== 'object' || error === null || error.code === undefined) return undefined;
  return errorFromWire(error.code, error.message, (error as { details?: unknown }).details);
}

/** The details of an error received over the wire that this version knows; anything else is dropped. */
function detailsFromWire(details: unknown): ErrorDetails | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const reason = (details as { reason?: unknown }).reason;
  return reason === 'missing' || reason === 'deleted' ? { reason } : undefined;
}

/** Rebuild an EvqError from a code and a message received over the wire. Unknown codes become INTERNAL. */
export function errorFromWire(code: unknown, message: unknown, details?: unknown): EvqError {
  const text = typeof message === 'string' && message.length > 0 ? message : 'the broker reported an error';
  if (!isEvqErrorCode(code)) return new EvqError('EVQ_ERR_INTERNAL', text);
  const known = detailsFromWire(details);
  if (known !== undefined) return new EvqError(code, text, { details: known });
  switch (code) {
    case 'EVQ_ERR_INVALID_ARGUMENT':
    case 'EVQ_ERR_INVALID_FILTER':
    case 'EVQ_ERR_INVALID_TOPIC':
    case 'EVQ_ERR_INVALID_OFFSET':
      return new EvqUsageError(code, text);
    case 'EVQ_ERR_UNREACHABLE':
    case 'EVQ_ERR_TIMEOUT':
    case 'EVQ_ERR_CLOSED':
      return new EvqConnectionError(code, text);
    case 'EVQ_ERR_STORAGE':
    case 'EVQ_ERR_CORRUPT_LOG':
      return new EvqStorageError(code, text);
    default:
      return new EvqError(code, text);
  }
}
