import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, open, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { EvqError } from '../errors.js';

const LOCK = 'evq.lock';
/** How many times, and for how long, a start looks again when the lock changes under it (another start, a takeover). */
const ATTEMPTS = 200;
const TRYING_MS = 10_000;

/** Held while a broker uses a data directory; `release()` removes it. */
export interface DataDirLock {
  release(): Promise<void>;
}

/** Who wrote a lock file: its pid and, where /proc tells them, the boot and the process's start time. */
interface LockOwner {
  pid: number;
  /** /proc/PID/stat starttime (clock ticks after boot), when known. */
  start?: string;
  /** /proc/sys/kernel/random/boot_id, when known. */
  boot?: string;
}

/**
 * Makes sure one broker at a time uses a data directory: two writing the same logs would corrupt them.
 * The lock file names its owner by pid, boot and start time (`{"pid":…,"start":…,"boot":…}`). A pid alone
 * proves nothing: after a reboot the pid is someone else's, and right after a kill -9 it is a zombie. So a
 * lock counts only when its process is alive, is not a zombie, and (where /proc says) is the same process:
 * same boot, same start time. A lock of an older evq (a pid only) counts when that process started before
 * the file was written. Without /proc (macOS), a live pid counts, as before.
 *
 * Brokers started at once must not both win, so every step is one atomic file-system operation:
 * - taking a free lock: the owner record is written whole to a temporary file, which is then `link`ed to
 *   `evq.lock` — that fails with EEXIST when a lock exists, so exactly one start creates it, and nobody
 *   ever reads a lock that is half written;
 * - taking over a stale lock (the inode a start read and judged): first a takeover token named after that
 *   inode is `link`ed (one taker per stale lock; the others retry), then the taker checks that `evq.lock`
 *   is still that inode with that content, `rename`s it away (and checks that what it renamed is the one it
 *   judged, putting it back if not), and links its own. Nobody but a taker holding the token removes a lock
 *   whose owner is gone, so a taker never deletes a lock just written by another start.
 * A taker killed while it holds a token leaves a token whose owner is dead: the next taker removes it.
 */
export async function lockDataDir(dataDir: string, pid = process.pid): Promise<DataDirLock> {
  const path = join(dataDir, LOCK);
  const record = `${JSON.stringify(describeProcess(pid))}\n`;
  const deadline = Date.now() + TRYING_MS;
  for (let attempt = 0; attempt < ATTEMPTS && Date.now() < deadline; attempt++) {
    if (await linkNew(dataDir, path, record)) return { release: () => releaseLock(path, record) };
    const seen = await readLock(path);
    if (seen === undefined) continue; // released (or taken over) since: try again
    const owner = parseOwner(seen.text);
    if (owner !== undefined && owner.pid !== pid && ownsLock(owner, seen.mtimeMs)) throw conflict(dataDir, path, owner.pid);
    // stale: its process is gone, or it is another process with that pid; one taker removes it
    const token = join(dataDir, `${LOCK}.${seen.ino}.takeover`);
    if (!(await linkNew(dataDir, token, `${JSON.stringify(describeProcess(process.pid))}\n`))) {
      await clearDeadToken(token);
      await delay(1 + Math.random() * Math.min(50, 2 ** attempt)); // another start is taking it over: see what it did next
      continue;
    }
    try {
      await removeStale(dataDir, path, seen);
    } finally {
      await unlink(token).catch(() => undefined);
    }
  }
  throw new EvqError(
    'EVQ_ERR_CONFLICT',
    `could not lock ${dataDir}: its lock kept changing while this start looked at it (other brokers starting there?): try again (if no broker runs there, delete ${path})`,
  );
}

function conflict(dataDir: string, path: string, pid: number): EvqError {
  return new EvqError(
    'EVQ_ERR_CONFLICT',
    `another evq broker (pid ${pid}) is using ${dataDir}: stop it, or pick another --data-dir (if no broker runs there, delete ${path})`,
  );
}

/** A file name in `dir` that no other process picks. */
function uniqueName(dir: string, pid: number, suffix: string): string {
  return join(dir, `${LOCK}.${pid}.${randomBytes(6).toString('hex')}.${suffix}`);
}

