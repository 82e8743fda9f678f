import { describe, expect, it } from 'vitest';
import { refusal } from '../../helpers/refusal.js';
import { controlIds, decodeBrokerControl, decodeClientControl, encodeControl, parseControlJson } from '../../../src/protocol/ws-control.js';

const client = (frame: unknown) => () => decodeClientControl(parseControlJson(JSON.stringify(frame)));
const broker = (frame: unknown) => () => decodeBrokerControl(parseControlJson(JSON.stringify(frame)));

describe('parseControlJson', () => {
  it.each(['not json', '[1,2]', 'null', '"subscribe"', '{}', '{"op":5}'])('refuses %s as a frame without an "op"', (text) => {
    expect(refusal(() => parseControlJson(text))).toEqual({
      code: 'EVQ_ERR_MALFORMED',
      message: 'a text frame must be a JSON object with an "op"',
    });
  });
});

describe('controlIds', () => {
  it('keeps only ids that are whole numbers from 0 to 2^32 - 1', () => {
    expect(controlIds({ op: 'x', sub: 3, req: 0xffffffff })).toEqual({ sub: 3, req: 0xffffffff });
    expect(controlIds({ op: 'x', sub: -1, req: 2 ** 32 })).toEqual({});
    expect(controlIds({ op: 'x', sub: 1.5, req: '7' })).toEqual({});
  });
});

describe('decodeClientControl (what the broker accepts)', () => {
  it('refuses an unknown op, naming the ones it knows', () => {
    expect(refusal(client({ op: 'publish' }))).toEqual({
      code: 'EVQ_ERR_MALFORMED',
      message: 'unknown op: use subscribe, unsubscribe or produce',
    });
    expect(refusal(client({ op: '__proto__' })).code).toBe('EVQ_ERR_MALFORMED');
  });

  it.each([undefined, -1, 1.5, 2 ** 32, '1', null])('subscribe: refuses sub %s', (sub) => {
    expect(refusal(client({ op: 'subscribe', sub, topic: 't' }))).toEqual({
      code: 'EVQ_ERR_MALFORMED',
      message: 'subscribe needs "sub": a whole number from 0 to 4294967295',
    });
  });

  it('subscribe: checks the topic type, the position and the filter type with their own codes', () => {
    expect(refusal(client({ op: 'subscribe', sub: 1, topic: 5 })).message).toBe('subscribe needs "topic": a string');
    expect(refusal(client({ op: 'subscribe', sub: 1, topic: 't', from: -3 })).code).toBe('EVQ_ERR_INVALID_OFFSET');
    expect(refusal(client({ op: 'subscribe', sub: 1, topic: 't', from: 'beginning' })).code).toBe('EVQ_ERR_INVALID_OFFSET');
    expect(refusal(client({ op: 'subscribe', sub: 1, topic: 't', filter: 42 }))).toEqual({
      code: 'EVQ_ERR_INVALID_FILTER',
      message: 'the filter must be a string',
    });
    expect(client({ op: 'subscribe', sub: 1, topic: 't', from: '5', filter: null, extra: true })()).toEqual({
      op: 'subscribe',
      sub: 1,
      topic: 't',
      from: 5,
    });
  });

  it('unsubscribe: refuses a frame without a valid sub', () => {
    expect(refusal(client({ op: 'unsubscribe' }))).toEqual({
      code: 'EVQ_ERR_MALFORMED',
      message: 'unsubscribe needs "sub": a whole number from 0 to 4294967295',
    });
  });

  it('produce: refuses each malformed field', () => {
    const ok = { op: 'produce', req: 1, topic: 't', messages: [{ value: 'v' }] };
    const cases: [Record<string, unknown>, string][] = [
      [{ req: undefined }, 'produce needs "req": a whole number from 0 to 4294967295'],
      [{ req: -1 }, 'produce needs "req": a whole number from 0 to 4294967295'],
      [{ topic: null }, 'produce needs "topic": a string'],
      [{ messages: 'v' }, 'produce needs "messages": an array'],
      [{ messages: ['v'] }, 'malformed produce: each message is an object with "value"'],
      [{ messages: [[]] }, 'malformed produce: each message is an object with "value"'],
      [{ messages: [{ value: 5 }] }, 'malformed produce: "value" must be a string'],
      [{ messages: [{ value: 'v', key: 5 }] }, 'malformed produce: "key" must be a string'],
      [{ messages: [{ value: 'v', headers: { a: 1 } }] }, 'malformed produce: header "a" must be a string'],
      [{ messages: [{ value: 'v', headers: ['a'] }] }, 'malformed produce: "headers" must be an object of strings or null'],
      [{ delayMs: -5 }, '"delayMs" of produce must be a number of milliseconds >= 0'],
      [{ delayMs: '5s' }, '"delayMs" of produce must be a number of milliseconds >= 0'],
      [{ dueAt: 'soon' }, '"dueAt" of produce must be a number of milliseconds >= 0'],
      [{ delayMs: 5, dueAt: 10 }, 'produce takes "delayMs" or "dueAt", not both'],
      [{ idempotencyKey: 7 }, '"idempotencyKey" of produce must be a string'],
    ];
    for (const [change, message] of cases) {
      expect(refusal(client({ ...ok, ...change })), JSON.stringify(change)).toEqual({ code: 'EVQ_ERR_MALFORMED', message });
    }
  });

  it('produce: headers come back without a prototype, and a "__proto__" header is refused', () => {
    const frame = client({ op: 'produce', req: 1, topic: 't', messages: [{ value: 'v', headers: { a: 'b' } }] })();
    expect(frame.op === 'produce' && Object.getPrototypeOf(frame.messages[0]!.headers)).toBeNull();
    const text = '{"op":"produce","req":1,"topic":"t","messages":[{"value":"v","headers":{"__proto__":"x"}}]}';
    expect(refusal(() => decodeClientControl(parseControlJson(text))).message).toBe(
      'malformed produce: "__proto__" cannot be a header name',
    );
  });
});

