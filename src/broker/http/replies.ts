import type { ServerResponse } from 'node:http';
import { CONTENT_TYPES, type WireError } from '../../protocol/http.js';
import { EvqError } from '../../errors.js';

/** Small helpers that write a whole reply. */

export function replyJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': CONTENT_TYPES.json, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function replyText(res: ServerResponse, status: number, text: string, type: string = CONTENT_TYPES.text): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The error reply: the status of the code, and `{"error": {"code", "message"}}` (with `details` when the error has some). */
export function replyError(res: ServerResponse, err: unknown): void {
  const evq = toEvqError(err);
  if (res.headersSent) {
    res.destroy(evq);
    return;
  }
  const body: WireError = { error: { code: evq.code, message: evq.message } };
  if (evq.details !== undefined) body.error.details = evq.details;
  if (evq.status === 401) res.setHeader('www-authenticate', 'Bearer realm="evq"');
  replyJson(res, evq.status, body);
}

export function toEvqError(err: unknown): EvqError {
  if (err instanceof EvqError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new EvqError('EVQ_ERR_INTERNAL', `internal error: ${message}`, { cause: err });
}
