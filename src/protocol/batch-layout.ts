/**
 * The constants of the record batch layout (docs/PROTOCOL.md, "Record batches"), in a module without
 * imports that the decoder (record-codec.ts), the encoder (batch-encode.ts), the slicer (batch-slice.ts) and
 * the in-place validator (encoded-batch.ts) all read.
 */

/** The version written by this codec. */
export const BATCH_VERSION = 1;
/** Size of the batch header. */
export const BATCH_HEADER_BYTES = 40;
/** Smallest possible record: length, timestamp, key length, header count and value length. */
export const MIN_RECORD_BYTES = 4 + 8 + 4 + 2 + 4;
/** Key length of a record without a key. */
export const NULL_KEY = -1;
/** Header count of a record without headers. */
export const NULL_HEADERS = 0xffff;
export const MAX_U16 = 0xffff;
export const MAX_U32 = 0xffffffff;
export const MAX_I32 = 0x7fffffff;

/** A record timestamp: whole milliseconds since the epoch, not negative. */
export function isTimestamp(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
