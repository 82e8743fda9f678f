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
