/**
 * A FileIO that simulates power loss, the way LazyFS does for Jepsen: it passes every call to the real file
 * system and keeps, beside it, a model of what the disk holds durably:
 * - a file's bytes are durable as of its last fsync (`handle.sync()`);
 * - a directory's entries (files and directories created, renamed or removed in it) are durable as of its
 *   last `fsyncDir` — creating, renaming or unlinking a file is undone by a power loss until then.
 *
 * `powerOff()` is the instant of the cut: from then on every call fails with EIO (so the broker that used
 * this layer can never make anything durable again). `cut()` then rewrites the real directory to its
 * durable state: unsynced bytes are thrown away (or, with `torn`, a random prefix of them is kept, and with
 * `garble` that kept prefix is replaced by random bytes), and directory changes not covered by an
 * `fsyncDir` are undone. A new layer (or the plain file system) then opens what a rebooted machine would
 * find. Only paths under `root` are modelled; `root` itself and what it held when the layer was made count
 * as durable.
 */
import { randomFillSync } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { nodeFileIO } from '../../src/broker/storage/file-io.js';
import type { FileHandleIO, FileIO, FileStat, OpenMode } from '../../src/broker/storage/file-io.js';

interface FileNode {
  kind: 'file';
  /** What a power loss leaves of the file (its content when its last fsync started). */
  durable: Buffer;
  /** Its content now (every completed write and truncate): `data[0, length)`. */
  data: Buffer;
  length: number;
  /** `durable` is a view of `data`: copy before changing bytes below `length`. */
  shared: boolean;
}

function fileNode(bytes: Buffer, durable: Buffer): FileNode {
  return { kind: 'file', durable, data: bytes, length: bytes.length, shared: durable === bytes };
}

function currentOf(node: FileNode): Buffer {
  return node.data.subarray(0, node.length);
}

/** Sets `node`'s content to `[position, position + chunks)` over what it holds, growing it as needed. */
function writeInto(node: FileNode, chunks: readonly Buffer[], position: number): void {
  let end = position;
  for (const chunk of chunks) end += chunk.length;
  if (end > node.data.length || (node.shared && position < node.length)) {
    const next = Buffer.alloc(Math.max(end, node.data.length * 2, 4096));
    node.data.copy(next, 0, 0, node.length);
    node.data = next;
    node.shared = false;
  }
  let at = position;
  for (const chunk of chunks) {
    chunk.copy(node.data, at);
    at += chunk.length;
  }
  node.length = Math.max(node.length, end);
}

interface DirNode {
  kind: 'dir';
  live: Map<string, Node>;
  durable: Map<string, Node>;
}

type Node = FileNode | DirNode;

export interface CutOptions {
  /** Keep a random prefix of each file's unsynced bytes (a torn write); default: keep none. */
  torn?: boolean;
  /** With `torn`: the kept bytes are random garbage instead of what was written (a write that hit the disk scrambled). */
  garble?: boolean;
  /** Random numbers in [0, 1) (a seeded generator, so a failure reproduces). */
  random?: () => number;
}

/** What `cut()` did, for a test's failure message. */
export interface CutReport {
  files: number;
  /** Unsynced bytes thrown away. */
  droppedBytes: number;
  /** Unsynced bytes kept by a torn write. */
  keptBytes: number;
}

function powerIsOff(op: string, path: string): NodeJS.ErrnoException {
  const error = new Error(`EIO: the power is off, ${op} '${path}'`) as NodeJS.ErrnoException;
  error.code = 'EIO';
  return error;
}

function missing(path: string): NodeJS.ErrnoException {
  const error = new Error(`ENOENT: no such file or directory, '${path}'`) as NodeJS.ErrnoException;
  error.code = 'ENOENT';
  return error;
}

export class PowerLossFileIO implements FileIO {
  readonly root: string;
  private rootNode: DirNode = { kind: 'dir', live: new Map(), durable: new Map() };
  private off = false;
  /** Counts calls that change something (writes, syncs, renames…): `powerOffAfter` cuts at one of them. */
  mutations = 0;
  private offAt = Number.POSITIVE_INFINITY;
  /** Called when the power goes off (by `powerOff`, or at the mutation set by `powerOffAfter`). */
  onPowerOff: (() => void) | null = null;

  private constructor(
    root: string,
    private readonly inner: FileIO,
  ) {
    this.root = resolve(root);
  }

  /** A layer over `root` (created when missing); everything in it now counts as durable. */
  static async over(root: string, inner: FileIO = nodeFileIO): Promise<PowerLossFileIO> {
    const io = new PowerLossFileIO(root, inner);
    await mkdir(io.root, { recursive: true });
    await io.load(io.rootNode, io.root);
    return io;
  }

