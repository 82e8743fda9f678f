import { InvalidArgumentError, Option } from './commander.js';
import type { From } from '../client/types.js';
import { compileFilter } from '../core/filter/index.js';
import { DEFAULT_FORMAT, parseFormat, type RecordFormat } from './record-format.js';
import { formatDuration, parseDuration } from '../core/durations.js';
import { formatSize, parseSize } from '../core/sizes.js';
import { looksLikeTime, parseSince, parseTimePoint } from '../core/time-spec.js';
import { EvqError, EvqFilterError, EvqUsageError } from '../errors.js';

/** Commander option parsers: each throws commander's InvalidArgumentError, so a bad flag is a usage error. */

function wrap<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      if (err instanceof EvqError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
}

/** A duration with its unit (`250ms`, `5s`, `2m`): a bare number other than 0 asks for one. */
export const durationOption = wrap((value: string) => parseDuration(value, { requireUnit: true }));
export const sizeOption = wrap(parseSize);

/** A whole number in [min, max]. */
export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

/** `k=v` pairs collected into an object (repeatable flag). */
export function headerOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected a header as name=value, got "${value}"`);
  const name = value.slice(0, eq).trim();
  if (name === '__proto__' || name === 'constructor' || name === 'prototype') {
    throw new InvalidArgumentError(`"${name}" cannot be a header name`);
  }
  return Object.assign(Object.create(null) as Record<string, string>, previous, { [name]: value.slice(eq + 1) });
}

/**
 * Reads `--from` (kcat's `-o`): earliest (or beginning), latest (or end), an offset, -N (the last N records of
 * each partition), or a time: ISO 8601 with a zone or @MS (the first record at or after it).
 */
export function positionOption(value: string): From {
  const text = value.trim();
  if (looksLikeTime(text)) return { time: wrap(parseTimePoint)(text) };
  if (text === 'earliest' || text === 'latest') return text;
  // kcat's -o beginning|end
  if (text === 'beginning') return 'earliest';
  if (text === 'end') return 'latest';
  const match = /^(-?)(0|[1-9]\d{0,15})$/.exec(text);
  const n = match === null ? Number.NaN : Number(match[2]);
  if (match === null || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(
      `expected earliest, latest, an offset, -N (the last N messages) or a time (2026-12-01T09:00:00Z, @MS), got "${value}"`,
    );
  }
  if (match[1] === '-') {
    if (n === 0) throw new InvalidArgumentError('-0 reads nothing: use latest, or -N with N of 1 or more');
    return { last: n };
  }
  return n;
}

/** Reads `--since 5m` (the nats CLI's flag): a read starts at the first record stamped at or after now minus it. */
export function sinceOption(value: string, now: number = Date.now()): From {
  return { time: wrap((v) => parseSince(v, now))(value) };
}

/**
 * Reads `--filter`: compiled here once so a bad filter fails at once (exit 2, naming the column). It runs on
 * an evq broker; over nats:// the client runs it (JetStream has no such filter). The error is evq's own line,
 * not commander's (which would echo the whole filter, however long): the column, what is wrong, and the
 * filter around the column.
 */
export function filterOption(value: string): string {
  try {
    compileFilter(value);
  } catch (err) {
    if (err instanceof EvqFilterError) {
      throw new EvqFilterError(`${err.message}, in --filter "${filterExcerpt(value, err.column)}"`, err.column, { cause: err });
    }
    if (err instanceof EvqError) throw new InvalidArgumentError(err.message);
    throw err;
  }
  return value;
}

/** A filter as an error line shows it: whole when short, else `width` characters around `column`, on one line. */
function filterExcerpt(filter: string, column: number, width = 60): string {
  // columns count code points; control characters (a newline) would break the line
  const chars = [...filter].map((c) => (c.charCodeAt(0) < 0x20 || c === '\u007f' ? ' ' : c));
  if (chars.length <= width) return chars.join('');
  const at = Math.min(Math.max(column - 1, 0), chars.length);
  const end = Math.min(chars.length, Math.max(at + width / 2, width));
  const start = Math.max(0, end - width);
  return `${start > 0 ? '…' : ''}${chars.slice(start, end).join('')}${end < chars.length ? '…' : ''}`;
}

/** `--format raw|json|TEMPLATE`, default raw (shown as such in --help). */
export function formatOption(): Option {
  return new Option('--format <format>', "raw (the value), json (the whole record) or a template like '{offset} {key} {value}'")
    .argParser(parseFormat)
    .default(DEFAULT_FORMAT, 'raw');
}

/** `--filter` in --help of subscribe and consume: where it runs, and what crosses the network. */
export const FILTER_HELP =
  'only messages matching this predicate (docs/FILTERS.md); it runs on an evq broker, so only matches cross the network; ' +
  'over nats:// and kafka:// it runs in the client, so every message crosses the network';

export const FORMAT_HELP =
  '\nTemplate placeholders: {topic} {partition} {offset} {timestamp} (ms since the epoch) {time} (ISO 8601, UTC)\n' +
  '{key} {value} {headers} (JSON) {headers.NAME}; \\t and \\n are a tab and a newline, {{ and }} literal braces.\n';

/**
 * The other name of a count flag (`--count` on consume, `--limit` on subscribe: a user of one command types
 * the other's): hidden from --help, where the main flag says it. Both with different numbers is a usage error.
 */
export function countAlias(flags: string): Option {
  return new Option(flags).argParser(integerOption(1)).hideHelp();
}

export function mergeCount(main: string, mainValue: number | undefined, alias: string, aliasValue: number | undefined): number | undefined {
  if (mainValue !== undefined && aliasValue !== undefined && mainValue !== aliasValue) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `${main} ${mainValue} and ${alias} ${aliasValue} say different things: give one of them`,
    );
  }
  return mainValue ?? aliasValue;
}

/** `-J, --json` (kcat's -J): the same as --format json. */
export function jsonFormatOption(): Option {
  return new Option('-J, --json', "print each record as one JSON line: the same as --format json (kcat's -J)");
}

/** The record format of `--format` and `-J` together: -J with a --format other than raw or json is a usage error. */
export function formatOf(format: RecordFormat, json: boolean | undefined): RecordFormat {
  if (json !== true) return format;
  if (format.name !== 'raw' && format.name !== 'json') {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `-J (--json) is --format json: give it or --format ${JSON.stringify(format.name)}, not both`,
    );
  }
  return parseFormat('json');
}

/** A size (`512`, `64kb`, `1mb`) from `min` to `max` bytes: out of range is a usage error naming the flag. */
export function sizeInRange(min: number, max: number): (value: string) => number {
  return (value) => {
    const bytes = sizeOption(value);
    if (bytes < min || bytes > max)
      throw new InvalidArgumentError(`expected a size from ${formatSize(min)} to ${formatSize(max)}, got "${value}"`);
    return bytes;
  };
}

/** A duration (`250ms`, `5s`, `2m`) from `min` to `max` ms: out of range is a usage error naming the flag. */
export function durationInRange(min: number, max: number): (value: string) => number {
  return (value) => {
    const ms = durationOption(value);
    if (ms < min || ms > max) {
      throw new InvalidArgumentError(`expected a duration from ${formatDuration(min)} to ${formatDuration(max)}, got "${value}"`);
    }
    return ms;
  };
}
