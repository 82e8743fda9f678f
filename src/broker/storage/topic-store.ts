/**
 * All the topics of a broker: `<dataDir>/topics/<topic>/` holds one topic's log (or, in memory mode,
 * nothing is on disk). Topics are created on first produce, listed, and deleted; names are checked with
 * `validateTopicName` and every path is resolved and checked to stay inside `<dataDir>/topics`.
 *
 * A deleted topic's directory is first renamed to `<topic>~<random>.deleted` (a name no topic can have,
 * since `~` is not allowed in topic names) and then removed, so a crash in between never leaves a half
 * deleted topic that would open as a damaged one; leftovers are removed at the next open.
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { LIMITS } from '../../core/limits.js';
import { EvqError, EvqStorageError, EvqUsageError } from '../../errors.js';
import { isValidTopicName, validateTopicName } from '../../protocol/validate.js';
import { ListenerSet } from './listener-set.js';
import { MemoryTopicLog } from './memory-topic-log.js';
import { TopicLog } from './topic-log.js';
import { storageFailure } from './storage-errors.js';
import type { FileIO } from './file-io.js';
import type { CorruptionReport, Log, RecoveryReport, TopicInfo } from './log.js';
import type { MemoryTopicLogOptions } from './memory-topic-log.js';
import type { TopicLogOptions } from './topic-log.js';

/** Default period of the retention pass over all topics (retention by age needs a clock tick). */

interface StoreLimits {
  /** Most topics (default `LIMITS.maxTopics`); creating one more is `EVQ_ERR_LIMIT_EXCEEDED`. */
  maxTopics?: number;
  /** Period of the retention pass in ms (default 60 s; 0 turns it off: call `enforceRetention`). */
  retentionCheckIntervalMs?: number;
}

export interface TopicStoreOptions extends TopicLogOptions, StoreLimits {}
export interface MemoryTopicStoreOptions extends MemoryTopicLogOptions, StoreLimits {}

/** A topic was created or deleted. */
export interface TopicEvent {
  type: 'created' | 'deleted';
  topic: string;
}

const DELETED_SUFFIX = '.deleted';

export class TopicStore {
  private readonly logs = new Map<string, Log>();
  private readonly creating = new Map<string, Promise<Log>>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly topicListeners = new ListenerSet<TopicEvent>();
  private readonly corruptionListeners = new ListenerSet<CorruptionReport>();
  private readonly timer: NodeJS.Timeout | null;
  private closing: Promise<void> | null = null;
  /** What opening the existing topics repaired or found damaged: one report per topic that needed anything. Print them. */
  readonly recovery: RecoveryReport[] = [];

  private constructor(
    private readonly io: FileIO | null,
    /** `<dataDir>/topics`, resolved; `null` in memory mode. */
    readonly topicsDir: string | null,
    private readonly options: TopicStoreOptions | MemoryTopicStoreOptions,
  ) {
    const period = options.retentionCheckIntervalMs ?? LIMITS.retentionCheckIntervalMs;
    this.timer = period > 0 ? setInterval(() => void this.enforceRetention().catch(() => undefined), period) : null;
    this.timer?.unref();
  }

