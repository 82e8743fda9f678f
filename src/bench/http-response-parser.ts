/**
 * A minimal streaming parser of HTTP/1.1 responses, for the HTTP load generator's pipelined connections: it
 * finds where each response ends (Content-Length or chunked) and reports its status — and its body, when the
 * status is not 2xx, so the error can be told. It reads bytes in place (no string per response on the 2xx
 * path); a head split across reads is joined once.
 */

import { EvqError } from '../errors.js';

const CR = 13;
const LF = 10;
const HEAD_END = Buffer.from('\r\n\r\n');
/** Longest response head accepted. */
const MAX_HEAD_BYTES = 64 * 1024;

const CONTENT_LENGTH = Buffer.from('content-length');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding');
const CONNECTION = Buffer.from('connection');

/** Whether the header line at `at` is `name:` (any case), without making a string. */
function nameIs(buf: Buffer, at: number, name: Buffer): boolean {
  const n = name.length;
  if (buf[at + n] !== 0x3a /* : */) return false;
  for (let i = 0; i < n; i++) if (((buf[at + i] as number) | 0x20) !== name[i]) return false;
  return true;
}

/** The decimal number between `from` and `to` (spaces around it skipped); -1 when there is none. */
function digits(buf: Buffer, from: number, to: number): number {
  let n = 0;
  let seen = false;
  for (let i = from; i < to; i++) {
    const c = buf[i] as number;
    if (c >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      seen = true;
    } else if (c !== 0x20 && c !== 0x09 && c !== CR) return -1;
  }
  return seen ? n : -1;
}

export type ResponseHandler = (status: number, body: Buffer | null) => void;

const State = { Head: 0, Body: 1, ChunkSize: 2, ChunkData: 3, ChunkTrailer: 4 } as const;
type State = (typeof State)[keyof typeof State];

export class ResponseParser {
  readonly #onResponse: ResponseHandler;
  #state: State = State.Head;
  #pending: Buffer | null = null;
  #status = 0;
  #remaining = 0;
  #keepBody = false;
  #body: Buffer[] = [];
  /** Whether the server said it will close the connection after the current response. */
  closing = false;

  constructor(onResponse: ResponseHandler) {
    this.#onResponse = onResponse;
  }

  /** Feeds bytes read from the socket. Throws EvqError (EVQ_ERR_MALFORMED) on a response it cannot read. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.#pending !== null) {
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    let pos = 0;
    const end = buf.length;
    while (pos < end) {
      switch (this.#state) {
        case State.Head: {
          const headEnd = buf.indexOf(HEAD_END, pos);
          if (headEnd < 0) {
            if (end - pos > MAX_HEAD_BYTES) throw malformed('a response head longer than 64 KiB');
            this.#pending = buf.subarray(pos);
            return;
          }
          this.#readHead(buf, pos, headEnd);
          pos = headEnd + 4;
          break;
        }
        case State.Body: {
          const take = Math.min(this.#remaining, end - pos);
          if (this.#keepBody) this.#body.push(buf.subarray(pos, pos + take));
          pos += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#complete();
          break;
        }
        case State.ChunkSize: {
          const lineEnd = buf.indexOf(LF, pos);
          if (lineEnd < 0) {
            this.#pending = buf.subarray(pos);
            return;
          }
          const size = Number.parseInt(buf.toString('latin1', pos, lineEnd).split(';')[0]?.trim() ?? '', 16);
          if (!Number.isFinite(size) || size < 0) throw malformed('a bad chunk size');
          pos = lineEnd + 1;
          if (size === 0) this.#state = State.ChunkTrailer;
          else {
            this.#remaining = size + 2; // the data and its CRLF
            this.#state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.#remaining, end - pos);
          if (this.#keepBody) this.#body.push(buf.subarray(pos, pos + Math.min(take, Math.max(0, this.#remaining - 2))));
          pos += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = State.ChunkSize;
          break;
        }
        case State.ChunkTrailer: {
          const lineEnd = buf.indexOf(LF, pos);
          if (lineEnd < 0) {
            this.#pending = buf.subarray(pos);
            return;
          }
          const empty = lineEnd === pos || (lineEnd === pos + 1 && buf[pos] === CR);
          pos = lineEnd + 1;
          if (empty) this.#complete();
          break;
        }
      }
    }
  }

  #readHead(buf: Buffer, start: number, headEnd: number): void {
    // "HTTP/1.1 201 Created"
    if (headEnd - start < 12 || buf[start] !== 0x48 /* H */ || buf[start + 8] !== 0x20) throw malformed('a response without a status line');
    const status = (buf[start + 9]! - 48) * 100 + (buf[start + 10]! - 48) * 10 + (buf[start + 11]! - 48);
    if (!(status >= 100 && status <= 599)) throw malformed('a response with a bad status');
    let length = -1;
    let chunked = false;
    let line = buf.indexOf(LF, start) + 1;
    while (line > 0 && line < headEnd) {
      const next = buf.indexOf(LF, line);
      const lineEnd = next < 0 || next > headEnd ? headEnd : next;
      if (nameIs(buf, line, CONTENT_LENGTH)) length = digits(buf, line + CONTENT_LENGTH.length + 1, lineEnd);
      else if (nameIs(buf, line, TRANSFER_ENCODING))
        chunked = /chunked/i.test(buf.toString('latin1', line + TRANSFER_ENCODING.length + 1, lineEnd));
      else if (nameIs(buf, line, CONNECTION)) this.closing = /close/i.test(buf.toString('latin1', line + CONNECTION.length + 1, lineEnd));
      line = lineEnd + 1;
    }
    this.#status = status;
    this.#keepBody = status < 200 || status >= 300;
    this.#body = [];
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
      if (status >= 200) this.#complete();
      return;
    }
    if (chunked) {
      this.#state = State.ChunkSize;
      return;
    }
    if (!(length >= 0)) throw malformed('a response without Content-Length (pipelining needs it, or chunked encoding)');
    if (length === 0) {
      this.#complete();
      return;
    }
    this.#remaining = length;
    this.#state = State.Body;
  }

  #complete(): void {
    this.#state = State.Head;
    const body = this.#keepBody ? Buffer.concat(this.#body) : null;
    this.#body = [];
    this.#onResponse(this.#status, body);
  }
}

function malformed(what: string): EvqError {
  return new EvqError('EVQ_ERR_MALFORMED', `the server sent ${what}`);
}
