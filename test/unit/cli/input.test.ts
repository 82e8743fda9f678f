import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineSplitter, lineParser, openInput, parseJsonLine, readLines, readMessages } from '../../../src/cli/input.js';
import { parseFormat } from '../../../src/cli/record-format.js';
import { EvqError, EvqUsageError } from '../../../src/errors.js';
import { expectQuietFor } from '../../helpers/wait.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const text = (lines: Buffer[]): string[] => lines.map((l) => l.toString('utf8'));

describe('LineSplitter / readLines', () => {
  it('splits at \\n across chunk boundaries, byte for byte', async () => {
    const chunks = ['a', 'b\nc', 'd\n\ne', '\r\n', 'last'].map((s) => Buffer.from(s));
    expect(text(await collect(readLines(Readable.from(chunks))))).toEqual(['ab', 'cd', '', 'e\r', 'last']);
  });

  it('a trailing newline does not make an empty last message', async () => {
    expect(text(await collect(readLines(Readable.from([Buffer.from('x\ny\n')]))))).toEqual(['x', 'y']);
    expect(await collect(readLines(Readable.from([])))).toEqual([]);
  });

  it('keeps a multi-byte character split across chunks intact', async () => {
    const bytes = Buffer.from('é€\n');
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3)];
    expect(text(await collect(readLines(Readable.from(chunks))))).toEqual(['é€']);
  });

  it('refuses a line longer than the limit, naming it, without holding it', () => {
    const splitter = new LineSplitter(8);
    expect(splitter.push(Buffer.from('ok\n1234'))).toHaveLength(1);
    expect(() => splitter.push(Buffer.from('56789'))).toThrow(/line 2 is longer than 8 bytes/);
  });

  it('pulls the source only as fast as lines are taken (backpressure)', async () => {
    let reads = 0;
    const line = Buffer.from(`${'x'.repeat(99)}\n`);
    const chunk = Buffer.concat(Array.from({ length: 100 }, () => line)); // 100 lines of 100 bytes
    const source = new Readable({
      highWaterMark: 16 * 1024,
      read() {
        reads++;
        this.push(chunk);
      },
    });
    const lines = readLines(source);
    for (let i = 0; i < 1000; i++) await lines.next(); // 10 chunks' worth
    // an endless source: only the chunks needed plus the stream's own small buffer are read, also a while later
    await expectQuietFor(20, 'no more than 13 chunks read', () => reads >= 10 + 4);
    expect(reads).toBeLessThan(10 + 4);
    await lines.return(undefined);
    source.destroy();
  });
});

