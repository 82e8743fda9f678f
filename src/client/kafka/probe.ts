/**
 * Finds out, before kafkajs is used, whether a Kafka broker answers at any of the bootstrap addresses: one
 * ApiVersions v0 request (evq's own codec) on a plain socket, closed again. kafkajs keeps retrying a
 * connection whose requests time out — its sockets and timers outlive a failed `connect()` — so a server that
 * accepts and never answers would keep the process alive well past `--timeout`; found out here, it costs
 * one round trip and the command fails within the timeout.
 */

import { connect as netConnect } from 'node:net';
import { API_KEY } from '../../protocol/kafka/api-keys.js';
import { frame, writeRequestHeader } from '../../protocol/kafka/header.js';

/** Why a bootstrap address did not answer. */
export class ProbeError extends Error {
  override name = 'ProbeError';
  readonly code: string;
  constructor(code: 'ETIMEDOUT' | 'ECONNREFUSED' | 'ECONNRESET' | 'EPROTO' | string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

const REQUEST = frame((w) => writeRequestHeader(w, { apiKey: API_KEY.ApiVersions, apiVersion: 0, correlationId: 1, clientId: 'evq' }));

function probeOne(hostPort: string, timeoutMs: number): Promise<void> {
  const at = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(hostPort.slice(at + 1));
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    let seen = 0;
    const done = (error?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => done(new ProbeError('ETIMEDOUT', `no answer to ApiVersions within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => socket.write(REQUEST));
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      // a size and a correlation id: something Kafka-shaped answered (kafkajs reads the rest)
      if (seen >= 8) done();
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(new ProbeError(error.code ?? 'ECONNRESET', error.message, { cause: error })),
    );
    socket.once('close', () => done(new ProbeError('ECONNRESET', 'the server closed the connection without answering')));
  });
}

/** Resolves once one of `brokers` (`host:port`) answers; else rejects with the first address's failure. */
export async function probeBrokers(brokers: readonly string[], timeoutMs: number): Promise<void> {
  try {
    await Promise.any(brokers.map((b) => probeOne(b, timeoutMs)));
  } catch (error) {
    const first = error instanceof AggregateError ? (error.errors[0] as unknown) : error;
    throw first ?? new ProbeError('ECONNREFUSED', 'no broker address');
  }
}
