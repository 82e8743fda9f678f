/**
 * `consume(topic)` without a group over a topic of several partitions: every partition read with
 * `GET /topics/{topic}/messages?partition=N`, one page of each in turn (a fair round robin), each partition in
 * offset order. Without `follow` the read ends once every partition is at its end; with `follow`, when a
 * round brought nothing, it long-polls every partition at once and goes on with whichever answers first.
 * Nothing is committed. A 1-partition topic is read by consumer.ts with today's requests.
 */

import { EvqError, EvqUsageError, topicAbsence } from '../../errors.js';
import { PATHS } from '../../protocol/http.js';
import type { ConsumeOptions, EvqRecord, From, TopicInfo } from '../types.js';
import { TopicGoneError } from '../errors.js';
import type { ConsumeSettings } from '../options.js';
import type { HttpApi, ReadPage } from './http.js';
import { consume } from './consumer.js';
import { topicInfo } from './positions.js';

/** Most partitions long-polled at once (the client's agent keeps 16 sockets); past that the polls are short. */
const MAX_PARALLEL_POLLS = 8;
const SHORT_POLL_MS = 1000;
/** With `follow`, how often the topic's partition count is looked at again (a topic may grow). */
const GROWTH_CHECK_MS = 5000;

interface Cursor {
  partition: number;
  /** The query that places the first read (`from`, `time`), then `from` = the next offset. */
  start: Record<string, string | number>;
  next: number | null;
  /** The end offset last reported: lower later means the records are gone. */
  seenEnd: number | null;
  /** At the end of the partition (without follow: read no more). */
  atEnd: boolean;
}

/** The per-partition start of `from` (an offset is refused: it names a position in one partition only). */
export function partitionStarts(topic: string, info: TopicInfo, from: From): Cursor[] {
  if (typeof from === 'number') {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `topic "${topic}" has ${info.partitions.length} partitions: an offset is a position in one of them; read one with --partition N, or start at earliest, latest, -N or a time`,
    );
  }
  return info.partitions.map((p) => {
    let start: Record<string, string | number>;
    if (typeof from === 'string') start = { from };
    else if ('time' in from) start = { time: from.time };
    else start = { from: String(Math.max(p.startOffset, p.endOffset - from.last)) };
    return { partition: p.partition, start, next: null, seenEnd: null, atEnd: false };
  });
}

/** Whether a read was refused because the topic has several partitions and the read named none. */
export function needsPartition(error: unknown): boolean {
  return error instanceof EvqError && error.code === 'EVQ_ERR_INVALID_ARGUMENT' && /\bpartitions?\b/.test(error.message);
}

/**
 * `resume`: the next offset of partition 0 of a read that began on the topic when it had one partition (it
 * grew while it was followed): partition 0 goes on there, the new partitions start at their beginning.
 */
