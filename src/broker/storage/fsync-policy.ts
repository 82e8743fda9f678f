/**
 * When the appends a topic log has written are acknowledged, per fsync mode, and the fsyncs that make them so.
 *
 * - `always` (group commit): at most one fsync runs at a time. While it runs, further appends are written;
 *   when it ends, one new fsync covers all of them. An append is acknowledged only after an fsync that
 *   started after its write completed, so N concurrent appends cost far fewer than N fsyncs. A failed fsync
 *   rejects every append it covered and every append written since, and asks the writer for a repair.
 * - `interval`: acknowledged once written; an fsync follows on a timer, or at once past
 *   `LIMITS.maxUnsyncedAckedBytes` (and new appends wait for it). A failed background fsync cannot take back
 *   acknowledgements, and retrying it proves nothing (after a failed fsync the kernel may have dropped the
 *   dirty pages and report the next fsync as a success: "fsyncgate"), so the appends acknowledged since the
 *   last good fsync are kept in memory for the writer to write again ({@link FsyncPolicy.keptIn}).
 * - `never`: acknowledged once written; fsynced only when a segment is sealed and at close.
 */
import { LIMITS } from '../../core/limits.js';
import type { EvqStorageError } from '../../errors.js';
import { frameBytes, type AppendEntry } from './append-entry.js';
import { storageFailure } from './storage-errors.js';
import type { FsyncMode } from './log.js';
import type { Segment } from './segment.js';

export interface FsyncPolicyOptions {
  topic: string;
  fsync: FsyncMode;
  fsyncIntervalMs: number;
  /** Called with the duration in seconds of every successful fsync. */
  onFsync?: ((seconds: number) => void) | undefined;
  /** The segment being written: the one an fsync covers. */
  active: () => Segment;
  /** Publishes and resolves an append that is acknowledged (in offset order). */
  acknowledge: (entry: AppendEntry) => void;
  /** True while the writer rolls, repairs or rewrites: the interval timer waits for it. */
  busy: () => boolean;
  /** True once the log is closing: no new timer. */
  closed: () => boolean;
  /** `always`: an fsync failed (what it covered is rejected already); the file must be repaired before the next write. */
  needRepair: (error: EvqStorageError) => void;
}

export class FsyncPolicy {
  /** `always`: written, waiting for an fsync to be acknowledged. */
  #unsynced: AppendEntry[] = [];
  #syncing: Promise<void> | null = null;
  /** `interval`: appends acknowledged since the start of the last fsync that worked, to write again after a failed one. */
  #kept: AppendEntry[] = [];
  #keptBytes = 0;
  #timer: NodeJS.Timeout | null = null;
  /** A failed background fsync (`interval`, or a roll's with `never`): nothing is accepted until the writer wrote again what is kept. */
  failure: EvqStorageError | null = null;
  /** Number of fsyncs of segment files so far. */
  count = 0;

  constructor(private readonly options: FsyncPolicyOptions) {}

  /** Appends just written (in offset order): acknowledged now or after an fsync, as the mode says. */
  written(group: readonly AppendEntry[]): void {
    switch (this.options.fsync) {
      case 'always':
        for (const entry of group) this.#unsynced.push(entry);
        this.kick();
        break;
      case 'interval':
        for (const entry of group) {
          this.options.acknowledge(entry);
          this.#kept.push(entry);
          this.#keptBytes += frameBytes(entry);
        }
        if (this.#keptBytes > LIMITS.maxUnsyncedAckedBytes) this.kick();
        else this.#schedule();
        break;
      case 'never':
        for (const entry of group) this.options.acknowledge(entry);
        break;
    }
  }

  /** `interval`, past the cap of acknowledged bytes not yet fsynced: the running fsync, which new appends wait for (a slow disk slows producers down instead of filling memory). */
  backpressure(): Promise<void> | null {
    return this.#keptBytes > LIMITS.maxUnsyncedAckedBytes ? this.#syncing : null;
  }

  async fsync(segment: Segment): Promise<void> {
    this.count++;
    const started = performance.now();
    await segment.writer().sync();
    this.options.onFsync?.((performance.now() - started) / 1000);
  }

  /** Starts fsync rounds unless one runs (the running round's loop takes what was written meanwhile). */
  kick(): void {
    if (this.#syncing !== null) return;
    this.#syncing = this.#rounds().finally(() => {
      this.#syncing = null;
      if (this.#unsynced.length > 0) this.kick();
    });
  }

  /** Waits until no fsync runs. */
  async idle(): Promise<void> {
    while (this.#syncing !== null) await this.#syncing;
  }

  /** One fsync covering everything written so far (for `interval` and rolls). */
  async now(): Promise<void> {
    await this.idle();
    this.kick();
    await this.idle();
  }

  stopTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** The kept appends (acknowledged, not covered by a good fsync) that were written to `segment`. */
  keptIn(segment: Segment): AppendEntry[] {
    return this.#kept.filter((entry) => entry.segment === segment);
  }

  /** The kept appends were written again and fsynced: forget them, and the failure. */
  rewritten(): void {
    this.#forget(this.#kept.length);
    this.failure = null;
  }

  /** fsync rounds until nothing written is waiting for one. Never rejects. */
  async #rounds(): Promise<void> {
    do {
      const covered = this.#unsynced;
      this.#unsynced = [];
      const coveredKept = this.#kept.length;
      const segment = this.options.active();
      try {
        await this.fsync(segment);
      } catch (cause) {
        const error = storageFailure(this.options.topic, 'fsync', segment.logPath, cause);
        for (const entry of covered) entry.reject(error);
        for (const entry of this.#unsynced.splice(0)) entry.reject(error);
        if (this.options.fsync === 'always') this.options.needRepair(error);
        else this.failure = error;
        return;
      }
      // after a failed fsync a later one that works proves nothing: only the rewrite lets the kept appends go
      if (coveredKept > 0 && this.failure === null) this.#forget(coveredKept);
      for (const entry of covered) this.options.acknowledge(entry);
    } while (this.#unsynced.length > 0);
  }

  #schedule(): void {
    if (this.#timer !== null || this.options.closed()) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.options.busy()) this.#schedule();
      else this.kick();
    }, this.options.fsyncIntervalMs);
    this.#timer.unref();
  }

  #forget(count: number): void {
    for (const entry of this.#kept.splice(0, count)) this.#keptBytes -= frameBytes(entry);
  }
}
