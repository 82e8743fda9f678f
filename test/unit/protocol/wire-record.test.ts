import { describe, expect, it } from 'vitest';
import { malformedMessage } from '../../helpers/refusal.js';
import { fromWireRecord, parseRecordLines, toWireRecord } from '../../../src/protocol/wire-record.js';

const ok = { topic: 't', offset: 3, timestamp: 1767225600000, key: null, headers: null, value: 'v' };

describe('fromWireRecord', () => {
  it('is the inverse of toWireRecord, headers without a prototype, the topic taken from the line', () => {
    const record = fromWireRecord({ ...ok, topic: 'orders', key: 'k', headers: { a: 'b' } }, 'fallback');
    expect(record).toEqual({
      topic: 'orders',
      partition: 0,
      offset: 3,
      timestamp: 1767225600000,
      key: 'k',
      headers: { a: 'b' },
      value: Buffer.from('v'),
    });
    expect(Object.getPrototypeOf(record.headers)).toBeNull();
    expect(toWireRecord(record)).toEqual({ ...ok, topic: 'orders', partition: 0, key: 'k', headers: { a: 'b' } });
    expect(fromWireRecord({ ...ok, topic: undefined }, 'fallback').topic).toBe('fallback');
  });

  it('refuses each malformed field, naming it', () => {
    const cases: [unknown, string][] = [
      [[1], 'malformed record: a record is a JSON object'],
      [{ ...ok, offset: '3' }, 'malformed record: "offset" must be a whole number >= 0'],
      [{ ...ok, offset: -1 }, 'malformed record: "offset" must be a whole number >= 0'],
      [{ ...ok, timestamp: 1.5 }, 'malformed record: "timestamp" must be a whole number of milliseconds >= 0'],
      [{ ...ok, key: 5 }, 'malformed record: "key" must be a string or null'],
      [{ ...ok, value: undefined }, 'malformed record: a record needs "value" or "valueBase64": a string'],
      [{ ...ok, headers: 'h' }, 'malformed record: "headers" must be an object of strings or null'],
      [{ ...ok, headers: { a: 1 } }, 'malformed record: header "a" must be a string'],
    ];
    for (const [wire, message] of cases)
      expect(
        malformedMessage(() => fromWireRecord(wire, 't')),
        JSON.stringify(wire),
      ).toBe(message);
    expect(
      malformedMessage(() => fromWireRecord(JSON.parse('{"offset":0,"timestamp":0,"value":"","headers":{"__proto__":"x"}}'), 't')),
    ).toBe('malformed record: "__proto__" cannot be a header name');
  });
});

describe('parseRecordLines', () => {
  it('reads one record per line, skipping blank lines', () => {
    const body = Buffer.from(`${JSON.stringify(ok)}\n\n \t\r\n${JSON.stringify({ ...ok, offset: 4, valueBase64: 'AP8=' })}\r\n  `);
    expect(parseRecordLines(body, 't').map((r) => [r.offset, r.value])).toEqual([
      [3, Buffer.from('v')],
      [4, Buffer.from([0x00, 0xff])],
    ]);
  });

  it('names the line of a malformed record', () => {
    const body = Buffer.from(`${JSON.stringify(ok)}\n{"offset":\n`);
    expect(malformedMessage(() => parseRecordLines(body, 'orders'))).toBe('malformed record: line 2 of the read of "orders" is not JSON');
    const bad = Buffer.from(`${JSON.stringify(ok)}\n${JSON.stringify({ ...ok, offset: null })}\n`);
    expect(malformedMessage(() => parseRecordLines(bad, 'orders'))).toBe(
      'malformed record: line 2 of the read of "orders": "offset" must be a whole number >= 0',
    );
  });
});
