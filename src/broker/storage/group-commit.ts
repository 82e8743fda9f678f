/**
 * The write path of a topic log: appends are queued, given their offsets in call order, coalesced into one
 * vectored write, and acknowledged according to the fsync mode.
 *
 * Group commit (`fsync: 'always'`): at most one fsync runs at a time. While it runs, further appends are
 * written; when it ends, one new fsync covers all of them. An append is acknowledged only after an fsync
 * that started after its write completed, so N concurrent appends cost far fewer than N fsyncs.
 *
 * Failures. An append is never acknowledged when its write or its fsync failed:
 * - a failed write rejects the appends of that write (`EVQ_ERR_STORAGE`) and cuts the file back to where the
 *   write started; earlier appends are unaffected;
 * - a failed fsync (`always`) rejects every append it covered and every append written since (after a
 *   failed fsync the kernel may have dropped the dirty pages, so nothing unsynced can be trusted). Before
 *   the next write, the file is cut back to the last acknowledged position and reopened with a fresh file
 *   descriptor ("repair"), and the offsets of the rejected appends are given again. If the repair fails,
 *   appends are rejected until one succeeds: when the fault clears, appends work again;
 * - a failed background fsync (`interval`) cannot take back acknowledgements, and retrying it proves
 *   nothing (after a failed fsync the kernel may have dropped the dirty pages and report the next fsync as
 *   a success: "fsyncgate"). So the appends acknowledged since the last good fsync are kept in memory, and
 *   the next append first writes them again through a fresh file descriptor and fsyncs; appends are
 *   rejected while that fails. A failed fsync of a roll with `never` is handled the same way (with nothing
 *   kept: `never` promises nothing about the OS's write-back).
 *
 * Rolls: in every mode the segment being sealed is fsynced before the next one is created, so a power
 * loss costs at most the unsynced tail of the active segment and never leaves a hole inside the log.
 * Readers only ever see acknowledged appends, so nothing they read is ever taken back.
 */
import { encodeBatch } from '../../protocol/batch-encode.js';
import { FRAME_HEADER_BYTES, frameHeader } from './frame.js';
import { logClosed, storageFailure } from './storage-errors.js';
import { EvqStorageError } from '../../errors.js';
import type { TimestampedMessage } from '../../protocol/record.js';
import type { FileHandleIO, FileIO } from './file-io.js';
import type { AppendResult, FsyncMode } from './log.js';
import type { Segment } from './segment.js';

/** Largest coalesced write. */
const MAX_WRITE_BYTES = 16 * 1024 * 1024;
/**
 * `interval`: past this many acknowledged bytes not yet fsynced, an fsync starts without waiting for the timer,
 * and new appends wait for it (at most this plus one write is kept for the rewrite after a failed fsync).
 */
const MAX_UNSYNCED_ACKED_BYTES = 16 * 1024 * 1024;

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

interface Entry {
  count: number;
  resolve: (result: AppendResult) => void;
  reject: (error: Error) => void;
  /** The encoded batch; its base offset field is set when the batch is placed. */
  batch: Buffer;
  header: Buffer | null;
  baseOffset: number;
  lastOffset: number;
  firstTimestamp: number;
  maxTimestamp: number;
  position: number;
  segment: Segment | null;
}

const ROLL = Symbol('roll');

export class LogWriter {
  private segment: Segment;
  private readonly queue: Entry[] = [];
  private unsynced: Entry[] = [];
  private pumping: Promise<void> | null = null;
  private syncing: Promise<void> | null = null;
  private repairNeeded: EvqStorageError | null = null;
  private intervalSyncFailed: EvqStorageError | null = null;
  /** `interval`: appends acknowledged since the start of the last fsync that worked, to write again after a failed one. */
  private unsyncedAcked: Entry[] = [];
  private unsyncedAckedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private maintenance = false;
  private closed = false;
  /** Number of fsyncs of segment files so far. */
  syncCount = 0;

  constructor(
    segment: Segment,
    private readonly options: LogWriterOptions,
  ) {
    this.segment = segment;
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
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.syncIdle();
    this.maintenance = true;
    if (this.repairNeeded !== null) await this.repair();
    if (this.intervalSyncFailed !== null) await this.rewrite();
    try {
      await this.fsync(this.segment);
    } catch (cause) {
      throw storageFailure(this.options.topic, 'fsync', this.segment.logPath, cause);
    }
  }

