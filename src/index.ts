// evq's public library API: named exports only.

// errors
export {
  ERROR_CODES,
  EXIT,
  EvqConnectionError,
  EvqError,
  EvqFilterError,
  EvqStorageError,
  EvqUsageError,
  errorFromWire,
  isEvqErrorCode,
  type EvqErrorCode,
  type ExitCode,
} from './errors.js';

// the shared core
export { LIMITS, type Limits } from './core/limits.js';
export { formatDuration, parseDuration, MAX_DURATION_MS } from './core/durations.js';
export { formatSize, parseSize } from './core/sizes.js';
export * from './core/clock.js';
export * from './core/ring-buffer.js';
export * from './core/batcher.js';
export * from './core/buffer-pool.js';
export * from './core/heap.js';
export * from './core/scheduler.js';
export * from './core/filter/index.js';

// the wire contract
export type { EvqRecord, MessageInput } from './protocol/record.js';
export { decodeBatch, forEachRecord, readBatchHeader } from './protocol/record-codec.js';
export { encodeBatch } from './protocol/batch-encode.js';
export { validateGroupName, validateMessage, validateTopicName } from './protocol/validate.js';

// the client
export * from './client/index.js';

// the load generator (measures and returns results; never prints)
export * from './bench/index.js';

// the embedded broker
export { startBroker, type Broker, type BrokerOptions } from './broker/server.js';
