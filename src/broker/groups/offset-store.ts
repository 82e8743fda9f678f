import { join } from 'node:path';
import { EvqError, EvqStorageError } from '../../errors.js';
import { validateGroupName } from '../../protocol/validate.js';
import { LIMITS } from '../../core/limits.js';
import type { FileIO } from '../storage/file-io.js';
import { readJsonFile, writeFileAtomic } from '../storage/atomic-file.js';

const FILE = 'groups.json';
/** The format written: `{"version": 2, "offsets": [{topic, group, partition, committed, updatedAt, metadata?}]}`. */
const VERSION = 2;

/** A group's committed offset on one partition of a topic. */
export interface GroupState {
  topic: string;
  group: string;
  partition: number;
  /** The next offset the group reads: everything below it is committed. */
  committed: number;
  updatedAt: number;
  /** The metadata string a Kafka client committed with the offset (given back as it came); absent: none. */
  metadata?: string;
}

/** One offset of a commit of several (a member's page). */
export interface OffsetCommit {
  topic: string;
  partition: number;
  offset: number;
  /** Kept with the offset (Kafka's committed metadata). */
  metadata?: string;
}

/**
 * Committed offsets of consumer groups, per (group, topic, partition), whichever door the group's members came
 * through (evq's HTTP API today, the Kafka listener later). Commits are durable before they are acknowledged:
 * the whole table is written with write-temp + fsync + rename, and commits that arrive while a write is running
 * share the next write (group commit), so a busy group costs one write per round, not one per commit. Offsets
 * never move backwards unless a caller explicitly resets them.
 *
 * groups.json of version 1 (evq before partitions: `{"version": 1, "groups": [{topic, group, committed,
 * updatedAt}]}`) loads as commits of partition 0; the next write makes it version 2.
 */
export class OffsetStore {
  readonly #offsets = new Map<string, GroupState>();
  /** Anonymous group reads in flight, per topic and group: the consumers reading now (a `--follow` consumer is almost always). */
  readonly #readers = new Map<string, number>();
  #dirty = false;
  #writing: Promise<void> | null = null;
  #next: Promise<void> | null = null;

  private constructor(
    private readonly io: FileIO | null,
    private readonly dir: string,
    private readonly maxEntries: number,
  ) {}

  /** Loads the table from `dir` (or keeps it in memory only when `io` is null). */
  static async open(io: FileIO | null, dir: string, maxEntries: number = LIMITS.maxGroupOffsets): Promise<OffsetStore> {
    const store = new OffsetStore(io, dir, maxEntries);
    if (io !== null) {
      const saved = (await readJsonFile(io, join(dir, FILE))) as { version?: unknown; groups?: unknown; offsets?: unknown } | null;
      for (const state of loadEntries(saved)) store.#offsets.set(keyOf(state.topic, state.group, state.partition), state);
    }
    return store;
  }

  get(topic: string, group: string, partition = 0): GroupState | undefined {
    return this.#offsets.get(keyOf(topic, group, partition));
  }

