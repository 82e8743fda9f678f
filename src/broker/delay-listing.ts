/**
 * What the delay queue holds, as the listing routes show it: the waiting messages in due order, narrowed by
 * topic and by a filter (run here, on the broker), in pages; and a histogram of their due times. Every walk is
 * bounded: a page looks at most `maxScan` messages, `maxScanBytes` of values and `maxScanMs` of time, whatever the
 * filter matches; and a page does not sort the whole queue: it takes the next requests in due order a chunk at a
 * time (a bounded heap over one pass), so a page of 100 costs one linear pass, not a sort of a million.
 */
import type { Filter, FilterRecord } from '../core/filter/index.js';
import type { MessageInput } from '../protocol/record.js';
import type { DelayedEntryView, DelayedMessage } from './delay-queue.js';

export interface DelayedQuery {
  topic: string | null;
  filter: Filter | null;
  /** Most messages looked at (the topic test and the filter run on each). */
  maxScan: number;
  /** Most bytes of values looked at, and the longest a walk may take (ms). */
  maxScanBytes: number;
  maxScanMs: number;
}

/** Looks at messages while the query's bounds allow it. */
class ScanBudget {
  scanned = 0;
  #bytes = 0;
  readonly #deadline: number;
  constructor(private readonly query: DelayedQuery) {
    this.#deadline = Date.now() + query.maxScanMs;
  }
  /** Counts `message` as looked at; false when a bound is reached (it is then not looked at). */
  take(message: MessageInput): boolean {
    if (this.scanned >= this.query.maxScan || this.#bytes >= this.query.maxScanBytes) return false;
    // the clock is read every 256 messages
    if ((this.scanned & 0xff) === 0 && this.scanned > 0 && Date.now() >= this.#deadline) return false;
    this.scanned++;
    this.#bytes += message.value.length;
    return true;
  }
}

/**
 * The `count` first requests in due order among those not before `from` (and of `topic`), sorted: one pass
 * keeping a max-heap of `count`, O(n log count).
 */
function nextRequests(
  entries: Iterable<DelayedEntryView>,
  topic: string | null,
  from: DelayedEntryView | null,
  count: number,
): DelayedEntryView[] {
  const heap: DelayedEntryView[] = [];
  const up = (i: number): void => {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compareEntries(heap[i] as DelayedEntryView, heap[parent] as DelayedEntryView) <= 0) break;
      [heap[i], heap[parent]] = [heap[parent] as DelayedEntryView, heap[i] as DelayedEntryView];
      i = parent;
    }
  };
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && compareEntries(heap[l] as DelayedEntryView, heap[top] as DelayedEntryView) > 0) top = l;
      if (r < heap.length && compareEntries(heap[r] as DelayedEntryView, heap[top] as DelayedEntryView) > 0) top = r;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top] as DelayedEntryView, heap[i] as DelayedEntryView];
      i = top;
    }
  };
  for (const e of entries) {
    if (topic !== null && e.topic !== topic) continue;
    if (from !== null && compareEntries(e, from) < 0) continue;
    if (heap.length < count) {
      heap.push(e);
      up(heap.length - 1);
    } else if (compareEntries(e, heap[0] as DelayedEntryView) < 0) {
      heap[0] = e;
      down(0);
    }
  }
  return heap.sort(compareEntries);
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
 * One page of waiting messages in due order (then request id, then index), after `after`. The requests are
 * taken in chunks (the next `limit`, then twice as many …) by {@link nextRequests}; the walk is bounded by the
 * query's scan limits.
 */
export function listDelayed(entries: Iterable<DelayedEntryView>, query: DelayedQuery, after: Cursor | null, limit: number): DelayedPage {
  const messages: DelayedMessage[] = [];
  const budget = new ScanBudget(query);
  let from: DelayedEntryView | null =
    after === null ? null : { id: after.id, dueAt: after.dueAt, topic: '', messages: [], removed: new Set() };
  let chunk = Math.max(16, limit);
  let skipFrom = false;
  for (;;) {
    const requests = nextRequests(entries, query.topic, from, chunk + (skipFrom ? 1 : 0));
    let first = 0;
    // the request the last chunk ended with was walked whole already
    if (skipFrom && requests[0] !== undefined && from !== null && compareEntries(requests[0], from) === 0) first = 1;
    for (let e = first; e < requests.length; e++) {
      const entry = requests[e] as DelayedEntryView;
      for (let i = 0; i < entry.messages.length; i++) {
        if (entry.removed.has(i) || (after !== null && !afterCursor(entry, i, after))) continue;
        const message = entry.messages[i] as MessageInput;
        if (messages.length >= limit || !budget.take(message)) return { messages, next: cursorText(entry, i - 1), scanned: budget.scanned };
        if (matches(query, entry, message)) messages.push({ id: `${entry.id}.${i}`, topic: entry.topic, dueAt: entry.dueAt, message });
      }
    }
    if (requests.length - first < chunk) return { messages, next: null, scanned: budget.scanned };
    from = requests[requests.length - 1] as DelayedEntryView;
    skipFrom = true;
    chunk *= 2;
  }
}

/** The due times of the matching waiting messages in `buckets` equal buckets from the earliest to the latest. */
export function histogramDelayed(entries: Iterable<DelayedEntryView>, query: DelayedQuery, buckets: number): DelayedHistogram {
  const due: number[] = [];
  const budget = new ScanBudget(query);
  let complete = true;
  walk: for (const entry of entries) {
    if (query.topic !== null && entry.topic !== query.topic) continue;
    for (let i = 0; i < entry.messages.length; i++) {
      if (entry.removed.has(i)) continue;
      const message = entry.messages[i] as MessageInput;
      if (!budget.take(message)) {
        complete = false;
        break walk;
      }
      if (matches(query, entry, message)) due.push(entry.dueAt);
    }
  }
  const scanned = budget.scanned;
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
