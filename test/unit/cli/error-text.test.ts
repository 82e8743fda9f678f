import { describe, expect, it } from 'vitest';
import { explainError } from '../../../src/cli/error-text.js';
import { EvqError, EvqUsageError } from '../../../src/errors.js';

describe('explainError', () => {
  const url = 'http://127.0.0.1:7070';
  it('an unreachable broker names the URL and suggests evq serve', () => {
    const err = explainError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), url) as EvqError;
    expect(err.code).toBe('EVQ_ERR_UNREACHABLE');
    expect(err.message).toMatch(/no evq broker answers at http:\/\/127\.0\.0\.1:7070 \(ECONNREFUSED\): start one with `evq serve`/);
  });

  it('keeps a client error that already names the URL', () => {
    const original = new EvqError('EVQ_ERR_TIMEOUT', `the evq broker at ${url} did not answer within 10 s`);
    expect(explainError(original, url)).toBe(original);
  });

  it('a refused token says how to pass one', () => {
    const err = explainError(new EvqError('EVQ_ERR_UNAUTHORIZED', 'missing or invalid token'), url) as EvqError;
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/needs a valid token \(--token or EVQ_TOKEN\)/);
  });

  it('leaves other errors as they are', () => {
    const usage = new EvqUsageError('EVQ_ERR_INVALID_FILTER', 'bad filter at column 3');
    expect(explainError(usage, url)).toBe(usage);
  });
});
