// The clock of a baseline load run (bench/_jetstream-raw.js, bench/_nats-core.js): a warm-up, a measured
// phase, then a wait for the last acknowledgements or deliveries. Messages are numbered from 0 in the order
// they are sent; what counts is what was sent in the measured phase and came back, over the time from the
// measured start to the last of them.

/**
 * Starts the clock now: `warmupMs` of warm-up, then `durationMs` measured. Returns `measureStart` and:
 * - `maySend(n, now)`: whether message `n` may still be sent at `now` (false once the time is up: `n` is then
 *   the first one not sent); it notes the first one sent in the measured phase;
 * - `arrived(n, now)`: counts message `n`, acknowledged or delivered at `now`, when it was sent in the measured
 *   phase, and says whether it was;
 * - `messages()` and `perSec()`: the measured messages, and per second (rounded).
 */
export function measuredPhase(warmupMs, durationMs) {
  const measureStart = performance.now() + warmupMs;
  const stopAt = measureStart + durationMs;
  let from = Number.POSITIVE_INFINITY; // the first message sent in the measured phase
  let to = Number.POSITIVE_INFINITY; // the first one after it
  let count = 0;
  let last = 0;
  return {
    measureStart,
    maySend(n, now) {
      if (now >= stopAt) {
        if (to === Number.POSITIVE_INFINITY) to = n;
        return false;
      }
      if (n < from && now >= measureStart) from = n;
      return true;
    },
    arrived(n, now) {
      if (n < from || n >= to) return false;
      count++;
      last = now;
      return true;
    },
    messages: () => count,
    perSec: () => Math.round(count / (Math.max(1, last - measureStart) / 1000)),
  };
}

/**
 * Waits until `finished()` holds, for at most `limitMs`. It is checked whenever `check()` is called (from the
 * message callbacks) and every 50 ms, right after `tick()` (which may send more, so that a phase in which
 * nothing comes back at all still ends). Returns `check` and `done` (resolves either way).
 */
export function untilFinished(finished, limitMs, tick = () => {}) {
  let wake;
  const reached = new Promise((resolve) => {
    wake = resolve;
  });
  const check = () => {
    if (finished()) wake();
  };
  const ticker = setInterval(() => {
    tick();
    check();
  }, 50);
  const limit = new Promise((resolve) => setTimeout(resolve, limitMs).unref());
  const done = Promise.race([reached, limit]).finally(() => clearInterval(ticker));
  return { check, done };
}
