import { EvqUsageError } from '../errors.js';
import type { ConnectOptions, EvqClient } from '../client/types.js';
import { formatDuration } from '../core/durations.js';
import { explainError } from './error-text.js';

/**
 * Checks `--url` (or EVQ_URL) before anything connects: a URL that cannot be one is a usage error. Without a
 * scheme (`localhost:7070`) it is http://.
 */
export function brokerUrl(input: string): string {
  // host:port (kcat's -b, nats' -s without a scheme): an evq broker over http://
  const trimmed = input.trim();
  // kafka://a:9092,b:9092 lists several brokers, which no WHATWG URL can: checked by the kafka transport
  if (/^kafka:\/\/[^/\s]+\/?$/i.test(trimmed)) return trimmed.replace(/\/+$/, '');
  const text = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/i.test(trimmed) ? `http://${trimmed}` : input;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `invalid --url "${input}": expected a URL like http://127.0.0.1:7070 (or nats://127.0.0.1:4222, kafka://127.0.0.1:9092)`,
    );
  }
  if (!/^(https?|wss?|nats):$/.test(url.protocol)) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `invalid --url "${input}": expected an http:// (or ws://) URL like http://127.0.0.1:7070, nats://127.0.0.1:4222 for NATS JetStream, or kafka://127.0.0.1:9092 for a Kafka cluster`,
    );
  }
  return text.replace(/\/+$/, '');
}

/**
 * Connects to the broker (loading the client only now, so `--help` stays fast); a failure becomes the one
 * line that names the URL and says what to do.
 */
export async function connectTo(url: string, options: ConnectOptions): Promise<EvqClient> {
  const { connect } = await import('../client/index.js');
  try {
    return await connect(url, options);
  } catch (err) {
    throw explainError(err, url, options.timeoutMs === undefined ? undefined : formatDuration(options.timeoutMs));
  }
}

/** What the run-* modules reach outside: injectable, so tests can run a command against a fake client. */
export interface CliEnv {
  connect(url: string, options: ConnectOptions): Promise<EvqClient>;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

export function processEnv(): CliEnv {
  // read when used: process.stdin is a stream made on first use (`evq produce t x` reads none)
  return {
    connect: connectTo,
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      return process.stdout;
    },
  };
}

/** Connects, runs `fn` and closes; a failure becomes the one line that names the broker. */
export async function withClient<T>(
  plan: { url: string; token: string | undefined; timeoutMs: number },
  env: CliEnv,
  fn: (client: EvqClient) => Promise<T>,
): Promise<T> {
  const client = await env.connect(plan.url, { token: plan.token, timeoutMs: plan.timeoutMs });
  try {
    return await fn(client);
  } catch (err) {
    throw explainError(err, plan.url);
  } finally {
    await client.close().catch(() => undefined);
  }
}
