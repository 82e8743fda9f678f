/**
 * All the topics of a broker: `<dataDir>/topics/<topic>/` holds one topic: partition 0's log as the topic's
 * log was before partitions (so a data directory of the previous release opens unchanged, each topic one
 * partition), partition n >= 1 in the subdirectory `<topic>/<n>/`, and `topic.json` with the partition count
 * (none: one partition). In memory mode nothing is on disk. Topics are created on first produce or on
 * request with a partition count, grown (never shrunk), listed, and deleted; names are checked with
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
import { DEFAULT_MEMORY_RETENTION_BYTES, MemoryTopicLog } from './memory-topic-log.js';
import { TopicLog } from './topic-log.js';
import { storageFailure } from './storage-errors.js';
import { readJsonFile, writeJsonFile } from './atomic-file.js';
import { Topic } from './topic.js';
import type { FileIO } from './file-io.js';
import type { CorruptionReport, Log, RecoveryReport } from './log.js';
import type { TopicOffsets } from '../../protocol/http.js';
import type { MemoryTopicLogOptions } from './memory-topic-log.js';
import type { TopicLogOptions } from './topic-log.js';

interface StoreLimits {
  /** Most topics (default `LIMITS.maxTopics`); creating one more is `EVQ_ERR_LIMIT_EXCEEDED`. */
  maxTopics?: number;
  /** Partitions of a topic created by a first produce (default `LIMITS.defaultPartitions`). */
  defaultPartitions?: number;
  /** Most partitions of one topic (default `LIMITS.maxPartitions`). */
  maxPartitions?: number;
  /** Most partitions of all topics together (default `LIMITS.maxTotalPartitions`). */
  maxTotalPartitions?: number;
  /** Period of the retention pass in ms (default 60 s; 0 turns it off: call `enforceRetention`). */
  retentionCheckIntervalMs?: number;
}

export interface TopicStoreOptions extends TopicLogOptions, StoreLimits {}
export interface MemoryTopicStoreOptions extends MemoryTopicLogOptions, StoreLimits {}

/** See {@link TopicStore.settings}. */
export interface TopicStoreSettings {
  readonly retentionBytes: number | null;
  readonly retentionAgeMs: number | null;
  readonly segmentBytes: number;
  readonly defaultPartitions: number;
  readonly maxPartitions: number;
}

/** A topic was created, deleted, or given more partitions (`partitions`: its count now). */
export interface TopicEvent {
  type: 'created' | 'deleted' | 'grown';
  topic: string;
  partitions?: number;
}

const DELETED_SUFFIX = '.deleted';
/** The file in a topic's directory that holds its partition count. */
export const TOPIC_META_FILE = 'topic.json';