  /** Every committed offset, one per (group, topic, partition). */
  list(): GroupState[] {
    return [...this.#offsets.values()];
  }

  /** The committed offsets of a group, over every topic. */
  ofGroup(group: string): GroupState[] {
    return this.list().filter((s) => s.group === group);
  }

  /** The groups with a commit on a topic, each with its per-partition offsets (by partition), in group order. */
  groupsOf(topic?: string): Array<{ topic: string; group: string; partitions: GroupState[] }> {
    const by = new Map<string, { topic: string; group: string; partitions: GroupState[] }>();
    for (const s of this.#offsets.values()) {
      if (topic !== undefined && s.topic !== topic) continue;
      const key = `${s.topic}\u0000${s.group}`;
      let entry = by.get(key);
      if (entry === undefined) by.set(key, (entry = { topic: s.topic, group: s.group, partitions: [] }));
      entry.partitions.push(s);
    }
    for (const entry of by.values()) entry.partitions.sort((a, b) => a.partition - b.partition);
    return [...by.values()];
  }

  /** Counts an anonymous group read while it runs (the returned function ends it): what `members` reports. */
  beginRead(topic: string, group: string): () => void {
    const key = readersKey(topic, group);
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

  /** Anonymous consumers of the group reading the topic now (group reads in flight). */
  members(topic: string, group: string): number {
    return this.#readers.get(readersKey(topic, group)) ?? 0;
  }

  /**
   * Commits `offset` (the next offset to read) for the group on a partition; resolves once it is durable. A
   * commit below the current one is ignored unless `force` (an explicit reset).
   */
  async commit(topic: string, group: string, offset: number, now: number, force = false, partition = 0): Promise<GroupState> {
    const [state] = await this.commitMany(group, [{ topic, partition, offset }], now, force);
    return state as GroupState;
  }

  /**
   * Commits several offsets of one group at once (one durable write for all, or none of them); resolves with
   * the state of each after the commit, in the order given.
   */
  async commitMany(group: string, offsets: readonly OffsetCommit[], now: number, force = false): Promise<GroupState[]> {
    validateGroupName(group);
    const added = offsets.filter((o) => !this.#offsets.has(keyOf(o.topic, group, o.partition))).length;
    if (added > 0 && this.#offsets.size + added > this.maxEntries) {
      throw new EvqError(
        'EVQ_ERR_LIMIT_EXCEEDED',
        `the broker keeps at most ${this.maxEntries} committed group offsets: delete unused groups (or their topics) first`,
      );
    }
    const undo: Array<[string, GroupState | undefined, GroupState]> = [];
    const states: GroupState[] = [];
    for (const { topic, partition, offset, metadata } of offsets) {
      const key = keyOf(topic, group, partition);
      const current = this.#offsets.get(key);
      if (current !== undefined && offset <= current.committed && !force) {
        states.push(current);
        continue;
      }
      const state: GroupState = { topic, group, partition, committed: offset, updatedAt: now };
      if (metadata !== undefined && metadata !== '') state.metadata = metadata;
      this.#offsets.set(key, state);
      undo.push([key, current, state]);
      states.push(state);
    }
    if (undo.length === 0) return states;
    this.#dirty = true;
    try {
      await this.#persist();
    } catch (error) {
      // not durable, so not committed: the group keeps reading from where it was (unless a later commit took over)
      for (const [key, current, state] of undo.reverse()) {
        if (this.#offsets.get(key) !== state) continue;
        if (current === undefined) this.#offsets.delete(key);
        else this.#offsets.set(key, current);
      }
      throw error;
    }
    return states;
  }

  /** Forgets every commit of a deleted topic. */
  async forgetTopic(topic: string): Promise<void> {
    for (const [key, state] of this.#offsets) if (state.topic === topic) this.#offsets.delete(key);
    this.#dirty = true;
    await this.#persist();
  }

  /** Forgets every commit of a group; false when it had none. */
  async forgetGroup(group: string): Promise<boolean> {
    let found = false;
    for (const [key, state] of this.#offsets) {
      if (state.group !== group) continue;
      this.#offsets.delete(key);
      found = true;
    }
    if (!found) return false;
    this.#dirty = true;
    await this.#persist();
    return true;
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
    const body = JSON.stringify({ version: VERSION, offsets: [...this.#offsets.values()] });
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

/** The entries of a saved table of version 1 (partition 0 each) or 2; entries that do not parse are skipped. */
function loadEntries(saved: { version?: unknown; groups?: unknown; offsets?: unknown } | null): GroupState[] {
  if (saved === null || typeof saved !== 'object') return [];
  const v2 = saved.version === VERSION;
  const raw = v2 ? saved.offsets : saved.groups;
  if (!Array.isArray(raw)) return [];
  const out: GroupState[] = [];
  for (const item of raw as Array<Partial<GroupState> | null>) {
    if (item === null || typeof item !== 'object') continue;
    const { topic, group, committed, updatedAt, metadata } = item;
    const partition = v2 ? item.partition : 0;
    if (typeof topic !== 'string' || typeof group !== 'string' || !Number.isSafeInteger(committed)) continue;
    if (typeof partition !== 'number' || !Number.isSafeInteger(partition) || partition < 0) continue;
    out.push({
      topic,
      group,
      partition,
      committed: committed as number,
      updatedAt: Number.isSafeInteger(updatedAt) ? (updatedAt as number) : 0,
      ...(typeof metadata === 'string' && metadata !== '' ? { metadata } : {}),
    });
  }
  return out;
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

/** A group's figures on one partition (`committed` null: nothing committed yet, counted from the log's start). */
export function partitionFigures(
  log: { startOffset: number; endOffset: number } | undefined,
  committed: number | null,
): { committed: number | null; endOffset: number; lag: number; missed: number } {
  return {
    committed,
    endOffset: log?.endOffset ?? committed ?? 0,
    lag: groupLag(log, committed ?? log?.startOffset ?? 0),
    missed: committed === null ? 0 : groupMissed(log, committed),
  };
}

/** A group's lag on a topic: the sum over its partitions (one without a commit counts from its log's start). */
export function topicGroupLag(
  logs: ReadonlyArray<{ partition: number; startOffset: number; endOffset: number }>,
  commits: ReadonlyArray<{ partition: number; committed: number }>,
): number {
  const byPartition = new Map(commits.map((c) => [c.partition, c.committed]));
  let lag = 0;
  for (const log of logs) lag += partitionFigures(log, byPartition.get(log.partition) ?? null).lag;
  return lag;
}

function keyOf(topic: string, group: string, partition: number): string {
  return `${topic}\u0000${group}\u0000${partition}`;
}

function readersKey(topic: string, group: string): string {
  return `${topic}\u0000${group}`;
}
