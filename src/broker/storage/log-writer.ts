/**
 * The write path of a topic log: appends are queued, given their offsets in call order, coalesced into one
 * vectored write (at most `LIMITS.maxWriteBytes`), and handed to the fsync policy (fsync-policy.ts), which
 * acknowledges them as the fsync mode says: with `always`, one fsync covers every append written while the
 * previous one ran (group commit).
 *
 * Failures. An append is never acknowledged when its write or its fsync failed:
 * - a failed write rejects the appends of that write (`EVQ_ERR_STORAGE`) and cuts the file back to where the
 *   write started; earlier appends are unaffected;
 * - a failed fsync (`always`) rejects every append it covered and every append written since (after a
 *   failed fsync the kernel may have dropped the dirty pages, so nothing unsynced can be trusted). Before
 *   the next write, the file is cut back to the last acknowledged position and reopened ("repair",
 *   write-repair.ts), and the offsets of the rejected appends are given again. If the repair fails, appends
 *   are rejected until one succeeds: when the fault clears, appends work again;
 * - a failed background fsync (`interval`) cannot take back acknowledgements: the next append first writes
 *   the appends kept since the last good fsync again through a fresh file descriptor and fsyncs; appends are
 *   rejected while that fails. A failed fsync of a roll with `never` is handled the same way (with nothing
 *   kept: `never` promises nothing about the OS's write-back).
 *
 * Rolls: in every mode the segment being sealed is fsynced before the next one is created, so a power
 * loss costs at most the unsynced tail of the active segment and never leaves a hole inside the log.
 * Readers only ever see acknowledged appends, so nothing they read is ever taken back.
 */
import { LIMITS } from '../../core/limits.js';
import { EvqStorageError } from '../../errors.js';
import { encodeBatch } from '../../protocol/batch-encode.js';
import type { TimestampedMessage } from '../../protocol/record.js';
import { frameBytes, type AppendEntry } from './append-entry.js';
import { frameHeader } from './frame.js';
import { FsyncPolicy } from './fsync-policy.js';
import { logClosed, storageFailure } from './storage-errors.js';
import { cutBackToAcknowledged, writeAgain } from './write-repair.js';
import type { FileIO } from './file-io.js';
import type { AppendResult, FsyncMode } from './log.js';
import type { Segment } from './segment.js';

/** An append once written: what the log needs to publish it. */
export interface WrittenAppend {
  segment: Segment;
  baseOffset: number;
  lastOffset: number;
  /** Position after the append's frame. */
  end: number;
  /** The encoded batch. */
  batch: Buffer;
}

export interface LogWriterOptions {
  topic: string;
  io: FileIO;
  fsync: FsyncMode;
  fsyncIntervalMs: number;
  segmentBytes: number;
  /** Called with the duration in seconds of every successful fsync. */
  onFsync?: ((seconds: number) => void) | undefined;
  /** Seals `segment` (its data is durable as the mode wants) and returns the new active segment. */
  roll: (segment: Segment) => Promise<Segment>;
  /** Publishes an acknowledged append (in offset order), just before its promise resolves. */
  acknowledge: (append: WrittenAppend) => void;
}

const ROLL = Symbol('roll');

export class LogWriter {
  private segment: Segment;
  private readonly queue: AppendEntry[] = [];
  private readonly sync: FsyncPolicy;
  private pumping: Promise<void> | null = null;
  private repairNeeded: EvqStorageError | null = null;
  private maintenance = false;
  private closed = false;

  constructor(
    segment: Segment,
    private readonly options: LogWriterOptions,
  ) {
    this.segment = segment;
    this.sync = new FsyncPolicy({
      topic: options.topic,
      fsync: options.fsync,
      fsyncIntervalMs: options.fsyncIntervalMs,
      onFsync: options.onFsync,
      active: () => this.segment,
      acknowledge: (entry) => this.acknowledge(entry),
      busy: () => this.maintenance,
      closed: () => this.closed,
      needRepair: (error) => (this.repairNeeded ??= error),
    });
  }

