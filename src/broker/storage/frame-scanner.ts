/**
 * Walks the frames of a segment file, checking each (see `frame.ts`): the one loop under reads, recovery and
 * index rebuilds. Reads go through a window buffer of `chunkBytes`, so a scan does one read per chunk, not
 * per frame. Also finds the next good frame after damage (resynchronisation).
 */
import { LIMITS } from '../../core/limits.js';
import { FRAME_HEADER_BYTES, FRAME_MAGIC, checkFrame, readFrameHeader } from './frame.js';
import type { BatchHeader } from '../../protocol/record-codec.js';
import type { FileHandleIO } from './file-io.js';

/** Default size of the reads of a scan: {@link LIMITS.readStepBytes}. */
export const DEFAULT_CHUNK_BYTES = LIMITS.readStepBytes;
const RESYNC_WINDOW_BYTES = LIMITS.resyncWindowBytes;

/** A good frame met by {@link walkFrames}. `payload` is a view into the scan's read buffer. */
export interface Frame {
  position: number;
  frameBytes: number;
  header: BatchHeader;
  payload: Buffer;
}

/** Where and why a walk met something that is not a good frame. */
export interface BadFrame {
  position: number;
  reason: string;
}

export interface WalkResult {
  /** Position after the last frame visited. */
  position: number;
  /** Offset after the last frame visited. */
  nextOffset: number;
  /** `visit` returned `false`. */
  stopped: boolean;
  /** The walk met a bad frame (or a position `isDamaged` knows) before `limit`. */
  bad: BadFrame | null;
}

export interface WalkOptions {
  chunkBytes?: number;
  /** Positions of damage already known: the walk stops there without reading. */
  isDamaged?: (position: number) => boolean;
}

/**
 * Visits the frames of `file` from `position`, where a frame starting at `offset` must be, up to `limit`
 * (exclusive), until `visit` returns `false`, a bad frame is met, or `limit` is reached. A frame that would
 * run past `limit` is bad. Never throws for bad data; rejects only when the file cannot be read.
 */
export async function walkFrames(
  file: FileHandleIO,
  position: number,
  offset: number,
  limit: number,
  visit: (frame: Frame) => boolean | void,
  options: WalkOptions = {},
): Promise<WalkResult> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  let buf = Buffer.alloc(0);
  let bufStart = position;
  let pos = position;
  let expected = offset;

  const load = async (at: number, want: number): Promise<void> => {
    const size = Math.min(Math.max(want, chunkBytes), limit - at);
    const next = Buffer.allocUnsafe(size);
    const n = await file.read(next, 0, size, at);
    buf = n === size ? next : next.subarray(0, n);
    bufStart = at;
  };
  const bad = (reason: string): WalkResult => ({ position: pos, nextOffset: expected, stopped: false, bad: { position: pos, reason } });

  while (pos < limit) {
    if (options.isDamaged?.(pos) === true) return bad('known damage');
    if (pos + FRAME_HEADER_BYTES > limit) return bad('frame header cut short');
    if (pos + FRAME_HEADER_BYTES > bufStart + buf.length) await load(pos, FRAME_HEADER_BYTES);
    if (pos + FRAME_HEADER_BYTES > bufStart + buf.length) return bad('the file ends inside a frame header');
    const length = readFrameHeader(buf, pos - bufStart, limit - pos - FRAME_HEADER_BYTES);
    if (typeof length === 'string') return bad(length);
    const frameBytes = FRAME_HEADER_BYTES + length;
    if (pos + frameBytes > bufStart + buf.length) await load(pos, frameBytes);
    if (pos + frameBytes > bufStart + buf.length) return bad('the file ends inside a frame');
    const at = pos - bufStart;
    const header = checkFrame(buf, at, length, expected);
    if (typeof header === 'string') return bad(header);
    const payload = buf.subarray(at + FRAME_HEADER_BYTES, at + frameBytes);
    const cont = visit({ position: pos, frameBytes, header, payload });
    pos += frameBytes;
    expected = header.lastOffset + 1;
    if (cont === false) return { position: pos, nextOffset: expected, stopped: true, bad: null };
  }
  return { position: pos, nextOffset: expected, stopped: false, bad: null };
}

/**
 * Finds the first good frame at or after `from` (before `limit`) whose base offset is at least
 * `minOffset`: where reading can resume after damage. `null` when there is none. Slow path: searches the
 * bytes for the frame magic and checks every candidate.
 */
export async function findNextFrame(
  file: FileHandleIO,
  from: number,
  limit: number,
  minOffset: number,
): Promise<{ position: number; header: BatchHeader } | null> {
  const magic = Buffer.allocUnsafe(4);
  magic.writeUInt32BE(FRAME_MAGIC, 0);
  let windowStart = from;
  while (windowStart + FRAME_HEADER_BYTES <= limit) {
    const size = Math.min(RESYNC_WINDOW_BYTES, limit - windowStart);
    const window = Buffer.allocUnsafe(size);
    const n = await file.read(window, 0, size, windowStart);
    if (n < FRAME_HEADER_BYTES) return null;
    let i = window.indexOf(magic, 0);
    while (i >= 0 && i < n) {
      const candidate = windowStart + i;
      const found = await checkCandidate(file, candidate, limit, minOffset);
      if (found !== null) return { position: candidate, header: found };
      i = window.indexOf(magic, i + 1);
    }
    if (n < size) return null;
    // overlap by 3 bytes so a magic cut by the window's end is found in the next one
    windowStart += size - 3;
  }
  return null;
}

async function checkCandidate(file: FileHandleIO, position: number, limit: number, minOffset: number): Promise<BatchHeader | null> {
  if (position + FRAME_HEADER_BYTES > limit) return null;
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  if ((await file.read(head, 0, FRAME_HEADER_BYTES, position)) < FRAME_HEADER_BYTES) return null;
  const length = readFrameHeader(head, 0, limit - position - FRAME_HEADER_BYTES);
  if (typeof length === 'string') return null;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  if ((await file.read(frame, 0, frame.length, position)) < frame.length) return null;
  const header = checkFrame(frame, 0, length, null);
  if (typeof header === 'string' || header.baseOffset < minOffset) return null;
  return header;
}
