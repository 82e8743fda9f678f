import { expect } from 'vitest';
import { EvqError } from '../../src/errors.js';

/** The code and message of the EvqError `fn` throws; fails the test when it throws something else or nothing. */
export function refusal(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EvqError);
    return { code: (error as EvqError).code, message: (error as EvqError).message };
  }
  throw new Error('expected a refusal, nothing was thrown');
}

/** The message of the EVQ_ERR_MALFORMED error `fn` throws. */
export function malformedMessage(fn: () => unknown): string {
  const { code, message } = refusal(fn);
  expect(code).toBe('EVQ_ERR_MALFORMED');
  return message;
}
