/**
 * Reads a produce's input — an array, an iterable or an async iterable (a stream) — handing each message to
 * `take`, synchronously unless `take` returns a promise (a full window): no promise per message for an array
 * or a sync iterable. Stops when `take` says false; a stream read only partly is closed (`return()`).
 * `watch` is told the stream's iterator while it is read (and undefined after), so that a failure elsewhere
 * can close it and cut a pending read short.
 */
export async function feed<T>(
  messages: Iterable<T> | AsyncIterable<T>,
  take: (message: T) => boolean | Promise<boolean>,
  watch?: (iterator: AsyncIterator<T> | undefined) => void,
): Promise<void> {
  if (Symbol.asyncIterator in messages) {
    const iterator = messages[Symbol.asyncIterator]();
    watch?.(iterator);
    let done = false;
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) {
          done = true;
          break;
        }
        let taken = take(next.value);
        if (typeof taken !== 'boolean') taken = await taken;
        if (!taken) break;
      }
    } finally {
      watch?.(undefined);
      if (!done) await Promise.resolve(iterator.return?.()).catch(() => undefined);
    }
    return;
  }
  for (const message of messages) {
    let taken = take(message);
    if (typeof taken !== 'boolean') taken = await taken;
    if (!taken) break;
  }
}

/** What {@link feedBatcher} needs of the core Batcher. */
export interface Offerable<I> {
  readonly canAccept: boolean;
  readonly ready: Promise<void>;
  offer(item: I): boolean;
}

/**
 * Feeds a produce's input into a batcher with backpressure (waits while its window is full): `check` turns
 * the message at an input position into an item, or undefined to stop; `stopped` says a failure closed the
 * batcher meanwhile.
 */
export function feedBatcher<T, I>(
  messages: Iterable<T> | AsyncIterable<T>,
  batcher: Offerable<I>,
  check: (index: number, message: T) => I | undefined,
  stopped: () => boolean,
  watch?: (iterator: AsyncIterator<T> | undefined) => void,
): Promise<void> {
  let index = 0;
  const offer = (item: I): boolean => {
    if (stopped()) return false;
    batcher.offer(item);
    index++;
    return true;
  };
  // synchronous unless the window is full: no promise per message
  const take = (message: T): boolean | Promise<boolean> => {
    const item = check(index, message);
    if (item === undefined) return false;
    if (!batcher.canAccept) return batcher.ready.then(() => offer(item));
    return offer(item);
  };
  return feed(messages, take, watch);
}