  private async fsync(segment: Segment): Promise<void> {
    this.syncCount++;
    const started = performance.now();
    await segment.writer().sync();
    this.options.onFsync?.((performance.now() - started) / 1000);
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
        if (this.intervalSyncFailed !== null) await this.rewrite();
      } catch (error) {
        for (const entry of this.queue.splice(0)) entry.reject(error as Error);
        continue;
      }
      // `interval` keeps what it acknowledged until an fsync covers it: past the cap, wait for the fsync
      // running (a slow disk slows producers down instead of filling memory)
      if (this.unsyncedAckedBytes > MAX_UNSYNCED_ACKED_BYTES && this.syncing !== null) {
        await this.syncing;
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
  private prepare(entry: Entry, baseOffset: number): void {
    if (entry.header !== null && entry.baseOffset === baseOffset) return;
    if (!Number.isSafeInteger(baseOffset + entry.count)) throw new EvqStorageError('EVQ_ERR_STORAGE', 'the log has used up its offsets');
    entry.batch.writeDoubleBE(baseOffset, 16);
    entry.header = frameHeader(entry.batch);
    entry.baseOffset = baseOffset;
    entry.lastOffset = baseOffset + entry.count - 1;
  }

  /** The appends of the next write: as many queued ones as fit in the segment and in one write. */
  private takeGroup(): Entry[] | typeof ROLL {
    const segmentBytes = this.options.segmentBytes;
    let position = this.segment.size;
    let next = this.segment.endOffset;
    let bytes = 0;
    const group: Entry[] = [];
    while (this.queue.length > 0 && bytes < MAX_WRITE_BYTES) {
      const entry = this.queue[0] as Entry;
      try {
        this.prepare(entry, next);
      } catch (error) {
        this.queue.shift();
        entry.reject(error as Error);
        continue;
      }
      const frameBytes = FRAME_HEADER_BYTES + entry.batch.length;
      if (position > 0 && position + frameBytes > segmentBytes) {
        if (group.length === 0) return ROLL;
        break;
      }
      this.queue.shift();
      entry.position = position;
      entry.segment = this.segment;
      position += frameBytes;
      bytes += frameBytes;
      next = entry.lastOffset + 1;
      group.push(entry);
    }
    return group;
  }

  private async write(group: Entry[]): Promise<void> {
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
      segment.noteFrame(
        entry.position,
        FRAME_HEADER_BYTES + entry.batch.length,
        entry.baseOffset,
        entry.count,
        entry.firstTimestamp,
        entry.maxTimestamp,
      );
    }
    switch (this.options.fsync) {
      case 'always':
        for (const entry of group) this.unsynced.push(entry);
        this.kickSync();
        break;
      case 'interval':
        for (const entry of group) {
          this.acknowledge(entry);
          this.unsyncedAcked.push(entry);
          this.unsyncedAckedBytes += FRAME_HEADER_BYTES + entry.batch.length;
        }
        if (this.unsyncedAckedBytes > MAX_UNSYNCED_ACKED_BYTES) this.kickSync();
        else this.scheduleIntervalSync();
        break;
      case 'never':
        for (const entry of group) this.acknowledge(entry);
        break;
    }
  }

  private acknowledge(entry: Entry): void {
    const batch = entry.batch;
    this.options.acknowledge({
      segment: entry.segment as Segment,
      baseOffset: entry.baseOffset,
      lastOffset: entry.lastOffset,
      end: entry.position + FRAME_HEADER_BYTES + batch.length,
      batch,
    });
    entry.resolve({ baseOffset: entry.baseOffset, lastOffset: entry.lastOffset });
  }

  private kickSync(): void {
    if (this.syncing !== null) return; // the running round's loop takes what was written meanwhile
    this.syncing = this.syncRounds().finally(() => {
      this.syncing = null;
      if (this.unsynced.length > 0) this.kickSync();
    });
  }

