// @ts-check
// How far the readers of an `evq bench` run were behind when producing ended, from its per-second timeline
// (bench:compare target 10). Its types: lag-at-end.d.ts (the unit test imports it from TypeScript).

/**
 * Acknowledged minus delivered messages at the end of the last second in which messages were acknowledged
 * (the timeline counts both per second, warm-up included): how far the readers were behind when producing ended.
 * @param {{ second: number, acked: number, delivered: number }[]} timeline
 */
export function lagAtEnd(timeline) {
  let last = Number.NEGATIVE_INFINITY;
  for (const t of timeline) if (t.acked > 0 && t.second > last) last = t.second;
  let lag = 0;
  for (const t of timeline) if (t.second <= last) lag += t.acked - t.delivered;
  return Math.max(0, lag);
}
