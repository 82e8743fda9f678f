import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { EvqError } from '../../errors.js';
import type { BrokerMetrics } from '../metrics.js';
import { replyError } from './replies.js';

/**
 * What the broker does with connections it cannot serve:
 *
 * - past `maxConnections` open connections, a new connection's first request (HTTP or WebSocket upgrade)
 *   is answered `503` with `Retry-After` and the connection closed; past `maxConnections + headroom` Node
 *   drops new connections at once (so a flood cannot pin a file descriptor per refused connection);
 * - a request whose headers are too large gets `431`, one whose headers did not arrive within the headers
 *   timeout gets `408` (a slow-header client is closed then), anything unparsable `400`; each reply is one
 *   JSON line like every other error of the broker.
 */
export class ConnectionGuard {
  /** Connections within the limit. */
  readonly #served = new Set<Socket>();
  /** Connections past the limit: their first request is refused. */
  readonly #refused = new WeakSet<Socket>();

  constructor(
    private readonly maxConnections: number,
    private readonly metrics: BrokerMetrics,
  ) {}

  /** Connections counted against the limit. */
  get open(): number {
    return this.#served.size;
  }

  /** Attaches the guard to `server`; `headroom` connections past the limit get a 503 before Node drops the rest. */
  attach(server: Server, headroom: number): void {
    server.maxConnections = this.maxConnections + headroom;
    server.on('connection', (socket: Socket) => {
      if (this.#served.size >= this.maxConnections) {
        this.#refused.add(socket);
        return;
      }
      this.#served.add(socket);
      socket.once('close', () => this.#served.delete(socket));
    });
    server.on('drop', () => this.metrics.rejected.add({ reason: 'EVQ_ERR_UNAVAILABLE' }, 1));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.#clientError(err, socket));
  }

  /** The error to refuse a request with when its connection is past the limit, else null. */
  refusal(socket: Socket): EvqError | null {
    if (!this.#refused.has(socket)) return null;
    this.metrics.rejected.add({ reason: 'EVQ_ERR_UNAVAILABLE' }, 1);
    return new EvqError('EVQ_ERR_UNAVAILABLE', `the broker is at its limit of ${this.maxConnections} connections: retry later`);
  }

  /** Answers a request on a connection past the limit with 503 and closes the connection. Returns true when it did. */
  refuseRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const err = this.refusal(req.socket);
    if (err === null) return false;
    req.resume();
    res.shouldKeepAlive = false;
    res.setHeader('retry-after', '1');
    replyError(res, err);
    return true;
  }

  #clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_HEADERS_TIMEOUT' ? 408 : 400;
    const reason = status === 431 ? 'EVQ_ERR_LIMIT_EXCEEDED' : status === 408 ? 'EVQ_ERR_TIMEOUT' : 'EVQ_ERR_MALFORMED';
    this.metrics.rejected.add({ reason }, 1);
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    // bytes that do not parse after a request still being answered (pipelined garbage): that request keeps
    // its reply (its message may be appended already, and the client must hear so), then the connection
    // closes; the garbage gets none. Node's own default handler looks at the same field.
    const pending = (socket as unknown as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (pending !== undefined && pending !== null && !pending.writableFinished) {
      pending.shouldKeepAlive = false;
      pending.once('close', () => socket.destroy());
      return;
    }
    socket.end(errorResponse(status, reason, clientErrorMessage(status)));
  }
}

function clientErrorMessage(status: number): string {
  if (status === 431) return 'the request headers are too large';
  if (status === 408) return 'the request headers did not arrive in time';
  return 'the request does not parse as HTTP/1.1';
}

/** A whole HTTP/1.1 error response (status line, headers, JSON body) for a raw socket, closing the connection. */
export function errorResponse(status: number, code: string, message: string, extraHeaders = ''): string {
  const body = JSON.stringify({ error: { code, message } });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n${body}`
  );
}