describe('decodeBrokerControl (what the client accepts)', () => {
  it('ignores an op it does not know (a newer broker), returning null', () => {
    expect(broker({ op: 'hello', anything: 1 })()).toBeNull();
    expect(broker({ op: 'toString' })()).toBeNull();
  });

  it('refuses a known kind with a field of the wrong type or range', () => {
    const cases: [unknown, string][] = [
      [{ op: 'subscribed', sub: 1, topic: 't', offset: -1 }, 'subscribed needs "offset": a whole number >= 0'],
      [{ op: 'subscribed', sub: 1, offset: 0 }, 'subscribed needs "topic": a string'],
      [{ op: 'unsubscribed', sub: 'x' }, 'unsubscribed needs "sub": a whole number from 0 to 4294967295'],
      [{ op: 'ack', req: '1', baseOffset: 0, lastOffset: 0 }, 'ack needs "req": a whole number from 0 to 4294967295'],
      [{ op: 'ack', req: 1, baseOffset: 0 }, 'ack needs "lastOffset": a whole number >= -1'],
      [{ op: 'ack', req: 1, baseOffset: -1, lastOffset: -1 }, 'ack of request 1 has invalid offsets -1..-1'],
      [{ op: 'ack', req: 1, baseOffset: 5, lastOffset: 4 }, 'ack of request 1 has invalid offsets 5..4'],
      [{ op: 'ack', req: 1, baseOffset: 0, lastOffset: 0, duplicate: 'no' }, '"duplicate" of ack must be true or false'],
      [{ op: 'error', message: 'm' }, 'error needs "code": a string'],
      [{ op: 'error', code: 'EVQ_ERR_X', message: 'm', req: -2 }, 'error needs "req": a whole number from 0 to 4294967295'],
      [{ op: 'closed', code: 'c', message: 'm' }, 'closed needs "sub": a whole number from 0 to 4294967295'],
    ];
    for (const [frame, message] of cases) {
      expect(refusal(broker(frame)), JSON.stringify(frame)).toEqual({ code: 'EVQ_ERR_MALFORMED', message });
    }
  });

  it('takes a delayed ack with -1 offsets', () => {
    expect(broker({ op: 'ack', req: 3, baseOffset: -1, lastOffset: -1, delayed: true })()).toEqual({
      op: 'ack',
      req: 3,
      baseOffset: -1,
      lastOffset: -1,
      delayed: true,
    });
  });
});

describe('encodeControl', () => {
  it('writes the fields of a kind in their fixed order and leaves out undefined ones', () => {
    expect(encodeControl({ message: 'm', code: 'C', req: 1, op: 'error' } as never)).toBe(
      '{"op":"error","req":1,"code":"C","message":"m"}',
    );
    expect(encodeControl({ op: 'subscribe', sub: 1, topic: 't', from: undefined })).toBe('{"op":"subscribe","sub":1,"topic":"t"}');
  });
});
