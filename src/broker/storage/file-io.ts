/**
 * The only door of the storage to the file system. Everything under `src/broker/storage/` does its I/O
 * through a {@link FileIO}, so tests can count calls and inject faults (EIO, ENOSPC, power loss) by wrapping
 * {@link nodeFileIO}, the real one.
 */
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';

/**
 * How a file is opened: `read` (must exist, read-only), `write` (read-write, created when missing, kept
 * when present), `replace` (read-write, created or emptied).
 */
export type OpenMode = 'read' | 'write' | 'replace';

/** An open file. Positions are absolute byte positions; nothing depends on a file cursor. */
export interface FileHandleIO {
  readonly path: string;
  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; returns how many were read (fewer at the end of the file). */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes all of `chunks`, one after another, at `position` (a vectored write; partial writes are continued). */
  write(chunks: readonly Buffer[], position: number): Promise<void>;
  /** Flushes the file's data and metadata to the disk (fsync). */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

/** What `stat` tells about a path. */
export interface FileStat {
  size: number;
  isDirectory: boolean;
  mtimeMs: number;
}

/** The file system as the storage sees it. Every method is async and rejects with the system error (`code` set). */
export interface FileIO {
  open(path: string, mode: OpenMode): Promise<FileHandleIO>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; a missing file is not an error. */
  unlink(path: string): Promise<void>;
  /** Creates a directory and its missing parents (`mkdir -p`). */
  mkdirp(path: string): Promise<void>;
  /** Removes an empty directory; a missing one is not an error. */
  rmdir(path: string): Promise<void>;
  /** Names of the entries of a directory (not paths), unsorted. */
  readdir(path: string): Promise<string[]>;
  /** `null` when nothing is at `path`. */
  stat(path: string): Promise<FileStat | null>;
  /** Flushes a directory's entries (created, renamed, removed files) to the disk. */
  fsyncDir(path: string): Promise<void>;
}

const OPEN_FLAGS: Record<OpenMode, number> = {
  read: constants.O_RDONLY,
  write: constants.O_RDWR | constants.O_CREAT,
  replace: constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC,
};

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

class NodeFileHandle implements FileHandleIO {
  constructor(
    readonly path: string,
    private readonly handle: fsp.FileHandle,
  ) {}

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buffer, offset + done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  async write(chunks: readonly Buffer[], position: number): Promise<void> {
    let pending = chunks.filter((c) => c.length > 0);
    let pos = position;
    while (pending.length > 0) {
      const { bytesWritten } =
        pending.length === 1
          ? await this.handle.write(pending[0] as Buffer, 0, (pending[0] as Buffer).length, pos)
          : await this.handle.writev(pending, pos);
      pos += bytesWritten;
      let skip = bytesWritten;
      const rest: Buffer[] = [];
      for (const chunk of pending) {
        if (skip >= chunk.length) skip -= chunk.length;
        else {
          rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
          skip = 0;
        }
      }
      pending = rest;
    }
  }

  async sync(): Promise<void> {
    await this.handle.sync();
  }

  async truncate(length: number): Promise<void> {
    await this.handle.truncate(length);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** The real file system, through `node:fs/promises`. */
export const nodeFileIO: FileIO = {
  async open(path, mode) {
    return new NodeFileHandle(path, await fsp.open(path, OPEN_FLAGS[mode], 0o644));
  },
  async rename(from, to) {
    await fsp.rename(from, to);
  },
  async unlink(path) {
    try {
      await fsp.unlink(path);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  },
  async mkdirp(path) {
    await fsp.mkdir(path, { recursive: true });
  },
  async rmdir(path) {
    try {
      await fsp.rmdir(path);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  },
  async readdir(path) {
    return fsp.readdir(path);
  },
  async stat(path) {
    try {
      const s = await fsp.stat(path);
      return { size: s.size, isDirectory: s.isDirectory(), mtimeMs: s.mtimeMs };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  },
  async fsyncDir(path) {
    const handle = await fsp.open(path, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** Reads a whole file; `null` when it does not exist. */
export async function readWholeFile(io: FileIO, path: string): Promise<Buffer | null> {
  let handle: FileHandleIO;
  try {
    handle = await io.open(path, 'read');
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  try {
    const size = await handle.size();
    const buf = Buffer.allocUnsafe(size);
    const n = await handle.read(buf, 0, size, 0);
    return n === size ? buf : buf.subarray(0, n);
  } finally {
    await handle.close();
  }
}
