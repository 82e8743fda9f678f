/** The options of a produce, checked (usage errors name the option) and with their defaults filled in. */

import { LIMITS } from '../core/limits.js';
import { EvqUsageError } from '../errors.js';
import type { MessageLimits } from '../protocol/validate.js';
import type { ProduceOptions } from './types.js';

export interface Settings {
  batchSize: number;
  /** Bytes per batch, counted as encoded records (so a full batch always fits the broker's frame limit). */
  batchBytes: number;
  lingerMs: number;
  maxInFlight: number;
  /** Due time of every message (ms since the epoch), 0 = now. */
  dueAt: number;
  gzip: boolean;
  /** The codec of the batches (`gzip` also sets `gzip`). */
  compression: 'gzip' | 'snappy' | 'lz4' | 'zstd' | 'none';
  /** Kafka's acks: -1 (all), 1, 0. */
  acks: -1 | 0 | 1;
  retries: number;
  idempotent: boolean;
  limits: MessageLimits;
}

/** The codecs `compression` takes over kafka:// (only gzip and none over the other transports). */
const KAFKA_CODECS = new Set(['gzip', 'snappy', 'lz4', 'zstd', 'none']);

/** `kafka`: the options of a produce over kafka://, which takes every codec and every acks setting. */
export function settingsOf(options: ProduceOptions, kafka = false): Settings {
  const int = (name: string, value: number, min: number, max: number): number => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `${name} must be a whole number from ${min} to ${max}, got ${String(value)}`);
    }
    return value;
  };
  if (options.delayMs !== undefined && options.at !== undefined) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', 'give a delay or a delivery time, not both');
  }
  let dueAt = 0;
  if (options.delayMs !== undefined) dueAt = Date.now() + int('delayMs', options.delayMs, 0, LIMITS.maxDelayMs);
  if (options.at !== undefined) dueAt = int('at', options.at, 0, Number.MAX_SAFE_INTEGER);
  if (dueAt > Date.now() + LIMITS.maxDelayMs) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `a message can be delayed by at most ${LIMITS.maxDelayMs / 86_400_000} days`);
  }
  const compression = options.compression ?? 'none';
  if (kafka ? !KAFKA_CODECS.has(compression) : compression !== 'gzip' && compression !== 'none') {
    const kafkaOnly = KAFKA_CODECS.has(compression) ? ' (snappy, lz4 and zstd are for kafka:// URLs)' : '';
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `--compression must be gzip or none here, got ${String(compression)}${kafkaOnly}`);
  }
  const acksOption = options.acks ?? 'all';
  if (acksOption !== 'all' && acksOption !== 1 && acksOption !== 0) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `acks must be all, 1 or 0, got ${String(acksOption)}`);
  }
  if (!kafka && acksOption !== 'all') {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `acks ${acksOption} is for kafka:// URLs: evq serve and JetStream acknowledge a message once it is stored (acks all)`,
    );
  }
  const maxMessageBytes = int('maxMessageBytes', options.maxMessageBytes ?? LIMITS.maxMessageBytes, 1, 2 ** 31);
  return {
    batchSize: int('batchSize', options.batchSize ?? LIMITS.defaultBatchCount, 1, LIMITS.maxBatchCount),
    batchBytes: int('batchBytes', options.batchBytes ?? LIMITS.defaultBatchBytes, 1, LIMITS.maxBatchBytes),
    lingerMs: int('lingerMs', options.lingerMs ?? LIMITS.defaultLingerMs, 0, 60_000),
    maxInFlight: int('maxInFlight', options.maxInFlight ?? LIMITS.defaultMaxInFlight, 1, 1024),
    dueAt,
    gzip: compression === 'gzip',
    compression,
    acks: acksOption === 'all' ? -1 : acksOption,
    retries: int('retries', options.retries ?? 5, 0, 1000),
    idempotent: options.idempotent === true,
    limits: { ...LIMITS, maxMessageBytes },
  };
}
