/**
 * Exponential backoff with jitter, for reconnecting and retrying: 100 ms, 200 ms, 400 ms, … up to a ceiling,
 * each spread by ±jitter so that many clients that lost the same broker do not come back in lockstep.
 * Pure apart from {@link sleep}, which waits on a timer.
 */

import { EvqUsageError } from '../errors.js';

export interface BackoffOptions {
  /** First delay, ms (default 100). */
  initialMs?: number;
  /** Largest delay, ms (default 5,000). */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Spread of each delay, as a fraction of it: 0.2 = ±20% (default 0.2). */
  jitter?: number;
  /** Source of randomness in [0, 1) (default Math.random); tests pass a fixed one. */
  random?: () => number;
}

export const DEFAULT_BACKOFF = { initialMs: 100, maxMs: 5000, factor: 2, jitter: 0.2 } as const;

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #attempts = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = positive('initialMs', options.initialMs ?? DEFAULT_BACKOFF.initialMs);
    this.#maxMs = positive('maxMs', options.maxMs ?? DEFAULT_BACKOFF.maxMs);
    this.#factor = positive('factor', options.factor ?? DEFAULT_BACKOFF.factor);
    const jitter = options.jitter ?? DEFAULT_BACKOFF.jitter;
    if (!(jitter >= 0 && jitter <= 1)) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `backoff jitter must be from 0 to 1, got ${String(jitter)}`);
    }
    if (this.#factor < 1) throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `backoff factor must be >= 1, got ${this.#factor}`);
    this.#jitter = jitter;
    this.#random = options.random ?? Math.random;
  }

  /** Delays handed out since the last reset. */
  get attempts(): number {
    return this.#attempts;
  }

  /** The delay before the next attempt, ms (whole, never above `maxMs`), and counts the attempt. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * this.#factor ** this.#attempts);
    this.#attempts++;
    const spread = base * this.#jitter * (this.#random() * 2 - 1);
    return Math.max(0, Math.min(this.#maxMs, Math.round(base + spread)));
  }

  /** Starts over from `initialMs` (after a success). */
  reset(): void {
    this.#attempts = 0;
  }
}

/**
 * Waits `ms`; resolves true when the time passed, false at once when `signal` aborts (before or during the
 * wait). Never rejects.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted === true) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function positive(name: string, value: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `backoff ${name} must be a number > 0, got ${String(value)}`);
  }
  return value;
}
