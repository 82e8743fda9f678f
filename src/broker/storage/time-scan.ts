import { LIMITS } from '../../core/limits.js';
import type { Log } from './log.js';

/** LEAD PLACEHOLDER until the time index lands: the first offset stamped at or after `time`, by a scan. */
export async function scanForTime(log: Log, time: number): Promise<number> {
  let offset = log.startOffset;
  while (offset < log.endOffset) {
    const chunk = await log.read(offset, { maxRecords: LIMITS.maxReadLimit, maxBytes: LIMITS.readStepBytes });
    if (chunk.length === 0) break;
    for (const record of chunk) {
      if (record.offset < offset) continue;
      if (record.timestamp >= time) return record.offset;
      offset = record.offset + 1;
    }
  }
  return log.endOffset;
}
