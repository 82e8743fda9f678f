/**
 * One WebSocket connection to evq's `/ws` with the binary subprotocol (`evq.binary.v1`): opening it (with
 * the token, a timeout, and failures turned into EvqErrors that say what to do), JSON control frames in and
 * out (decoded and checked by protocol/ws-control.ts: a malformed one closes the connection with an error),
 * binary delivery frames in, binary produce frames out, and pausing the socket (TCP backpressure).
 */

import { createRequire } from 'node:module';
import type WebSocket from 'ws';
import { EvqError, errorFromBody } from '../../errors.js';
import { LIMITS } from '../../core/limits.js';
import { CLOSE_CODES, SUBPROTOCOL_BINARY } from '../../protocol/ws-frames.js';
import { decodeBrokerControl, encodeControl, parseControlJson } from '../../protocol/ws-control.js';
import type { BrokerControl, ClientControl } from '../../protocol/ws-control.js';
import { timeoutError, toConnectionError } from '../errors.js';
import type { Endpoint } from './endpoint.js';
import { unauthorizedError } from './http.js';

export interface WsOpenOptions {
  token?: string | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface WsHandlers {
  /** A JSON control frame from the broker. */
  control?: (message: BrokerControl) => void;
  /** A binary frame from the broker (deliver or sparse). */
  delivery?: (frame: Buffer) => void;
  /**
   * The connection is gone (once): its close code and reason, or the socket error — or the EVQ_ERR_MALFORMED
   * error of a frame from the broker that broke the protocol ({@link brokeProtocol}: not to be retried).
   */
  close?: (code: number, reason: string, error: Error | undefined) => void;
}

let wsModule: typeof WebSocket | undefined;

/** The errors of connections closed because the broker broke the protocol. */
const protocolErrors = new WeakSet<Error>();

/**
 * Whether a connection closed because the broker sent a frame that breaks the protocol: fatal, since a
 * broker that speaks garbage answers a reconnect the same way. The error says so in one line.
 */
export function brokeProtocol(error: Error | undefined): error is EvqError {
  return error !== undefined && protocolErrors.has(error);
}

/**
 * `ws`, loaded on first use and with `require`: a command that opens no WebSocket (topics, consume) does not
 * pay for it, and `require` skips the scan of its CommonJS exports that `import` makes (2–3× faster).
 */
function loadWs(): typeof WebSocket {
  wsModule ??= createRequire(import.meta.url)('ws') as typeof WebSocket;
  return wsModule;
}

export class WsConnection {
  readonly #ws: WebSocket;
  readonly endpoint: Endpoint;
  #handlers: WsHandlers = {};
  #closed = false;
  #error: Error | undefined;

  private constructor(ws: WebSocket, endpoint: Endpoint) {
    this.#ws = ws;
    this.endpoint = endpoint;
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('error', (error: Error) => {
      this.#error ??= error;
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.#closed) return;
      this.#closed = true;
      this.#handlers.close?.(code, reason.toString('utf8'), this.#error);
    });
  }

