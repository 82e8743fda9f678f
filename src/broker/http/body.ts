import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { EvqError } from '../../errors.js';

const gunzipAsync = promisify(gunzip);

/**
 * Reads a request body up to `limit` bytes. Past the limit (by Content-Length up front, or while
 * streaming) it fails with `tooLarge` and nothing of it is used. A gzip Content-Encoding is inflated, with
 * the same limit on the inflated size.
 */
export async function readBody(req: IncomingMessage, limit: number, tooLarge: () => EvqError): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
  const encoding = req.headers['content-encoding'];
  if (encoding === undefined || encoding === 'identity') return body;
  if (encoding !== 'gzip') throw new EvqError('EVQ_ERR_MALFORMED', `unsupported content-encoding "${encoding}": use gzip or none`);
  try {
    return await gunzipAsync(body, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw new EvqError('EVQ_ERR_MALFORMED', 'the gzip body does not inflate', { cause: err });
  }
}