  /**
   * Opens the store in `dataDir` (created when missing) and every topic in it; with `io === null`, a store
   * in memory (see {@link TopicStore.memory}; `dataDir` is not used). Reports of what recovery did are in
   * `recovery`: print them. Rejects with `EVQ_ERR_STORAGE` when a topic cannot be opened.
   */
  static async open(io: FileIO | null, dataDir: string, options: TopicStoreOptions = {}): Promise<TopicStore> {
    if (io === null) return TopicStore.memory(options);
    const topicsDir = join(resolve(dataDir), 'topics');
    let names: string[];
    try {
      await io.mkdirp(topicsDir);
      await io.fsyncDir(dirname(topicsDir)); // `topics` (and the data directory) may be new
      names = (await io.readdir(topicsDir)).sort();
    } catch (cause) {
      throw new EvqStorageError('EVQ_ERR_STORAGE', `cannot use the data directory ${topicsDir}: ${describe(cause)}`, { cause });
    }
    const store = new TopicStore(io, topicsDir, options);
    try {
      for (const name of names) {
        const path = join(topicsDir, name);
        if (name.includes('~')) {
          await removeFlatDir(io, path);
          continue;
        }
        if (!isValidTopicName(name) || (await io.stat(path))?.isDirectory !== true) continue;
        const log = await TopicLog.open(io, path, name, options);
        store.add(log);
        const r = log.recovery;
        if (r.truncations.length + r.corruptions.length + r.rebuiltIndexes.length + r.removedFiles.length > 0) {
          store.recovery.push(r);
        }
      }
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    return store;
  }

  /** A store whose topics live in memory only (see `MemoryTopicLog`: 256 MiB per topic unless `retentionBytes`). */
  static memory(options: MemoryTopicStoreOptions = {}): TopicStore {
    return new TopicStore(null, null, options);
  }

  /** `true` when topics are on disk. */
  get durable(): boolean {
    return this.io !== null;
  }

  /** Number of topics. */
  get size(): number {
    return this.logs.size;
  }

  /** Whether `topic` exists. Throws `EVQ_ERR_INVALID_TOPIC` for an invalid name. */
  has(topic: string): boolean {
    validateTopicName(topic);
    return this.logs.has(topic);
  }

  /** The log of `topic`, or `undefined` when there is no such topic. Throws `EVQ_ERR_INVALID_TOPIC` for an invalid name. */
  get(topic: string): Log | undefined {
    validateTopicName(topic);
    return this.logs.get(topic);
  }

  /**
   * The log of `topic`, created when missing (what a produce does). Rejects with `EVQ_ERR_INVALID_TOPIC`,
   * `EVQ_ERR_LIMIT_EXCEEDED` past `maxTopics`, `EVQ_ERR_STORAGE`, or `EVQ_ERR_UNAVAILABLE` once closed.
   */
  async getOrCreate(topic: string): Promise<Log> {
    validateTopicName(topic);
    const existing = this.logs.get(topic);
    if (existing !== undefined) return existing;
    const pending = this.creating.get(topic);
    if (pending !== undefined) return pending;
    this.checkOpen();
    const max = this.options.maxTopics ?? LIMITS.maxTopics;
    if (this.logs.size + this.creating.size >= max) {
      throw new EvqError('EVQ_ERR_LIMIT_EXCEEDED', `cannot create topic "${topic}": the broker already has ${max} topics (the limit)`);
    }
    const creation = this.withLock(topic, async () => {
      this.checkOpen();
      const again = this.logs.get(topic);
      if (again !== undefined) return again;
      const log = await this.createLog(topic);
      this.add(log);
      this.topicListeners.emit({ type: 'created', topic });
      return log;
    }).finally(() => this.creating.delete(topic));
    this.creating.set(topic, creation);
    return creation;
  }

  /** Every topic, by name. */
  list(): TopicInfo[] {
    return [...this.logs.values()].map((log) => log.info()).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  }

  /**
   * Deletes `topic` and its data; `false` when there was no such topic. Its log is closed first (appends in
   * flight finish); later calls on it reject with `EVQ_ERR_UNAVAILABLE`.
   */
  async delete(topic: string): Promise<boolean> {
    validateTopicName(topic);
    this.checkOpen();
    return this.withLock(topic, async () => {
      const log = this.logs.get(topic);
      if (log === undefined) return false;
      this.logs.delete(topic);
      this.topicListeners.emit({ type: 'deleted', topic });
      await log.close().catch(() => undefined);
      if (this.io !== null) {
        const dir = this.topicDir(topic);
        const trash = this.inTopicsDir(`${topic}~${randomBytes(6).toString('hex')}${DELETED_SUFFIX}`);
        try {
          await this.io.rename(dir, trash);
          await this.io.fsyncDir(this.topicsDir as string);
        } catch (cause) {
          throw storageFailure(topic, 'delete', dir, cause);
        }
        await removeFlatDir(this.io, trash).catch(() => undefined); // a leftover is removed at the next open
      }
      return true;
    });
  }

  /** Applies retention to every topic now. */
  async enforceRetention(now?: number): Promise<void> {
    for (const log of [...this.logs.values()]) {
      await log.enforceRetention(now).catch(() => undefined);
    }
  }

  /** Calls `listener` when a topic is created or deleted. Returns the unsubscribe function. */
  onTopic(listener: (event: TopicEvent) => void): () => void {
    return this.topicListeners.add(listener);
  }

  /** Calls `listener` when a read finds damage in any topic. Returns the unsubscribe function. */
  onCorruption(listener: (report: CorruptionReport) => void): () => void {
    return this.corruptionListeners.add(listener);
  }

  /** Closes every log (flush, fsync). Rejects with the first failure after trying them all. */
  async close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer !== null) clearInterval(this.timer);
      await Promise.allSettled([...this.creating.values()]);
      const results = await Promise.allSettled([...this.logs.values()].map((log) => log.close()));
      this.logs.clear();
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    })();
    return this.closing;
  }

  private checkOpen(): void {
    if (this.closing !== null) throw new EvqError('EVQ_ERR_UNAVAILABLE', 'the topic store is closed (the broker is stopping)');
  }

  private add(log: Log): void {
    this.logs.set(log.topic, log);
    log.onCorruption((report) => this.corruptionListeners.emit(report));
  }

  private async createLog(topic: string): Promise<Log> {
    if (this.io === null) return new MemoryTopicLog(topic, this.options);
    return TopicLog.open(this.io, this.topicDir(topic), topic, this.options);
  }

  /** The directory of `topic`: a direct child of `topicsDir`, never anywhere else. */
  private topicDir(topic: string): string {
    validateTopicName(topic);
    return this.inTopicsDir(topic);
  }

  private inTopicsDir(name: string): string {
    const topicsDir = this.topicsDir as string;
    const path = resolve(topicsDir, name);
    if (dirname(path) !== topicsDir || basename(path) !== name) {
      throw new EvqUsageError('EVQ_ERR_INVALID_TOPIC', `topic name "${name.slice(0, 60)}" does not stay inside the data directory`);
    }
    return path;
  }

  /** Runs `task` after every earlier task on the same topic. */
  private async withLock<T>(topic: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(topic) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(task);
    const tail = run.catch(() => undefined);
    this.locks.set(topic, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(topic) === tail) this.locks.delete(topic);
    }
  }
}

function describe(error: unknown): string {
  return (error as NodeJS.ErrnoException | null)?.code ?? (error instanceof Error ? error.message : String(error));
}

/** Removes a directory that holds only files (a topic's directory). */
async function removeFlatDir(io: FileIO, dir: string): Promise<void> {
  for (const name of await io.readdir(dir)) await io.unlink(join(dir, name));
  await io.rmdir(dir);
}
