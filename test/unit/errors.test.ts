import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  EXIT,
  EvqConnectionError,
  EvqError,
  EvqFilterError,
  EvqStorageError,
  EvqUsageError,
  errorFromBody,
  errorFromWire,
  type EvqErrorCode,
} from '../../src/errors.js';

const codes = Object.keys(ERROR_CODES) as EvqErrorCode[];

describe('error codes', () => {
  it('are unique and all spelled EVQ_ERR_*', () => {
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^EVQ_ERR_[A-Z_]+$/);
  });

  it('each map to one HTTP error status and one CLI exit code', () => {
    for (const code of codes) {
      const { status, exit } = ERROR_CODES[code];
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect([EXIT.failure, EXIT.usage], code).toContain(exit);
      const err = new EvqError(code, 'x');
      expect(err.status).toBe(status);
      expect(err.exitCode).toBe(exit);
    }
  });

  it('usage errors exit 2 and are client errors (4xx)', () => {
    for (const code of codes) {
      if (ERROR_CODES[code].exit === EXIT.usage) expect(ERROR_CODES[code].status).toBe(400);
    }
  });
});

describe('EvqError', () => {
  it('keeps its code, message and cause', () => {
    const cause = new Error('ECONNREFUSED');
    const err = new EvqConnectionError('EVQ_ERR_UNREACHABLE', 'no broker answers', { cause });
    expect(err).toBeInstanceOf(EvqError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('EVQ_ERR_UNREACHABLE');
    expect(err.message).toBe('no broker answers');
    expect(err.cause).toBe(cause);
    expect(err.name).toBe('EvqConnectionError');
  });

  it('filter errors carry their column', () => {
    const err = new EvqFilterError('invalid filter at column 3: expected a value', 3);
    expect(err).toBeInstanceOf(EvqUsageError);
    expect(err.code).toBe('EVQ_ERR_INVALID_FILTER');
    expect(err.column).toBe(3);
    expect(err.exitCode).toBe(2);
  });

  it('errors received over the wire come back as the right subclass', () => {
    expect(errorFromWire('EVQ_ERR_INVALID_TOPIC', 'bad topic')).toBeInstanceOf(EvqUsageError);
    expect(errorFromWire('EVQ_ERR_TIMEOUT', 't')).toBeInstanceOf(EvqConnectionError);
    expect(errorFromWire('EVQ_ERR_STORAGE', 'disk full')).toBeInstanceOf(EvqStorageError);
    const unknown = errorFromWire('SOMETHING_ELSE', 'odd');
    expect(unknown.code).toBe('EVQ_ERR_INTERNAL');
    expect(unknown.message).toBe('odd');
    expect(errorFromWire('__proto__', undefined).code).toBe('EVQ_ERR_INTERNAL');
  });
});

describe('errorFromBody', () => {
  it('reads evq error bodies and nothing else', () => {
    const error = errorFromBody(Buffer.from('{"error":{"code":"EVQ_ERR_INVALID_TOPIC","message":"bad name"}}'));
    expect(error).toBeInstanceOf(EvqUsageError);
    expect(error).toMatchObject({ code: 'EVQ_ERR_INVALID_TOPIC', message: 'bad name' });
    expect(errorFromBody('{"error":{"code":"NOPE","message":"x"}}')).toMatchObject({ code: 'EVQ_ERR_INTERNAL' });
    for (const other of [
      null,
      undefined,
      '',
      '<html>502</html>',
      '{"error":null}',
      '{"ok":true}',
      'null',
      '{"error":{"message":"no code"}}',
    ]) {
      expect(errorFromBody(other)).toBeUndefined();
    }
  });
});
