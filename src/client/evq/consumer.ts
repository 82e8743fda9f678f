/**
 * Pull reads over HTTP NDJSON: pages of `GET /topics/{topic}/messages` (or, with a group, of
 * `GET /topics/{topic}/groups/{group}/messages?autocommit=true`, which reads from the group's committed
 * offset and commits each page's next offset), following `evq-next-offset`. Without `follow` the iteration
 * ends at the end of the log (also with a group); with `follow` each request long-polls for new records.
 */

import { PATHS } from '../../protocol/http.js';
import type { StartPosition } from '../../protocol/http.js';
import type { ConsumeOptions, EvqRecord } from '../types.js';
import type { HttpApi, ReadPage } from './http.js';
import { resolveFrom, startQuery } from './positions.js';
import { topicAbsence } from '../../errors.js';
import { CommitError, TopicGoneError } from '../errors.js';
import type { ConsumeSettings } from '../options.js';
import { sleep } from '../backoff.js';

/** How often a read with `allowMissing` looks again for a topic that does not exist yet. */
const MISSING_POLL_MS = 250;

export async function* consume(
  http: HttpApi,
  topic: string,
  options: ConsumeOptions,
  settings: ConsumeSettings,
): AsyncGenerator<EvqRecord, void, undefined> {
  const { group, filter, signal } = options;
  const { limit, pageSize, follow, commit, waitMs, allowMissing } = settings;
  if (limit === 0 || aborted(signal)) return;
  let from: StartPosition;
  try {
    from = await resolveFrom(http, topic, options.from ?? 'earliest', signal);
  } catch (error) {
    if (aborted(signal)) return;
    throw error;
  }
  let delivered = 0;
  /** Where the next plain read starts (after the first page of a group read). */
  let next: number | null = null;
  /** The next offset after the previous page: a page with no record that stays there is the end. */
  let previous: number | null = typeof from === 'number' ? from : null;
  /** With a group: the offset after the last record handed out, not yet committed (null when none). */
  let uncommitted: number | null = null;
  const commitTaken = async (): Promise<void> => {
    if (group === undefined || !commit || uncommitted === null) return;
    const offset = uncommitted;
    uncommitted = null;
    try {
      await http.json({
        method: 'POST',
        path: PATHS.groupCommit(topic, group),
        body: JSON.stringify({ offset }),
        headers: { 'content-type': 'application/json' },
      });
    } catch (error) {
      throw new CommitError(topic, group, offset, error);
    }
  };
  /**
   * The highest end offset the broker has reported. It goes down only when the topic was deleted (and created
   * again), or when the broker lost records it had not synced yet (a crash under --fsync never|interval, a
   * restart of a --memory broker): either way this read's position means nothing any more.
   */
  let seenEnd: number | null = null;
  /** Whether `onWaiting` was told (once per read). */
  let toldWaiting = false;
  let finished = false;
  let failed = false;
  try {
    while (delivered < limit) {
      const query: Record<string, string | number | undefined> = {
        limit: Math.min(pageSize, limit - delivered),
        filter: filter !== undefined && filter.trim() !== '' ? filter : undefined,
        wait: follow ? `${waitMs}ms` : undefined,
      };
      let path: string;
      if (group !== undefined && (commit || next === null)) {
        // the group route reads from the committed offset; what a page hands out is committed only once
        // the caller has taken all of it (asked for the record after), so a consumer killed mid-page sees
        // the rest of that page again: at least once, never skipped
        path = PATHS.groupMessages(topic, group);
        Object.assign(query, startQuery(from)); // only places a group that has no committed offset yet
      } else {
        path = PATHS.messages(topic);
        Object.assign(query, startQuery(next ?? from));
        if (options.partition !== undefined) query.partition = options.partition;
      }
      let page: ReadPage;
      try {
        page = await http.readPage(path, query, signal, follow ? waitMs : 0, topic);
      } catch (error) {
        if (aborted(signal)) return;
        const absence = topicAbsence(error);
        if (absence === undefined) throw error;
        // the topic is not there: deleted since this read saw it, or not created yet
        if (seenEnd !== null || absence === 'deleted') throw new TopicGoneError(topic, true, undefined, { cause: error });
        if (!allowMissing) throw new TopicGoneError(topic, false, undefined, { cause: error });
        if (!toldWaiting) {
          toldWaiting = true;
          options.onWaiting?.(topic);
        }
        if (!(await sleep(Math.min(waitMs, MISSING_POLL_MS), signal))) return;
        continue;
      }
      if (page.endOffset !== null) {
        if (seenEnd !== null && page.endOffset < seenEnd) {
          throw new TopicGoneError(
            topic,
            true,
            `went back from end offset ${seenEnd} to ${page.endOffset} (the topic was deleted, or the broker lost its unsynced tail)`,
          );
        }
        seenEnd = page.endOffset;
      }
      if (page.missed > 0 && group !== undefined) options.onMissed?.({ topic, group, missed: page.missed });
      for (const record of page.records) {
        delivered++;
        uncommitted = record.offset + 1;
        yield record;
        if (aborted(signal)) return;
      }
      // every record of the page was taken: the scan may have gone past filtered-out records too
      if (page.nextOffset > (page.committed ?? -1)) uncommitted = page.nextOffset;
      await commitTaken();
      if (page.records.length === 0 && !follow && page.nextOffset === previous) break;
      previous = page.nextOffset;
      next = page.nextOffset;
    }
    finished = true;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // the caller stopped (limit, abort, break): what it took counts as consumed, and a commit that fails
    // then rejects the caller's break (`return()`) as it would a read: a group read never ends quietly
    // uncommitted. After a failure of its own the read's error is the one reported.
    if (failed) await commitTaken().catch(() => undefined);
    else if (!finished || uncommitted !== null) await commitTaken();
  }
}

/** Whether the caller has aborted (a function: the compiler would otherwise narrow `signal.aborted`). */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