  private async load(dir: DirNode, path: string): Promise<void> {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      let node: Node;
      if (entry.isDirectory()) {
        node = { kind: 'dir', live: new Map(), durable: new Map() };
        await this.load(node, child);
      } else if (entry.isFile()) {
        const bytes = await readFile(child);
        node = fileNode(bytes, bytes);
      } else continue;
      dir.live.set(entry.name, node);
      dir.durable.set(entry.name, node);
    }
  }

  get poweredOff(): boolean {
    return this.off;
  }

  /** The power goes off now: every later call fails with EIO. */
  powerOff(): void {
    if (this.off) return;
    this.off = true;
    this.onPowerOff?.();
  }

  /** The power goes off just before the `n`-th changing call from now is made (it never reaches the disk). */
  powerOffAfter(n: number): void {
    this.offAt = this.mutations + n;
  }

  /** Fails when the power is off; counts a changing call and cuts the power when its turn has come. */
  private mutate(op: string, path: string): void {
    if (!this.off && ++this.mutations >= this.offAt) this.powerOff();
    if (this.off) throw powerIsOff(op, path);
  }

  private alive(op: string, path: string): void {
    if (this.off) throw powerIsOff(op, path);
  }

  /** The parts of `path` below the root, or `null` for a path outside it. */
  private parts(path: string): string[] | null {
    const rel = relative(this.root, resolve(path));
    if (rel === '') return [];
    if (rel.startsWith('..') || resolve(this.root, rel) !== resolve(path)) return null;
    return rel.split(sep);
  }

  private lookup(path: string): Node | null | undefined {
    const parts = this.parts(path);
    if (parts === null) return undefined; // outside: not modelled
    let node: Node = this.rootNode;
    for (const part of parts) {
      if (node.kind !== 'dir') return null;
      const next: Node | undefined = node.live.get(part);
      if (next === undefined) return null;
      node = next;
    }
    return node;
  }

  /** The directory holding `path` and its name there; `undefined` outside the root. */
  private parentOf(path: string): { dir: DirNode; name: string } | undefined {
    const parts = this.parts(path);
    if (parts === null || parts.length === 0) return undefined;
    let node: Node = this.rootNode;
    for (const part of parts.slice(0, -1)) {
      const next: Node | undefined = node.kind === 'dir' ? node.live.get(part) : undefined;
      if (next === undefined || next.kind !== 'dir') throw missing(path);
      node = next;
    }
    return { dir: node as DirNode, name: parts[parts.length - 1] as string };
  }

  async open(path: string, mode: OpenMode): Promise<FileHandleIO> {
    if (mode === 'read') this.alive('open', path);
    else this.mutate('open', path);
    const handle = await this.inner.open(path, mode);
    const parent = this.parentOf(path);
    if (parent === undefined) return handle;
    let node = parent.dir.live.get(parent.name);
    if (node === undefined) {
      // a new file: its name is durable once its directory is fsynced, its bytes once it is
      node = fileNode(Buffer.alloc(0), Buffer.alloc(0));
      parent.dir.live.set(parent.name, node);
    }
    if (node.kind !== 'file') return handle;
    if (mode === 'replace') {
      node.data = Buffer.alloc(0);
      node.length = 0;
      node.shared = false;
    }
    return new PowerLossHandle(this, handle, node);
  }

  async rename(from: string, to: string): Promise<void> {
    this.mutate('rename', from);
    await this.inner.rename(from, to);
    const a = this.parentOf(from);
    const b = this.parentOf(to);
    if (a === undefined || b === undefined) return;
    const node = a.dir.live.get(a.name);
    if (node === undefined) return;
    a.dir.live.delete(a.name);
    b.dir.live.set(b.name, node);
  }

  async unlink(path: string): Promise<void> {
    this.mutate('unlink', path);
    await this.inner.unlink(path);
    const parent = this.parentOf(path);
    parent?.dir.live.delete(parent.name);
  }

  async mkdirp(path: string): Promise<void> {
    this.mutate('mkdirp', path);
    await this.inner.mkdirp(path);
    const parts = this.parts(path);
    if (parts === null) return;
    let node: DirNode = this.rootNode;
    for (const part of parts) {
      let next = node.live.get(part);
      if (next === undefined) {
        next = { kind: 'dir', live: new Map(), durable: new Map() };
        node.live.set(part, next);
      }
      if (next.kind !== 'dir') throw missing(path);
      node = next;
    }
  }

  async rmdir(path: string): Promise<void> {
    this.mutate('rmdir', path);
    await this.inner.rmdir(path);
    const parent = this.parentOf(path);
    parent?.dir.live.delete(parent.name);
  }

  async readdir(path: string): Promise<string[]> {
    this.alive('readdir', path);
    return this.inner.readdir(path);
  }

  async stat(path: string): Promise<FileStat | null> {
    this.alive('stat', path);
    return this.inner.stat(path);
  }

  async fsyncDir(path: string): Promise<void> {
    this.mutate('fsyncDir', path);
    const node = this.lookup(path);
    const entries = node?.kind === 'dir' ? new Map(node.live) : null;
    await this.inner.fsyncDir(path);
    if (this.off) throw powerIsOff('fsyncDir', path);
    if (node?.kind === 'dir' && entries !== null) node.durable = entries;
  }

  /** Checked by handles. */
  checkMutation(op: string, path: string): void {
    this.mutate(op, path);
  }

  checkAlive(op: string, path: string): void {
    this.alive(op, path);
  }

  /**
   * Rewrites the real files under the root to what survives the power cut (call it after `powerOff`, or
   * it is called first). Handles of this layer stay unusable; open the directory again with a new layer.
   */
  async cut(options: CutOptions = {}): Promise<CutReport> {
    this.powerOff();
    const random = options.random ?? Math.random;
    const report: CutReport = { files: 0, droppedBytes: 0, keptBytes: 0 };
    const survivors: { path: string; node: Node }[] = [];
    const walkDurable = (dir: DirNode, path: string): void => {
      for (const [name, node] of dir.durable) {
        survivors.push({ path: join(path, name), node });
        if (node.kind === 'dir') walkDurable(node, join(path, name));
      }
    };
    walkDurable(this.rootNode, this.root);
    // wipe and rebuild
    for (const name of await readdir(this.root)) await rm(join(this.root, name), { recursive: true, force: true });
    for (const { path, node } of survivors) {
      if (node.kind === 'dir') {
        await mkdir(path, { recursive: true });
        continue;
      }
      report.files++;
      const content = survive(node.durable, currentOf(node), options, random, report);
      await writeFile(path, content);
    }
    return report;
  }
}

