/**
 * Checks of what enters evq: topic names and messages. The broker calls them where data arrives; the client
 * calls them too, to fail before sending what the broker would refuse.
 */
import { LIMITS } from '../core/limits.js';
import { EvqError, EvqUsageError } from '../errors.js';
import { FORBIDDEN_HEADER_NAMES } from './record.js';
import type { MessageInput } from './record.js';

/** The limits a message is checked against (`LIMITS` satisfies it; the broker passes its configured ones). */
export interface MessageLimits {
  maxMessageBytes: number;
  maxKeyBytes: number;
  maxHeaderCount: number;
  maxHeaderBytes: number;
}

/** The limits a batch of messages is checked against. */
export interface BatchLimits extends MessageLimits {
  maxBatchCount: number;
  maxBatchBytes: number;
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

/** Shows a user's text in an error message: quoted, escaped, and cut when long. */
function quote(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return JSON.stringify(shown);
}

/**
 * Checks a topic name: 1 to 249 characters from `a-z A-Z 0-9 . _ -`, and not `.` or `..`. Such a name is safe
 * as a directory name. Throws `EvqUsageError('EVQ_ERR_INVALID_TOPIC')` with a message that says what is
 * allowed.
 */
export function validateTopicName(name: unknown): asserts name is string {
  if (typeof name !== 'string') {
    throw new EvqUsageError('EVQ_ERR_INVALID_TOPIC', 'a topic name must be a string');
  }
  const max = LIMITS.maxTopicNameLength;
  if (name.length === 0) throw new EvqUsageError('EVQ_ERR_INVALID_TOPIC', 'a topic name cannot be empty');
  if (name.length > max) {
    throw new EvqUsageError('EVQ_ERR_INVALID_TOPIC', `topic name ${quote(name)} is ${name.length} characters long; the limit is ${max}`);
  }
  if (name === '.' || name === '..') {
    throw new EvqUsageError('EVQ_ERR_INVALID_TOPIC', `topic name ${quote(name)} is reserved; pick another name`);
  }
  if (!TOPIC_NAME.test(name)) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_TOPIC',
      `topic name ${quote(name)} is invalid: use only letters, digits, '.', '_' and '-' (1 to ${max} characters)`,
    );
  }
}

/**
 * Checks a consumer group name: the same alphabet and length as topic names. Throws
 * `EvqUsageError('EVQ_ERR_INVALID_ARGUMENT')` that says what is allowed.
 */
export function validateGroupName(name: unknown): asserts name is string {
  if (!isValidGroupName(name)) {
    const shown = typeof name === 'string' ? `${quote(name)} ` : '';
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `invalid group name ${shown}: use 1 to ${LIMITS.maxGroupNameLength} characters of a-z, A-Z, 0-9, ".", "_" and "-"`.replace(' :', ':'),
    );
  }
}

/** Whether `name` is a valid group name (see {@link validateGroupName}). */
export function isValidGroupName(name: unknown): name is string {
  return isValidTopicName(name) && name.length <= LIMITS.maxGroupNameLength;
}

/** Whether `name` is a valid topic name (see {@link validateTopicName}). */
export function isValidTopicName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= LIMITS.maxTopicNameLength &&
    name !== '.' &&
    name !== '..' &&
    TOPIC_NAME.test(name)
  );
}

// The errors of the limits, shared by every check of them (objects, encoded batches, the broker's intake), so
// that a message refused is refused with the same code and words whichever way it arrived.

/** A value larger than `maxMessageBytes`. */
export function messageTooLarge(valueBytes: number, limit: number): EvqError {
  return new EvqError('EVQ_ERR_MESSAGE_TOO_LARGE', `a message of ${valueBytes} bytes is larger than the limit of ${limit} bytes`);
}

/** A key larger than `maxKeyBytes`. */
export function keyTooLarge(keyBytes: number, limit: number): EvqError {
  return new EvqError('EVQ_ERR_MESSAGE_TOO_LARGE', `a key of ${keyBytes} bytes is larger than the limit of ${limit} bytes`);
}

/** More headers than `maxHeaderCount`. */
export function tooManyHeaders(count: number, limit: number): EvqError {
  return new EvqError('EVQ_ERR_MESSAGE_TOO_LARGE', `a message with ${count} headers has more than the limit of ${limit}`);
}

/** Header names and values larger than `maxHeaderBytes`. */
export function headersTooLarge(limit: number): EvqError {
  return new EvqError('EVQ_ERR_MESSAGE_TOO_LARGE', `the headers of a message are larger than the limit of ${limit} bytes`);
}

