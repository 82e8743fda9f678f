/**
 * An async iterator whose `next()` may also answer at once with the result itself instead of a promise of it,
 * as `for await` allows (it awaits whatever `next()` returns): a generator that usually has its next value
 * ready (the load generator's producers) is then read without a promise or a microtask per value.
 */
export interface EagerAsyncIterator<T> {
  next(): IteratorResult<T> | Promise<IteratorResult<T>>;
  return?(): IteratorResult<T> | Promise<IteratorResult<T>>;
}

/** An {@link EagerAsyncIterator} as the AsyncIterable a produce takes (read by `feed` or `for await` alike). */
export function eagerAsyncIterable<T>(iterator: EagerAsyncIterator<T>): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => iterator as AsyncIterator<T> };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Reads a produce's input — an array, an iterable or an async iterable (a stream) — handing each message to
 * `take`, synchronously unless `take` returns a promise (a full window): no promise per message for an array
 * or a sync iterable, nor for an async iterator that answers at once ({@link EagerAsyncIterator}). Stops when
 * `take` says false; a stream read only partly is closed (`return()`). `watch` is told the stream's iterator
 * while it is read (and undefined after), so that a failure elsewhere can close it and cut a pending read short.
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
        let next: IteratorResult<T> | Promise<IteratorResult<T>> = (iterator as EagerAsyncIterator<T>).next();
        if (isThenable(next)) next = await next;
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

/** What {@link produceInto} drives: a producer's batcher, checks and failure handling. */
export interface ProduceDrive<T, I> {
  batcher: Offerable<I> & { close(): Promise<void> };
  check: (index: number, message: T) => I | undefined;
  /** Whether the produce has failed (nothing more is taken). */
  failed: () => boolean;
  /** Records a failure (what `open`, the input or the batcher threw). */
  fail: (error: unknown) => void;
  watch: (iterator: AsyncIterator<T> | undefined) => void;
  signal: AbortSignal | undefined;
  /** Called when `signal` aborts (also when it already has). */
  onAbort: () => void;
  /** Runs before any input is read (opening a connection). */
  open?: () => Promise<void>;
}

/**
 * The body of a produce: opens, feeds the whole input into the batcher and closes it (which waits for every
 * batch to settle). Never rejects: failures go to `fail`.
 */
export async function produceInto<T, I>(messages: Iterable<T> | AsyncIterable<T>, drive: ProduceDrive<T, I>): Promise<void> {
  const { signal, onAbort } = drive;
  if (signal?.aborted === true) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (drive.open !== undefined && !drive.failed()) await drive.open();
    await feedBatcher(messages, drive.batcher, drive.check, drive.failed, drive.watch);
    await drive.batcher.close();
  } catch (error) {
    drive.fail(error);
    await drive.batcher.close().catch(() => undefined);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
