// A FileIO over the real file system that counts calls, logs their order, and injects faults (EIO, ENOSPC…)
// on demand: the test double of the storage tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFileIO } from '../../../src/broker/storage/file-io.js';
import type { FileHandleIO, FileIO, FileStat, OpenMode } from '../../../src/broker/storage/file-io.js';

export type Op = 'open' | 'read' | 'write' | 'sync' | 'truncate' | 'rename' | 'unlink' | 'fsyncDir' | 'mkdirp' | 'readdir';

export interface IoEvent {
  kind: 'write-start' | 'write-end' | 'sync-start' | 'sync-end' | 'mark';
  path: string;
  /** For writes: the chunks written. */
  chunks?: readonly Buffer[];
  label?: string;
}

interface Fault {
  op: Op;
  code: string;
  match: (path: string) => boolean;
  remaining: number;
}

export function systemError(code: string, op: string, path: string): NodeJS.ErrnoException {
  const error = new Error(`${code}: injected fault, ${op} '${path}'`) as NodeJS.ErrnoException;
  error.code = code;
  return error;
}

export class FaultFileIO implements FileIO {
  readonly counts: Record<Op, number> = {
    open: 0,
    read: 0,
    write: 0,
    sync: 0,
    truncate: 0,
    rename: 0,
    unlink: 0,
    fsyncDir: 0,
    mkdirp: 0,
    readdir: 0,
  };
  readonly events: IoEvent[] = [];
  /** Bytes read through every handle so far. */
  bytesRead = 0;
  private faults: Fault[] = [];
  /** Called at the start of every sync (tests use it to run code while an fsync is in flight). */
  onSync: ((path: string) => Promise<void> | void) | null = null;

  constructor(private readonly inner: FileIO = nodeFileIO) {}

  /** Makes the next `times` calls of `op` on paths matching `match` fail with `code` (Infinity: until `clear`). */
  fail(op: Op, code = 'EIO', options: { times?: number; match?: (path: string) => boolean } = {}): void {
    this.faults.push({ op, code, match: options.match ?? (() => true), remaining: options.times ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  mark(label: string): void {
    this.events.push({ kind: 'mark', path: '', label });
  }

  check(op: Op, path: string): void {
    this.counts[op]++;
    const fault = this.faults.find((f) => f.op === op && f.remaining > 0 && f.match(path));
    if (fault === undefined) return;
    fault.remaining--;
    throw systemError(fault.code, op, path);
  }

  async open(path: string, mode: OpenMode): Promise<FileHandleIO> {
    this.check('open', path);
    return new FaultHandle(this, await this.inner.open(path, mode));
  }
  async rename(from: string, to: string): Promise<void> {
    this.check('rename', from);
    await this.inner.rename(from, to);
  }
  async unlink(path: string): Promise<void> {
    this.check('unlink', path);
    await this.inner.unlink(path);
  }
  async mkdirp(path: string): Promise<void> {
    this.check('mkdirp', path);
    await this.inner.mkdirp(path);
  }
  async rmdir(path: string): Promise<void> {
    await this.inner.rmdir(path);
  }
  async readdir(path: string): Promise<string[]> {
    this.check('readdir', path);
    return this.inner.readdir(path);
  }
  async stat(path: string): Promise<FileStat | null> {
    return this.inner.stat(path);
  }
  async fsyncDir(path: string): Promise<void> {
    this.check('fsyncDir', path);
    await this.inner.fsyncDir(path);
  }
}

class FaultHandle implements FileHandleIO {
  constructor(
    private readonly io: FaultFileIO,
    private readonly inner: FileHandleIO,
  ) {}
  get path(): string {
    return this.inner.path;
  }
  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.io.check('read', this.path);
    const n = await this.inner.read(buffer, offset, length, position);
    this.io.bytesRead += n;
    return n;
  }
  async write(chunks: readonly Buffer[], position: number): Promise<void> {
    this.io.events.push({ kind: 'write-start', path: this.path, chunks });
    this.io.check('write', this.path);
    await this.inner.write(chunks, position);
    this.io.events.push({ kind: 'write-end', path: this.path, chunks });
  }
  async sync(): Promise<void> {
    this.io.events.push({ kind: 'sync-start', path: this.path });
    await this.io.onSync?.(this.path);
    this.io.check('sync', this.path);
    await this.inner.sync();
    this.io.events.push({ kind: 'sync-end', path: this.path });
  }
  async truncate(length: number): Promise<void> {
    this.io.check('truncate', this.path);
    await this.inner.truncate(length);
  }
  async size(): Promise<number> {
    return this.inner.size();
  }
  async close(): Promise<void> {
    await this.inner.close();
  }
}

/** A fresh temporary directory and its removal. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'evq-storage-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** `n` messages `prefix-i`. */
export function messages(n: number, prefix = 'm', from = 0): { value: string }[] {
  return Array.from({ length: n }, (_, i) => ({ value: `${prefix}-${from + i}` }));
}
