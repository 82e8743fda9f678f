/** What an append hands a log (the disk one and the memory one alike), made ready to store: broker timestamps. */
import { stampBatch } from '../../protocol/encoded-batch.js';
import { TRUSTED_CODEC_LIMITS, malformed, readBatchHeader } from '../../protocol/record-codec.js';
import type { MessageInput, TimestampedMessage } from '../../protocol/record.js';

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
