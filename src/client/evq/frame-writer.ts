/**
 * Encodes produce frames straight into pooled buffers (`BufferPool` + `BufferWriter`): one buffer per batch,
 * reused batch after batch, instead of the two allocations and one copy of `encodeBatch` +
 * `encodeProduceFrame`. The bytes are exactly those of `encodeProduceFrame(meta, encodeBatch(0, messages))`
 * with every timestamp 0 ("stamp on arrival"): test/unit/client/frame-writer.test.ts checks it against the
 * protocol's encoders.
 *
 * (A workaround: `src/protocol/record-codec.ts` has no way to encode a batch into a given buffer. When it
 * gets one, this file should call it instead of repeating the record layout.)
 */

import { BufferWriter } from '../../core/buffer-pool.js';
import type { BufferPool } from '../../core/buffer-pool.js';
import { BATCH_HEADER_BYTES, BATCH_VERSION, MIN_RECORD_BYTES } from '../../protocol/record-codec.js';
import { encodeProduceFrame } from '../../protocol/ws-frames.js';
import type { ProduceFrame } from '../../protocol/ws-frames.js';
import type { ProduceMessage } from '../types.js';

const NULL_KEY = 0xffffffff; // i32 -1
const NULL_HEADERS = 0xffff;
const EMPTY = Buffer.alloc(0);

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

/** Writes a whole produce frame (header and batch) into one pooled buffer. */
export function writeProduceFrame(
  pool: BufferPool,
  meta: Omit<ProduceFrame, 'batch'>,
  messages: readonly ProduceMessage[],
  recordBytes: number,
): PooledBytes {
  const head = encodeProduceFrame(meta, EMPTY);
  const writer = new BufferWriter(pool, head.length + encodedBatchBytes(recordBytes));
  writer.bytes(head);
  writeBatchInto(writer, messages);
  return pooled(writer);
}

/** Writes a batch alone into a pooled buffer (to be compressed, then framed). */
export function writeBatch(pool: BufferPool, messages: readonly ProduceMessage[], recordBytes: number): PooledBytes {
  const writer = new BufferWriter(pool, encodedBatchBytes(recordBytes));
  writeBatchInto(writer, messages);
  return pooled(writer);
}

function pooled(writer: BufferWriter): PooledBytes {
  let released = false;
  return {
    bytes: writer.view(),
    release: () => {
      if (released) return;
      released = true;
      writer.release();
    },
  };
}

/** The batch layout of src/protocol/record-codec.ts (version 1), base offset 0, timestamps 0. */
function writeBatchInto(w: BufferWriter, messages: readonly ProduceMessage[]): void {
  const start = w.length;
  w.u8(BATCH_VERSION).u8(0).u16(0);
  w.u32(messages.length);
  const lengthAt = w.skip(4);
  w.u32(0);
  w.u64(0).u64(0).u64(0); // base offset, first and max timestamp: f64 0 is eight zero bytes
  for (const msg of messages) {
    const recordAt = w.skip(4);
    w.u64(0); // timestamp 0: the broker stamps it
    const { key, headers, value } = msg;
    if (key === null || key === undefined) w.u32(NULL_KEY);
    else writeSized(w, key);
    if (headers === null || headers === undefined) {
      w.u16(NULL_HEADERS);
    } else {
      const names = Object.keys(headers);
      w.u16(names.length);
      for (const name of names) {
        w.u16(Buffer.byteLength(name, 'utf8')).utf8(name);
        writeSized(w, headers[name] as string);
      }
    }
    if (typeof value === 'string') writeSized(w, value);
    else w.u32(value.length).bytes(value);
    w.setU32(recordAt, w.length - recordAt - 4);
  }
  w.setU32(lengthAt, w.length - start);
}

/** u32 length, then the UTF-8 text. */
function writeSized(w: BufferWriter, text: string): void {
  const at = w.skip(4);
  const before = w.length;
  w.utf8(text);
  w.setU32(at, w.length - before);
}