/** What a power cut leaves of a file whose durable content is `durable` and current content is `now`. */
function survive(durable: Buffer, now: Buffer, options: CutOptions, random: () => number, report: CutReport): Buffer {
  let same = 0;
  const common = Math.min(durable.length, now.length);
  while (same < common && durable[same] === now[same]) same++;
  if (same === durable.length && same === now.length) return durable;
  const unsynced = Math.max(now.length, durable.length) - same;
  if (options.torn !== true) {
    report.droppedBytes += unsynced;
    return durable;
  }
  // a prefix (in file order) of the unsynced change reached the disk
  const keep = Math.floor(random() * (now.length - same + 1));
  report.keptBytes += keep;
  report.droppedBytes += unsynced - keep;
  const kept = Buffer.from(now.subarray(same, same + keep));
  if (options.garble === true) randomFillSync(kept);
  const tail = durable.length > same + keep ? durable.subarray(same + keep) : Buffer.alloc(0);
  return Buffer.concat([durable.subarray(0, same), kept, tail]);
}

class PowerLossHandle implements FileHandleIO {
  constructor(
    private readonly io: PowerLossFileIO,
    private readonly inner: FileHandleIO,
    private readonly node: FileNode,
  ) {}
  get path(): string {
    return this.inner.path;
  }
  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.io.checkAlive('read', this.path);
    return this.inner.read(buffer, offset, length, position);
  }
  async write(chunks: readonly Buffer[], position: number): Promise<void> {
    this.io.checkMutation('write', this.path);
    await this.inner.write(chunks, position);
    writeInto(this.node, chunks, position);
  }
  async sync(): Promise<void> {
    this.io.checkMutation('sync', this.path);
    // an fsync covers what was written before it started; writes that complete while it runs may miss it
    const covered = currentOf(this.node);
    this.node.shared = true;
    await this.inner.sync();
    if (this.io.poweredOff) throw powerIsOff('sync', this.path);
    this.node.durable = covered;
  }
  async truncate(length: number): Promise<void> {
    this.io.checkMutation('truncate', this.path);
    await this.inner.truncate(length);
    const node = this.node;
    if (length <= node.length) {
      if (node.shared) {
        node.data = Buffer.from(node.data.subarray(0, length));
        node.shared = false;
      }
      node.length = length;
    } else writeInto(node, [Buffer.alloc(length - node.length)], node.length);
  }
  async size(): Promise<number> {
    this.io.checkAlive('size', this.path);
    return this.inner.size();
  }
  async close(): Promise<void> {
    await this.inner.close();
  }
}

/** Every file under `dir` (relative path → size), for a failure message. */
export async function listTree(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const walk = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) await walk(child);
      else out[relative(dir, child)] = (await stat(child)).size;
    }
  };
  await walk(dir);
  return out;
}