export class TopicStore {
  private readonly logs = new Map<string, Topic>();
  private readonly creating = new Map<string, Promise<Topic>>();
  private totalPartitions = 0;
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
          await removeTopicDir(io, path);
          continue;
        }
        if (!isValidTopicName(name) || (await io.stat(path))?.isDirectory !== true) continue;
        const count = await store.readPartitionCount(name);
        const logs: Log[] = [];
        try {
          for (let p = 0; p < count; p++) logs.push(await store.openLog(name, p));
        } catch (error) {
          await Promise.allSettled(logs.map((log) => log.close()));
          throw error;
        }
        store.add(new Topic(name, logs));
        for (const log of logs) {
          const r = log.recovery;
          if (r.truncations.length + r.corruptions.length + r.rebuiltIndexes.length + r.removedFiles.length > 0) {
            store.recovery.push(r);
          }
        }
      }
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    return store;
  }

  /** A store whose topics live in memory only (see `MemoryTopicLog`: 256 MiB per partition unless `retentionBytes`). */
  static memory(options: MemoryTopicStoreOptions = {}): TopicStore {
    return new TopicStore(null, null, options);
  }

  /** `true` when topics are on disk. */
  get durable(): boolean {
    return this.io !== null;
  }

  /**
   * The settings every topic of this store has (read-only; what Kafka's DescribeConfigs reports): retention
   * (null: none), the segment size, the partitions of a topic created by a first produce, the most of one topic.
   */
  get settings(): TopicStoreSettings {
    const o = this.options as TopicStoreOptions;
    return {
      retentionBytes: o.retentionBytes ?? (this.io === null ? DEFAULT_MEMORY_RETENTION_BYTES : null),
      retentionAgeMs: o.retentionAgeMs ?? null,
      segmentBytes: o.segmentBytes ?? LIMITS.segmentBytes,
      defaultPartitions: o.defaultPartitions ?? LIMITS.defaultPartitions,
      maxPartitions: o.maxPartitions ?? LIMITS.maxPartitions,
    };
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

  /** The topic, or `undefined` when there is no such topic. Throws `EVQ_ERR_INVALID_TOPIC` for an invalid name. */
  get(topic: string): Topic | undefined {
    validateTopicName(topic);
    return this.logs.get(topic);
  }

  /**
   * The topic, created when missing (what a produce does) with `partitions` partitions (default: the store's
   * `defaultPartitions`); an existing topic is returned as it is, whatever its count. Rejects with
   * `EVQ_ERR_INVALID_TOPIC`, `EVQ_ERR_INVALID_ARGUMENT` for a bad count, `EVQ_ERR_LIMIT_EXCEEDED` past
   * `maxTopics` or the partition limits, `EVQ_ERR_STORAGE`, or `EVQ_ERR_UNAVAILABLE` once closed.
   */
  async getOrCreate(topic: string, partitions?: number): Promise<Topic> {
    validateTopicName(topic);
    const existing = this.logs.get(topic);
    if (existing !== undefined) return existing;
    const pending = this.creating.get(topic);
    if (pending !== undefined) return pending;
    this.checkOpen();
    const count = partitions ?? this.options.defaultPartitions ?? LIMITS.defaultPartitions;
    this.checkPartitionCount(topic, count, 0);
    const max = this.options.maxTopics ?? LIMITS.maxTopics;
    if (this.logs.size + this.creating.size >= max) {
      throw new EvqError('EVQ_ERR_LIMIT_EXCEEDED', `cannot create topic "${topic}": the broker already has ${max} topics (the limit)`);
    }
    const creation = this.withLock(topic, async () => {
      this.checkOpen();
      const again = this.logs.get(topic);
      if (again !== undefined) return again;
      this.checkPartitionCount(topic, count, 0);
      const created = await this.createTopic(topic, count);
      this.add(created);
      this.topicListeners.emit({ type: 'created', topic, partitions: count });
      return created;
    }).finally(() => this.creating.delete(topic));
    this.creating.set(topic, creation);
    return creation;
  }

  /**
   * Gives `topic` `partitions` partitions in all (more than it has: a topic never shrinks, as in Kafka; the
   * same count changes nothing). Existing partitions keep their records and offsets; keys may map elsewhere
   * from now on. Resolves with the topic. Rejects with `EVQ_ERR_NOT_FOUND`, `EVQ_ERR_INVALID_ARGUMENT` for fewer
   * partitions, `EVQ_ERR_LIMIT_EXCEEDED` past the limits, `EVQ_ERR_STORAGE`.
   */
  async grow(topic: string, partitions: number): Promise<Topic> {
    validateTopicName(topic);
    this.checkOpen();
    return this.withLock(topic, async () => {
      const existing = this.logs.get(topic);
      if (existing === undefined)
        throw new EvqError('EVQ_ERR_NOT_FOUND', `topic "${topic}" does not exist`, { details: { reason: 'missing' } });
      const from = existing.partitionCount;
      if (partitions === from) return existing;
      if (Number.isSafeInteger(partitions) && partitions < from) {
        throw new EvqUsageError(
          'EVQ_ERR_INVALID_ARGUMENT',
          `topic "${topic}" has ${from} partitions: a topic can get more partitions, never fewer (delete and create it again to have fewer)`,
        );
      }
      this.checkPartitionCount(topic, partitions, from);
      const added: Log[] = [];
      try {
        for (let p = from; p < partitions; p++) added.push(await this.openLog(topic, p));
        await this.writePartitionCount(topic, partitions);
      } catch (error) {
        await Promise.allSettled(added.map((log) => log.close()));
        throw error;
      }
      existing.grow(added);
      this.totalPartitions += added.length;
      for (const log of added) log.onCorruption((report) => this.corruptionListeners.emit(report));
      this.topicListeners.emit({ type: 'grown', topic, partitions });
      return existing;
    });
  }

  /** Every topic, by name. */
  list(): TopicOffsets[] {
    return [...this.logs.values()].map((t) => t.info()).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  }

  /**
   * Deletes `topic` and its data; `false` when there was no such topic. Its log is closed first (appends in
   * flight finish); later calls on it reject with `EVQ_ERR_UNAVAILABLE`.
   */
  async delete(topic: string): Promise<boolean> {
    validateTopicName(topic);
    this.checkOpen();
    return this.withLock(topic, async () => {
      const existing = this.logs.get(topic);
      if (existing === undefined) return false;
      this.logs.delete(topic);
      this.totalPartitions -= existing.partitionCount;
      this.topicListeners.emit({ type: 'deleted', topic });
      await existing.close().catch(() => undefined);
      if (this.io !== null) {
        const dir = this.topicDir(topic);
        const trash = this.inTopicsDir(`${topic}~${randomBytes(6).toString('hex')}${DELETED_SUFFIX}`);
        try {
          await this.io.rename(dir, trash);
          await this.io.fsyncDir(this.topicsDir as string);
        } catch (cause) {
          throw storageFailure(topic, 'delete', dir, cause);
        }
        await removeTopicDir(this.io, trash).catch(() => undefined); // a leftover is removed at the next open
      }
      return true;
    });
  }

  /** Applies retention to every topic now. */
  async enforceRetention(now?: number): Promise<void> {
    for (const topic of [...this.logs.values()]) {
      for (const log of topic.partitions) await log.enforceRetention(now).catch(() => undefined);
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
      const results = await Promise.allSettled([...this.logs.values()].map((topic) => topic.close()));
      this.logs.clear();
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    })();
    return this.closing;
  }

  private checkOpen(): void {
    if (this.closing !== null) throw new EvqError('EVQ_ERR_UNAVAILABLE', 'the topic store is closed (the broker is stopping)');
  }

  private add(topic: Topic): void {
    this.logs.set(topic.name, topic);
    this.totalPartitions += topic.partitionCount;
    for (const log of topic.partitions) log.onCorruption((report) => this.corruptionListeners.emit(report));
  }

  /** Refuses a partition count that is not a whole number from 1 to the limit, or that the broker has no room for. */
  private checkPartitionCount(topic: string, count: number, existing: number): void {
    const max = this.options.maxPartitions ?? LIMITS.maxPartitions;
    if (!Number.isSafeInteger(count) || count < 1 || count > max) {
      throw new EvqUsageError(
        'EVQ_ERR_INVALID_ARGUMENT',
        `invalid partition count for "${topic}": expected a whole number from 1 to ${max}`,
      );
    }
    const total = this.options.maxTotalPartitions ?? LIMITS.maxTotalPartitions;
    if (this.totalPartitions - existing + count > total) {
      throw new EvqError(
        'EVQ_ERR_LIMIT_EXCEEDED',
        `cannot give "${topic}" ${count} partitions: the broker would have more than ${total} partitions in all (the limit)`,
      );
    }
  }

  private async createTopic(topic: string, count: number): Promise<Topic> {
    const logs: Log[] = [];
    try {
      for (let p = 0; p < count; p++) logs.push(await this.openLog(topic, p));
      if (count > 1) await this.writePartitionCount(topic, count);
    } catch (error) {
      await Promise.allSettled(logs.map((log) => log.close()));
      throw error;
    }
    return new Topic(topic, logs);
  }

  /** Opens (creating when missing) the log of one partition of `topic`. */
  private openLog(topic: string, partition: number): Promise<Log> {
    const options = { ...this.options, partition };
    if (this.io === null) return Promise.resolve(new MemoryTopicLog(topic, options));
    return TopicLog.open(this.io, this.partitionDir(topic, partition), topic, options);
  }

  /** Where partition `n` of `topic` lives: the topic's directory for 0 (the layout before partitions), `<topic>/<n>/` for the others. */
  private partitionDir(topic: string, partition: number): string {
    const dir = this.topicDir(topic);
    return partition === 0 ? dir : join(dir, String(partition));
  }

  /** The partition count in `topic.json` (a topic of the previous release has none: one partition). */
  private async readPartitionCount(topic: string): Promise<number> {
    const path = join(this.topicDir(topic), TOPIC_META_FILE);
    let meta: unknown;
    try {
      meta = await readJsonFile(this.io as FileIO, path);
    } catch (cause) {
      throw storageFailure(topic, 'open', path, cause);
    }
    if (meta === null) return 1;
    const count = (meta as { partitions?: unknown }).partitions;
    const max = this.options.maxPartitions ?? LIMITS.maxPartitions;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > max) {
      throw new EvqStorageError(
        'EVQ_ERR_STORAGE',
        `cannot open topic "${topic}": ${path} does not hold a partition count from 1 to ${max}`,
      );
    }
    return count;
  }

  private async writePartitionCount(topic: string, count: number): Promise<void> {
    if (this.io === null) return;
    const path = join(this.topicDir(topic), TOPIC_META_FILE);
    try {
      await writeJsonFile(this.io, path, { version: 1, partitions: count });
    } catch (cause) {
      throw storageFailure(topic, 'write', path, cause);
    }
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

/** Removes a topic's directory: its files and its partitions' directories (which hold only files). */
async function removeTopicDir(io: FileIO, dir: string): Promise<void> {
  for (const name of await io.readdir(dir)) {
    const path = join(dir, name);
    if ((await io.stat(path))?.isDirectory === true) await removeTopicDir(io, path);
    else await io.unlink(path);
  }
  await io.rmdir(dir);
}
