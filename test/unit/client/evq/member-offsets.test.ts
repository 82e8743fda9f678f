import { describe, expect, it } from 'vitest';
import { CommittedOffsets, describeOffsets, PageOffsets } from '../../../../src/client/evq/member-offsets.js';

const r = (partition: number, offset: number) => ({ topic: 'orders', partition, offset });
const n = (partition: number, offset: number) => ({ topic: 'orders', partition, offset });

/** A page of partition 0 (offsets 4, 5), 1 (10) and 2 (nothing: the filter skipped up to 30). */
function page(): PageOffsets {
  return new PageOffsets(7, [r(0, 4), r(1, 10), r(0, 5)], [n(0, 9), n(1, 11), n(2, 30)]);
}

describe('PageOffsets: what a member commits of a page', () => {
  it('a page taken whole: the next offset of every partition read (past filtered-out records too)', () => {
    const p = page();
    for (let i = 0; i < 3; i++) p.take();
    expect(p.complete).toBe(true);
    expect(p.generation).toBe(7);
    expect(p.offsets()).toEqual([n(0, 9), n(1, 11), n(2, 30)]);
  });

  it('nothing taken: only the partitions without records in the page', () => {
    expect(page().offsets()).toEqual([n(2, 30)]);
  });

  it('an early stop: after the last record taken of a partition part-taken, the next offset of one taken whole', () => {
    const p = page();
    p.take(); // 0:4
    expect(p.offsets()).toEqual([n(0, 5), n(2, 30)]);
    p.take(); // 1:10, the last of partition 1
    expect(p.offsets()).toEqual([n(0, 5), n(1, 11), n(2, 30)]);
    expect(p.complete).toBe(false);
  });

  it('a partition the header left out: after its last record once taken whole', () => {
    const p = new PageOffsets(1, [r(3, 0), r(3, 1)], []);
    p.take();
    p.take();
    p.take(); // past the end: nothing more
    expect(p.taken).toBe(2);
    expect(p.offsets()).toEqual([n(3, 2)]);
  });

  it('an empty page: the header offsets as they are', () => {
    const p = new PageOffsets(2, [], [n(1, 4)]);
    expect(p.complete).toBe(true);
    expect(p.offsets()).toEqual([n(1, 4)]);
  });
});

describe('CommittedOffsets', () => {
  it('does not send an offset committed already; forgets all after a rebalance', () => {
    const c = new CommittedOffsets();
    expect(c.pending([n(0, 9), n(1, 11)])).toEqual([n(0, 9), n(1, 11)]);
    c.record([n(0, 9), n(1, 11)]);
    expect(c.pending([n(0, 9), n(1, 12)])).toEqual([n(1, 12)]);
    c.forget();
    expect(c.pending([n(0, 9)])).toEqual([n(0, 9)]);
  });
});

it('describeOffsets names partitions, and topics when there are several', () => {
  expect(describeOffsets([n(0, 12), n(2, 7)])).toBe('partition 0 offset 12, partition 2 offset 7');
  expect(describeOffsets([n(0, 1), { topic: 'audit', partition: 0, offset: 2 }])).toBe('orders/0 offset 1, audit/0 offset 2');
});

describe('PageOffsets.ofRuns: a binary page known by its sections', () => {
  it('commits at every step what the same page known record by record commits', () => {
    // partition 2 offsets 10-11, then 14 (a filter's gap), partition 0 offsets 0-2, partition 2 again at 20
    const records = [r(2, 10), r(2, 11), r(2, 14), r(0, 0), r(0, 1), r(0, 2), r(2, 20)];
    const next = [n(0, 3), n(1, 50), n(2, 21)];
    const runs = [
      { topic: 'orders', partition: 2, offset: 10, count: 2 },
      { topic: 'orders', partition: 2, offset: 14, count: 1 },
      { topic: 'orders', partition: 0, offset: 0, count: 3 },
      { topic: 'orders', partition: 2, offset: 20, count: 1 },
    ];
    const byRecords = new PageOffsets(4, records, next);
    const byRuns = PageOffsets.ofRuns(4, runs, next);
    for (let i = 0; i <= records.length; i++) {
      expect(byRuns.taken).toBe(i);
      expect(byRuns.complete).toBe(i === records.length);
      expect(byRuns.offsets()).toEqual(byRecords.offsets());
      byRecords.take();
      byRuns.take();
    }
    expect(byRuns.offsets()).toEqual(next);
  });
});
