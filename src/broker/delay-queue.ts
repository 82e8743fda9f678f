import { EvqError } from '../errors.js';
import type { Clock } from '../core/clock.js';
import { LIMITS } from '../core/limits.js';
import { Scheduler, type ScheduleId } from '../core/scheduler.js';
import { TRUSTED_CODEC_LIMITS, decodeBatch } from '../protocol/record-codec.js';
import { encodeBatch } from '../protocol/batch-encode.js';
import type { MessageInput, TimestampedMessage } from '../protocol/record.js';
import type { DelaySink, Ingest, ProduceResult } from './ingest.js';
import type { BrokerMetrics } from './metrics.js';
import type { Log } from './storage/log.js';

/**
 * Opens the journal of a generation. The delay queue keeps its journal in a log of its own (checksums,
 * group commit and torn-tail recovery come with it) and starts a new generation to compact it.
 */
export interface JournalStore {
  /** The generation to open at start (the newest complete one). */
  current(): Promise<number>;
  open(generation: number): Promise<Log>;
  /** Makes `generation` the current one (durably), then removes the older ones. */
  commit(generation: number): Promise<void>;
}

interface Pending {
  id: string;
  topic: string;
  dueAt: number;
  idempotencyKey: string | null;
  messages: MessageInput[];
  /** Indexes of `messages` cancelled, or delivered ahead of time: not delivered when the entry falls due. */
  removed: Set<number>;
  handle: ScheduleId | null;
}

/** One message waiting in the delay queue, as the listing routes show it. */
export interface DelayedMessage {
  /** `<request id>.<index in its request>`: stable across restarts and compactions. */
  id: string;
  topic: string;
  dueAt: number;
  message: MessageInput;
}

/** The pending requests' messages, for a listing: each request's due time, topic and messages not removed. */
export interface DelayedEntryView {
  id: string;
  topic: string;
  dueAt: number;
  messages: readonly MessageInput[];
  removed: ReadonlySet<number>;
}

const OP = 'evq-delay-op';
const ID = 'evq-delay-id';
const TOPIC = 'evq-delay-topic';
const DUE = 'evq-delay-due';
const KEY = 'evq-delay-idempotency-key';
const INDEX = 'evq-delay-index';
/** A failed delivery (the disk, say) is tried again after this long; it is never dropped. */
const RETRY_MS = 1000;

/**
 * Delayed delivery: a message produced with a delay waits here, durably, and is appended to its topic when
 * due — never early. Each request is one `add` record in the journal (acknowledged once the journal has
 * it, so it survives restart and kill -9); when it has been appended to its topic a `done` record follows.
 * A crash between the two can deliver a message a second time (at least once), never lose it.
 * The messages keep their original produce time in the `evq-produced-at` header.
 */
export class DelayQueue implements DelaySink {
  readonly #pending = new Map<string, Pending>();
  readonly #scheduler: Scheduler<Pending>;
  #journal: Log;
  #generation: number;
  #seq = 0;
  #delivering: Promise<void> = Promise.resolve();
  #closed = false;
  #compaction: Promise<void> | null = null;

  private constructor(
    journal: Log,
    generation: number,
    private readonly store: JournalStore,
    private readonly ingest: Ingest,
    private readonly clock: Clock,
    private readonly maxPending: number,
  ) {
    this.#journal = journal;
    this.#generation = generation;
    this.#scheduler = new Scheduler<Pending>({ clock, onDue: (entry) => this.#due(entry) });
  }

