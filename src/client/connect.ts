/**
 * `connect(url)`: one transport per URL scheme, all behind the same `EvqClient` interface, so the CLI has no
 * transport-specific branches. `http://`, `https://`, `ws://` and `wss://` reach evq's own broker; `nats://`
 * reaches NATS JetStream (src/client/nats/);
 * `kafka://` any Kafka-compatible cluster (src/client/kafka/, on kafkajs).
 */

import { LIMITS } from '../core/limits.js';
import { EvqUsageError } from '../errors.js';
import type { ConnectOptions, EvqClient } from './types.js';
import { evqEndpoint } from './evq/endpoint.js';
import { EvqTransport } from './evq/transport.js';

/** Default wait for a connection or an acknowledgement. */
export const DEFAULT_TIMEOUT_MS = LIMITS.defaultTimeoutMs;

type TransportFactory = (url: URL, options: Required<Pick<ConnectOptions, 'timeoutMs'>> & ConnectOptions) => Promise<EvqClient>;

const evq: TransportFactory = async (url, options) => {
  const client = new EvqTransport(evqEndpoint(url), options);
  try {
    await client.ping();
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
};

/** The transports by URL scheme (with the colon, as `URL.protocol` has it). */
const TRANSPORTS: Readonly<Record<string, TransportFactory>> = {
  'http:': evq,
  'https:': evq,
  'ws:': evq,
  'wss:': evq,
  // loaded only when used: the nats package costs ~100 ms of start-up that evq:// commands never need
  'nats:': async (url, options) => (await import('./nats/transport.js')).connectNats(url, options),
  // kafkajs too is loaded only for kafka:// (its URL may list several brokers: kafka://a:9092,b:9092)
  'kafka:': async (url, options) => (await import('./kafka/transport.js')).connectKafka(url.href, options),
};

/** The URL schemes `connect` takes. */
export const SUPPORTED_SCHEMES: readonly string[] = Object.keys(TRANSPORTS).map((p) => p.slice(0, -1));

/**
 * Connects to the broker at `url` and checks that it answers (and takes the token). Rejects with
 * `EvqUsageError` (EVQ_ERR_INVALID_ARGUMENT) for a URL it cannot use, EVQ_ERR_UNREACHABLE when no broker
 * answers, EVQ_ERR_TIMEOUT when it does not answer within `timeoutMs`, EVQ_ERR_UNAUTHORIZED for a bad token.
 */
export async function connect(url: string, options: ConnectOptions = {}): Promise<EvqClient> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `timeoutMs must be a number > 0, got ${String(timeoutMs)}`);
  }
  // kafka://a:9092,b:9092 is no WHATWG URL (a list of hosts): the transport reads it itself
  const parsed = /^\s*kafka:\/\//i.test(String(url)) ? kafkaUrl(String(url)) : parseUrl(url);
  const factory = TRANSPORTS[parsed.protocol];
  if (factory === undefined) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `unsupported URL scheme "${parsed.protocol.slice(0, -1)}" in ${url}: use ${SUPPORTED_SCHEMES.map((s) => `${s}://`).join(', ')}`,
    );
  }
  return factory(parsed, { ...options, timeoutMs });
}

/** A kafka:// URL as a URL object whose `href` is the text given (the transport parses its host list). */
function kafkaUrl(url: string): URL {
  return { protocol: 'kafka:', href: url.trim() } as URL;
}

function parseUrl(url: string): URL {
  const text = typeof url === 'string' ? url.trim() : '';
  // "127.0.0.1:7070" or "localhost:7070": a scheme-less address means evq over HTTP
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  try {
    const parsed = new URL(withScheme);
    if (parsed.hostname === '') throw new Error('no host');
    return parsed;
  } catch {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `invalid broker URL ${JSON.stringify(String(url).slice(0, 100))}: expected something like http://127.0.0.1:7070`,
    );
  }
}
