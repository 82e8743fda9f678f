import { LIMITS } from '../core/limits.js';

/**
 * Remembers the idempotency keys of recent produce requests per topic, so a repeat within the window is
 * acknowledged with the offsets of the first and not appended again (like NATS `Nats-Msg-Id`).
 *
 * The key travels with the data: the broker stores it as the `evq-idempotency-key` header of each record
 * of the batch, so after a restart the index is rebuilt from the tail of each log (records younger than
 * the window) and deduplication holds across restarts and kill -9.
 */

/** The offsets a remembered produce got in one partition. */
export interface DedupPart {
  partition: number;
  baseOffset: number;
  lastOffset: number;
}

export interface DedupEntry {
  /** One per partition the produce went to (none for a delayed request). */
  parts: DedupPart[];
  at: number;
  /** For a delayed request: when it is due and how many messages it holds (offsets are not known yet). */
  dueAt?: number;
  count?: number;
}

export class IdempotencyIndex {
  readonly #topics = new Map<string, Map<string, DedupEntry>>();
  readonly #windowMs: number;
  readonly #maxKeys: number;
  #size = 0;

  constructor(windowMs: number = LIMITS.idempotencyWindowMs, maxKeys: number = LIMITS.maxIdempotencyKeys) {
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
  }

  get size(): number {
    return this.#size;
  }

  lookup(topic: string, key: string, now: number): DedupEntry | undefined {
    const entry = this.#topics.get(topic)?.get(key);
    if (entry === undefined || now - entry.at > this.#windowMs) return undefined;
    return entry;
  }

  /** Records a key; extends an entry when the same key is seen on later records of one batch. */
  remember(
    topic: string,
    key: string,
    partition: number,
    baseOffset: number,
    lastOffset: number,
    at: number,
    delayed?: { dueAt: number; count: number },
  ): void {
    let keys = this.#topics.get(topic);
    if (keys === undefined) {
      keys = new Map();
      this.#topics.set(topic, keys);
    }
    const existing = keys.get(key);
    if (existing !== undefined) {
      const part = existing.parts.find((p) => p.partition === partition);
      if (part === undefined) existing.parts.push({ partition, baseOffset, lastOffset });
      else {
        part.baseOffset = Math.min(part.baseOffset, baseOffset);
        part.lastOffset = Math.max(part.lastOffset, lastOffset);
      }
      return;
    }
    const parts = delayed === undefined ? [{ partition, baseOffset, lastOffset }] : [];
    keys.set(key, delayed === undefined ? { parts, at } : { parts, at, ...delayed });
    this.#size++;
    if (this.#size > this.#maxKeys) this.prune(at, true);
  }

  /** Drops keys older than the window (insertion order is time order); with `force`, the oldest tenth too. */
  prune(now: number, force = false): void {
    let excess = force ? Math.ceil(this.#maxKeys / 10) : 0;
    for (const keys of this.#topics.values()) {
      for (const [key, entry] of keys) {
        if (now - entry.at <= this.#windowMs && excess <= 0) break;
        keys.delete(key);
        this.#size--;
        excess--;
      }
    }
  }

  forgetTopic(topic: string): void {
    this.#size -= this.#topics.get(topic)?.size ?? 0;
    this.#topics.delete(topic);
  }
}
