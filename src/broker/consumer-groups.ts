import { join } from 'node:path';
import { EvqStorageError, EvqUsageError } from '../errors.js';
import { validateGroupName } from '../protocol/validate.js';
import { LIMITS } from '../core/limits.js';
import type { FileIO } from './storage/file-io.js';
import { readJsonFile, writeFileAtomic } from './storage/atomic-file.js';

const FILE = 'groups.json';

export interface GroupState {
  topic: string;
  group: string;
  /** The next offset the group reads: everything below it is committed. */
  committed: number;
  updatedAt: number;
}

/**
 * Committed offsets of consumer groups, per topic. Commits are durable before they are acknowledged: the
 * whole table is written with write-temp + fsync + rename, and commits that arrive while a write is running
 * share the next write (group commit), so a busy group costs one write per round, not one per commit.
 * Offsets never move backwards unless a caller explicitly resets them.
 */
export class ConsumerGroups {
  readonly #groups = new Map<string, GroupState>();
  /** Group reads in flight, per group: the consumers reading now (a `--follow` consumer is almost always). */
  readonly #readers = new Map<string, number>();
  #dirty = false;
  #writing: Promise<void> | null = null;
  #next: Promise<void> | null = null;

  private constructor(
    private readonly io: FileIO | null,
    private readonly dir: string,
  ) {}

  /** Loads the table from `dir` (or keeps it in memory only when `io` is null). */
  static async open(io: FileIO | null, dir: string): Promise<ConsumerGroups> {
    const groups = new ConsumerGroups(io, dir);
    if (io !== null) {
      const saved = (await readJsonFile(io, join(dir, FILE))) as { groups?: GroupState[] } | null;
      for (const state of saved?.groups ?? []) {
        if (typeof state.topic === 'string' && typeof state.group === 'string' && Number.isSafeInteger(state.committed)) {
          groups.#groups.set(keyOf(state.topic, state.group), state);
        }
      }
    }
    return groups;
  }

  get(topic: string, group: string): GroupState | undefined {
    return this.#groups.get(keyOf(topic, group));
  }

  list(): GroupState[] {
    return [...this.#groups.values()];
  }

  /** Counts a group read while it runs (the returned function ends it): what `members` reports. */
  beginRead(topic: string, group: string): () => void {
    const key = keyOf(topic, group);
    this.#readers.set(key, (this.#readers.get(key) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.#readers.get(key) ?? 1) - 1;
      if (left <= 0) this.#readers.delete(key);
      else this.#readers.set(key, left);
    };
  }

  /** Consumers of the group reading the topic now (group reads in flight). */
  members(topic: string, group: string): number {
    return this.#readers.get(keyOf(topic, group)) ?? 0;
  }

  /**
   * Commits `offset` (the next offset to read) for the group; resolves once it is durable. A commit below
   * the current one is ignored unless `force` (an explicit reset).
   */
  async commit(topic: string, group: string, offset: number, now: number, force = false): Promise<GroupState> {
    validateGroupName(group);
    const key = keyOf(topic, group);
    const current = this.#groups.get(key);
    if (current !== undefined && offset <= current.committed && !force) return current;
    if (current === undefined && this.#groups.size >= LIMITS.maxTopics * 10) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', 'too many consumer groups');
    }
    const state: GroupState = { topic, group, committed: offset, updatedAt: now };
    this.#groups.set(key, state);
    this.#dirty = true;
    try {
      await this.#persist();
    } catch (error) {
      // not durable, so not committed: the group keeps reading from where it was (unless a later commit took over)
      if (this.#groups.get(key) === state) {
        if (current === undefined) this.#groups.delete(key);
        else this.#groups.set(key, current);
      }
      throw error;
    }
    return state;
  }

  /** Forgets every group of a deleted topic. */
  async forgetTopic(topic: string): Promise<void> {
    for (const [key, state] of this.#groups) if (state.topic === topic) this.#groups.delete(key);
    this.#dirty = true;
    await this.#persist();
  }

  /** Waits for pending writes. */
  async close(): Promise<void> {
    await this.#next;
    await this.#writing;
  }

  #persist(): Promise<void> {
    if (this.io === null) return Promise.resolve();
    if (this.#writing === null) {
      this.#writing = this.#write().finally(() => {
        this.#writing = null;
      });
      return this.#writing;
    }
    // a write is running: join the one after it, which will include this change
    this.#next ??= this.#writing.then(
      () => this.#chain(),
      () => this.#chain(),
    );
    return this.#next;
  }

  #chain(): Promise<void> {
    this.#next = null;
    return this.#persist();
  }

  async #write(): Promise<void> {
    if (!this.#dirty || this.io === null) return;
    this.#dirty = false;
    const body = JSON.stringify({ version: 1, groups: [...this.#groups.values()] });
    const path = join(this.dir, FILE);
    try {
      await writeFileAtomic(this.io, path, Buffer.from(body, 'utf8'));
    } catch (err) {
      this.#dirty = true;
      const code = (err as NodeJS.ErrnoException | null)?.code ?? (err instanceof Error ? err.message : String(err));
      throw new EvqStorageError('EVQ_ERR_STORAGE', `could not save consumer group offsets to ${path} (${code}): the commit was not made`, {
        cause: err,
      });
    }
  }
}

/** Records retention removed before the group read them: from its committed offset up to the log's start. */
export function groupMissed(log: { startOffset: number } | undefined, committed: number): number {
  if (log === undefined) return 0;
  return Math.max(0, log.startOffset - committed);
}

/** Messages a group has yet to commit: from its committed offset (or the log's start) to the log's end. */
export function groupLag(log: { startOffset: number; endOffset: number } | undefined, committed: number): number {
  if (log === undefined) return 0;
  return Math.max(0, log.endOffset - Math.max(committed, log.startOffset));
}

function keyOf(topic: string, group: string): string {
  return `${topic}\u0000${group}`;
}
