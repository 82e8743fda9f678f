import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { compileTemplate, parseFormat, recordToJson } from '../../../src/cli/record-format.js';
import type { EvqRecord } from '../../../src/protocol/record.js';

function record(over: Partial<EvqRecord> = {}): EvqRecord {
  return {
    topic: 'orders',
    partition: 0,
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
      partition: 0,
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

  it('{partition} is the partition of the record', () => {
    expect(parseFormat('{partition}:{offset} {value}').format(record({ partition: 2 }))).toBe('2:42 {"amount": 120}');
    expect(parseFormat('{partition}').format(record())).toBe('0');
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
