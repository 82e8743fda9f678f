import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { EvqError, EvqUsageError } from '../errors.js';
import { isLoopback } from './auth.js';
import { header } from './http/request.js';

/**
 * What keeps web pages on other sites away from the broker, for every HTTP request and every WebSocket
 * upgrade, before anything is read, with or without a token:
 *
 * - **Host** must be one of the broker's names: the address it is bound to (every interface address for a
 *   wildcard bind, and this machine's host name), `localhost`, `127.0.0.1` and `[::1]` for a loopback bind,
 *   and the names given with `--allow-host`; any port. Anything else is a DNS-rebinding page (its own name
 *   pointed at 127.0.0.1) and gets `421 EVQ_ERR_FORBIDDEN_HOST`, and so does a request or upgrade with no Host.
 * - **Origin**, when present (browsers send it on every WebSocket handshake and every POST, PUT, DELETE), must
 *   be the broker's own origin (`http://` + the request's Host) or one given with `--allow-origin`; anything
 *   else, `null` included, gets `403 EVQ_ERR_FORBIDDEN_ORIGIN`, whatever the method. Clients that send no
 *   Origin (curl, evq, Prometheus) are not affected.
 * - **Sec-Fetch-Site** `cross-site` or `same-site` without an allowed Origin (an `<img>`, `<script>` or
 *   `<iframe>` of another page, which send no Origin on a GET) is refused the same way; a top-level navigation
 *   (a link the user follows) may read, but not with `autocommit` (a read that moves a group).
 *
 * CORS: a preflight from an allowed origin is answered (`204`), from any other refused; replies to an allowed
 * foreign origin name it in `Access-Control-Allow-Origin` (never `*`).
 */

export interface RequestGuardOptions {
  /** The address given to bind to (`127.0.0.1`, `::1`, `0.0.0.0`, `localhost`, a name). */
  bindHost: string;
  /** More names the broker answers to (`--allow-host`): bare host names or addresses, no port. */
  allowHosts?: readonly string[] | undefined;
  /** Origins of pages trusted to use the broker (`--allow-origin`): `http(s)://host[:port]`. */
  allowOrigins?: readonly string[] | undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);
/** Headers a page of an allowed origin may read from a cross-origin reply. */
const EXPOSED_HEADERS = 'evq-next-offset, evq-committed-offset';
const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, DELETE';
const HOST_PATTERN = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;
/** How many accepted Host values (as sent) are remembered, so that most requests skip parsing theirs. */
const ACCEPTED_HOSTS_KEPT = 64;

export class RequestGuard {
  readonly #hosts: Set<string>;
  readonly #origins: Set<string>;
  /** Host headers already found allowed, exactly as sent; at most ACCEPTED_HOSTS_KEPT, never emptied. */
  readonly #acceptedHosts = new Set<string>();

  constructor(options: RequestGuardOptions) {
    this.#hosts = new Set();
    const bind = options.bindHost.toLowerCase();
    const addHost = (name: string): void => {
      const normal = normalizeHostName(name);
      if (normal !== null) this.#hosts.add(normal);
    };
    addHost(bind);
    if (isLoopback(bind)) for (const name of ['localhost', '127.0.0.1', '[::1]']) addHost(name);
    if (bind === '0.0.0.0' || bind === '::' || bind === '[::]') {
      for (const name of ['localhost', '127.0.0.1', '[::1]', hostname()]) addHost(name);
      for (const list of Object.values(networkInterfaces())) for (const info of list ?? []) addHost(info.address.replace(/%.*$/, ''));
    }
    for (const name of options.allowHosts ?? []) addHost(parseAllowedHost(name));
    this.#origins = new Set((options.allowOrigins ?? []).map(parseAllowedOrigin));
  }