describe('lineParser', () => {
  it('a line is the value; --key and --header apply to every message', () => {
    const parse = lineParser({ key: 'k', headers: { type: 'deposit' } });
    const m = parse(Buffer.from('hello'));
    expect(m.value.toString()).toBe('hello');
    expect(m).toMatchObject({ key: 'k', headers: { type: 'deposit' } });
    expect(lineParser({})(Buffer.from('x'))).toMatchObject({ key: null, headers: null });
  });

  it('--key-delimiter splits at the first delimiter (kcat -K); a line without it has no key', () => {
    const parse = lineParser({ keyDelimiter: '::' });
    const a = parse(Buffer.from('user-1::{"a":1}::x'));
    expect(a.key).toBe('user-1');
    expect(a.value.toString()).toBe('{"a":1}::x');
    const b = parse(Buffer.from('no delimiter'));
    expect(b.key).toBeNull();
    expect(b.value.toString()).toBe('no delimiter');
  });

  it('--json reads what consume --format json prints: key, headers and value (or valueBase64)', () => {
    const json = parseFormat('json');
    const original = {
      topic: 't',
      partition: 0,
      offset: 3,
      timestamp: 1,
      key: 'k',
      headers: Object.assign(Object.create(null) as Record<string, string>, { a: '1' }),
      value: Buffer.from([0xff, 0x01]),
    };
    const back = parseJsonLine(Buffer.from(json.format(original) as string));
    expect(back.key).toBe('k');
    expect({ ...back.headers }).toEqual({ a: '1' });
    expect(Buffer.from(back.value)).toEqual(original.value);
    expect(parseJsonLine(Buffer.from('{"value": {"n": 1}}')).value).toBe('{"n":1}');
  });

  it('--json: the record wins over --key; headers are merged', () => {
    const parse = lineParser({ json: true, key: 'default', headers: { a: 'flag', b: 'flag' } });
    const m = parse(Buffer.from('{"key": "own", "headers": {"a": "own"}, "value": "v"}'));
    expect(m.key).toBe('own');
    expect({ ...m.headers }).toEqual({ a: 'own', b: 'flag' });
    expect(parse(Buffer.from('{"value": "v"}')).key).toBe('default');
  });

  it.each([
    ['not json', /not valid JSON/],
    ['[1]', /expected a JSON object/],
    ['{"key": "k"}', /missing "value"/],
    ['{"value": "v", "key": 3}', /"key" must be a string/],
    ['{"value": "v", "headers": {"__proto__": "x"}}', /cannot be a header name/],
    ['{"value": "v", "headers": {"a": 1}}', /must be a string/],
    ['{"valueBase64": "@@@@"}', /"valueBase64" is not valid base64/],
    ['{"valueBase64": "A"}', /"valueBase64" is not valid base64/],
    ['{"valueBase64": "AB=="}', /"valueBase64" is not valid base64/],
  ])('--json refuses %s', (line, message) => {
    expect(() => parseJsonLine(Buffer.from(line))).toThrow(message);
  });
});

describe('readMessages', () => {
  it('a bad line ends the input with EVQ_ERR_MALFORMED naming its line', async () => {
    const source = Readable.from([Buffer.from('{"value":"a"}\nnope\n')]);
    await expect(collect(readMessages(source, lineParser({ json: true })))).rejects.toThrow(/line 2: not valid JSON/);
    const again = Readable.from([Buffer.from('{"value":"a"}\nnope\n')]);
    await expect(collect(readMessages(again, lineParser({ json: true })))).rejects.toBeInstanceOf(EvqError);
  });

  it('a --json line with bad base64 ends the input naming its line, instead of storing other bytes', async () => {
    const source = Readable.from([Buffer.from('{"valueBase64":"AAEC"}\n{"valueBase64":"@@@@"}\n{"valueBase64":"A"}\n')]);
    await expect(collect(readMessages(source, lineParser({ json: true })))).rejects.toThrow(/^line 2: "valueBase64" is not valid base64/);
  });

  it('with a handler, bad lines go to it and the rest are produced', async () => {
    const bad: Array<[string, number, string]> = [];
    const source = Readable.from([Buffer.from('{"value":"a"}\nnope\n{"value":"b"}')]);
    const messages = await collect(readMessages(source, lineParser({ json: true }), (line, n, why) => bad.push([line.toString(), n, why])));
    expect(messages.map((m) => m.value)).toEqual(['a', 'b']);
    expect(bad).toEqual([['nope', 2, expect.stringMatching(/not valid JSON/)]]);
  });
});

describe('openInput', () => {
  it('stdin for none or -, the file otherwise; a missing file is a usage error', async () => {
    const stdin = Readable.from([]);
    expect(await openInput(undefined, stdin)).toBe(stdin);
    expect(await openInput('-', stdin)).toBe(stdin);
    const dir = await mkdtemp(join(tmpdir(), 'evq-input-'));
    try {
      await writeFile(join(dir, 'm.txt'), 'a\nb\n');
      expect(text(await collect(readLines(await openInput(join(dir, 'm.txt')))))).toEqual(['a', 'b']);
      await expect(openInput(join(dir, 'missing.txt'))).rejects.toThrow(/cannot read --file .*missing\.txt: no such file/);
      await expect(openInput(dir)).rejects.toBeInstanceOf(EvqUsageError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
