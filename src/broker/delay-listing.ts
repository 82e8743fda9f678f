/**
 * What the delay queue holds, as the listing routes show it: the waiting messages in due order, narrowed by
 * topic and by a filter (run here, on the broker), in pages; and a histogram of their due times. Every walk is
 * bounded: a page looks at most `maxScan` messages, whatever the filter matches.
 */
import type { Filter, FilterRecord } from '../core/filter/index.js';
import type { MessageInput } from '../protocol/record.js';
import type { DelayedEntryView, DelayedMessage } from './delay-queue.js';

export interface DelayedQuery {
  topic: string | null;
  filter: Filter | null;
  /** Most messages looked at (the topic test and the filter run on each). */
  maxScan: number;
}

export interface DelayedPage {
  messages: DelayedMessage[];
  /** Where the next page starts (pass it as `after`), or null when this page reached the end. */
  next: string | null;
  /** Messages looked at for this page. */
  scanned: number;
}

export interface DelayedHistogram {
  /** Due time of the first bucket's start and of the last bucket's end (ms since the epoch); null when none matched. */
  from: number | null;
  to: number | null;
  bucketMs: number;
  counts: number[];
  matched: number;
  scanned: number;
  /** False when the walk stopped at `maxScan` before it had seen every waiting message. */
  complete: boolean;
}

/** A cursor: `<dueAt>~<request id>~<index>`, the position of the last message looked at. */
interface Cursor {
  dueAt: number;
  id: string;
  index: number;
}

export function parseCursor(text: string): Cursor | null {
  const [due, id, index, ...rest] = text.split('~');
  const dueAt = Number(due);
  const i = Number(index);
  if (rest.length > 0 || id === undefined || id === '' || !Number.isSafeInteger(dueAt) || !Number.isSafeInteger(i)) return null;
  return { dueAt, id, index: i };
}

function cursorText(entry: DelayedEntryView, index: number): string {
  return `${entry.dueAt}~${entry.id}~${index}`;
}

function compareEntries(a: DelayedEntryView, b: DelayedEntryView): number {
  return a.dueAt - b.dueAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** True when (entry, index) comes after the cursor in due order. */
function afterCursor(entry: DelayedEntryView, index: number, cursor: Cursor): boolean {
  if (entry.dueAt !== cursor.dueAt) return entry.dueAt > cursor.dueAt;
  if (entry.id !== cursor.id) return entry.id > cursor.id;
  return index > cursor.index;
}

/** What a filter reads of a waiting message: it has no offset yet (-1), and its timestamp is its own or its due time. */
function filterRecord(entry: DelayedEntryView, message: MessageInput): FilterRecord {
  return {
    topic: entry.topic,
    offset: -1,
    timestamp: message.timestamp ?? entry.dueAt,
    key: message.key ?? null,
    headers: message.headers ?? null,
    value: message.value,
  };
}

function matches(query: DelayedQuery, entry: DelayedEntryView, message: MessageInput): boolean {
  if (query.topic !== null && entry.topic !== query.topic) return false;
  return query.filter === null || query.filter(filterRecord(entry, message));
}

/**
 * One page of waiting messages in due order (then request id, then index), after `after`. Sorting the pending
 * requests is O(n log n) in their number (at most LIMITS.maxDelayedPending); the walk is at most `maxScan`.
 */
export function listDelayed(entries: Iterable<DelayedEntryView>, query: DelayedQuery, after: Cursor | null, limit: number): DelayedPage {
  const sorted = (query.topic === null ? [...entries] : [...entries].filter((e) => e.topic === query.topic)).sort(compareEntries);
  let start = 0;
  if (after !== null) {
    // the first request not wholly before the cursor (binary search over the sorted requests)
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = sorted[mid] as DelayedEntryView;
      if (compareEntries(e, { id: after.id, dueAt: after.dueAt, topic: '', messages: [], removed: new Set() }) < 0) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const messages: DelayedMessage[] = [];
  let scanned = 0;
  for (let e = start; e < sorted.length; e++) {
    const entry = sorted[e] as DelayedEntryView;
    for (let i = 0; i < entry.messages.length; i++) {
      if (entry.removed.has(i) || (after !== null && !afterCursor(entry, i, after))) continue;
      if (scanned >= query.maxScan || messages.length >= limit) return { messages, next: lastCursor(sorted, e, i), scanned };
      scanned++;
      const message = entry.messages[i] as MessageInput;
      if (matches(query, entry, message)) messages.push({ id: `${entry.id}.${i}`, topic: entry.topic, dueAt: entry.dueAt, message });
    }
  }
  return { messages, next: null, scanned };
}

/** The cursor of the message just before (entry e, index i): where the next page picks up. */
function lastCursor(sorted: DelayedEntryView[], e: number, i: number): string {
  return cursorText(sorted[e] as DelayedEntryView, i - 1);
}

/** The due times of the matching waiting messages in `buckets` equal buckets from the earliest to the latest. */
export function histogramDelayed(entries: Iterable<DelayedEntryView>, query: DelayedQuery, buckets: number): DelayedHistogram {
  const due: number[] = [];
  let scanned = 0;
  let complete = true;
  walk: for (const entry of entries) {
    if (query.topic !== null && entry.topic !== query.topic) continue;
    for (let i = 0; i < entry.messages.length; i++) {
      if (entry.removed.has(i)) continue;
      if (scanned >= query.maxScan) {
        complete = false;
        break walk;
      }
      scanned++;
      if (matches(query, entry, entry.messages[i] as MessageInput)) due.push(entry.dueAt);
    }
  }
  const counts = new Array<number>(buckets).fill(0);
  if (due.length === 0) return { from: null, to: null, bucketMs: 0, counts, matched: 0, scanned, complete };
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const t of due) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const bucketMs = Math.max(1, Math.ceil((max - min + 1) / buckets));
  for (const t of due) {
    const b = Math.min(buckets - 1, Math.floor((t - min) / bucketMs));
    counts[b] = (counts[b] as number) + 1;
  }
  return { from: min, to: min + bucketMs * buckets, bucketMs, counts, matched: due.length, scanned, complete };
}
