/**
 * Encodes produce frames straight into pooled buffers (`BufferPool`): one buffer per batch, reused batch
 * after batch, instead of the two allocations and one copy of `encodeBatch` + `encodeProduceFrame`. The
 * batch is written by the protocol's codec (`encodeBatchInto`) with timestamp 0 ("stamp on arrival") for
 * every message that carries none, so the bytes are exactly those of
 * `encodeProduceFrame(meta, encodeBatch(0, messages))`.
 */

import type { BufferPool } from '../../core/buffer-pool.js';
import { BATCH_HEADER_BYTES, MIN_RECORD_BYTES } from '../../protocol/batch-layout.js';
import { encodeBatchInto } from '../../protocol/batch-encode.js';
import { encodeProduceHeader } from '../../protocol/ws-frames.js';
import type { ProduceFrame } from '../../protocol/ws-frames.js';
import type { ProduceMessage } from '../types.js';

/** Every record of a produce frame says "stamp it on arrival". */
const STAMP_ON_ARRIVAL = { timestamp: 0 } as const;

/** Encoded bytes in a pooled buffer; `release()` gives the buffer back (once no one reads `bytes` any more). */
export interface PooledBytes {
  readonly bytes: Buffer;
  release(): void;
}

/**
 * Bytes a message takes in a batch: the record layout around `payloadBytes` (value, key, header names and
 * values: what `validateMessage` returns) and `headerCount` headers.
 */
export function encodedRecordBytes(payloadBytes: number, headerCount: number): number {
  return MIN_RECORD_BYTES + payloadBytes + 6 * headerCount;
}

/** Bytes of a batch whose records take `recordBytes` in all. */
export function encodedBatchBytes(recordBytes: number): number {
  return BATCH_HEADER_BYTES + recordBytes;
}

/**
 * Writes a whole produce frame (header and batch) into one pooled buffer. `recordBytes` is the sum of
 * {@link encodedRecordBytes} of the messages: the buffer is sized from it, once.
 */
export function writeProduceFrame(
  pool: BufferPool,
  meta: Omit<ProduceFrame, 'batch'>,
  messages: readonly ProduceMessage[],
  recordBytes: number,
): PooledBytes {
  const head = encodeProduceHeader(meta);
  return encodeInto(pool, head, messages, recordBytes);
}

/** Writes a batch alone into a pooled buffer (to be compressed, then framed). */
export function writeBatch(pool: BufferPool, messages: readonly ProduceMessage[], recordBytes: number): PooledBytes {
  return encodeInto(pool, null, messages, recordBytes);
}

function carryTimestamps(messages: readonly ProduceMessage[]): boolean {
  for (let i = 0; i < messages.length; i++) if ((messages[i] as ProduceMessage).timestamp !== undefined) return true;
  return false;
}

function encodeInto(pool: BufferPool, head: Buffer | null, messages: readonly ProduceMessage[], recordBytes: number): PooledBytes {
  const start = head === null ? 0 : head.length;
  const buf = pool.acquire(start + encodedBatchBytes(recordBytes));
  let end: number;
  try {
    if (head !== null) head.copy(buf, 0);
    // messages that carry their own time keep it (a topic copied with produce --json); 0 = stamp on arrival
    end = carryTimestamps(messages)
      ? encodeBatchInto(
          buf,
          start,
          0,
          messages.map((m) => ({ ...m, timestamp: m.timestamp ?? 0 })),
        )
      : encodeBatchInto(buf, start, 0, messages, STAMP_ON_ARRIVAL);
  } catch (error) {
    pool.release(buf);
    throw error;
  }
  let released = false;
  return {
    bytes: buf.subarray(0, end),
    release: () => {
      if (released) return;
      released = true;
      pool.release(buf);
    },
  };
}
