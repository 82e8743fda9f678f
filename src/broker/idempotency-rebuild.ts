import { LIMITS } from '../core/limits.js';
import { HEADERS } from '../protocol/http.js';
import type { IdempotencyIndex } from './idempotency.js';
import type { Log } from './storage/log.js';
import type { TopicStore } from './storage/topic-store.js';

/** Offsets read per step, going back from the end of a log. */
const STEP = 10_000;
/** Most records looked at per topic: the window is short, so its records are near the end. */
const MAX_SCAN = LIMITS.maxIdempotencyRebuildRecords;

/**
 * Rebuilds the idempotency index after a restart from the records of the last window: each record
 * produced with an idempotency key carries it in its `evq-idempotency-key` header.
 */
export async function rebuildIdempotency(
  store: TopicStore,
  index: IdempotencyIndex,
  now: number,
  windowMs = LIMITS.idempotencyWindowMs,
): Promise<void> {
  const cutoff = now - windowMs;
  for (const info of store.list()) {
    for (const log of store.get(info.topic)?.partitions ?? []) await rebuildFromLog(log, index, cutoff);
  }
}

/** The keys of one partition's records younger than `cutoff`, read back from its end. */
async function rebuildFromLog(log: Log, index: IdempotencyIndex, cutoff: number): Promise<void> {
  {
    let hi = log.endOffset;
    let scanned = 0;
    try {
      while (hi > log.startOffset && scanned < MAX_SCAN) {
        const lo = Math.max(log.startOffset, hi - STEP);
        let offset = lo;
        let oldest = Number.POSITIVE_INFINITY;
        while (offset < hi) {
          const records = await log.read(offset, { maxRecords: hi - offset, maxBytes: LIMITS.idempotencyRebuildReadBytes });
          if (records.length === 0) break;
          for (const record of records) {
            if (record.offset >= hi) break;
            offset = record.offset + 1;
            scanned++;
            oldest = Math.min(oldest, record.timestamp);
            const key = record.headers?.[HEADERS.idempotencyKey];
            if (key !== undefined && record.timestamp >= cutoff) {
              index.remember(log.topic, key, log.partition, record.offset, record.offset, record.timestamp);
            }
          }
        }
        if (oldest < cutoff) break;
        hi = lo;
      }
    } catch {
      // a damaged range ends the scan of this topic; what was found is kept
    }
  }
}