export async function* consumePartitions(
  http: HttpApi,
  info: TopicInfo,
  options: ConsumeOptions,
  settings: ConsumeSettings,
  resume?: number,
): AsyncGenerator<EvqRecord, void, undefined> {
  const topic = info.topic;
  const { filter, signal } = options;
  const { limit, pageSize, follow, waitMs } = settings;
  const cursors =
    resume === undefined
      ? partitionStarts(topic, info, options.from ?? 'earliest')
      : info.partitions.map((p): Cursor => ({
          partition: p.partition,
          start: { from: p.partition === 0 ? String(resume) : 'earliest' },
          next: null,
          seenEnd: null,
          atEnd: false,
        }));
  let delivered = 0;
  let checkedGrowthAt = Date.now();
  /** With follow: partitions added to the topic since are read too, from their beginning. */
  const checkGrowth = async (): Promise<void> => {
    if (!follow || Date.now() - checkedGrowthAt < GROWTH_CHECK_MS) return;
    checkedGrowthAt = Date.now();
    const now = await topicInfo(http, topic, signal).catch(() => null);
    for (const p of now?.partitions ?? []) {
      if (cursors.some((c) => c.partition === p.partition)) continue;
      cursors.push({ partition: p.partition, start: { from: 'earliest' }, next: null, seenEnd: null, atEnd: false });
    }
  };

  const query = (cursor: Cursor, wait: number): Record<string, string | number | undefined> => ({
    partition: cursor.partition,
    ...(cursor.next === null ? cursor.start : { from: String(cursor.next) }),
    limit: Math.min(pageSize, limit - delivered),
    filter: filter !== undefined && filter.trim() !== '' ? filter : undefined,
    wait: wait > 0 ? `${wait}ms` : undefined,
  });
  const read = async (cursor: Cursor, wait: number, abort: AbortSignal | undefined): Promise<ReadPage> => {
    try {
      return await http.readPage(PATHS.messages(topic), query(cursor, wait), abort, wait, topic);
    } catch (error) {
      if (topicAbsence(error) !== undefined) throw new TopicGoneError(topic, true, undefined, { cause: error });
      throw error;
    }
  };
  /** Takes a page's positions; the records are the caller's to hand out. */
  const advance = (cursor: Cursor, page: ReadPage): void => {
    if (page.endOffset !== null) {
      if (cursor.seenEnd !== null && page.endOffset < cursor.seenEnd) {
        throw new TopicGoneError(
          topic,
          true,
          `went back from end offset ${cursor.seenEnd} to ${page.endOffset} in partition ${cursor.partition} (the topic was deleted, or the broker lost its unsynced tail)`,
        );
      }
      cursor.seenEnd = page.endOffset;
    }
    const before = cursor.next;
    cursor.next = page.nextOffset;
    cursor.atEnd = page.endOffset !== null ? page.nextOffset >= page.endOffset : page.records.length === 0 && before === page.nextOffset;
  };

  while (delivered < limit && !aborted(signal)) {
    const round = follow ? cursors : cursors.filter((c) => !c.atEnd);
    if (round.length === 0) return;
    let brought = 0;
    for (const cursor of round) {
      if (delivered >= limit) return;
      let page: ReadPage;
      try {
        page = await read(cursor, 0, signal);
      } catch (error) {
        if (aborted(signal)) return;
        throw error;
      }
      advance(cursor, page);
      for (const record of page.records) {
        delivered++;
        brought++;
        yield record;
        if (aborted(signal) || delivered >= limit) return;
      }
    }
    if (!follow) continue;
    await checkGrowth();
    if (brought > 0) continue;
    // nothing new anywhere: wait on every partition at once, go on with what came
    const pages = await pollAll(cursors, read, signal, cursors.length > MAX_PARALLEL_POLLS ? Math.min(waitMs, SHORT_POLL_MS) : waitMs);
    for (const [cursor, page] of pages) {
      advance(cursor, page);
      for (const record of page.records) {
        delivered++;
        yield record;
        if (aborted(signal) || delivered >= limit) return;
      }
    }
  }
}

/**
 * Long-polls the partitions (at most MAX_PARALLEL_POLLS at a time) until one answers with records, then ends
 * the others: the pages that came, in partition order (a page that came empty moves nothing but its cursor).
 */
async function pollAll(
  cursors: Cursor[],
  read: (cursor: Cursor, wait: number, abort: AbortSignal | undefined) => Promise<ReadPage>,
  signal: AbortSignal | undefined,
  waitMs: number,
): Promise<Array<[Cursor, ReadPage]>> {
  const pages: Array<[Cursor, ReadPage]> = [];
  for (let at = 0; at < cursors.length && pages.every(([, p]) => p.records.length === 0); at += MAX_PARALLEL_POLLS) {
    const chunk = cursors.slice(at, at + MAX_PARALLEL_POLLS);
    const stop = new AbortController();
    const both = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
    let failure: unknown;
    await new Promise<void>((resolve) => {
      let pending = chunk.length;
      for (const cursor of chunk) {
        read(cursor, waitMs, both)
          .then(
            (page) => {
              pages.push([cursor, page]);
              if (page.records.length > 0) stop.abort();
            },
            (error: unknown) => {
              if (!stop.signal.aborted && !aborted(signal)) failure ??= error;
            },
          )
          .finally(() => {
            if (--pending === 0) resolve();
          });
      }
    });
    if (failure !== undefined && !aborted(signal)) throw failure;
    if (aborted(signal)) return [];
  }
  return pages.sort(([a], [b]) => a.partition - b.partition);
}

function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/**
 * A read without a group and without a partition: a topic of one partition is read by consumer.ts with
 * today's requests (no `partition` parameter); when the broker answers that the topic has several, every
 * partition is read (`consumePartitions`).
 */
export async function* consumeTopic(
  http: HttpApi,
  topic: string,
  options: ConsumeOptions,
  settings: ConsumeSettings,
): AsyncGenerator<EvqRecord, void, undefined> {
  let delivered = 0;
  /** The offset after the last record handed out (all of partition 0 while the topic had one partition). */
  let after: number | undefined;
  try {
    for await (const record of consume(http, topic, options, settings)) {
      delivered++;
      after = record.offset + 1;
      yield record;
    }
    return;
  } catch (error) {
    if (!needsPartition(error) || (delivered > 0 && !settings.follow)) throw error;
  }
  const info = await topicInfo(http, topic, options.signal);
  if (info === null) throw new TopicGoneError(topic, true);
  // a topic that grew while it was followed: partition 0 goes on after what was read, the new ones from their start
  const rest = { ...settings, limit: settings.limit - delivered };
  yield* consumePartitions(http, info, options, rest, delivered > 0 ? after : undefined);
}
