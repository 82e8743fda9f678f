/**
 * How a produce stops: the first failure, what may still be sent after it, and the input position the
 * caller is told was the first one not acknowledged. Shared by the evq and NATS producers.
 */

import type { EvqError } from '../errors.js';
import type { ProduceTally } from './produce-tally.js';

export class ProduceStop {
  /** The first failure; once set, nothing more is read. */
  error: EvqError | undefined;
  /** After a failure, only messages before this input position are still sent (-1: none). */
  #sendBefore = Number.POSITIVE_INFINITY;
  /** Closed by the first failure: nothing more is taken, a wait for the window ends. */
  batcher: { close(): Promise<void> } | undefined;
  /** The input being read (a stream): closed by the first failure, so a pending read is cut short. */
  #input: AsyncIterator<unknown> | undefined;

  /** `haltSending` is told when nothing more may be sent at all (not after a refused message alone). */
  constructor(
    private readonly tally: ProduceTally,
    private readonly haltSending: (error: EvqError) => void,
  ) {}

  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Whether messages up to input position `lastIndex` may still be sent. */
  sendable(lastIndex: number): boolean {
    return this.error === undefined || lastIndex < this.#sendBefore;
  }

  /** The stream being read now (undefined once it is not). */
  watch(input: AsyncIterator<unknown> | undefined): void {
    this.#input = input;
  }

  /**
   * Records a failure: nothing more is read or sent — except, for a message refused before sending
   * (`keepEarlier`), the messages before it, which are still sent.
   */
  fail(error: EvqError, index?: number, keepEarlier = false): void {
    this.#sendBefore = keepEarlier && this.error === undefined && index !== undefined ? index : -1;
    if (this.#sendBefore === -1) this.haltSending(error);
    if (this.error === undefined) {
      this.error = error;
      void this.batcher?.close().catch(() => undefined);
      const input = this.#input;
      if (input !== undefined) void Promise.resolve(input.return?.()).catch(() => undefined);
    }
    if (index !== undefined && (this.tally.firstUnacknowledged === null || index < this.tally.firstUnacknowledged)) {
      this.tally.firstUnacknowledged = index;
    }
  }
}
