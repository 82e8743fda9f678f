/**
 * The subscriber's check that the broker delivered every message exactly once and in order, per producer and
 * partition: each producer's sequence numbers 0, 1, 2, … (only the matching ones, with a filter) must all
 * arrive once, and those of one partition in increasing order. A sequence number ahead of the next expected
 * one opens a gap (those messages are missing for now); one that fills a gap later is fine when it is still in
 * order within its partition (the producer's batches went to several partitions, read side by side) and
 * counts as reordered when its partition already delivered a later one; one already received counts as
 * duplicated (across partitions too); one the filter should have kept away
 * counts as unexpected. At the end, whatever is still missing among the messages the broker acknowledged is
 * lost — except, for a subscription that ended early (the broker closed it as a slow consumer, the connection
 * failed), what came after its last message: those were never delivered to it, which does not mean the
 * broker lost them (they are still in its log), so they are counted as undelivered.
 *
 * Memory is bounded: per producer a counter, the highest number per partition, and a list of the gaps still open (at most `maxGaps`; past that
 * the oldest gap is written off as lost, and a message filling it later counts as a duplicate).
 */

import { isMatch, matchCount } from './match.js';

export const VERDICT = { ok: 0, reordered: 1, duplicated: 2, unexpected: 3 } as const;
export type Verdict = (typeof VERDICT)[keyof typeof VERDICT];

export interface VerifierCounts {
  /** Distinct expected messages received. */
  received: number;
  /** Acknowledged, missing from a live subscription's stream: lost. */
  lost: number;
  /** Acknowledged, but after the subscription ended early: not delivered (not lost). */
  undelivered: number;
  duplicated: number;
  reordered: number;
  unexpected: number;
}

class ProducerTrack {
  /** Every matching sequence number below this has been received, or is in `gaps`. */
  next = 0;
  /** Open gaps [lo, hi) of sequence numbers not received yet, ascending, flat: lo0, hi0, lo1, hi1 … */
  gaps: number[] = [];
  /** Matching sequence numbers written off (too many gaps). */
  writtenOff = 0;
  /** Per partition, the highest sequence number received there (-1: none yet). */
  last: number[] = [];
}

export class SequenceVerifier {
  readonly #ppm: number;
  readonly #maxGaps: number;
  readonly #tracks: (ProducerTrack | undefined)[];
  #received = 0;
  #duplicated = 0;
  #reordered = 0;
  #unexpected = 0;

  /**
   * @param producers number of producers (ids 0 … producers-1)
   * @param ppm the match ratio in parts per million (MATCH_SCALE without a filter: everything matches)
   */
  constructor(producers: number, ppm: number, maxGaps = 100_000) {
    this.#ppm = ppm;
    this.#maxGaps = maxGaps;
    this.#tracks = new Array<ProducerTrack | undefined>(producers);
  }

  /** Judges one received message (of `partition`: 0 for a topic of one partition). */
  accept(producer: number, seq: number, partition = 0): Verdict {
    if (!isMatch(seq, this.#ppm)) {
      this.#unexpected++;
      return VERDICT.unexpected;
    }
    const track = (this.#tracks[producer] ??= new ProducerTrack());
    const last = track.last[partition] ?? -1;
    if (seq >= track.next) {
      if (seq > track.next && matchCount(track.next, seq, this.#ppm) > 0) this.#openGap(track, track.next, seq);
      track.next = seq + 1;
      track.last[partition] = seq;
      this.#received++;
      return VERDICT.ok;
    }
    if (this.#fillGap(track, seq)) {
      this.#received++;
      if (seq > last) {
        track.last[partition] = seq;
        return VERDICT.ok;
      }
      this.#reordered++;
      return VERDICT.reordered;
    }
    this.#duplicated++;
    return VERDICT.duplicated;
  }

  /** Whether every matching message below `acked` of `producer` has been received. */
  completeUpTo(producer: number, acked: number): boolean {
    if (matchCount(0, acked, this.#ppm) === 0) return true;
    const track = this.#tracks[producer];
    if (track === undefined) return false;
    if (track.writtenOff > 0) return true; // it will never be complete: nothing more to wait for
    if (matchCount(track.next, acked, this.#ppm) > 0) return false;
    return track.gaps.length === 0 || (track.gaps[0] as number) >= acked;
  }

  /**
   * The counts, with `acked[p]` the number of messages the broker acknowledged from producer p (a prefix).
   * `endedEarly`: the subscription ended before the run did, so what it never reached is undelivered.
   */
  counts(acked: readonly number[], endedEarly = false): VerifierCounts {
    let lost = 0;
    let undelivered = 0;
    for (let p = 0; p < acked.length; p++) {
      const limit = acked[p] as number;
      const track = this.#tracks[p];
      if (track === undefined) {
        if (endedEarly) undelivered += matchCount(0, limit, this.#ppm);
        else lost += matchCount(0, limit, this.#ppm);
        continue;
      }
      lost += track.writtenOff;
      const gaps = track.gaps;
      for (let i = 0; i < gaps.length; i += 2) {
        const lo = gaps[i] as number;
        if (lo >= limit) break;
        lost += matchCount(lo, Math.min(gaps[i + 1] as number, limit), this.#ppm);
      }
      if (track.next < limit) {
        if (endedEarly) undelivered += matchCount(track.next, limit, this.#ppm);
        else lost += matchCount(track.next, limit, this.#ppm);
      }
    }
    return {
      received: this.#received,
      lost,
      undelivered,
      duplicated: this.#duplicated,
      reordered: this.#reordered,
      unexpected: this.#unexpected,
    };
  }

  #openGap(track: ProducerTrack, lo: number, hi: number): void {
    const gaps = track.gaps;
    gaps.push(lo, hi);
    if (gaps.length > this.#maxGaps * 2) {
      track.writtenOff += matchCount(gaps[0] as number, gaps[1] as number, this.#ppm);
      gaps.splice(0, 2);
    }
  }

  /** Removes `seq` from the gap that holds it; false when no gap does (it was received before). */
  #fillGap(track: ProducerTrack, seq: number): boolean {
    const gaps = track.gaps;
    // binary search for the last gap with lo <= seq
    let low = 0;
    let high = gaps.length / 2 - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if ((gaps[mid * 2] as number) <= seq) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    if (found < 0) return false;
    const at = found * 2;
    const lo = gaps[at] as number;
    const hi = gaps[at + 1] as number;
    if (seq >= hi) return false;
    // split [lo, hi) around seq, dropping the parts with nothing left to match
    const parts: number[] = [];
    if (matchCount(lo, seq, this.#ppm) > 0) parts.push(lo, seq);
    if (matchCount(seq + 1, hi, this.#ppm) > 0) parts.push(seq + 1, hi);
    gaps.splice(at, 2, ...parts);
    return true;
  }
}
