import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MATCH_SCALE, isMatch, matchCount, matchPpm } from '../../../src/bench/match.js';
import { SequenceVerifier, VERDICT } from '../../../src/bench/verifier.js';

const ALL = MATCH_SCALE;

describe('match ratio', () => {
  it('spreads the matches evenly and counts them exactly', () => {
    const ppm = matchPpm(0.1);
    const matches = Array.from({ length: 100 }, (_, i) => i).filter((i) => isMatch(i, ppm));
    expect(matches).toEqual([9, 19, 29, 39, 49, 59, 69, 79, 89, 99]);
    expect(matchCount(0, 100, ppm)).toBe(10);
    expect(matchCount(0, 1_000_000_000_000, ppm)).toBe(100_000_000_000);
    expect(isMatch(5, ALL) && !isMatch(5, 0)).toBe(true);
    expect(matchCount(10, 5, ppm)).toBe(0);
  });

  it('matchCount(lo, hi) is the number of isMatch in [lo, hi), for any ratio', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MATCH_SCALE }), fc.nat(10_000), fc.nat(300), (ppm, lo, len) => {
        let n = 0;
        for (let s = lo; s < lo + len; s++) if (isMatch(s, ppm)) n++;
        expect(matchCount(lo, lo + len, ppm)).toBe(n);
      }),
    );
  });
});

describe('SequenceVerifier', () => {
  it('in order, exactly once: nothing lost, duplicated or reordered', () => {
    const v = new SequenceVerifier(2, ALL);
    for (let s = 0; s < 100; s++) {
      expect(v.accept(0, s)).toBe(VERDICT.ok);
      expect(v.accept(1, s)).toBe(VERDICT.ok);
    }
    expect(v.counts([100, 100])).toEqual({ received: 200, lost: 0, undelivered: 0, duplicated: 0, reordered: 0, unexpected: 0 });
    expect(v.completeUpTo(0, 100)).toBe(true);
    expect(v.completeUpTo(0, 101)).toBe(false);
  });

  it('a gap is lost unless it arrives later (then it is reordered)', () => {
    const v = new SequenceVerifier(1, ALL);
    for (const s of [0, 1, 5, 6, 2, 4, 9]) v.accept(0, s);
    // 3, 7, 8 never came; 2 and 4 came after 5
    expect(v.counts([10])).toEqual({ received: 7, lost: 3, undelivered: 0, duplicated: 0, reordered: 2, unexpected: 0 });
    expect(v.completeUpTo(0, 10)).toBe(false);
    expect(v.completeUpTo(0, 3)).toBe(true);
  });

  it('a message received twice is a duplicate, whether in order or not', () => {
    const v = new SequenceVerifier(1, ALL);
    for (const s of [0, 1, 1, 2, 0, 3]) v.accept(0, s);
    expect(v.counts([4])).toEqual({ received: 4, lost: 0, undelivered: 0, duplicated: 2, reordered: 0, unexpected: 0 });
  });

  it('counts as lost only what the broker acknowledged; unacknowledged messages that arrive are fine', () => {
    const v = new SequenceVerifier(2, ALL);
    for (const s of [0, 1, 2, 3, 4]) v.accept(0, s);
    // producer 0: 3 acknowledged, 5 arrived; producer 1: 2 acknowledged, none arrived
    expect(v.counts([3, 2]).lost).toBe(2);
  });

  it('with a filter, only matching sequence numbers are expected, and a non-matching one is unexpected', () => {
    const ppm = matchPpm(0.5); // odd sequence numbers match
    const v = new SequenceVerifier(1, ppm);
    expect(v.accept(0, 1)).toBe(VERDICT.ok);
    expect(v.accept(0, 3)).toBe(VERDICT.ok);
    expect(v.accept(0, 4)).toBe(VERDICT.unexpected);
    expect(v.accept(0, 7)).toBe(VERDICT.ok); // 5 missing
    expect(v.accept(0, 5)).toBe(VERDICT.reordered);
    expect(v.counts([10])).toEqual({ received: 4, lost: 1, undelivered: 0, duplicated: 0, reordered: 1, unexpected: 1 }); // 9 lost
    expect(v.completeUpTo(0, 9)).toBe(true);
  });

  it('against a model: any delivery of a shuffled, thinned, repeated sequence is counted exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(60), { maxLength: 200 }), fc.integer({ min: 0, max: 60 }), (deliveries, acked) => {
        const v = new SequenceVerifier(1, ALL);
        const seen = new Set<number>();
        let highest = -1;
        let reordered = 0;
        let duplicated = 0;
        for (const s of deliveries) {
          if (seen.has(s)) duplicated++;
          else if (s < highest) reordered++;
          seen.add(s);
          highest = Math.max(highest, s);
          v.accept(0, s);
        }
        let lost = 0;
        for (let s = 0; s < acked; s++) if (!seen.has(s)) lost++;
        expect(v.counts([acked])).toEqual({ received: seen.size, lost, undelivered: 0, duplicated, reordered, unexpected: 0 });
      }),
    );
  });

  it('a subscription that ended early: its gaps are lost, what came after its last message is undelivered', () => {
    const v = new SequenceVerifier(2, ALL);
    for (const s of [0, 1, 3, 4]) v.accept(0, s); // 2 went missing while it ran; producer 1 never reached it
    expect(v.counts([10, 5])).toMatchObject({ received: 4, lost: 1 + 5 + 5, undelivered: 0 });
    expect(v.counts([10, 5], true)).toMatchObject({ received: 4, lost: 1, undelivered: 5 + 5 });
  });

  it('bounded memory: past maxGaps the oldest gap is written off as lost', () => {
    const v = new SequenceVerifier(1, ALL, 2);
    for (const s of [1, 3, 5, 7]) v.accept(0, s); // gaps 0, 2, 4, 6
    expect(v.counts([8]).lost).toBe(4);
    expect(v.accept(0, 0)).toBe(VERDICT.duplicated); // written off: no longer a gap
    expect(v.accept(0, 6)).toBe(VERDICT.reordered);
    expect(v.counts([8]).lost).toBe(3);
  });
});

