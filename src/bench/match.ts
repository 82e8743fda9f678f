/**
 * Which messages match the filter (`--filter` with `--match-ratio`): decided by the sequence number alone, the
 * same way on the producer (which shapes the message to match or not) and on the subscriber (which then knows
 * exactly which sequence numbers it must receive). Message `seq` matches when ⌊(seq+1)·r⌋ > ⌊seq·r⌋: the
 * matches are spread evenly, and the number of matches in any range [lo, hi) is ⌊hi·r⌋ − ⌊lo·r⌋. The ratio
 * is held in parts per million and everything is computed in exact integer arithmetic.
 */

/** Parts per million: the unit of a match ratio. */
export const MATCH_SCALE = 1_000_000;

/** The ratio (0–1) in parts per million. */
export function matchPpm(ratio: number): number {
  return Math.round(ratio * MATCH_SCALE);
}

/** ⌊x · ppm / 1e6⌋ for a whole x ≥ 0, exact for every safe integer. */
function scaled(x: number, ppm: number): number {
  const high = Math.floor(x / MATCH_SCALE);
  const low = x - high * MATCH_SCALE;
  return high * ppm + Math.floor((low * ppm) / MATCH_SCALE);
}

/** Whether message `seq` is one that matches. */
export function isMatch(seq: number, ppm: number): boolean {
  if (ppm >= MATCH_SCALE) return true;
  if (ppm <= 0) return false;
  return scaled(seq + 1, ppm) > scaled(seq, ppm);
}

/** How many of the messages lo … hi-1 match. */
export function matchCount(lo: number, hi: number, ppm: number): number {
  if (hi <= lo) return 0;
  if (ppm >= MATCH_SCALE) return hi - lo;
  if (ppm <= 0) return 0;
  return scaled(hi, ppm) - scaled(lo, ppm);
}
