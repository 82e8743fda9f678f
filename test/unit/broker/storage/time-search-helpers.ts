// What the time index tests share: logs with producer-given timestamps that often go backwards, and the
// answer found by reading every record.
import { seededRandom } from '../../../helpers/spawn-broker.js';
import type { Log } from '../../../../src/broker/storage/log.js';
import type { MessageInput } from '../../../../src/protocol/record.js';

/** `batches` batches of 1 to 5 records whose timestamps mostly grow, with a jump back in about 1 of 4. */
export function batchesWithTimes(seed: number, batches: number, start = 1_000_000): MessageInput[][] {
  const random = seededRandom(seed);
  const out: MessageInput[][] = [];
  let clock = start;
  for (let b = 0; b < batches; b++) {
    const batch: MessageInput[] = [];
    const n = 1 + Math.floor(random() * 5);
    for (let i = 0; i < n; i++) {
      clock += Math.floor(random() * 4); // repeats too
      const backwards = random() < 0.25;
      const timestamp = backwards ? clock - Math.floor(random() * 400) : clock;
      batch.push({ value: `v-${b}-${i}`, timestamp: Math.max(1, timestamp) });
    }
    out.push(batch);
  }
  return out;
}

/** Every record of the log from its start: offset and timestamp. */
export async function stamps(log: Log): Promise<Array<{ offset: number; timestamp: number }>> {
  const out: Array<{ offset: number; timestamp: number }> = [];
  let from = log.startOffset;
  while (from < log.endOffset) {
    const records = await log.read(from, { maxRecords: 1000 });
    if (records.length === 0) break;
    for (const r of records) out.push({ offset: r.offset, timestamp: r.timestamp });
    from = (records[records.length - 1]?.offset as number) + 1;
  }
  return out;
}

/** The first offset of `records` stamped at or after `time`, by looking at every one; `end` when none is. */
export function bruteForce(records: ReadonlyArray<{ offset: number; timestamp: number }>, end: number, time: number): number {
  for (const r of records) if (r.timestamp >= time) return r.offset;
  return end;
}

/** Times worth asking about: every timestamp of the log, one either side, and times before and after everything. */
export function timesOf(records: ReadonlyArray<{ timestamp: number }>): number[] {
  const times = new Set<number>([-5, 0, 1, Number.MAX_SAFE_INTEGER]);
  for (const r of records)
    times
      .add(r.timestamp - 1)
      .add(r.timestamp)
      .add(r.timestamp + 1);
  return [...times].sort((a, b) => a - b);
}

/**
 * Asks `log` about every timestamp it holds (and one either side, and times before and after everything);
 * returns the times whose answer differs from looking at every record, and how many times were asked.
 */
export async function disagreements(log: Log): Promise<{ asked: number; wrong: Array<{ time: number; got: number; want: number }> }> {
  const records = await stamps(log);
  const times = timesOf(records);
  const wrong: Array<{ time: number; got: number; want: number }> = [];
  for (const time of times) {
    const got = await log.offsetForTime(time);
    const want = bruteForce(records, log.endOffset, time);
    if (got !== want) wrong.push({ time, got, want });
  }
  return { asked: times.length, wrong };
}