  /** Number of fsyncs of segment files so far. */
  get syncCount(): number {
    return this.sync.count;
  }

  /** The segment being written. */
  get active(): Segment {
    return this.segment;
  }

  /**
   * Queues a batch (already validated, timestamps set); resolves once acknowledged. The batch is encoded
   * at once (the caller may reuse its buffers as soon as this returns); its offsets are set when it is
   * written.
   */
  append(messages: readonly TimestampedMessage[]): Promise<AppendResult> {
    if (this.closed) return Promise.reject(logClosed(this.options.topic));
    let batch: Buffer;
    try {
      batch = encodeBatch(0, messages);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.appendEncoded(batch, messages.length);
  }

  /**
   * Queues an encoded batch of `count` records (checked, timestamps set) to be written as it is; resolves
   * once acknowledged. The writer owns `batch` from now on: its base offset field is set when it is placed
   * (before it is written), and it is what the acknowledgement publishes.
   */
  appendEncoded(batch: Buffer, count: number): Promise<AppendResult> {
    if (this.closed) return Promise.reject(logClosed(this.options.topic));
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({
        count,
        resolve,
        reject,
        batch,
        header: null,
        baseOffset: -1,
        lastOffset: -1,
        firstTimestamp: batch.readDoubleBE(24),
        maxTimestamp: batch.readDoubleBE(32),
        position: 0,
        segment: null,
      });
      this.kick();
    });
  }

  /** Waits for queued appends, fsyncs, and stops. Rejects with `EVQ_ERR_STORAGE` when the last fsync fails. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pumping !== null) await this.pumping;
    this.sync.stopTimer();
    await this.sync.idle();
    this.maintenance = true;
    if (this.repairNeeded !== null) await this.repair();
    if (this.sync.failure !== null) await this.rewrite();
    try {
      await this.sync.fsync(this.segment);
    } catch (cause) {
      throw storageFailure(this.options.topic, 'fsync', this.segment.logPath, cause);
    }
  }

  private kick(): void {
    if (this.pumping !== null) return;
    // start once the current microtasks ran, so that appends made together (e.g. by producers whose
    // previous appends were just acknowledged by the same fsync) share one write and then one fsync
    this.pumping = Promise.resolve()
      .then(() => this.pump())
      .finally(() => {
        this.pumping = null;
        if (this.queue.length > 0) this.kick();
      });
  }

  private async pump(): Promise<void> {
    try {
      await this.drain();
    } catch (error) {
      // a bug, not a disk failure: fail what is queued rather than spin or hang
      for (const entry of this.queue.splice(0)) entry.reject(error as Error);
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      try {
        if (this.repairNeeded !== null) await this.repair();
        if (this.sync.failure !== null) await this.rewrite();
      } catch (error) {
        for (const entry of this.queue.splice(0)) entry.reject(error as Error);
        continue;
      }
      // `interval` keeps what it acknowledged until an fsync covers it: past the cap, wait for the fsync
      // running (a slow disk slows producers down instead of filling memory)
      const backpressure = this.sync.backpressure();
      if (backpressure !== null) {
        await backpressure;
        continue;
      }
      const group = this.takeGroup();
      if (group === ROLL) {
        try {
          await this.roll();
        } catch (cause) {
          this.queue.shift()?.reject(storageFailure(this.options.topic, 'start a new segment after', this.segment.logPath, cause));
        }
        continue;
      }
      if (group.length > 0) await this.write(group);
    }
  }

  /** Gives `entry` its offsets from `baseOffset` (again, when they changed since) and its frame header. */
  private prepare(entry: AppendEntry, baseOffset: number): void {
    if (entry.header !== null && entry.baseOffset === baseOffset) return;
    if (!Number.isSafeInteger(baseOffset + entry.count)) throw new EvqStorageError('EVQ_ERR_STORAGE', 'the log has used up its offsets');
    entry.batch.writeDoubleBE(baseOffset, 16);
    entry.header = frameHeader(entry.batch);
    entry.baseOffset = baseOffset;
    entry.lastOffset = baseOffset + entry.count - 1;
  }

  /** The appends of the next write: as many queued ones as fit in the segment and in one write. */
  private takeGroup(): AppendEntry[] | typeof ROLL {
    const segmentBytes = this.options.segmentBytes;
    let position = this.segment.size;
    let next = this.segment.endOffset;
    let bytes = 0;
    const group: AppendEntry[] = [];
    while (this.queue.length > 0 && bytes < LIMITS.maxWriteBytes) {
      const entry = this.queue[0] as AppendEntry;
      try {
        this.prepare(entry, next);
      } catch (error) {
        this.queue.shift();
        entry.reject(error as Error);
        continue;
      }
      const bytesOfFrame = frameBytes(entry);
      if (position > 0 && position + bytesOfFrame > segmentBytes) {
        if (group.length === 0) return ROLL;
        break;
      }
      this.queue.shift();
      entry.position = position;
      entry.segment = this.segment;
      position += bytesOfFrame;
      bytes += bytesOfFrame;
      next = entry.lastOffset + 1;
      group.push(entry);
    }
    return group;
  }

  private async write(group: AppendEntry[]): Promise<void> {
    const segment = this.segment;
    const start = segment.size;
    const chunks: Buffer[] = [];
    for (const entry of group) chunks.push(entry.header as Buffer, entry.batch);
    try {
      await segment.writer().write(chunks, start);
    } catch (cause) {
      const error = storageFailure(this.options.topic, 'write to', segment.logPath, cause);
      try {
        await segment.writer().truncate(start);
      } catch {
        this.repairNeeded ??= error;
      }
      for (const entry of group) entry.reject(error);
      return;
    }
    // an fsync failed while this was written: these bytes will be cut off by the repair
    if (this.repairNeeded !== null) {
      for (const entry of group) entry.reject(this.repairNeeded);
      return;
    }
    for (const entry of group) {
      segment.noteFrame(entry.position, frameBytes(entry), entry.baseOffset, entry.count, entry.firstTimestamp, entry.maxTimestamp);
    }
    this.sync.written(group);
  }

  private acknowledge(entry: AppendEntry): void {
    const batch = entry.batch;
    this.options.acknowledge({
      segment: entry.segment as Segment,
      baseOffset: entry.baseOffset,
      lastOffset: entry.lastOffset,
      end: entry.position + frameBytes(entry),
      batch,
    });
    entry.resolve({ baseOffset: entry.baseOffset, lastOffset: entry.lastOffset });
  }

  /** Seals the active segment once what it holds is acknowledged, and continues in a new one. */
  private async roll(): Promise<void> {
    this.maintenance = true;
    try {
      await this.sync.idle();
      // in every mode a sealed segment is on disk before the next one starts: a power loss can then only
      // cost the tail of the active segment, never leave a hole in the middle of the log
      if (this.options.fsync !== 'always') await this.sync.now();
      // a failed fsync: the pump repairs first, then tries the roll again
      if (this.repairNeeded !== null || this.sync.failure !== null) return;
      this.segment = await this.options.roll(this.segment);
    } finally {
      this.maintenance = false;
    }
  }

  /** After a failed background fsync: writes the appends kept since the last good fsync again, and fsyncs. Throws while that fails. */
  private async rewrite(): Promise<void> {
    this.maintenance = true;
    try {
      await this.sync.idle();
      await writeAgain(this.options.io, this.options.topic, this.segment, this.sync.keptIn(this.segment));
      this.sync.rewritten();
    } finally {
      this.maintenance = false;
    }
  }

  /** Cuts the active segment back to its acknowledged end and reopens it. Throws while that fails. */
  private async repair(): Promise<void> {
    this.maintenance = true;
    try {
      await this.sync.idle();
      await cutBackToAcknowledged(this.options.io, this.options.topic, this.segment);
      this.repairNeeded = null;
    } finally {
      this.maintenance = false;
    }
  }
}
