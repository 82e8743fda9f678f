import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  topicAbsence,
  topicNotFound,
  type EvqErrorCode,
} from '../../src/errors.js';

const codes = Object.keys(ERROR_CODES) as EvqErrorCode[];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The codes there are. A new code is a change of the protocol: it needs this count raised, a row in the
 * table of docs/PROTOCOL.md, and its status and exit code in src/errors.ts (fastify pins its errors the same way).
 */
const CODE_COUNT = 27;

/** The rows of the "Error codes" table of docs/PROTOCOL.md: each row's codes with its status and exit code. */
function documentedCodes(): { code: string; status: number; exit: number }[] {
  const doc = readFileSync(join(ROOT, 'docs/PROTOCOL.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Error codes'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('|')));
  const rows: { code: string; status: number; exit: number }[] = [];
  for (const line of table.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !/^\d+$/.test(cells[2] as string)) continue;
    for (const [code] of (cells[1] as string).matchAll(/EVQ_ERR_[A-Z_]+/g))
      rows.push({ code, status: Number(cells[2]), exit: Number(cells[3]) });
  }
  return rows;
}

/** Every `'EVQ_ERR_…'` string in the sources: the values the code base uses. */
function codesUsedInSource(): Set<string> {
  const used = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts'))
        for (const [, code] of readFileSync(path, 'utf8').matchAll(/['"`](EVQ_ERR_[A-Z_]+)['"`]/g)) used.add(code as string);
    }
  };
  walk(join(ROOT, 'src'));
  return used;
}

describe('error codes', () => {
  it(`are ${CODE_COUNT}, each declared once and spelled EVQ_ERR_*`, () => {
    expect(codes).toHaveLength(CODE_COUNT);
    // the keys as written in src/errors.ts: a key written twice would silently keep only its last status
    const source = readFileSync(join(ROOT, 'src/errors.ts'), 'utf8');
    const block = source.slice(source.indexOf('export const ERROR_CODES = {'), source.indexOf('} as const satisfies'));
    const declared = [...block.matchAll(/^\s*(EVQ_ERR_[A-Z_]+)\s*:/gm)].map((m) => m[1]);
    expect(declared).toEqual(codes);
    expect(new Set(declared).size).toBe(CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^EVQ_ERR_[A-Z_]+$/);
  });

  it('are each used as a value only as declared: no code in the sources that the table lacks', () => {
    const unknown = [...codesUsedInSource()].filter((code) => !(code in ERROR_CODES));
    expect(unknown).toEqual([]);
  });

  it('each appear once in the table of docs/PROTOCOL.md, with the status and exit code of src/errors.ts', () => {
    const rows = documentedCodes();
    for (const code of codes) {
      const documented = rows.filter((r) => r.code === code);
      expect(documented, `${code} in docs/PROTOCOL.md`).toHaveLength(1);
      expect({ status: documented[0]?.status, exit: documented[0]?.exit }, code).toEqual(ERROR_CODES[code]);
    }
    // and the document names no code there is not
    const doc = readFileSync(join(ROOT, 'docs/PROTOCOL.md'), 'utf8');
    const named = new Set([...doc.matchAll(/EVQ_ERR_[A-Z_]+/g)].map((m) => m[0]));
    expect([...named].filter((code) => !(code in ERROR_CODES))).toEqual([]);
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

  it("keeps a topic 404's reason, which topicAbsence reads before the message's words", () => {
    const body = (details: unknown, message = 'topic "t" is not here'): string =>
      JSON.stringify({ error: { code: 'EVQ_ERR_NOT_FOUND', message, details } });
    expect(topicAbsence(errorFromBody(body({ reason: 'deleted' })))).toBe('deleted');
    expect(topicAbsence(errorFromBody(body({ reason: 'missing' })))).toBe('missing');
    // a reason this version does not know is dropped; a broker older than details is read by its words
    expect(errorFromBody(body({ reason: 'exploded' }))?.details).toBeUndefined();
    expect(topicAbsence(errorFromBody(body(undefined, 'topic "t" was deleted')))).toBe('deleted');
    expect(topicAbsence(errorFromBody(body(undefined, 'topic "t" does not exist')))).toBe('missing');
    expect(topicAbsence(errorFromBody(body(undefined, 'group "g" has no committed offset on "t"')))).toBeUndefined();
    expect(topicAbsence(new EvqError('EVQ_ERR_TIMEOUT', 'topic "t" does not exist'))).toBeUndefined();
    // what the broker sends
    expect(topicNotFound('t', 'deleted')).toMatchObject({ message: 'topic "t" was deleted', details: { reason: 'deleted' } });
  });
});
