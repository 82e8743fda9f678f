import { InvalidArgumentError } from './commander.js';
import { formatDuration, parseDuration } from '../core/durations.js';
import { formatSize, parseSize } from '../core/sizes.js';
import { EvqError } from '../errors.js';

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

export const durationOption = wrap(parseDuration);
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
