import { once } from 'node:events';
import { LIMITS } from '../core/limits.js';
import { EvqError, EvqUsageError, topicNotFound } from '../errors.js';
import type { Filter } from '../core/filter/index.js';
import type { StartPosition } from '../protocol/http.js';
import type { EvqRecord } from '../protocol/record.js';
import type { Ingest } from './ingest.js';
import type { BrokerMetrics } from './metrics.js';
import type { AppendEvent, Log } from './storage/log.js';
import type { Topic } from './storage/topic.js';
import type { TopicStore } from './storage/topic-store.js';

export interface ReadOptions {
  limit: number;
  filter?: Filter | null;
  /** Long poll: how long to wait for new records when there are none yet (ms). */
  waitMs?: number;
  /** Ends a long poll early (the client went away). */
  signal?: AbortSignal;
  /** Most records looked at (default and ceiling LIMITS.maxScanRecords). */
  maxScan?: number;
}

export interface ReadResult {
  records: EvqRecord[];
  /** The offset to read from next. */
  nextOffset: number;
  /** The partition's end offset when it was read. */
  endOffset: number;
  /** Records looked at (all of them, matched or not) and their value bytes. */
  scanned: number;
  scannedBytes: number;
}

/**
 * The offset a position stands for in a partition's log as it is now: `earliest`, `latest`, an offset (not below
 * the start), the last N records (`{last: N}`), or the first record stamped at or after a time (`{time: MS}`:
 * the end when there is none, the start when the time is before everything).
 */
export async function resolvePosition(log: Log, from: StartPosition): Promise<number> {
  if (from === 'earliest') return log.startOffset;
  if (from === 'latest') return log.endOffset;
  if (typeof from === 'number') return Math.max(from, log.startOffset);
  if ('last' in from) return Math.max(log.startOffset, log.endOffset - from.last);
  return log.offsetForTime(from.time);
}

/**
 * Pull reads: records of a topic from a position, optionally filtered, optionally waiting (long poll) for
 * records to arrive. A read scans at most LIMITS.maxScanRecords records, LIMITS.maxScanBytes value bytes and
 * LIMITS.maxScanMs before it returns what it has, so one request can never pin the broker; `nextOffset` tells
 * where the scan stopped.
 */
export class Reader {
  #longPolls = 0;

  constructor(
    private readonly store: TopicStore,
    private readonly ingest: Ingest,
    private readonly metrics: BrokerMetrics,
  ) {}

  /** Long polls waiting for an append now (for stats and tests: a request is pending, not yet answered). */
  get pendingLongPolls(): number {
    return this.#longPolls;
  }

  /** Counts a long poll waiting elsewhere (a group member's read of several partitions) until the returned function is called. */
  countLongPoll(): () => void {
    this.#longPolls++;
    let ended = false;
    return () => {
      if (!ended) this.#longPolls--;
      ended = true;
    };
  }

  /**
   * The log of a partition of a topic. Rejects with EVQ_ERR_NOT_FOUND when the topic does not exist, and with
   * EVQ_ERR_INVALID_ARGUMENT for a partition it does not have.
   */
  partitionLog(topic: string, partition: number): Log {
    const t = this.store.get(topic);
    if (t === undefined) throw topicNotFound(topic, 'missing');
    const log = t.partition(partition);
    if (log === undefined) {
      throw new EvqUsageError(
        'EVQ_ERR_INVALID_ARGUMENT',
        `topic "${topic}" has ${t.partitionCount} partition${t.partitionCount === 1 ? '' : 's'} (0 to ${t.partitionCount - 1}): there is no partition ${partition}`,
      );
    }
    return log;
  }

  /**
   * Rejects with EVQ_ERR_NOT_FOUND when the topic does not exist, or is deleted while a long poll waits on it
   * (a read never waits on, nor reads from, another topic of the same name without saying so), and with
   * EVQ_ERR_INVALID_ARGUMENT for a partition the topic does not have.
   */
  async read(topic: string, partition: number, from: StartPosition, options: ReadOptions): Promise<ReadResult> {
    const t = this.store.get(topic);
    const log = this.partitionLog(topic, partition);
    let offset = await resolvePosition(log, from);
    const deadline = Date.now() + (options.waitMs ?? 0);
    for (;;) {
      if (this.store.get(topic) !== t) throw topicNotFound(topic, 'deleted');
      const result = await this.#readNow(topic, log, offset, options);
      if (result.records.length > 0 || Date.now() >= deadline || options.signal?.aborted) return result;
      offset = result.nextOffset;
      if (!(await this.#waitForAppend(t, log, offset, deadline - Date.now(), options.signal))) return result;
    }
  }

  async #readNow(topic: string, log: Log, from: number, options: ReadOptions): Promise<ReadResult> {
    const records: EvqRecord[] = [];
    let offset = Math.max(from, log.startOffset);
    let scanned = 0;
    let scannedBytes = 0;
    let bytes = 0;
    const deadline = Date.now() + LIMITS.maxScanMs;
    const maxScan = Math.min(options.maxScan ?? LIMITS.maxScanRecords, LIMITS.maxScanRecords);
    while (
      records.length < options.limit &&
      offset < log.endOffset &&
      scanned < maxScan &&
      scannedBytes < LIMITS.maxScanBytes &&
      (scanned === 0 || Date.now() < deadline)
    ) {
      let chunk: EvqRecord[];
      try {
        chunk = await log.read(offset, { maxRecords: Math.min(options.limit, 10_000), maxBytes: LIMITS.readStepBytes });
      } catch (err) {
        // a damaged range ahead: hand out what came before it; the next read (from `offset`) gets the error
        if (scanned > 0 && err instanceof EvqError && err.code === 'EVQ_ERR_CORRUPT_LOG') break;
        throw err;
      }
      if (chunk.length === 0) break;
      for (const record of chunk) {
        if (record.offset < offset) continue;
        offset = record.offset + 1;
        scanned++;
        scannedBytes += record.value.length;
        if (!options.filter || options.filter(record)) {
          records.push(record);
          bytes += record.value.length;
        }
        if (records.length >= options.limit || scanned >= maxScan) break;
      }
    }
    if (records.length > 0) {
      this.metrics.messagesOut.add({ topic }, records.length);
      this.metrics.bytesOut.add({ topic }, bytes);
    }
    return { records, nextOffset: offset, endOffset: log.endOffset, scanned, scannedBytes };
  }

  /**
   * Resolves true when the topic's log grows past `offset` or the topic is deleted (the caller looks again),
   * false at the deadline or on abort.
   */
  async #waitForAppend(t: Topic | undefined, log: Log, offset: number, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (ms <= 0) return false;
    const topic = log.topic;
    if (log.endOffset > offset || this.store.get(topic) !== t) return true;
    const timeout = AbortSignal.timeout(ms);
    const deleted = new AbortController();
    const unsubscribe = this.store.onTopic((event) => {
      if (event.type === 'deleted' && event.topic === topic) deleted.abort();
    });
    const combined = AbortSignal.any(signal ? [signal, timeout, deleted.signal] : [timeout, deleted.signal]);
    this.#longPolls++;
    try {
      for (;;) {
        const [event] = await once(this.ingest, 'append', { signal: combined });
        const appended = event as AppendEvent;
        if (appended.topic === topic && appended.partition === log.partition) return true;
      }
    } catch {
      return deleted.signal.aborted;
    } finally {
      this.#longPolls--;
      unsubscribe();
    }
  }
}