describe('SequenceVerifier per partition', () => {
  it("a producer's batches on different partitions may interleave: exactly once, in order within each partition", () => {
    const v = new SequenceVerifier(1, ALL);
    // batches 0-9 → partition 0, 10-19 → partition 1, 20-29 → partition 0; partition 1 is read first
    for (let s = 10; s < 20; s++) expect(v.accept(0, s, 1)).toBe(VERDICT.ok);
    for (let s = 0; s < 10; s++) expect(v.accept(0, s, 0)).toBe(VERDICT.ok);
    for (let s = 20; s < 30; s++) expect(v.accept(0, s, 0)).toBe(VERDICT.ok);
    expect(v.counts([30])).toEqual({ received: 30, lost: 0, undelivered: 0, duplicated: 0, reordered: 0, unexpected: 0 });
    expect(v.completeUpTo(0, 30)).toBe(true);
  });

  it('out of order within one partition is reordered; a message read again from another partition is duplicated', () => {
    const v = new SequenceVerifier(1, ALL);
    expect(v.accept(0, 0, 2)).toBe(VERDICT.ok);
    expect(v.accept(0, 2, 2)).toBe(VERDICT.ok);
    expect(v.accept(0, 1, 2)).toBe(VERDICT.reordered);
    expect(v.accept(0, 1, 3)).toBe(VERDICT.duplicated);
    expect(v.accept(0, 2, 2)).toBe(VERDICT.duplicated);
    expect(v.counts([3])).toMatchObject({ received: 3, lost: 0, duplicated: 2, reordered: 1 });
  });

  it('what no partition delivered is lost, per producer', () => {
    const v = new SequenceVerifier(2, ALL);
    for (const s of [0, 1, 4]) v.accept(0, s, 0);
    for (const s of [2, 5]) v.accept(0, s, 1);
    v.accept(1, 0, 1);
    expect(v.counts([6, 2])).toMatchObject({ received: 6, lost: 2, duplicated: 0, reordered: 0 });
    expect(v.completeUpTo(0, 6)).toBe(false);
  });

  it('on one partition it judges exactly as before partitions (partition 0 by default)', () => {
    const seqs = [0, 3, 1, 2, 2, 5, 4, 7];
    const a = new SequenceVerifier(1, ALL);
    const b = new SequenceVerifier(1, ALL);
    for (const s of seqs) expect(a.accept(0, s)).toBe(b.accept(0, s, 0));
    expect(a.counts([8])).toEqual(b.counts([8]));
    expect(a.counts([8])).toMatchObject({ received: 7, lost: 1, duplicated: 1, reordered: 3 });
  });
});
