/**
 * The unfiltered binary member read of one partition: its stored batches as they are (`Log.readBatches`, the
 * first one cut to the read's offset by `sliceBatch`), no record decoded or encoded again, except the last
 * batch when the page's limit cuts it short.
 */
import { LIMITS } from '../../core/limits.js';
import { EvqError } from '../../errors.js';
import { encodeBatch } from '../../protocol/batch-encode.js';
import { sliceBatch } from '../../protocol/batch-slice.js';
import { TRUSTED_CODEC_LIMITS, decodeBatch, readBatchHeader } from '../../protocol/record-codec.js';
import type { Log } from '../storage/log.js';

export interface RawRun {
  /** Batches of consecutive offsets, from the read's offset on, `count` records in all. */
  batches: Buffer[];
  count: number;
  /** Bytes of the batches. */
  bytes: number;
  nextOffset: number;
}

/** At most `limit` records of `log` from `from` (not below its start) as stored batches. */
export async function readRawRun(log: Log, from: number, limit: number): Promise<RawRun> {
  let offset = Math.max(from, log.startOffset);
  const run: RawRun = { batches: [], count: 0, bytes: 0, nextOffset: offset };
  while (run.count < limit && offset < log.endOffset) {
    let read;
    try {
      read = await log.readBatches(offset, LIMITS.readStepBytes);
    } catch (err) {
      // a damaged range ahead: hand out what came before it; the next read (from `offset`) gets the error
      if (run.count > 0 && err instanceof EvqError && err.code === 'EVQ_ERR_CORRUPT_LOG') break;
      throw err;
    }
    const before = offset;
    offset = Math.max(offset, read.fromOffset);
    for (const stored of read.batches) {
      let batch = sliceBatch(stored, offset);
      if (batch === null) continue;
      const header = readBatchHeader(batch, TRUSTED_CODEC_LIMITS);
      let n = header.count;
      if (n > limit - run.count) {
        n = limit - run.count;
        batch = encodeBatch(header.baseOffset, decodeBatch(batch, log.topic, TRUSTED_CODEC_LIMITS, log.partition).slice(0, n));
      }
      run.batches.push(batch);
      run.count += n;
      run.bytes += batch.length;
      offset = header.baseOffset + n;
      if (run.count >= limit) break;
    }
    if (offset === before) break; // nothing past the offset (cannot be, but never loop on it)
  }
  run.nextOffset = offset;
  return run;
}
