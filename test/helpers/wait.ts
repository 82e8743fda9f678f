/**
 * How tests wait: on an event, never for a guessed time. `waitFor` polls a condition until it holds (or is
 * woken early by the thing that changes it) and fails naming what it waited for; `expectQuietFor` is the one
 * timed wait left, for "nothing happens for N ms", and says so at the call. A fixed sleep before a step hides
 * a race: the step runs early on a loaded machine (and the test is flaky) or late on an idle one (and slow).
 */

export interface WaitOptions {
  /** What is awaited, in words ("the subscriber to be counted by the broker"): the failure message says it. A function is called at the failure (to show the state then). */
  what: string | (() => string);
  /** Past this the wait fails (default 10 s). */
  timeoutMs?: number;
  /** How often `check` is polled (default 20 ms). */
  everyMs?: number;
  /** Registers `wakeUp` with whatever changes the condition (a socket's messages) and returns how to unregister it: `check` then runs at once, not at the next poll. */
  wake?: (wakeUp: () => void) => () => void;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_EVERY_MS = 20;

/**
 * Resolves with the first truthy value `check()` returns, polled every `everyMs`; rejects with
 * "timed out after N ms waiting for <what>" past `timeoutMs`. A `check` that throws fails the wait.
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: WaitOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const everyMs = options.everyMs ?? DEFAULT_EVERY_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof options.what === 'function' ? options.what() : options.what}`);
    await pause(Math.min(everyMs, Math.max(1, deadline - Date.now())), options.wake);
  }
}

/**
 * The only timed wait in the tests: asserts that for `ms` nothing happens — `happened()` stays false,
 * polled every `everyMs` (default 10 ms) and once more at the end. Use it to show an absence (no delivery,
 * no second fsync, no reconnect), never to give something time to get ready.
 */
export async function expectQuietFor(
  ms: number,
  what: string,
  happened: () => boolean | Promise<boolean>,
  options: { everyMs?: number } = {},
): Promise<void> {
  const start = Date.now();
  const end = start + ms;
  for (;;) {
    if (await happened()) throw new Error(`expected ${what} for ${ms} ms, but it was broken after ${Date.now() - start} ms`);
    const left = end - Date.now();
    if (left <= 0) return;
    await pause(Math.min(options.everyMs ?? 10, left));
  }
}

function pause(ms: number, wake?: WaitOptions['wake']): Promise<void> {
  return new Promise<void>((resolve) => {
    let unregister: (() => void) | undefined;
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      unregister?.();
      resolve();
    }
    unregister = wake?.(done);
  });
}
