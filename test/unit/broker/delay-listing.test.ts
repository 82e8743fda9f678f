import { describe, expect, it } from 'vitest';
import { listDelayed, parseCursor, type DelayedQuery } from '../../../src/broker/delay-listing.js';
import type { DelayedEntryView } from '../../../src/broker/delay-queue.js';

/** n requests of 1–3 messages each, due in a shuffled order, some messages cancelled. */
function queue(n: number): DelayedEntryView[] {
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, r) => {
    const count = 1 + (r % 3);
    return {
      id: `req-${String(r).padStart(5, '0')}`,
      topic: r % 4 === 0 ? 'audit' : 'orders',
      dueAt: 1_000_000 + Math.floor(rnd() * 500) * 1000, // many requests share a due time
      messages: Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`r${r}m${i}`) })),
      removed: new Set(r % 10 === 0 ? [0] : []),
    };
  });
}

const query = (over: Partial<DelayedQuery> = {}): DelayedQuery => ({
  topic: null,
  filter: null,
  maxScan: 100_000,
  maxScanBytes: 64 << 20,
  maxScanMs: 2000,
  ...over,
});

function everyPage(entries: DelayedEntryView[], q: DelayedQuery, limit: number): string[] {
  const ids: string[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = listDelayed(entries, q, after === null ? null : parseCursor(after), limit);
    ids.push(...page.messages.map((m) => m.id));
    if (page.next === null) return ids;
    after = page.next;
  }
  throw new Error('paging did not end');
}

describe('listDelayed', () => {
  const entries = queue(2000);
  const expected = (topic: string | null): string[] =>
    [...entries]
      .filter((e) => topic === null || e.topic === topic)
      .sort((a, b) => a.dueAt - b.dueAt || (a.id < b.id ? -1 : 1))
      .flatMap((e) => e.messages.map((_, i) => (e.removed.has(i) ? null : `${e.id}.${i}`)).filter((x): x is string => x !== null));

  it('pages through every waiting message once, in due order, whatever the page size (across its chunks)', () => {
    for (const limit of [1, 7, 100, 1000]) expect(everyPage(entries, query(), limit)).toEqual(expected(null));
    expect(everyPage(entries, query({ topic: 'audit' }), 13)).toEqual(expected('audit'));
  });

  it('a page stops at its scan bounds (messages, bytes) and says where the next one starts', () => {
    const byCount = listDelayed(entries, query({ maxScan: 50 }), null, 1000);
    expect([byCount.scanned, byCount.messages.length]).toEqual([50, 50]);
    const byBytes = listDelayed(entries, query({ maxScanBytes: 100 }), null, 1000);
    expect(byBytes.messages.length).toBeLessThan(30);
    expect(byBytes.next).not.toBeNull();
    const rest = listDelayed(entries, query(), parseCursor(byBytes.next as string), 5);
    expect(rest.messages.map((m) => m.id)).toEqual(expected(null).slice(byBytes.messages.length, byBytes.messages.length + 5));
  });
});
