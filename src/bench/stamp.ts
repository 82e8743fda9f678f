/**
 * What every benchmark message carries so that a subscriber can time and verify it: the run, the producer, its
 * sequence number, whether it belongs to the warm-up, whether it was shaped to match the filter, its intended
 * send time (on the `--rate` schedule) and its actual send time — 40 bytes:
 *
 * ```text
 *  0  u32  magic "EVQB"
 *  4  u32  run id (messages of another run on the same topic are told apart and ignored)
 *  8  u32  producer id (0 … producers-1, across every worker thread)
 * 12  u32  flags: bit 0 warm-up, bit 1 shaped to match the filter
 * 16  f64  sequence number (per producer, from 0)
 * 24  f64  intended send time, ms on the monotonic clock (src/bench/time.ts)
 * 32  f64  actual send time, same clock
 * ```
 *
 * By default the stamp is the first 40 bytes of the value (the rest is filler up to `--size`). When the value
 * is the user's (`--payload-file`) or shaped for a filter, or shorter than 40 bytes, the stamp travels as the
 * header `evq-bench` instead, in hex (80 characters), and the value is left as it is.
 */

export const STAMP_BYTES = 40;
export const STAMP_MAGIC = 0x45565142; // "EVQB"
/** The header that carries the stamp when it is not in the value. */
export const STAMP_HEADER = 'evq-bench';
/** Length of the stamp as header text (hex). */
export const STAMP_HEX_LENGTH = STAMP_BYTES * 2;

export const STAMP_FLAGS = { warmup: 1, match: 2 } as const;

/** A decoded stamp (a reused object on the hot path: fields are overwritten by each read). */
export interface Stamp {
  runId: number;
  producer: number;
  flags: number;
  seq: number;
  intendedMs: number;
  sentMs: number;
}

export function emptyStamp(): Stamp {
  return { runId: 0, producer: 0, flags: 0, seq: 0, intendedMs: 0, sentMs: 0 };
}

/** Writes a stamp at `at` in `buf` (which must have 40 bytes there). */
export function writeStamp(buf: Buffer, at: number, stamp: Stamp): void {
  buf.writeUInt32BE(STAMP_MAGIC, at);
  buf.writeUInt32BE(stamp.runId, at + 4);
  buf.writeUInt32BE(stamp.producer, at + 8);
  buf.writeUInt32BE(stamp.flags, at + 12);
  buf.writeDoubleBE(stamp.seq, at + 16);
  buf.writeDoubleBE(stamp.intendedMs, at + 24);
  buf.writeDoubleBE(stamp.sentMs, at + 32);
}

/**
 * Writes again the fields of a stamp that change from message to message (flags, sequence number, times)
 * through `view` (a DataView of the 40 bytes a {@link writeStamp} with the same run and producer filled): a
 * reused value is restamped without Buffer's checked writes.
 */
export function rewriteStamp(view: DataView, stamp: Stamp): void {
  view.setUint32(12, stamp.flags);
  view.setFloat64(16, stamp.seq);
  view.setFloat64(24, stamp.intendedMs);
  view.setFloat64(32, stamp.sentMs);
}

/** 8 bytes to read a big-endian number through (one DataView for every read: none per record). */
const word = new Uint8Array(8);
const wordView = new DataView(word.buffer);

function u32At(buf: Uint8Array, at: number): number {
  return (buf[at] as number) * 0x1000000 + (((buf[at + 1] as number) << 16) | ((buf[at + 2] as number) << 8) | (buf[at + 3] as number));
}

function f64At(buf: Uint8Array, at: number): number {
  for (let i = 0; i < 8; i++) word[i] = buf[at + i] as number;
  return wordView.getFloat64(0);
}

/** Reads a stamp at `at` into `out`; false when there is none (too short, wrong magic). */
export function readStamp(buf: Uint8Array, at: number, out: Stamp): boolean {
  if (buf.length < at + STAMP_BYTES) return false;
  if (u32At(buf, at) !== STAMP_MAGIC) return false;
  out.runId = u32At(buf, at + 4);
  out.producer = u32At(buf, at + 8);
  out.flags = u32At(buf, at + 12);
  out.seq = f64At(buf, at + 16);
  out.intendedMs = f64At(buf, at + 24);
  out.sentMs = f64At(buf, at + 32);
  return true;
}

const scratch = Buffer.alloc(STAMP_BYTES);

/** The stamp as header text (80 hex characters). */
export function stampToHex(stamp: Stamp): string {
  writeStamp(scratch, 0, stamp);
  return scratch.toString('hex');
}

/** Writes the stamp as 80 hex characters (ASCII) at `at` in `buf`: the HTTP producer patches prebuilt requests. */
export function writeStampHex(buf: Buffer, at: number, stamp: Stamp): void {
  writeStamp(scratch, 0, stamp);
  buf.write(scratch.toString('hex'), at, STAMP_HEX_LENGTH, 'latin1');
}

/** Reads a stamp from its header text; false when it is not one. */
export function readStampHex(text: string | undefined, out: Stamp): boolean {
  if (text === undefined || text.length !== STAMP_HEX_LENGTH) return false;
  const n = scratch.write(text, 0, STAMP_BYTES, 'hex');
  if (n !== STAMP_BYTES) return false;
  return readStamp(scratch, 0, out);
}
