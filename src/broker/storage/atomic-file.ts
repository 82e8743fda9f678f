/**
 * Whole-file replacement that survives a crash at any point: the new content goes to a temporary file in
 * the same directory, is fsynced, renamed over the real name, and the directory is fsynced. A reader sees the
 * old content or the new one, never a mix. Metadata (consumer group offsets, the delay queue, topic
 * configuration, sealed segment indexes) is written this way.
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { EvqStorageError } from '../../errors.js';
import { readWholeFile } from './file-io.js';
import type { FileHandleIO, FileIO } from './file-io.js';

/** Suffix of the temporary files of {@link writeFileAtomic}: `<name>.<random>.tmp`. */
export const TEMP_SUFFIX = '.tmp';

/** Whether a directory entry is a temporary file left by an interrupted {@link writeFileAtomic}. */
export function isTempFileName(name: string): boolean {
  return name.endsWith(TEMP_SUFFIX);
}

/**
 * Replaces `path` with `data` atomically and durably (write temp, fsync, rename, fsync the directory).
 * On failure the temporary file is removed (best effort) and the error is rethrown; `path` keeps its old
 * content.
 */
export async function writeFileAtomic(io: FileIO, path: string, data: Buffer | string): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const temp = join(dirname(path), `${basename(path)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  let handle: FileHandleIO | null = null;
  try {
    handle = await io.open(temp, 'replace');
    await handle.write([bytes], 0);
    await handle.sync();
    await handle.close();
    handle = null;
    await io.rename(temp, path);
  } catch (error) {
    if (handle !== null) await handle.close().catch(() => undefined);
    await io.unlink(temp).catch(() => undefined);
    throw error;
  }
  await io.fsyncDir(dirname(path));
}

/** Writes `value` as JSON with {@link writeFileAtomic}. */
export async function writeJsonFile(io: FileIO, path: string, value: unknown): Promise<void> {
  await writeFileAtomic(io, path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Reads a JSON file written by {@link writeJsonFile}; `null` when it does not exist. Only `path` itself is
 * read: temporary files of an interrupted write are never taken for it. Content that is not JSON (which an
 * atomic write never leaves, so the disk corrupted it) is `EvqStorageError('EVQ_ERR_CORRUPT_LOG')`.
 */
export async function readJsonFile(io: FileIO, path: string): Promise<unknown> {
  const bytes = await readWholeFile(io, path);
  if (bytes === null) return null;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (error) {
    throw new EvqStorageError('EVQ_ERR_CORRUPT_LOG', `${path} is not valid JSON: the file is damaged`, { cause: error });
  }
}

/**
 * Removes the temporary files an interrupted {@link writeFileAtomic} left in `dir`; returns their paths.
 * Call it when opening a directory, before anything writes into it.
 */
export async function removeStrayTempFiles(io: FileIO, dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await io.readdir(dir)) {
    if (!isTempFileName(name)) continue;
    const path = join(dir, name);
    await io.unlink(path);
    removed.push(path);
  }
  return removed;
}
