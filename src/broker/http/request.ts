import type { IncomingMessage } from 'node:http';
import { EvqError, EvqUsageError } from '../../errors.js';
import { LIMITS } from '../../core/limits.js';
import { compileFilter, type Filter } from '../../core/filter/index.js';
import { parseDuration } from '../../core/durations.js';
import { HEADERS, type StartPosition } from '../../protocol/http.js';
import { parseOffset, parseStartPosition } from '../../protocol/positions.js';
import type { BrokerLimits } from '../context.js';

/** Reading the parts of a request: query parameters and evq's request headers, each checked. */

export function queryLimit(url: URL, limits: BrokerLimits): number {
  const text = url.searchParams.get('limit');
  if (text === null) return limits.defaultReadLimit;
  const n = parseOffset(text, 'limit');
  if (n < 1 || n > limits.maxReadLimit) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `invalid limit ${text}: expected 1 to ${limits.maxReadLimit}`);
  }
  return n;
}

/**
 * Where a read starts: `?from=earliest|latest|N`, `?last=N` (the last N records), or `?time=T` (the first
 * record stamped at or after T: ISO 8601 or ms since the epoch). At most one of them.
 */
export function queryFrom(url: URL, fallback: StartPosition): StartPosition {
  const time = url.searchParams.get('time');
  const last = url.searchParams.get('last');
  const text = url.searchParams.get('from') ?? url.searchParams.get('offset');
  if ((time !== null ? 1 : 0) + (last !== null ? 1 : 0) + (text !== null ? 1 : 0) > 1) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', 'give one of from, last and time');
  }
  if (time !== null) return { time: parseTime(time) };
  if (last !== null) return { last: parseOffset(last, 'count of last records') };
  return text === null ? fallback : parseStartPosition(text);
}

/** `?partition=N`, or null when the query has none. */
export function queryPartition(url: URL): number | null {
  const text = url.searchParams.get('partition');
  return text === null ? null : parseOffset(text, 'partition');
}

/** The partition a produce names (`?partition=N` or the `evq-partition` header), or null to let the broker place it. */
export function requestPartition(req: IncomingMessage, url: URL): number | null {
  const text = header(req, HEADERS.partition) ?? url.searchParams.get('partition');
  return text === undefined || text === null ? null : parseOffset(text, 'partition');
}

export function queryWait(url: URL, limits: BrokerLimits): number {
  const text = url.searchParams.get('wait');
  if (text === null) return 0;
  const ms = parseDuration(text);
  return Math.min(ms, limits.maxLongPollMs);
}

export function queryFilter(url: URL, limits: BrokerLimits): Filter | null {
  const text = url.searchParams.get('filter');
  if (text === null || text.trim() === '') return null;
  return compileFilter(text, { maxLength: limits.maxFilterLength });
}

/** `?scan=N`: most records a read looks at (1 to LIMITS.maxScanRecords, the default); a client that shows a scan's progress asks for fewer. */
export function queryScan(url: URL): number {
  const text = url.searchParams.get('scan');
  if (text === null) return LIMITS.maxScanRecords;
  const n = parseOffset(text, 'scan');
  if (n < 1 || n > LIMITS.maxScanRecords) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `invalid scan ${text.slice(0, 20)}: expected 1 to ${LIMITS.maxScanRecords}`);
  }
  return n;
}

export function queryFlag(url: URL, name: string): boolean {
  const text = url.searchParams.get(name);
  return text !== null && text !== 'false' && text !== '0';
}

/** The first value of a request header, or undefined when it is absent. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The key of a single-message POST. */
export function requestKey(req: IncomingMessage): string | null {
  return header(req, HEADERS.key) ?? null;
}

/** `evq-header-<name>: value` request headers as the message's headers. */
export function requestMessageHeaders(req: IncomingMessage): Record<string, string> | null {
  let headers: Record<string, string> | null = null;
  for (const [name, value] of Object.entries(req.headers)) {
    if (!name.startsWith(HEADERS.headerPrefix) || value === undefined) continue;
    const key = name.slice(HEADERS.headerPrefix.length);
    if (key === '__proto__' || key === 'constructor' || key === 'prototype' || key === '') {
      throw new EvqError('EVQ_ERR_MALFORMED', `"${key}" cannot be a header name`);
    }
    headers ??= Object.create(null) as Record<string, string>;
    headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** The due time asked for with `evq-delay` or `evq-at` (or the `delay`/`at` query parameters). */
export function requestDueAt(req: IncomingMessage, url: URL, now: number): number | undefined {
  const delay = header(req, HEADERS.delay) ?? url.searchParams.get('delay') ?? undefined;
  const at = header(req, HEADERS.at) ?? url.searchParams.get('at') ?? undefined;
  if (delay !== undefined && at !== undefined) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', 'give a delay or a due time, not both');
  }
  if (delay !== undefined) return now + parseDuration(delay);
  if (at !== undefined) return parseTime(at);
  return undefined;
}

/** A point in time: milliseconds since the epoch, or an ISO 8601 date. */
export function parseTime(text: string): number {
  const ms = /^\d{1,16}$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `invalid time "${text.slice(0, 40)}": expected ISO 8601 (2026-01-31T12:00:00Z) or ms since the epoch`,
    );
  }
  return ms;
}

export function requestIdempotencyKey(req: IncomingMessage, maxLength: number): string | null {
  const key = header(req, HEADERS.idempotencyKey);
  if (key === undefined || key === '') return null;
  if (key.length > maxLength) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `the idempotency key is longer than ${maxLength} characters`);
  }
  return key;
}
