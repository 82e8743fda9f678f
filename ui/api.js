/**
 * Talking to the broker: same-origin `fetch` of its HTTP routes (docs/PROTOCOL.md). Every request carries
 * `evq-console: 1` (so that a broker started with --ui-read-only can refuse the console's mutating ones) and,
 * when the tab has one, the token as `Authorization: Bearer` — never a cookie. The token comes from the
 * address's fragment (`#token=…`, what `evq serve --token` prints: a fragment never reaches a server) or from
 * the prompt, and is kept in sessionStorage: for this tab only, gone when it closes.
 */

const TOKEN_KEY = 'evq.token';
/** Longest token taken from the address or the prompt (the broker takes at most 4096 characters). */
const MAX_TOKEN = 4096;

/** An error reply of the broker: its HTTP status, `EVQ_ERR_…` code and message. */
export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Moves `#token=…` from the address into sessionStorage and out of the address bar (and history). With
 * `keepHeld` (a link followed inside an open tab) a token the tab holds already is kept: a link cannot swap
 * the tab's identity behind the user's back (a refused token asks again).
 * @param {boolean} [keepHeld]
 */
export function takeTokenFromUrl(keepHeld = false) {
  const match = /^#token=([^&]*)(?:&(.*))?$/.exec(location.hash);
  if (match === null) return;
  let token = '';
  try {
    token = decodeURIComponent(match[1]);
  } catch {
    token = '';
  }
  if (token !== '' && token.length <= MAX_TOKEN && !(keepHeld && getToken() !== null)) setToken(token);
  const rest = match[2] === undefined || match[2] === '' ? '#/' : `#${match[2]}`;
  history.replaceState(null, '', `${location.pathname}${location.search}${rest}`);
}

/** @returns {string | null} */
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** @param {string | null} token */
export function setToken(token) {
  try {
    if (token === null || token === '') sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token.slice(0, MAX_TOKEN));
  } catch {
    // storage refused (a private window's quota): the token lives as long as this page then
  }
}

/**
 * A request to the broker; resolves with the reply when it is a success, rejects with an ApiError otherwise.
 * @param {string} path @param {RequestInit} [init] @returns {Promise<Response>}
 */
export async function request(path, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('evq-console', '1');
  const token = getToken();
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  let res;
  try {
    res = await fetch(path, { ...init, headers, cache: 'no-store', credentials: 'omit' });
  } catch (err) {
    throw new ApiError(
      0,
      'EVQ_ERR_UNREACHABLE',
      `the broker does not answer (${err instanceof Error ? err.message : String(err)}): is evq serve running?`,
    );
  }
  if (res.ok) return res;
  let code = 'EVQ_ERR_INTERNAL';
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body !== null && typeof body === 'object' && body.error !== null && typeof body.error === 'object') {
      code = String(body.error.code);
      message = String(body.error.message);
    }
  } catch {
    // not an evq error body: the status line says it
  }
  throw new ApiError(res.status, code, message);
}

/** GET (or another method) with a JSON reply. @param {string} path @param {RequestInit} [init] */
export async function getJson(path, init) {
  const res = await request(path, init);
  return res.json();
}

/** A JSON body request. @param {string} method @param {string} path @param {unknown} body */
export function sendJson(method, path, body) {
  return getJson(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/**
 * A read of records (NDJSON) with the offsets the broker puts in its headers, and what it looked at.
 * @param {string} path
 * @returns {Promise<{ records: WireRecord[], next: number | null, end: number | null, scanned: number, scannedBytes: number }>}
 */
export async function readRecords(path) {
  const res = await request(path);
  const text = await res.text();
  const records = [];
  for (const line of text.split('\n')) if (line !== '') records.push(JSON.parse(line));
  const header = (/** @type {string} */ name) => {
    const v = res.headers.get(name);
    return v === null ? null : Number(v);
  };
  return {
    records,
    next: header('evq-next-offset'),
    end: header('evq-end-offset'),
    scanned: header('evq-scanned') ?? 0,
    scannedBytes: header('evq-scanned-bytes') ?? 0,
  };
}

/** The path of a topic's route. @param {string} topic @param {string} [rest] */
export function topicPath(topic, rest = '') {
  return `/topics/${encodeURIComponent(topic)}${rest}`;
}

/**
 * @typedef {{ topic: string, partition?: number, offset: number, timestamp: number, key?: string | null,
 *   headers?: Record<string, string> | null, value?: string, valueBase64?: string }} WireRecord
 */
