import { FRAME_HEADER_BYTES } from './frame.js';
import type { AppendResult } from './log.js';
import type { Segment } from './segment.js';

/** An append in a topic log's write path: its encoded batch, where it was placed, and how to answer it. */
export interface AppendEntry {
  count: number;
  resolve: (result: AppendResult) => void;
  reject: (error: Error) => void;
  /** The encoded batch; its base offset field is set when the batch is placed. */
  batch: Buffer;
  header: Buffer | null;
  baseOffset: number;
  lastOffset: number;
  firstTimestamp: number;
  maxTimestamp: number;
  position: number;
  segment: Segment | null;
}

/** Bytes the append takes in its segment file: frame header and batch. */
export function frameBytes(entry: AppendEntry): number {
  return FRAME_HEADER_BYTES + entry.batch.length;
}
