/**
 * kafkajs's errors as evq's: one line that names the cluster and says what to do, with a stable EVQ_ERR_*
 * code (and so the CLI's exit code). kafkajs wraps the error that counts (a refused connection, a request
 * that timed out, a broker's error code) in retry and aggregate errors: the chain is searched for it.
 */

import { formatDuration } from '../../core/durations.js';
import { EvqConnectionError, EvqError, EvqUsageError } from '../../errors.js';
import type { EvqErrorCode } from '../../errors.js';
import { networkCode } from '../errors.js';

interface KafkaJsErrorLike {
  name?: string;
  message?: string;
  type?: string;
  code?: string | number;
  cause?: unknown;
  errors?: unknown[];
}

/** The errors in a kafkajs error's chain, outermost first (retries, aggregates and causes unwrapped; bounded). */
function chain(error: unknown): KafkaJsErrorLike[] {
  const out: KafkaJsErrorLike[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && out.length < 20) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object') continue;
    const like = e as KafkaJsErrorLike;
    out.push(like);
    if (like.cause !== undefined) queue.push(like.cause);
    if (Array.isArray(like.errors)) queue.push(...like.errors.slice(0, 5));
  }
  return out;
}

/** The Kafka error type (`UNKNOWN_TOPIC_OR_PARTITION`, …) of a broker's answer in the chain, if any. */
export function kafkaErrorType(error: unknown): string | undefined {
  for (const e of chain(error)) if (typeof e.type === 'string' && e.type !== 'UNKNOWN') return e.type;
  return undefined;
}

/** Kafka error types and the evq code each one is. */
const TYPE_CODES: Readonly<Record<string, EvqErrorCode>> = {
  UNKNOWN_TOPIC_OR_PARTITION: 'EVQ_ERR_NOT_FOUND',
  TOPIC_ALREADY_EXISTS: 'EVQ_ERR_CONFLICT',
  INVALID_PARTITIONS: 'EVQ_ERR_INVALID_ARGUMENT',
  INVALID_REPLICATION_FACTOR: 'EVQ_ERR_INVALID_ARGUMENT',
  INVALID_TOPIC_EXCEPTION: 'EVQ_ERR_INVALID_ARGUMENT',
  INVALID_CONFIG: 'EVQ_ERR_INVALID_ARGUMENT',
  INVALID_REQUEST: 'EVQ_ERR_INVALID_ARGUMENT',
  MESSAGE_TOO_LARGE: 'EVQ_ERR_MESSAGE_TOO_LARGE',
  RECORD_LIST_TOO_LARGE: 'EVQ_ERR_BATCH_TOO_LARGE',
  CORRUPT_MESSAGE: 'EVQ_ERR_MALFORMED',
  INVALID_RECORD: 'EVQ_ERR_MALFORMED',
  UNSUPPORTED_COMPRESSION_TYPE: 'EVQ_ERR_INVALID_ARGUMENT',
  TOPIC_AUTHORIZATION_FAILED: 'EVQ_ERR_UNAUTHORIZED',
  GROUP_AUTHORIZATION_FAILED: 'EVQ_ERR_UNAUTHORIZED',
  CLUSTER_AUTHORIZATION_FAILED: 'EVQ_ERR_UNAUTHORIZED',
  SASL_AUTHENTICATION_FAILED: 'EVQ_ERR_UNAUTHORIZED',
  ILLEGAL_SASL_STATE: 'EVQ_ERR_UNAUTHORIZED',
  UNSUPPORTED_SASL_MECHANISM: 'EVQ_ERR_UNAUTHORIZED',
  REQUEST_TIMED_OUT: 'EVQ_ERR_TIMEOUT',
  NOT_ENOUGH_REPLICAS: 'EVQ_ERR_UNAVAILABLE',
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 'EVQ_ERR_UNAVAILABLE',
};

/** Permanent refusals of one message (not retried, `onReject` with --dead-letter). */
export const PERMANENT_TYPES: ReadonlySet<string> = new Set(['MESSAGE_TOO_LARGE', 'CORRUPT_MESSAGE', 'INVALID_RECORD']);

/**
 * Any failure of kafkajs as an EvqError about the cluster at `url`; `what` is what timed out ("answer",
 * "acknowledge the batch"). An EvqError is returned as it is.
 */
export function kafkaError(error: unknown, url: string, timeoutMs: number, what = 'answer'): EvqError {
  if (error instanceof EvqError) return error;
  const errors = chain(error);
  const names = errors.map((e) => e.name ?? '');
  const net = networkCode(error) ?? errors.map((e) => (typeof e.code === 'string' ? e.code : undefined)).find((c) => c !== undefined);
  const options = { cause: error };
  const type = kafkaErrorType(error);
  if (names.includes('KafkaJSSASLAuthenticationError') || type === 'SASL_AUTHENTICATION_FAILED') {
    return new EvqError(
      'EVQ_ERR_UNAUTHORIZED',
      `the Kafka cluster at ${url} refused the credentials: give its token (password) with --token or EVQ_TOKEN`,
      options,
    );
  }
  if (type !== undefined && TYPE_CODES[type] !== undefined && type !== 'REQUEST_TIMED_OUT') {
    const detail = errors.find((e) => e.type === type)?.message ?? type;
    return new EvqError(TYPE_CODES[type], `the Kafka cluster at ${url} refused the request: ${detail} (${type})`, options);
  }
  const timedOut =
    names.includes('KafkaJSRequestTimeoutError') ||
    type === 'REQUEST_TIMED_OUT' ||
    net === 'ETIMEDOUT' ||
    errors.some((e) => typeof e.message === 'string' && /Connection timeout|timed? ?out/i.test(e.message));
  if (timedOut) {
    return new EvqConnectionError(
      'EVQ_ERR_TIMEOUT',
      `the Kafka cluster at ${url} did not ${what} within ${formatDuration(timeoutMs)}: check that a Kafka broker (or \`evq serve --kafka-port\`) runs there, or raise --timeout`,
      options,
    );
  }
  if (names.some((n) => n === 'KafkaJSConnectionError' || n === 'KafkaJSConnectionClosedError') || net !== undefined) {
    const reason =
      net === 'ECONNREFUSED' ? 'connection refused' : net === 'ENOTFOUND' || net === 'EAI_AGAIN' ? 'host not found' : firstMessage(errors);
    return new EvqConnectionError(
      'EVQ_ERR_UNREACHABLE',
      `no Kafka broker answers at ${url} (${reason}): check the address, or start one with \`evq serve --kafka-port 9092\``,
      options,
    );
  }
  return new EvqError('EVQ_ERR_INTERNAL', `the Kafka client failed talking to ${url}: ${firstMessage(errors)}`, options);
}

function firstMessage(errors: KafkaJsErrorLike[]): string {
  const inner = [...errors].reverse().find((e) => typeof e.message === 'string' && e.message !== '');
  return (inner?.message ?? 'unknown error').split('\n')[0] as string;
}

/** A feature the kafka:// transport does not have, with what to use instead. */
export function notOverKafka(what: string, instead: string): EvqUsageError {
  return new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `${what} is not available over kafka://: ${instead}`);
}
