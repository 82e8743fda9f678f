/**
 * `consume(topic, { group })` on evq's broker: a member of the group (group-member.ts) reading the partitions
 * it owns, at least once. A page is committed only once the caller has taken all of it (asked for the record
 * after), per partition with the generation it was read in, and the next read comes after the commit; on an
 * early stop what was taken is committed (the offset after the last record taken of each partition). A commit
 * refused by a rebalance drops the page (its new owner reads it again from the committed offset) and the read
 * goes on with the new assignment; an expired member joins again. Without `follow` the read ends when every
 * owned partition is at its end; the member leaves at the end (close, abort, limit, failure).
 */

import { topicAbsence } from '../../errors.js';
import type { ConsumeOptions, EvqRecord } from '../types.js';
import { CommitError, TopicGoneError } from '../errors.js';
import type { ConsumeSettings } from '../options.js';
import { sleep } from '../backoff.js';
import { startQuery } from './positions.js';
import type { HttpApi } from './http.js';
import { decodeMemberSection, type MemberSection } from '../../protocol/member-batches.js';
import { GroupMember, isCode, type MemberPage } from './group-member.js';
import { CommittedOffsets, describeOffsets, PageOffsets, type PartitionNext } from './member-offsets.js';

/** How often a read with `allowMissing` looks again for a topic that does not exist yet. */
const MISSING_POLL_MS = 250;
/** A read refused by a rebalance in progress is asked again after this pause (not in a tight loop). */
const REBALANCE_PAUSE_MS = 50;

/** A page handed out: its records, and the tally that counts those the caller took. */
interface HeldPage {
  /** The records handed out now: the page's (NDJSON), or those of its section being handed out. */
  records: readonly EvqRecord[];
  /** A binary page's sections, decoded one at a time as the caller gets to them. */
  sections: readonly MemberSection[];
  tally: PageOffsets;
}

/**
 * The records of {@link consumeGroupPages} one by one. Not an async generator: a record of a page already
 * read is handed out with one settled promise, not a generator's resumption per record (the group read path
 * is bound by the reader's CPU). `return()` (a `break`) ends the pages, which commits what was taken.
 */