  static async open(
    store: JournalStore,
    ingest: Ingest,
    clock: Clock,
    metrics: BrokerMetrics,
    maxPending = LIMITS.maxDelayedPending,
  ): Promise<DelayQueue> {
    const generation = await store.current();
    const journal = await store.open(generation);
    const queue = new DelayQueue(journal, generation, store, ingest, clock, maxPending);
    await queue.#replay();
    metrics.collect(() => metrics.delayedPending.set({}, queue.pending));
    return queue;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** The journal's recovery report (a torn tail cut at start). */
  get recovery(): Log['recovery'] {
    return this.#journal.recovery;
  }

  /** The pending requests, in no particular order (a listing sorts and filters them: see delay-listing.ts). */
  entries(): IterableIterator<DelayedEntryView> {
    return this.#pending.values();
  }

  /**
   * Cancels one waiting message (`<request id>.<index>`): it is never delivered, also after a restart (a
   * `cancel` record in the journal; a `done` one when it was its request's last). False when no such message
   * is waiting (delivered, cancelled, or never there). Runs in the delivery chain: a delivery in flight
   * finishes first, and then the message is no longer waiting.
   */
  cancel(id: string): Promise<boolean> {
    return this.#inChain(async () => {
      const found = this.#find(id);
      if (found === null) return false;
      await this.#remove(found.entry, found.index);
      return true;
    });
  }

  /**
   * Delivers one waiting message now (appended to its topic as when it falls due), then marks it so in the
   * journal (a crash between the two delivers it again when due: at least once). Null when no such message
   * is waiting.
   */
  deliverNow(id: string): Promise<ProduceResult | null> {
    return this.#inChain(async () => {
      const found = this.#find(id);
      if (found === null) return null;
      const result = await this.ingest.appendDue(found.entry.topic, [found.entry.messages[found.index] as MessageInput]);
      await this.#remove(found.entry, found.index);
      return result;
    });
  }

  #find(id: string): { entry: Pending; index: number } | null {
    const dot = id.lastIndexOf('.');
    if (dot <= 0) return null;
    const digits = id.slice(dot + 1);
    // only `<request>.<n>` with n in digits names a message ("X." or "X.1e0" would read as a number too)
    if (!/^\d{1,9}$/.test(digits)) return null;
    const entry = this.#pending.get(id.slice(0, dot));
    const index = Number(digits);
    if (entry === undefined || !Number.isSafeInteger(index) || index < 0 || index >= entry.messages.length) return null;
    if (entry.removed.has(index)) return null;
    return { entry, index };
  }

  /** Marks one message of a pending request removed, durably; the request's last one ends the request. */
  async #remove(entry: Pending, index: number): Promise<void> {
    const now = this.clock.now();
    if (entry.removed.size + 1 >= entry.messages.length) {
      await this.#journal.append([doneRecord(entry.id, now)]);
      if (entry.handle !== null) this.#scheduler.cancel(entry.handle);
      entry.handle = null;
      this.#pending.delete(entry.id);
      return;
    }
    await this.#journal.append([cancelRecord(entry.id, index, now)]);
    entry.removed.add(index);
  }

  /** Runs `task` in the delivery chain (after deliveries and compactions in flight; they wait for it). */
  #inChain<T>(task: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new EvqError('EVQ_ERR_UNAVAILABLE', 'the broker is shutting down'));
    const run = this.#delivering.then(task);
    this.#delivering = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async add(topic: string, messages: MessageInput[], dueAt: number, idempotencyKey: string | null = null): Promise<void> {
    if (this.#closed) throw new EvqError('EVQ_ERR_UNAVAILABLE', 'the broker is shutting down');
    if (this.#pending.size >= this.maxPending) {
      throw new EvqError('EVQ_ERR_LIMIT_EXCEEDED', `${this.maxPending} delayed messages are already waiting`);
    }
    if (this.#compaction !== null) await this.#compaction;
    const id = `${this.clock.now().toString(36)}-${(this.#seq++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const entry: Pending = { id, topic, dueAt, idempotencyKey, messages, removed: new Set(), handle: null };
    await this.#journal.append([addRecord(entry, this.clock.now())]);
    this.#schedule(entry);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#scheduler.close();
    await this.#delivering;
    await this.#journal.close();
  }

  #schedule(entry: Pending): void {
    this.#pending.set(entry.id, entry);
    entry.handle = this.#scheduler.schedule(entry.dueAt, entry);
  }

  #due(entry: Pending): void {
    entry.handle = null;
    // deliveries run one at a time, in due order
    this.#delivering = this.#delivering.then(() => this.#deliver(entry));
  }

  async #deliver(entry: Pending): Promise<void> {
    if (this.#closed || !this.#pending.has(entry.id)) return;
    try {
      const remaining = entry.messages.filter((_, i) => !entry.removed.has(i));
      if (remaining.length > 0) await this.ingest.appendDue(entry.topic, remaining);
      await this.#journal.append([doneRecord(entry.id, this.clock.now())]);
      this.#pending.delete(entry.id);
    } catch {
      if (this.#closed) return;
      // not delivered (or not marked done): try again; delivering twice is better than losing it
      entry.handle = this.#scheduler.schedule(this.clock.now() + RETRY_MS, entry);
      return;
    }
    if (this.#journal.sizeBytes > LIMITS.delayJournalCompactBytes && this.#pending.size * 4 < this.#journal.messageCount) this.#compact();
  }

  async #replay(): Promise<void> {
    const entries = new Map<string, Pending>();
    let offset = this.#journal.startOffset;
    while (offset < this.#journal.endOffset) {
      const records = await this.#journal.read(offset, { maxRecords: 10_000 });
      if (records.length === 0) break;
      for (const record of records) {
        offset = record.offset + 1;
        const h = record.headers;
        if (h === null) continue;
        const id = h[ID];
        if (id === undefined) continue;
        if (h[OP] === 'done') {
          entries.delete(id);
          continue;
        }
        if (h[OP] === 'cancel') {
          const index = Number(h[INDEX]);
          if (Number.isSafeInteger(index)) entries.get(id)?.removed.add(index);
          continue;
        }
        const topic = h[TOPIC];
        const dueAt = Number(h[DUE]);
        if (topic === undefined || !Number.isSafeInteger(dueAt)) continue;
        const messages = decodeBatch(Buffer.from(record.value), topic, TRUSTED_CODEC_LIMITS).map((r): MessageInput => ({
          value: Buffer.from(r.value),
          key: r.key,
          headers: r.headers,
          timestamp: r.timestamp === 0 ? undefined : r.timestamp,
        }));
        const idempotencyKey = h[KEY] ?? null;
        if (idempotencyKey !== null) this.ingest.rememberDelayed(topic, idempotencyKey, dueAt, messages.length, record.timestamp);
        entries.set(id, { id, topic, dueAt, idempotencyKey, messages, removed: new Set(), handle: null });
      }
    }
    for (const entry of entries.values()) this.#schedule(entry);
  }

  /**
   * Starts a new journal generation holding only what is still pending, then drops the old one. It runs in
   * the delivery chain (no delivery marks the old journal meanwhile) and adds wait for it.
   */
  #compact(): void {
    if (this.#compaction !== null || this.#closed) return;
    const run = async (): Promise<void> => {
      try {
        const next = this.#generation + 1;
        const journal = await this.store.open(next);
        const now = this.clock.now();
        const pending = [...this.#pending.values()];
        for (let i = 0; i < pending.length; i += 100) {
          await journal.append(pending.slice(i, i + 100).flatMap((entry) => [addRecord(entry, now), ...cancelRecords(entry, now)]));
        }
        await this.store.commit(next);
        const old = this.#journal;
        this.#journal = journal;
        this.#generation = next;
        await old.close();
      } catch {
        // compaction is an optimisation: the old journal stays current and valid
      }
    };
    const compaction = this.#delivering.then(run).finally(() => {
      this.#compaction = null;
    });
    this.#compaction = compaction;
    this.#delivering = compaction;
  }
}

function addRecord(entry: Pending, now: number): MessageInput {
  // timestamp 0 stands for "none given": the topic's log stamps the message when it is appended
  const messages: TimestampedMessage[] = entry.messages.map((m) => ({ ...m, timestamp: m.timestamp ?? 0 }));
  return {
    value: encodeBatch(0, messages),
    headers: {
      [OP]: 'add',
      [ID]: entry.id,
      [TOPIC]: entry.topic,
      [DUE]: String(entry.dueAt),
      ...(entry.idempotencyKey === null ? {} : { [KEY]: entry.idempotencyKey }),
    },
    timestamp: now,
  };
}

/** The cancel records of the messages of `entry` already removed (a compaction carries them over). */
function cancelRecords(entry: Pending, now: number): MessageInput[] {
  return [...entry.removed].map((index) => cancelRecord(entry.id, index, now));
}

function cancelRecord(id: string, index: number, now: number): MessageInput {
  return { value: Buffer.alloc(0), headers: { [OP]: 'cancel', [ID]: id, [INDEX]: String(index) }, timestamp: now };
}

function doneRecord(id: string, now: number): MessageInput {
  return { value: Buffer.alloc(0), headers: { [OP]: 'done', [ID]: id }, timestamp: now };
}
