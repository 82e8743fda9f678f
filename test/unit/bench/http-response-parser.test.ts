import { describe, expect, it } from 'vitest';
import { ResponseParser } from '../../../src/bench/http-response-parser.js';
import { EvqError } from '../../../src/errors.js';

const ok = (body = '{"offset":0}'): string =>
  `HTTP/1.1 201 Created\r\nContent-Type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nDate: x\r\n\r\n${body}`;

function parse(chunks: (string | Buffer)[]): { status: number; body: string | null }[] {
  const out: { status: number; body: string | null }[] = [];
  const parser = new ResponseParser((status, body) => out.push({ status, body: body === null ? null : body.toString() }));
  for (const c of chunks) parser.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return out;
}

describe('ResponseParser', () => {
  it('pipelined responses in one read, bodies of 2xx not kept', () => {
    expect(parse([ok() + ok() + ok('')])).toEqual([
      { status: 201, body: null },
      { status: 201, body: null },
      { status: 201, body: null },
    ]);
  });

  it('responses split at every byte boundary come out the same', () => {
    const errorBody = '{"error":{"code":"EVQ_ERR_MESSAGE_TOO_LARGE","message":"x"}}';
    const error = `HTTP/1.1 413 Payload Too Large\r\nContent-Length: ${errorBody.length}\r\n\r\n${errorBody}`;
    const all = Buffer.from(ok() + error + ok());
    const expected = parse([all]);
    expect(expected.map((r) => r.status)).toEqual([201, 413, 201]);
    expect(expected[1]?.body).toBe(errorBody);
    for (let cut = 1; cut < all.length; cut++) expect(parse([all.subarray(0, cut), all.subarray(cut)])).toEqual(expected);
    expect(parse([...all].map((b) => Buffer.from([b])))).toEqual(expected);
  });

  it('chunked bodies, 204 without a body, and Connection: close', () => {
    const chunked = 'HTTP/1.1 500 Internal\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n';
    const noContent = 'HTTP/1.1 204 No Content\r\n\r\n';
    expect(parse([chunked + noContent + ok()])).toEqual([
      { status: 500, body: 'hello world' },
      { status: 204, body: null },
      { status: 201, body: null },
    ]);
    const parser = new ResponseParser(() => undefined);
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'));
    expect(parser.closing).toBe(true);
  });

  it('what is not an HTTP response is EVQ_ERR_MALFORMED', () => {
    expect(() => parse(['garbage that is not http\r\n\r\n'])).toThrow(EvqError);
    expect(() => parse(['HTTP/1.1 200 OK\r\nX: y\r\n\r\n'])).toThrow(/without Content-Length/);
  });
});