  /** fsync rounds until nothing written is waiting for one. Never rejects. */
  private async syncRounds(): Promise<void> {
    do {
      const covered = this.unsynced;
      this.unsynced = [];
      const coveredAcked = this.unsyncedAcked.length;
      const segment = this.segment;
      try {
        await this.fsync(segment);
      } catch (cause) {
        const error = storageFailure(this.options.topic, 'fsync', segment.logPath, cause);
        for (const entry of covered) entry.reject(error);
        for (const entry of this.unsynced.splice(0)) entry.reject(error);
        if (this.options.fsync === 'always') this.repairNeeded ??= error;
        else this.intervalSyncFailed = error;
        return;
      }
      // after a failed fsync a later one that works proves nothing: only the rewrite lets the kept appends go
      if (coveredAcked > 0 && this.intervalSyncFailed === null) this.forgetSynced(coveredAcked);
      for (const entry of covered) this.acknowledge(entry);
    } while (this.unsynced.length > 0);
  }

  private async syncIdle(): Promise<void> {
    while (this.syncing !== null) await this.syncing;
  }

  /** One fsync covering everything written so far (for `interval` and rolls). */
  private async syncNow(): Promise<void> {
    await this.syncIdle();
    this.kickSync();
    await this.syncIdle();
  }

  private scheduleIntervalSync(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.maintenance) this.scheduleIntervalSync();
      else this.kickSync();
    }, this.options.fsyncIntervalMs);
    this.timer.unref();
  }

  /** Seals the active segment once what it holds is acknowledged, and continues in a new one. */
  private async roll(): Promise<void> {
    this.maintenance = true;
    try {
      await this.syncIdle();
      // in every mode a sealed segment is on disk before the next one starts: a power loss can then only
      // cost the tail of the active segment, never leave a hole in the middle of the log
      if (this.options.fsync !== 'always') await this.syncNow();
      // a failed fsync: the pump repairs first, then tries the roll again
      if (this.repairNeeded !== null || this.intervalSyncFailed !== null) return;
      this.segment = await this.options.roll(this.segment);
    } finally {
      this.maintenance = false;
    }
  }

  private forgetSynced(count: number): void {
    for (const entry of this.unsyncedAcked.splice(0, count)) this.unsyncedAckedBytes -= FRAME_HEADER_BYTES + entry.batch.length;
  }

  /**
   * After a failed background fsync: reopens the active segment, writes the appends acknowledged since the
   * last good fsync again at their positions, and fsyncs. Throws while that fails.
   */
  private async rewrite(): Promise<void> {
    this.maintenance = true;
    try {
      await this.syncIdle();
      const segment = this.segment;
      const entries = this.unsyncedAcked.filter((entry) => entry.segment === segment);
      await this.reopen(segment, 'write again what a failed fsync covered in', async (file) => {
        for (const entry of entries) await file.write([entry.header as Buffer, entry.batch], entry.position);
      });
      this.forgetSynced(this.unsyncedAcked.length);
      this.intervalSyncFailed = null;
    } finally {
      this.maintenance = false;
    }
  }

  /**
   * Opens the segment's file with a fresh descriptor (one that saw no failed write or fsync), lets `prepare`
   * write or cut it, fsyncs, and makes it the segment's writer. Throws a storage error naming `what` failed.
   */
  private async reopen(segment: Segment, what: string, prepare: (file: FileHandleIO) => Promise<void>): Promise<void> {
    try {
      const file = await this.options.io.open(segment.logPath, 'write');
      try {
        await prepare(file);
        await file.sync();
      } catch (error) {
        await file.close().catch(() => undefined);
        throw error;
      }
      await segment.setWriter(file);
    } catch (cause) {
      throw storageFailure(this.options.topic, what, segment.logPath, cause);
    }
  }

  /** Cuts the active segment back to its acknowledged end and reopens it. Throws while that fails. */
  private async repair(): Promise<void> {
    this.maintenance = true;
    try {
      await this.syncIdle();
      const segment = this.segment;
      await this.reopen(segment, 'repair', (file) => file.truncate(segment.visibleSize));
      segment.size = segment.visibleSize;
      segment.endOffset = segment.visibleEnd;
      segment.index.truncate(segment.visibleSize);
      this.repairNeeded = null;
    } finally {
      this.maintenance = false;
    }
  }
}
