/**
 * The web console's static files (the package's `ui/` directory), served under `/ui/`: read once, on the
 * first request, kept in memory with their gzip form and an ETag. Strict headers on every reply: a CSP
 * without `unsafe-inline` or `unsafe-eval` (the console is modules and a stylesheet of this origin, nothing
 * else), `frame-ancestors 'none'`, `nosniff`, no referrer. `/ui/config.json` tells the console how the broker
 * was started (read-only or not); it holds nothing secret and, like the files, needs no token: the token is
 * what the console asks for.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { EvqError } from '../../errors.js';
import { header } from '../http/request.js';

/** Where the console's files are: `<package>/ui/`, from `src/broker/ui/` and from `dist/broker/ui/` alike. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../ui/', import.meta.url));

/**
 * Files of npm packages the console uses, served under `/ui/vendor/` from where Node resolves them (the
 * package's node_modules, hoisted or not): uPlot's ES module and stylesheet for the overview's charts. Nothing
 * is fetched from elsewhere, at build time or run time.
 */
export const VENDOR_FILES: Readonly<Record<string, string>> = {
  'vendor/uPlot.esm.js': 'uplot/dist/uPlot.esm.js',
  'vendor/uPlot.min.css': 'uplot/dist/uPlot.min.css',
};

/** Most files and bytes read from the directory: it is ours, but a stray build output must not fill memory. */
const MAX_FILES = 200;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.txt']);

/** The headers of every reply under /ui/. */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

interface ConsoleFile {
  type: string;
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
}

export interface ConsoleOptions {
  /** `--ui-read-only`: the console shows no mutating action, and the broker refuses them when they come from it. */
  readOnly: boolean;
  /** The directory of the files (tests); default CONSOLE_DIR. */
  dir?: string;
}

export class ConsoleFiles {
  readonly readOnly: boolean;
  readonly #dir: string;
  #files: Promise<Map<string, ConsoleFile>> | null = null;

  constructor(options: ConsoleOptions) {
    this.readOnly = options.readOnly;
    this.#dir = options.dir ?? CONSOLE_DIR;
  }

  /** Answers a request under `/ui` (GET or HEAD). `pathname` is the request's, still %-encoded. */
  async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    req.resume();
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      throw new EvqError('EVQ_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed on the console's files; use GET`);
    }
    for (const [name, value] of Object.entries(CONSOLE_HEADERS)) res.setHeader(name, value);
    if (pathname === '/ui') {
      res.writeHead(308, { location: '/ui/', 'content-length': 0 });
      res.end();
      return;
    }
    const name = pathname === '/ui/' ? 'index.html' : pathname.slice('/ui/'.length);
    const file = name === 'config.json' ? this.#config() : (await this.#load()).get(name);
    if (file === undefined) throw new EvqError('EVQ_ERR_NOT_FOUND', `the console has no file ${JSON.stringify(name.slice(0, 100))}`);
    const headers: Record<string, string | number> = {
      'content-type': file.type,
      etag: file.etag,
      'cache-control': 'no-cache',
      vary: 'Accept-Encoding',
    };
    if (etagMatches(header(req, 'if-none-match'), file.etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = file.gzip !== null && acceptsGzip(header(req, 'accept-encoding'));
    const body = gzip ? (file.gzip as Buffer) : file.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(method === 'HEAD' ? undefined : body);
  }

  #config(): ConsoleFile {
    return makeFile('.json', Buffer.from(JSON.stringify({ readOnly: this.readOnly })));
  }

  #load(): Promise<Map<string, ConsoleFile>> {
    this.#files ??= readConsoleDir(this.#dir)
      .then(addVendorFiles)
      .then((files) => withFirstLoadHints(files, this.readOnly))
      .catch((error: unknown) => {
        // not kept: the next request reads the files again
        this.#files = null;
        throw error;
      });
    return this.#files;
  }
}

/** Every servable file of `dir` and its subdirectories (one level), by path relative to it with `/`. */
async function readConsoleDir(dir: string): Promise<Map<string, ConsoleFile>> {
  const files = new Map<string, ConsoleFile>();
  const walk = async (sub: string, depth: number): Promise<void> => {
    const entries = await readdir(join(dir, sub), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (files.size >= MAX_FILES) return;
      const rel = sub === '' ? entry.name : `${sub}/${entry.name}`;
      if (entry.isDirectory() && depth < 2 && !entry.name.startsWith('.')) await walk(rel, depth + 1);
      if (!entry.isFile() || TYPES[extname(entry.name)] === undefined) continue;
      const path = join(dir, rel);
      if ((await stat(path)).size > MAX_FILE_BYTES) continue;
      files.set(rel, makeFile(extname(entry.name), await readFile(path)));
    }
  };
  await walk('', 0);
  return files;
}

/** Adds VENDOR_FILES to `files` (one that does not resolve is left out: its page then says it cannot load it). */
async function addVendorFiles(files: Map<string, ConsoleFile>): Promise<Map<string, ConsoleFile>> {
  const require = createRequire(import.meta.url);
  for (const [name, specifier] of Object.entries(VENDOR_FILES)) {
    let path: string;
    try {
      path = require.resolve(specifier);
    } catch {
      continue;
    }
    if ((await stat(path)).size > MAX_FILE_BYTES) continue;
    files.set(name, makeFile(extname(name), await readFile(path)));
  }
  return files;
}

/**
 * index.html as served: with a `modulepreload` link for every script of the console (the browser fetches them
 * all at once instead of discovering each level of imports after the last), and the broker's console
 * settings in a `<meta name="evq-config">` (the page needs no config.json round trip before it draws).
 */
function withFirstLoadHints(files: Map<string, ConsoleFile>, readOnly: boolean): Map<string, ConsoleFile> {
  const index = files.get('index.html');
  if (index === undefined) return files;
  const html = index.body.toString('utf8');
  const anchor = html.indexOf('<script type="module"');
  if (anchor < 0) return files;
  const scripts = [...files.keys()].filter((name) => name.endsWith('.js') && name !== 'app.js').sort();
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const hints =
    `<meta name="evq-config" content="${escape(JSON.stringify({ readOnly }))}" />\n    ` +
    scripts.map((name) => `<link rel="modulepreload" href="${escape(name)}" />\n    `).join('');
  files.set('index.html', makeFile('.html', Buffer.from(html.slice(0, anchor) + hints + html.slice(anchor))));
  return files;
}

function makeFile(ext: string, body: Buffer): ConsoleFile {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  const gzip = COMPRESSIBLE.has(ext) && body.length > 256 ? gzipSync(body, { level: 9 }) : null;
  return { type: TYPES[ext] as string, body, gzip: gzip !== null && gzip.length < body.length ? gzip : null, etag };
}

/** True when If-None-Match names this ETag (or `*`); weak and strong forms compare equal (the bytes are the same). */
function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .slice(0, 2000)
    .split(',')
    .some((tag) => {
      const t = tag.trim().replace(/^W\//, '');
      return t === '*' || t === etag;
    });
}

/** True when Accept-Encoding takes gzip (not with `q=0`). */
function acceptsGzip(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept
    .slice(0, 1000)
    .split(',')
    .some((part) => {
      const [coding, ...params] = part.trim().toLowerCase().split(';');
      if (coding !== 'gzip' && coding !== '*') return false;
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return q === undefined || Number(q.slice(2)) > 0;
    });
}
