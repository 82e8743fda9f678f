import { PassThrough, Writable } from 'node:stream';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { brokerUrl, compileTemplate, explainError, LinePrinter, parseFormat, recordToJson } from '../../../src/cli/format.js';
import { EvqError, EvqUsageError } from '../../../src/errors.js';
import type { EvqRecord } from '../../../src/protocol/record.js';

function record(over: Partial<EvqRecord> = {}): EvqRecord {
  return {
    topic: 'orders',
    offset: 42,
    timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    key: 'c-7',
    headers: Object.assign(Object.create(null) as Record<string, string>, { type: 'deposit' }),
    value: Buffer.from('{"amount": 120}'),
    ...over,
  };
}

describe('parseFormat', () => {
  it('raw prints the value bytes as they are', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x0a, 0x41]);
    expect(parseFormat('raw').format(record({ value: bytes }))).toEqual(bytes);
  });

  it('json prints the record as an NDJSON read line, base64 for bytes that are not UTF-8', () => {
    expect(JSON.parse(parseFormat('json').format(record()) as string)).toEqual({
      topic: 'orders',
      offset: 42,
      timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      key: 'c-7',
      headers: { type: 'deposit' },
      value: '{"amount": 120}',
    });
    const binary = JSON.parse(recordToJson(record({ value: Buffer.from([0xff, 0xfe]), key: null, headers: null })));
    expect(binary).toMatchObject({ key: null, headers: null, valueBase64: '//4=' });
    expect(binary.value).toBeUndefined();
  });

  it('templates fill every placeholder', () => {
    const line = parseFormat('{topic} {offset} {timestamp} {time} {key} {value} {headers} {headers.type}').format(record());
    expect(line).toBe(
      `orders 42 ${Date.UTC(2026, 0, 2, 3, 4, 5, 678)} 2026-01-02T03:04:05.678Z c-7 {"amount": 120} {"type":"deposit"} deposit`,
    );
  });

  it('a null key and missing headers print as empty text and {}', () => {
    expect(parseFormat('[{key}] {headers} [{headers.none}]').format(record({ key: null, headers: null }))).toBe('[] {} []');
  });

  it('reads \\t, \\n, \\\\ and doubled braces', () => {
    expect(compileTemplate('{offset}\\t{key}\\n{{x}} \\\\').format(record())).toBe('42\tc-7\n{x} \\');
  });

  it.each([
    ['{nope}', /unknown placeholder \{nope\}.*\{offset\}/],
    ['{offset', /unclosed "\{" at column 1/],
    ['x} {offset}', /unmatched "\}" at column 2/],
    ['jsn', /expected raw, json or a template/],
  ])('%s is a usage error that says what is allowed', (text, message) => {
    expect(() => parseFormat(text)).toThrow(InvalidArgumentError);
    expect(() => parseFormat(text)).toThrow(message);
  });
});

function sink(): { stream: PassThrough; text: () => string; chunks: Buffer[] } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, chunks, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('LinePrinter', () => {
  it('writes lines in chunks, with a newline each', async () => {
    const out = sink();
    const printer = new LinePrinter(out.stream);
    for (let i = 0; i < 10_000; i++) await printer.line(i % 2 === 0 ? `line ${i}` : Buffer.from(`line ${i}`));
    await printer.end();
    const lines = out.text().split('\n');
    expect(lines).toHaveLength(10_001);
    expect(lines[9_999]).toBe('line 9999');
    expect(out.chunks.length).toBeLessThan(10); // coalesced, not one write per line
  });

  it('copies each line: a buffer reused after line() does not change what is printed', async () => {
    const out = sink();
    const printer = new LinePrinter(out.stream);
    const reused = Buffer.from('aaaa');
    void printer.line(reused);
    reused.fill('b');
    void printer.line(reused);
    await printer.end();
    expect(out.text()).toBe('aaaa\nbbbb\n');
  });

  it('writes a line larger than a chunk whole', async () => {
    const out = sink();
    const printer = new LinePrinter(out.stream);
    void printer.line('x');
    const big = 'y'.repeat(LinePrinter.CHUNK_BYTES * 2);
    void printer.line(big);
    void printer.line('z');
    await printer.end();
    expect(out.text()).toBe(`x\n${big}\nz\n`);
  });

  it('passes backpressure on: line() returns a promise while the stream is full', async () => {
    let release: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, cb) {
        release = cb;
      },
    });
    const printer = new LinePrinter(slow);
    let wait: Promise<void> | undefined;
    for (let i = 0; i < 1000 && wait === undefined; i++) wait = printer.line('x'.repeat(200));
    expect(wait).toBeInstanceOf(Promise);
    let drained = false;
    void wait!.then(() => (drained = true));
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    release?.();
    await wait;
    expect(drained).toBe(true);
  });

  it('a reader that went away (EPIPE) marks it broken and calls back once, never throws', async () => {
    const stream = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    let calls = 0;
    const printer = new LinePrinter(stream, () => calls++);
    void printer.line('a'.repeat(70_000));
    await new Promise((r) => setImmediate(r));
    expect(printer.broken).toBe(true);
    void printer.line('more');
    await printer.end();
    expect(calls).toBe(1);
  });
});

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

describe('brokerUrl', () => {
  it('accepts http, https and ws URLs and drops a trailing slash', () => {
    expect(brokerUrl('http://127.0.0.1:7070/')).toBe('http://127.0.0.1:7070');
    expect(brokerUrl('ws://localhost:1')).toBe('ws://localhost:1');
  });
  it('refuses what is not one, as a usage error', () => {
    expect(() => brokerUrl('localhost:7070')).toThrow(/invalid --url "localhost:7070"/);
    expect(() => brokerUrl('nonsense')).toThrow(EvqUsageError);
  });
});
