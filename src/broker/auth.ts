import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Token authentication: `Authorization: Bearer <token>` (or `?token=` for clients that cannot set headers,
 * such as a browser's WebSocket). Compared in constant time over fixed-length digests.
 */
export class TokenAuth {
  readonly #digest: Buffer | null;

  constructor(token: string | undefined) {
    this.#digest = token === undefined || token === '' ? null : digest(token);
  }

  get enabled(): boolean {
    return this.#digest !== null;
  }

  /** True when no token is required, or the request carries the right one. */
  check(req: IncomingMessage, url: URL): boolean {
    if (this.#digest === null) return true;
    return this.matches(bearer(req.headers.authorization) ?? url.searchParams.get('token'));
  }

  /** True when no token is required, or `presented` is the token (a SASL/PLAIN password, say). */
  matches(presented: string | null): boolean {
    if (this.#digest === null) return true;
    if (presented === null || presented.length > 4096) return false;
    return timingSafeEqual(this.#digest, digest(presented));
  }
}

function bearer(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
