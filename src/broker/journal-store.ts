import { dirname, join } from 'node:path';
import { LIMITS } from '../core/limits.js';
import type { JournalStore } from './delay-queue.js';
import { readJsonFile, writeJsonFile } from './storage/atomic-file.js';
import type { FileIO } from './storage/file-io.js';
import type { FsyncMode, Log } from './storage/log.js';
import { MemoryTopicLog } from './storage/memory-topic-log.js';
import { TopicLog } from './storage/topic-log.js';

const JOURNAL = 'delayed';
const CURRENT = 'current.json';
/** One journal record holds one delayed produce request: a whole batch plus its headers. */
const JOURNAL_LIMITS = {
  ...LIMITS,
  maxMessageBytes: LIMITS.maxBatchBytes + LIMITS.delayJournalRecordHeadroomBytes,
  maxBatchBytes: 2 * (LIMITS.maxBatchBytes + LIMITS.delayJournalRecordHeadroomBytes),
};

/**
 * Where the delay queue keeps its journal: `<dir>/gen-<N>/` topic logs on disk, with `<dir>/current.json`
 * naming the generation in use (written atomically, so a compaction cut short leaves the old one current);
 * or a log in memory with `--memory`.
 */
export function openJournalStore(io: FileIO | null, dir: string, fsync: FsyncMode): JournalStore {
  if (io === null) {
    return {
      current: async () => 0,
      open: async () => new MemoryTopicLog(JOURNAL, { limits: JOURNAL_LIMITS, retentionBytes: Number.MAX_SAFE_INTEGER }),
      commit: async () => undefined,
    };
  }
  return {
    current: async () => {
      const saved = (await readJsonFile(io, join(dir, CURRENT))) as { generation?: unknown } | null;
      const generation = saved?.generation;
      return typeof generation === 'number' && Number.isSafeInteger(generation) && generation >= 0 ? generation : 0;
    },
    open: async (generation) => {
      const log: Log = await TopicLog.open(io, join(dir, `gen-${generation}`), JOURNAL, {
        fsync,
        limits: JOURNAL_LIMITS,
        segmentBytes: LIMITS.delayJournalSegmentBytes,
      });
      // opening a new generation fsyncs `gen-N` and `<dir>`; `<dir>` itself may be new in the data directory,
      // and without this a power cut could take the whole journal (acknowledged delayed messages) with it
      try {
        await io.fsyncDir(dirname(dir));
      } catch (error) {
        await log.close().catch(() => undefined);
        throw error;
      }
      return log;
    },
    commit: async (generation) => {
      await writeJsonFile(io, join(dir, CURRENT), { generation });
      for (const name of await io.readdir(dir)) {
        const match = /^gen-(\d+)$/.exec(name);
        if (match !== null && Number(match[1]) < generation) await removeDir(io, join(dir, name));
      }
    },
  };
}

async function removeDir(io: FileIO, path: string): Promise<void> {
  for (const name of await io.readdir(path)) await io.unlink(join(path, name));
  await io.rmdir(path);
}