/** Creates `path` holding `text`, whole, unless it exists: true when it was created. */
async function linkNew(dir: string, path: string, text: string): Promise<boolean> {
  const temp = uniqueName(dir, process.pid, 'tmp');
  try {
    await writeFile(temp, text, { flag: 'wx' });
    await link(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

interface SeenLock {
  text: string;
  ino: bigint;
  mtimeMs: number;
}

/** The lock file's content with its inode (read from one open file: they belong together); undefined when there is none. */
async function readLock(path: string): Promise<SeenLock | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const info = await handle.stat({ bigint: true });
    return { text: await handle.readFile('utf8'), ino: info.ino, mtimeMs: Number(info.mtimeMs) };
  } finally {
    await handle.close();
  }
}

function sameLock(a: SeenLock | undefined, b: SeenLock): boolean {
  return a !== undefined && a.ino === b.ino && a.text === b.text;
}

/** Holding the takeover token of `seen`'s inode: moves `seen` away if it still is the lock. */
async function removeStale(dir: string, path: string, seen: SeenLock): Promise<void> {
  if (!sameLock(await readLock(path), seen)) return; // another taker replaced it before this one got the token
  const moved = uniqueName(dir, process.pid, 'stale');
  try {
    await rename(path, moved);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (sameLock(await readLock(moved), seen)) {
    await unlink(moved).catch(() => undefined);
    return;
  }
  // not the lock judged stale (only after a dead taker's token was cleared): give it back to its owner
  await link(moved, path).catch(() => undefined);
  await unlink(moved).catch(() => undefined);
}

/** A takeover token whose writer is gone (killed during a takeover) is removed; a live one is left alone. */
async function clearDeadToken(token: string): Promise<void> {
  const seen = await readLock(token);
  if (seen === undefined) return;
  const owner = parseOwner(seen.text);
  if (owner !== undefined && ownsLock(owner, seen.mtimeMs)) return;
  await unlink(token).catch(() => undefined);
}

/** Removes the lock if it still is this broker's own (it always is unless someone deleted it by hand). */
async function releaseLock(path: string, record: string): Promise<void> {
  const seen = await readLock(path);
  if (seen !== undefined && seen.text === record) await unlink(path).catch(() => undefined);
}

/** The lock's content for process `pid`. */
export function describeProcess(pid: number): LockOwner {
  const owner: LockOwner = { pid };
  const info = procStat(pid);
  const boot = bootId();
  if (info !== undefined) owner.start = info.start;
  if (boot !== undefined) owner.boot = boot;
  return owner;
}

function parseOwner(text: string): LockOwner | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed) }; // an older evq's lock: a pid only
  try {
    const parsed = JSON.parse(trimmed) as Partial<LockOwner> | null;
    if (parsed === null || typeof parsed !== 'object' || !Number.isSafeInteger(parsed.pid) || (parsed.pid as number) <= 0) return undefined;
    const owner: LockOwner = { pid: parsed.pid as number };
    if (typeof parsed.start === 'string') owner.start = parsed.start;
    if (typeof parsed.boot === 'string') owner.boot = parsed.boot;
    return owner;
  } catch {
    return undefined; // unreadable: stale (a lock is linked whole; an older evq killed before writing it left it empty)
  }
}

/** Whether the process a lock names is still the one that wrote it. */
function ownsLock(owner: LockOwner, writtenMs: number): boolean {
  if (!isAlive(owner.pid)) return false;
  const boot = bootId();
  if (owner.boot !== undefined && boot !== undefined && owner.boot !== boot) return false; // written before a reboot
  const info = procStat(owner.pid);
  if (info === undefined) return true; // no /proc: a live pid is all there is to go by
  if (info.state === 'Z' || info.state === 'X') return false; // killed, not yet reaped
  if (owner.start !== undefined) return owner.start === info.start;
  // a pid only: the process that wrote the file started before it was written
  const startedMs = processStartMs(info.start);
  return startedMs === undefined || startedMs <= writtenMs + 1000;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** State and start time (field 22, clock ticks after boot) from /proc/PID/stat; undefined without /proc. */
function procStat(pid: number): { state: string; start: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields count from the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const start = fields[19];
  if (state === undefined || start === undefined || !/^\d+$/.test(start)) return undefined;
  return { state, start };
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** When a process started, ms since the epoch: boot time (/proc/stat btime) + start ticks / USER_HZ (100 on Linux). */
function processStartMs(startTicks: string): number | undefined {
  try {
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    if (btime === undefined) return undefined;
    return Number(btime) * 1000 + (Number(startTicks) / 100) * 1000;
  } catch {
    return undefined;
  }
}