  /** Null when the request may go on; otherwise the error to refuse it with. Looks at the headers and the URL's query only. */
  check(req: IncomingMessage): EvqError | null {
    const host = req.headers.host;
    // no Host at all: Node refuses an HTTP/1.1 request without one, but not an upgrade, nor HTTP/1.0; no client needs it
    if (host === undefined || host === '') {
      return new EvqError(
        'EVQ_ERR_FORBIDDEN_HOST',
        'the request has no Host header: send Host with the name or address the broker was reached at (curl and evq do)',
      );
    }
    if (!this.#hostAllowed(host)) {
      const shown = host.slice(0, 100);
      return new EvqError(
        'EVQ_ERR_FORBIDDEN_HOST',
        `the broker does not answer to the name "${shown}" (Host header; a web page can point its own name at this machine): ` +
          `reach it by its address, or, if the name is yours (a DNS entry, a reverse proxy), start it with --allow-host ${hostOnly(shown)}`,
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (this.#originAllowed(origin, host)) return null;
      return new EvqError(
        'EVQ_ERR_FORBIDDEN_ORIGIN',
        `requests from pages of ${JSON.stringify(origin.slice(0, 100))} are refused: start the broker with --allow-origin ORIGIN to trust that site`,
      );
    }
    const site = header(req, 'sec-fetch-site');
    if (site === 'cross-site' || site === 'same-site') {
      const navigation =
        SAFE_METHODS.has(req.method ?? 'GET') &&
        header(req, 'sec-fetch-mode') === 'navigate' &&
        (header(req, 'sec-fetch-dest') ?? 'document') === 'document' &&
        !commits(req.url);
      if (!navigation) {
        return new EvqError(
          'EVQ_ERR_FORBIDDEN_ORIGIN',
          'requests made by pages of other sites are refused: start the broker with --allow-origin ORIGIN to trust a site',
        );
      }
    }
    return null;
  }

  /** True for a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) that `check` let through. */
  isPreflight(req: IncomingMessage): boolean {
    return req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;
  }

  /** The CORS headers of a reply to an allowed foreign origin (none for same-origin or Origin-less requests). */
  corsHeaders(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (origin === undefined || !this.#origins.has(normalizeOrigin(origin) ?? '')) return {};
    const headers: Record<string, string> = {
      'access-control-allow-origin': normalizeOrigin(origin) as string,
      'access-control-expose-headers': EXPOSED_HEADERS,
      vary: 'Origin',
    };
    if (this.isPreflight(req)) {
      headers['access-control-allow-methods'] = ALLOWED_METHODS;
      const asked = header(req, 'access-control-request-headers');
      if (asked !== undefined && /^[A-Za-z0-9_, -]{1,1000}$/.test(asked)) headers['access-control-allow-headers'] = asked;
      headers['access-control-max-age'] = '600';
      headers.vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
    }
    return headers;
  }

  #hostAllowed(host: string): boolean {
    if (this.#acceptedHosts.has(host)) return true;
    const match = HOST_PATTERN.exec(host);
    if (match === null) return false;
    const name = normalizeHostName(match[1] as string);
    if (name === null || !this.#hosts.has(name)) return false;
    if (this.#acceptedHosts.size < ACCEPTED_HOSTS_KEPT) this.#acceptedHosts.add(host);
    return true;
  }

  #originAllowed(origin: string, host: string | undefined): boolean {
    const normal = normalizeOrigin(origin);
    if (normal === null) return false;
    if (this.#origins.has(normal)) return true;
    // the broker's own origin: a page it served itself (plain HTTP, same Host as this request)
    if (host === undefined) return false;
    const own = normalizeOrigin(`http://${host}`);
    return own !== null && own === normal;
  }
}

/** `--allow-host NAME`: a host name or address, no scheme, port or path. Throws a usage error otherwise. */
export function parseAllowedHost(name: string): string {
  const text = name.trim().toLowerCase();
  const bracketed = text.includes(':') && !text.startsWith('[') ? `[${text}]` : text;
  const match = HOST_PATTERN.exec(bracketed);
  if (text === '' || match === null || match[2] !== undefined || normalizeHostName(bracketed) === null) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `invalid --allow-host "${name.slice(0, 100)}": give a host name or address without scheme, port or path (evq.internal, 192.168.1.20)`,
    );
  }
  return bracketed;
}

/** `--allow-origin URL`: `http(s)://host[:port]`, returned in its normal form. Throws a usage error otherwise. */
export function parseAllowedOrigin(text: string): string {
  const fail = (why: string): never => {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `invalid --allow-origin "${text.slice(0, 100)}": ${why}; give the origin of the pages to trust, e.g. https://evq.example.com or http://localhost:5173`,
    );
  };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('the scheme must be http or https');
  if (url.username !== '' || url.password !== '') fail('an origin has no user or password');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '')
    fail('an origin has no path, query or fragment');
  return url.origin;
}

/** An Origin header in its normal form (`http://host[:port]`, default port left out), or null when it is not one. */
function normalizeOrigin(origin: string): string | null {
  if (origin.length > 1000 || origin === 'null') return null;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.origin;
  } catch {
    return null;
  }
}

/** A host name as URLs compare it (lower case, IPv4 in dotted form, IPv6 bracketed and compressed), or null. */
function normalizeHostName(name: string): string | null {
  const text = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
  try {
    const host = new URL(`http://${text}/`).hostname;
    return host === '' ? null : host;
  } catch {
    return null;
  }
}

/** True when a request URL asks a read to commit (`autocommit`), or does not parse (then it is not trusted either). */
function commits(raw: string | undefined): boolean {
  try {
    return new URL(raw ?? '/', 'http://evq.invalid').searchParams.has('autocommit');
  } catch {
    return true;
  }
}

function hostOnly(host: string): string {
  const match = HOST_PATTERN.exec(host);
  return match === null ? 'NAME' : (match[1] as string);
}