  /**
   * Opens a connection. Rejects with EVQ_ERR_UNREACHABLE (nothing answers), EVQ_ERR_TIMEOUT (no answer in
   * `timeoutMs`), EVQ_ERR_UNAUTHORIZED (bad token), or the broker's error for a refused upgrade.
   */
  static open(endpoint: Endpoint, options: WsOpenOptions): Promise<WsConnection> {
    const WebSocket = loadWs();
    const headers: Record<string, string> = {};
    if (options.token !== undefined && options.token !== '') headers.authorization = `Bearer ${options.token}`;
    const ws = new WebSocket(endpoint.ws, [SUBPROTOCOL_BINARY], {
      headers,
      handshakeTimeout: options.timeoutMs,
      perMessageDeflate: false,
      maxPayload: LIMITS.maxWsPayloadBytes * 2,
      followRedirects: false,
    });
    return new Promise<WsConnection>((resolve, reject) => {
      let settled = false;
      const fail = (error: EvqError): void => {
        if (settled) return;
        settled = true;
        cleanup();
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        ws.terminate();
        reject(error);
      };
      const onAbort = (): void => fail(new EvqError('EVQ_ERR_CLOSED', 'the connection was aborted', { cause: options.signal?.reason }));
      const timer = setTimeout(
        () => fail(timeoutError(endpoint.display, 'accept a connection', options.timeoutMs)),
        options.timeoutMs + 100,
      );
      const cleanup = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      ws.once('open', () => {
        if (settled) return;
        if (ws.protocol !== SUBPROTOCOL_BINARY) {
          fail(
            new EvqError(
              'EVQ_ERR_UNAVAILABLE',
              `the server at ${endpoint.display} does not speak ${SUBPROTOCOL_BINARY}: is it an evq broker?`,
            ),
          );
          return;
        }
        settled = true;
        cleanup();
        resolve(new WsConnection(ws, endpoint));
      });
      ws.once('error', (error: Error) => {
        const isTimeout = /timed out/i.test(error.message);
        fail(
          isTimeout
            ? timeoutError(endpoint.display, 'accept a connection', options.timeoutMs, error)
            : toConnectionError(error, endpoint.display, 'answer', options.timeoutMs),
        );
      });
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < 64 * 1024) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('error', () => undefined);
        const status = res.statusCode ?? 0;
        const done = (): void => {
          if (status === 401) {
            fail(unauthorizedError(endpoint.display));
            return;
          }
          fail(
            errorFromBody(Buffer.concat(chunks)) ??
              new EvqError(
                'EVQ_ERR_UNAVAILABLE',
                `${endpoint.display} refused the WebSocket upgrade with HTTP ${status}: is it an evq broker?`,
              ),
          );
        };
        res.once('end', done);
        res.once('close', done);
      });
    });
  }

  set handlers(handlers: WsHandlers) {
    this.#handlers = handlers;
  }

  get isOpen(): boolean {
    return !this.#closed && this.#ws.readyState === this.#ws.OPEN;
  }

  /** Bytes handed to the socket and not yet written. */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  sendControl(message: ClientControl, callback?: (error?: Error) => void): void {
    this.#ws.send(encodeControl(message), { binary: false }, callback);
  }

  /**
   * Sends a binary frame. `callback` is called once ws has written it to the socket (or failed to): only then
   * may the caller reuse the buffer.
   */
  sendBinary(frame: Buffer, callback: (error?: Error) => void): void {
    this.#ws.send(frame, { binary: true }, callback);
  }

  get isPaused(): boolean {
    return this.#ws.isPaused;
  }

  /** Stops reading the socket (the broker's writes then back up through TCP). */
  pause(): void {
    this.#ws.pause();
  }

  resume(): void {
    this.#ws.resume();
  }

  close(code: number = CLOSE_CODES.normal, reason = ''): void {
    if (this.#ws.readyState === this.#ws.CLOSED) return;
    this.#ws.close(code, reason);
    // a broker that does not complete the closing handshake is not waited for
    setTimeout(() => this.#ws.terminate(), 1000).unref();
  }

  /** Drops the connection at once. */
  terminate(): void {
    this.#ws.terminate();
  }

  /** Resolves when the socket is closed. */
  closed(): Promise<void> {
    if (this.#ws.readyState === this.#ws.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.#ws.once('close', () => resolve()));
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.#handlers.delivery?.(data);
      return;
    }
    let message: BrokerControl | null;
    try {
      message = decodeBrokerControl(parseControlJson(data.toString('utf8')));
    } catch (error) {
      this.#protocolError(error as Error);
      return;
    }
    if (message !== null) this.#handlers.control?.(message); // null: a kind this version does not know
  }

  /**
   * A frame from the broker that breaks the protocol: the connection is closed (1002) and its close handler
   * told why, in one line (an EVQ_ERR_MALFORMED naming the broker); nothing more of it is read.
   */
  #protocolError(cause: Error): void {
    if (this.#closed) return;
    const error = new EvqError(
      'EVQ_ERR_MALFORMED',
      `the broker at ${this.endpoint.display} sent a malformed control frame (${cause.message}): is it an evq broker of this version?`,
      { cause },
    );
    protocolErrors.add(error);
    this.#error = error; // said instead of a socket error the close may bring
    this.#ws.removeAllListeners('message');
    this.close(CLOSE_CODES.protocolError, 'malformed control frame');
  }
}
