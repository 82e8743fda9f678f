/**
 * The HTTP side of the evq transport: one keep-alive `node:http` agent per client (up to 16 sockets; an idle
 * socket is closed before the broker's keep-alive ends, from its `Keep-Alive: timeout` hint), requests with
 * the token, error replies
 * turned into EvqErrors (`errorFromWire`), network failures into EVQ_ERR_UNREACHABLE / EVQ_ERR_TIMEOUT, and
 * NDJSON reads turned into records (by protocol/wire-record.ts).
 */

import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { EvqError, errorFromBody } from '../../errors.js';
import { HEADERS } from '../../protocol/http.js';
import type { EvqRecord } from '../../protocol/record.js';
import { parseRecordLines } from '../../protocol/wire-record.js';
import { toConnectionError } from '../errors.js';
import type { Endpoint } from './endpoint.js';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: string | Buffer;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** A long poll: the broker may hold the request this long (ms) before answering. */
  waitMs?: number;
}

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One page of a read: the records and where to read next. */
export interface ReadPage {
  records: EvqRecord[];
  nextOffset: number;
  /** The group's committed offset after the read (group reads), else null. */
  committed: number | null;
  /** Group reads: records retention removed before the group read them (`evq-group-missed`), else 0. */
  missed: number;
  /** The topic's end offset (`evq-end-offset`), null from a broker that does not send it. */
  endOffset: number | null;
}

export class HttpApi {
  readonly #endpoint: Endpoint;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #origin: URL;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;

  constructor(endpoint: Endpoint, token: string | undefined, timeoutMs: number) {
    this.#endpoint = endpoint;
    this.#token = token === '' ? undefined : token;
    this.#timeoutMs = timeoutMs;
    this.#origin = new URL(endpoint.origin);
    const secure = this.#origin.protocol === 'https:';
    // idle sockets close after 4 s, or earlier by the broker's Keep-Alive hint (5 s): never reused as it closes them
    const options = { keepAlive: true, maxSockets: 16, timeout: 4000 };
    this.#agent = secure ? new HttpsAgent(options) : new HttpAgent(options);
    this.#request = secure ? httpsRequest : httpRequest;
  }

  /** Sends a request; a reply with an error status throws its EvqError. Aborts throw the signal's reason. */
  async request(req: HttpRequest): Promise<HttpReply> {
    let path = this.#endpoint.prefix + req.path;
    if (req.query !== undefined) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(req.query)) if (value !== undefined) params.set(name, String(value));
      const text = params.toString();
      if (text !== '') path += `?${text}`;
    }
    const headers: Record<string, string> = { ...req.headers };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    let reply: HttpReply;
    try {
      reply = await this.#send(req, path, headers);
    } catch (error) {
      if (req.signal?.aborted === true) throw req.signal.reason;
      throw toConnectionError(error, this.#endpoint.display, 'answer', this.#timeoutMs);
    }
    if (reply.status >= 400) throw this.#errorOf(reply.status, reply.body);
    return reply;
  }

  /** One exchange: resolves with the whole reply; rejects with the socket's error, or ETIMEDOUT. */
  #send(req: HttpRequest, path: string, headers: Record<string, string>): Promise<HttpReply> {
    return new Promise((resolve, reject) => {
      const request = this.#request({
        protocol: this.#origin.protocol,
        hostname: this.#origin.hostname.replace(/^\[|\]$/g, ''),
        port: this.#origin.port,
        method: req.method,
        path,
        headers,
        agent: this.#agent,
        ...(req.signal !== undefined ? { signal: req.signal } : {}),
      });
      // the whole exchange, connecting included (a socket's own timeout starts only once it is connected), is
      // bounded: a long poll may be held up to waitMs by the broker
      const limitMs = this.#timeoutMs + (req.waitMs ?? 0);
      const timer = setTimeout(() => {
        request.destroy(Object.assign(new Error(`no answer within ${limitMs} ms`), { code: 'ETIMEDOUT' }));
      }, limitMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        reject(error);
      };
      request.once('error', fail);
      request.once('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', fail);
        res.once('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      request.end(req.body);
    });
  }

  async json<T>(req: HttpRequest): Promise<T> {
    const reply = await this.request({ ...req, headers: { accept: 'application/json', ...req.headers } });
    try {
      return JSON.parse(reply.body.toString('utf8')) as T;
    } catch (error) {
      throw new EvqError(
        'EVQ_ERR_MALFORMED',
        `the broker at ${this.#endpoint.display} answered ${req.path} with something that is not JSON`,
        { cause: error },
      );
    }
  }

  /** One NDJSON read (`GET …/messages`): records and the `evq-next-offset` header. */
  async readPage(
    path: string,
    query: HttpRequest['query'],
    signal: AbortSignal | undefined,
    waitMs: number,
    topic: string,
  ): Promise<ReadPage> {
    const reply = await this.request({ method: 'GET', path, query, signal, waitMs });
    const next = header(reply.headers, HEADERS.nextOffset);
    const nextOffset = next === undefined ? Number.NaN : Number(next);
    if (!Number.isSafeInteger(nextOffset) || nextOffset < 0) {
      throw new EvqError('EVQ_ERR_MALFORMED', `the broker's read of "${topic}" has no valid ${HEADERS.nextOffset} header`);
    }
    const committedText = header(reply.headers, HEADERS.committedOffset);
    const committed = committedText === undefined ? null : Number(committedText);
    const missed = Number(header(reply.headers, HEADERS.groupMissed) ?? 0);
    const endText = header(reply.headers, HEADERS.endOffset);
    const endOffset = endText === undefined || !/^\d+$/.test(endText) ? null : Number(endText);
    return {
      records: parseRecordLines(reply.body, topic),
      nextOffset,
      committed,
      missed: Number.isSafeInteger(missed) && missed > 0 ? missed : 0,
      endOffset,
    };
  }

  /** Closes every socket (a request still running, a long poll, fails as aborted by its caller's close). */
  async close(): Promise<void> {
    this.#agent.destroy();
  }

  #errorOf(status: number, body: Buffer): EvqError {
    if (status === 401) return unauthorizedError(this.#endpoint.display);
    return (
      errorFromBody(body) ??
      new EvqError(
        status === 404 ? 'EVQ_ERR_NOT_FOUND' : status >= 500 ? 'EVQ_ERR_UNAVAILABLE' : 'EVQ_ERR_MALFORMED',
        `${this.#endpoint.display} answered with HTTP ${status} and no evq error: is it an evq broker?`,
      )
    );
  }
}

export function unauthorizedError(url: string): EvqError {
  return new EvqError(
    'EVQ_ERR_UNAUTHORIZED',
    `the evq broker at ${url} refused the token (missing or wrong): pass the right one with --token or EVQ_TOKEN`,
  );
}

function header(headers: HttpReply['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
