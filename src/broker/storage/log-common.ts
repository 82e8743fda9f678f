/** Small pieces shared by the disk and the memory log: listeners, read arguments, broker timestamps. */
import { LIMITS } from '../../core/limits.js';
import { EvqUsageError } from '../../errors.js';
import { stampBatch } from '../../protocol/encoded-batch.js';
import { TRUSTED_CODEC_LIMITS, malformed, readBatchHeader } from '../../protocol/record-codec.js';
import type { MessageInput, TimestampedMessage } from '../../protocol/record.js';
import type { ReadOptions } from './log.js';

/** Default byte budget of one read. */
export const DEFAULT_READ_BYTES = 1024 * 1024;

/**
 * Listeners called synchronously in the order they were added. A listener that throws does not stop the
 * others nor the log: its error is rethrown on a later tick (an uncaught exception, as from an
 * EventEmitter), because a listener must not throw.
 */
export class ListenerSet<T> {
  private readonly listeners = new Set<(value: T) => void>();

  get size(): number {
    return this.listeners.size;
  }

  add(listener: (value: T) => void): () => void {
    const wrapped = (value: T): void => listener(value);
    this.listeners.add(wrapped);
    return () => {
      this.listeners.delete(wrapped);
    };
  }

  emit(value: T): void {
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

/** `maxRecords` and `maxBytes` of a read, with defaults and caps. */
export function readLimits(options: ReadOptions): { maxRecords: number; maxBytes: number } {
  const maxRecords = options.maxRecords ?? LIMITS.defaultReadLimit;
  const maxBytes = options.maxBytes ?? DEFAULT_READ_BYTES;
  if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `maxRecords must be a whole number >= 1, not ${String(maxRecords)}`);
  }
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `maxBytes must be a whole number >= 1, not ${String(maxBytes)}`);
  }
  return { maxRecords: Math.min(maxRecords, LIMITS.maxReadLimit), maxBytes };
}

/**
 * The offset a read starts at: `fromOffset`, or `startOffset` when retention already deleted it (records
 * carry their offsets, so the reader sees the jump). Throws `EVQ_ERR_INVALID_OFFSET` for a negative or
 * fractional offset or one past `endOffset`.
 */
export function checkReadOffset(topic: string, fromOffset: number, startOffset: number, endOffset: number): number {
  if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) {
    throw new EvqUsageError('EVQ_ERR_INVALID_OFFSET', `offset ${String(fromOffset)} is not a whole number >= 0`);
  }
  if (fromOffset > endOffset) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_OFFSET',
      `offset ${fromOffset} is past the end of topic "${topic}" (its next offset is ${endOffset})`,
    );
  }
  return Math.max(fromOffset, startOffset);
}

/** The messages with the broker's clock as timestamp where they have none (new objects; the input is not modified). */
export function timestamped(messages: readonly MessageInput[], now: number): TimestampedMessage[] {
  const out: TimestampedMessage[] = new Array<TimestampedMessage>(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const msg = messages[i] as MessageInput;
    out[i] = { value: msg.value, key: msg.key ?? null, headers: msg.headers ?? null, timestamp: msg.timestamp ?? now };
  }
  return out;
}

/**
 * Takes a batch given to `appendEncoded`: checks that its header agrees with the bytes and with `count` (the
 * records were checked by the caller) and stamps its records without a timestamp with `now`. Throws
 * `EVQ_ERR_MALFORMED` when the header disagrees.
 */
export function takeEncoded(batch: Buffer, count: number, now: number): void {
  const header = readBatchHeader(batch, TRUSTED_CODEC_LIMITS);
  if (header.byteLength !== batch.length) throw malformed(`the buffer holds ${batch.length} bytes but the batch says ${header.byteLength}`);
  if (header.count !== count) throw malformed(`the batch holds ${header.count} records, not ${count}`);
  stampBatch(batch, now);
}
