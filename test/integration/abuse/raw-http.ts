import { connect } from 'node:net';

export interface RawReply {
  /** Everything the broker sent before it closed the connection. */
  text: string;
  /** The final status of the reply (after any 100 Continue), or null when the connection closed without one. */
  status: number | null;
  /** Whether the broker closed the connection (as opposed to the deadline ending it). */
  closedByBroker: boolean;
  /** Time to the end of the connection, and to the first byte of the reply (Infinity with none). */
  ms: number;
  firstByteMs: number;
}

/**
 * Sends `request` (bytes, as they are) on a new TCP connection and collects the reply until the broker closes
 * the connection or `timeoutMs` passes: for requests no HTTP client would send.
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 10_000): Promise<RawReply> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    let firstByteMs = Infinity;
    let done = false;
    const finish = (closedByBroker: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      // the final status: after any 100 Continue (a 101 Switching Protocols is final)
      const match = /^HTTP\/1\.1 (?!100 )(\d{3}) /m.exec(text);
      resolve({ text, status: match === null ? null : Number(match[1]), closedByBroker, ms: performance.now() - started, firstByteMs });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.setEncoding('latin1').on('data', (chunk: string) => {
      if (text === '') firstByteMs = performance.now() - started;
      text += chunk;
      // an accepted upgrade keeps the connection open: its head is the whole answer
      if (text.startsWith('HTTP/1.1 101 ') && text.includes('\r\n\r\n')) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

/** A WebSocket upgrade request to `path` with `extra` header lines (each without its CRLF) right after Host. */
export function upgradeRequest(path: string, extra: string[] = [], protocols?: string): string {
  return (
    // Host first: past Node's 100 headers the ones after the padding are cut off, and the cases here are
    // about the WebSocket key being cut off, not the Host (a missing Host is a 421 of its own)
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    extra.map((line) => `${line}\r\n`).join('') +
    'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
    (protocols === undefined ? '' : `Sec-WebSocket-Protocol: ${protocols}\r\n`) +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'
  );
}
