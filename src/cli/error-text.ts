import { EvqError } from '../errors.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EAI_AGAIN']);

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/**
 * The one line a user reads when a client command fails, naming the broker's URL and what to do. Keeps
 * the error's code (and so its exit code); errors it has nothing to add to are returned as they are.
 */
export function explainError(err: unknown, url: string, timeout?: string): unknown {
  const code = err instanceof EvqError ? err.code : networkCode(err) !== undefined ? 'EVQ_ERR_UNREACHABLE' : undefined;
  const options = { cause: err };
  // the client's own connection errors already name the URL and what to do
  if (err instanceof EvqError && code !== 'EVQ_ERR_UNAUTHORIZED' && err.message.includes(hostOf(url))) return err;
  switch (code) {
    case 'EVQ_ERR_UNREACHABLE': {
      const why = networkCode(err);
      return new EvqError(
        'EVQ_ERR_UNREACHABLE',
        `no evq broker answers at ${url}${why === undefined ? '' : ` (${why})`}: start one with \`evq serve\`, or point --url (or EVQ_URL) at yours`,
        options,
      );
    }
    case 'EVQ_ERR_TIMEOUT':
      return new EvqError(
        'EVQ_ERR_TIMEOUT',
        `the broker at ${url} did not answer${timeout === undefined ? ' in time' : ` within ${timeout}`}: check that \`evq serve\` runs there, or wait longer with --timeout`,
        options,
      );
    case 'EVQ_ERR_UNAUTHORIZED':
      return new EvqError(
        'EVQ_ERR_UNAUTHORIZED',
        `the broker at ${url} refused the request: it needs a valid token (--token or EVQ_TOKEN)`,
        options,
      );
    default:
      return err;
  }
}
