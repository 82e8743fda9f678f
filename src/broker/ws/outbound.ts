import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

export interface OutboundLimits {
  /** Bytes queued past which the connection is congested (its subscriptions stop taking live data). */
  softLimitBytes: number;
  /** Bytes queued past which the connection is closed (`onOverLimit`). */
  hardLimitBytes: number;
}

/**
 * What a connection sends, and how much of it is still queued: the bytes handed to ws and not yet written to
 * the socket, measured by ws's send callbacks. Past the soft limit the connection is congested; past the
 * hard limit nothing more is queued and `onOverLimit` is called (the connection closes). Writes of one tick
 * leave in one socket write (the socket is corked until the end of the tick).
 */
export class Outbound {
  #queued = 0;
  #flushed = 0;
  #flushedAtLastPing = 0;
  #drainWaiters: (() => void)[] = [];
  #closed = false;
  /** The socket corked until the end of the tick (see #cork). */
  #corked: Duplex | null = null;

  constructor(
    private readonly socket: WebSocket,
    private readonly limits: OutboundLimits,
    private readonly onOverLimit: () => void,
  ) {}

  get congested(): boolean {
    return this.#queued > this.limits.softLimitBytes;
  }

  get queuedBytes(): number {
    return this.#queued;
  }

  /**
   * Whether the peer took any of our data since the last ping. A reader that is slow but reading may not
   * get to a ping's pong in time (the ping waits behind its backlog), so progress counts as a sign of life.
   */
  progressedSinceLastPing(): boolean {
    const progressed = this.#flushed !== this.#flushedAtLastPing;
    this.#flushedAtLastPing = this.#flushed;
    return progressed;
  }

  /** Resolves when the queue has drained to a quarter of the soft limit, or the connection closed. */
  drained(): Promise<void> {
    if (!this.congested || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Nothing more is sent; whoever waits for a drain is woken. */
  close(): void {
    this.#closed = true;
    this.#wake();
  }

  /** A header and a batch as two fragments of one message: the batch bytes are sent as they are, not copied. */
  sendFragments(header: Buffer, batch: Buffer): void {
    const bytes = header.length + batch.length;
    if (!this.#account(bytes)) return;
    this.#cork();
    this.socket.send(header, { binary: true, fin: false });
    this.socket.send(batch, { binary: true, fin: true }, this.#sent(bytes));
  }

  sendText(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (!this.#account(bytes)) return;
    this.#cork();
    this.socket.send(text, { binary: false }, this.#sent(bytes));
  }

  #account(bytes: number): boolean {
    if (this.#closed) return false;
    this.#queued += bytes;
    if (this.#queued > this.limits.hardLimitBytes) {
      this.onOverLimit();
      return false;
    }
    return true;
  }

  #sent = (bytes: number) => () => {
    this.#queued -= bytes;
    this.#flushed += bytes;
    if (this.#drainWaiters.length > 0 && this.#queued <= this.limits.softLimitBytes / 4) this.#wake();
  };

  #wake(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Holds the socket's writes until the end of this tick, so that what is sent together (the two fragments
   * of a deliver frame, the acks of one fsync, the batches of several subscriptions) leaves in one write.
   */
  #cork(): void {
    if (this.#corked !== null) return;
    const raw = (this.socket as unknown as { _socket?: Duplex })._socket;
    if (raw === undefined || raw.destroyed) return;
    raw.cork();
    this.#corked = raw;
    process.nextTick(this.#uncork);
  }

  #uncork = (): void => {
    const raw = this.#corked;
    this.#corked = null;
    raw?.uncork();
  };
}
