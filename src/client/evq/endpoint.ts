/**
 * Where evq's broker is, as the HTTP and WebSocket sides of the client need it: `http://host:port/prefix`
 * gives HTTP requests under `/prefix` and the WebSocket at `ws://host:port/prefix/ws`. `ws://` and `wss://`
 * URLs name the same broker (HTTP over `http://` / `https://`).
 */

import { EvqUsageError } from '../../errors.js';
import { PATHS } from '../../protocol/http.js';

export interface Endpoint {
  /** The broker's URL as the user should see it in messages: `http://127.0.0.1:7070`. */
  readonly display: string;
  /** `http://host:port` or `https://host:port`: what the HTTP pool connects to. */
  readonly origin: string;
  /** Path prefix before evq's routes (`''`, or e.g. `/evq` behind a reverse proxy). */
  readonly prefix: string;
  /** The WebSocket URL of `/ws`. */
  readonly ws: string;
}

export function evqEndpoint(url: URL): Endpoint {
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (url.username !== '' || url.password !== '') {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', 'put the token in --token (or EVQ_TOKEN), not in the URL');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `the broker URL takes no query or fragment: ${url.href}`);
  }
  const host = url.host; // with the port when it is not the scheme's default
  const httpScheme = secure ? 'https' : 'http';
  const wsScheme = secure ? 'wss' : 'ws';
  let prefix = url.pathname.replace(/\/+$/, '');
  if (prefix === '/ws' && (url.protocol === 'ws:' || url.protocol === 'wss:')) prefix = ''; // ws://host:7070/ws
  return {
    display: `${httpScheme}://${host}${prefix}`,
    origin: `${httpScheme}://${host}`,
    prefix,
    ws: `${wsScheme}://${host}${prefix}${PATHS.ws()}`,
  };
}