export function consumeGroup(
  http: HttpApi,
  topic: string,
  group: string,
  options: ConsumeOptions,
  settings: ConsumeSettings,
): AsyncIterableIterator<EvqRecord> {
  const pages = consumeGroupPages(http, topic, group, options, settings);
  const signal = options.signal;
  let held: HeldPage | null = null;
  let index = 0;
  /** The next section of `held` to decode. */
  let section = 0;
  let done = false;
  const end = (): Promise<IteratorResult<EvqRecord>> => {
    done = true;
    held = null;
    return pages.return(undefined).then(() => ({ done: true, value: undefined }));
  };
  const iterator: AsyncIterableIterator<EvqRecord> = {
    next(): Promise<IteratorResult<EvqRecord>> {
      if (done) return Promise.resolve({ done: true, value: undefined });
      const page = held;
      if (page !== null && index >= page.records.length && section < page.sections.length) {
        try {
          page.records = decodeMemberSection(page.sections[section] as MemberSection, section);
        } catch (error) {
          // a malformed section: the read fails as a failed read would (what was taken is committed, the member leaves)
          done = true;
          held = null;
          return pages.throw(error).then(() => ({ done: true, value: undefined }));
        }
        section++;
        index = 0;
      }
      if (page !== null && index < page.records.length) {
        // the caller asked for another record: stop here when aborted (what was taken is committed)
        if (page.tally.taken > 0 && aborted(signal)) return end();
        page.tally.take();
        return Promise.resolve({ done: false, value: page.records[index++] as EvqRecord });
      }
      held = null;
      return pages.next().then((result) => {
        if (result.done === true) {
          done = true;
          return { done: true, value: undefined };
        }
        held = result.value;
        index = 0;
        section = 0;
        return iterator.next();
      });
    },
    return(): Promise<IteratorResult<EvqRecord>> {
      if (done) return Promise.resolve({ done: true, value: undefined });
      return end();
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** The member's pages, each held (uncommitted) until the next is asked for; the caller takes records of it through its tally. */
async function* consumeGroupPages(
  http: HttpApi,
  topic: string,
  group: string,
  options: ConsumeOptions,
  settings: ConsumeSettings,
): AsyncGenerator<HeldPage, void, undefined> {
  const { filter, signal } = options;
  const { limit, pageSize, follow, commit, waitMs, allowMissing } = settings;
  if (limit === 0 || aborted(signal)) return;
  const member = new GroupMember(http, { group, topics: [topic], sessionTimeoutMs: options.sessionTimeoutMs, clientId: 'evq-consume' });
  const committed = new CommittedOffsets();
  const placement = startQuery(options.from ?? 'earliest'); // only places partitions the group has no commit for
  let delivered = 0;
  /** The page being handed out, until it is committed (or dropped by a rebalance). */
  let held: PageOffsets | null = null;
  /** The generation and next offsets of the previous page: an empty page that stays there is the end. */
  let previous: string | null = null;
  let toldWaiting = false;
  /** Whether a read got an answer: a 404 of the topic after that means it was deleted. */
  let readOnce = false;
  const commitHeld = async (): Promise<void> => {
    const page = held;
    held = null;
    if (page === null || !commit) return;
    const offsets = committed.pending(page.offsets());
    if (offsets.length === 0) return;
    const written = options.beforeCommit?.();
    if (written !== undefined) await written;
    let outcome;
    try {
      outcome = await member.commit(page.generation, offsets);
    } catch (error) {
      throw new CommitError(topic, group, (offsets[0] as PartitionNext).offset, error, describeOffsets(offsets));
    }
    if (outcome === 'committed') committed.record(offsets);
    else committed.forget(); // the partitions moved on: their new owner reads them again from the committed offset
  };
  let finished = false;
  let failed = false;
  try {
    while (delivered < limit) {
      if (member.membership === null) {
        try {
          await member.join(signal);
          committed.forget();
          previous = null;
        } catch (error) {
          if (aborted(signal)) return;
          if (!(await waitForTopic(error))) return;
          continue;
        }
      }
      const query: Record<string, string | number | undefined> = {
        limit: Math.min(pageSize, limit - delivered),
        filter: filter !== undefined && filter.trim() !== '' ? filter : undefined,
        wait: follow ? `${waitMs}ms` : undefined,
        ...placement, // only places partitions the group has no commit for
      };
      let page: MemberPage;
      try {
        page = await member.read(query, signal, follow ? waitMs : 0);
        readOnce = true;
      } catch (error) {
        if (aborted(signal)) return;
        if (isCode(error, 'EVQ_ERR_UNKNOWN_MEMBER') || isCode(error, 'EVQ_ERR_REBALANCE')) {
          // expired (the membership is forgotten: the loop joins again) or the assignment moved: read again
          if (isCode(error, 'EVQ_ERR_REBALANCE')) {
            await member.heartbeat().catch(() => null);
            if (!(await sleep(REBALANCE_PAUSE_MS, signal))) return;
          }
          continue;
        }
        if (!(await waitForTopic(error))) return;
        continue;
      }
      if (page.missed > 0) options.onMissed?.({ topic, group, missed: page.missed });
      const tally =
        page.records !== null
          ? new PageOffsets(page.generation, page.records, page.next)
          : PageOffsets.ofRuns(page.generation, page.sections, page.next);
      held = tally;
      if (page.count > 0) {
        delivered += page.count;
        yield { records: page.records ?? [], sections: page.sections, tally };
        if (aborted(signal)) return;
      }
      await commitHeld();
      const at = `${page.generation} ${JSON.stringify(page.next)}`;
      if (page.count === 0 && !follow && at === previous) break;
      previous = at;
    }
    finished = true;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    try {
      // the caller stopped (limit, abort, break): what it took counts as consumed; a commit that fails then
      // rejects the caller's break as it would a read. After a failure of its own the read's error is reported.
      if (failed) await commitHeld().catch(() => undefined);
      else if (!finished || held !== null) await commitHeld();
    } finally {
      await member.leave();
    }
  }

  /** After a failed join or read: waits for a missing topic (true: try again) or throws why the read ends. */
  async function waitForTopic(error: unknown): Promise<boolean> {
    const absence = topicAbsence(error);
    if (absence === undefined) throw error;
    if (readOnce || absence === 'deleted') throw new TopicGoneError(topic, true, undefined, { cause: error });
    if (!allowMissing) throw new TopicGoneError(topic, false, undefined, { cause: error });
    if (!toldWaiting) {
      toldWaiting = true;
      options.onWaiting?.(topic);
    }
    return sleep(Math.min(waitMs, MISSING_POLL_MS), signal);
  }
}

/** Whether the caller has aborted (a function: the compiler would otherwise narrow `signal.aborted`). */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