/** More messages in a batch than `maxBatchCount`. */
export function tooManyMessages(count: number, limit: number): EvqError {
  return new EvqError('EVQ_ERR_BATCH_TOO_LARGE', `a batch holds at most ${limit} messages, got ${count}`);
}

/** A batch larger than `maxBatchBytes` (keys, headers and values). */
export function batchTooLarge(limit: number): EvqError {
  return new EvqError('EVQ_ERR_BATCH_TOO_LARGE', `a batch holds at most ${limit} bytes`);
}

/**
 * Checks one message and returns its size in bytes (value, key, header names and values). Throws
 * `EVQ_ERR_MALFORMED` for a wrong shape (a value that is neither a Buffer nor a string, a non-string key or
 * header value), `EVQ_ERR_INVALID_ARGUMENT` for an empty or refused header name (`__proto__`,
 * `constructor`, `prototype`) or a timestamp that is not a safe integer >= 0, and
 * `EVQ_ERR_MESSAGE_TOO_LARGE` past `maxMessageBytes` (value), `maxKeyBytes`, `maxHeaderCount` or
 * `maxHeaderBytes`.
 */
export function validateMessage(msg: MessageInput, limits: MessageLimits = LIMITS): number {
  if (msg === null || typeof msg !== 'object') throw new EvqError('EVQ_ERR_MALFORMED', 'a message must be an object');
  const { value, key, headers, timestamp } = msg;
  let valueBytes: number;
  if (typeof value === 'string') valueBytes = Buffer.byteLength(value, 'utf8');
  else if (Buffer.isBuffer(value)) valueBytes = value.length;
  else throw new EvqError('EVQ_ERR_MALFORMED', 'a message value must be a Buffer or a string');
  if (valueBytes > limits.maxMessageBytes) throw messageTooLarge(valueBytes, limits.maxMessageBytes);
  let keyBytes = 0;
  if (key !== null && key !== undefined) {
    if (typeof key !== 'string') throw new EvqError('EVQ_ERR_MALFORMED', 'a message key must be a string or null');
    keyBytes = Buffer.byteLength(key, 'utf8');
    if (keyBytes > limits.maxKeyBytes) throw keyTooLarge(keyBytes, limits.maxKeyBytes);
  }
  const headerBytes = headers === null || headers === undefined ? 0 : validateHeaders(headers, limits);
  if (timestamp !== undefined && !(Number.isSafeInteger(timestamp) && timestamp >= 0)) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `timestamp ${String(timestamp)} is not a whole number of milliseconds since the epoch`,
    );
  }
  return valueBytes + keyBytes + headerBytes;
}

function validateHeaders(headers: Record<string, string>, limits: MessageLimits): number {
  if (typeof headers !== 'object' || Array.isArray(headers)) {
    throw new EvqError('EVQ_ERR_MALFORMED', 'message headers must be an object of strings');
  }
  const names = Object.keys(headers);
  if (names.length > limits.maxHeaderCount) throw tooManyHeaders(names.length, limits.maxHeaderCount);
  let bytes = 0;
  for (const name of names) {
    if (name.length === 0) throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', 'a header name cannot be empty');
    if (FORBIDDEN_HEADER_NAMES.has(name)) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `header name ${quote(name)} is not allowed`);
    }
    const value = headers[name];
    if (typeof value !== 'string') {
      throw new EvqError('EVQ_ERR_MALFORMED', `header ${quote(name)} must have a string value`);
    }
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8');
    if (bytes > limits.maxHeaderBytes) throw headersTooLarge(limits.maxHeaderBytes);
  }
  return bytes;
}

/**
 * Checks a batch of messages: at least one, at most `maxBatchCount`, each valid (see
 * {@link validateMessage}), and at most `maxBatchBytes` in all. Returns the batch's size in bytes. Throws
 * `EVQ_ERR_INVALID_ARGUMENT` for an empty batch and `EVQ_ERR_BATCH_TOO_LARGE` past the batch limits.
 */
export function validateBatch(messages: readonly MessageInput[], limits: BatchLimits = LIMITS): number {
  if (!Array.isArray(messages)) throw new EvqError('EVQ_ERR_MALFORMED', 'a batch must be an array of messages');
  if (messages.length === 0) throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', 'a batch needs at least one message');
  if (messages.length > limits.maxBatchCount) throw tooManyMessages(messages.length, limits.maxBatchCount);
  let bytes = 0;
  for (const msg of messages) {
    bytes += validateMessage(msg, limits);
    if (bytes > limits.maxBatchBytes) throw batchTooLarge(limits.maxBatchBytes);
  }
  return bytes;
}
