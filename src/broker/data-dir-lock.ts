import { readFileSync } from 'node:fs';
import { open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EvqError } from '../errors.js';

const LOCK = 'evq.lock';

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
 */
export async function lockDataDir(dataDir: string, pid = process.pid): Promise<DataDirLock> {
  const path = join(dataDir, LOCK);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${JSON.stringify(describeProcess(pid))}\n`);
      await handle.close();
      return { release: () => rm(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = await readFile(path, 'utf8').catch(() => '');
    const written = await stat(path).then(
      (s) => s.mtimeMs,
      () => Date.now(),
    );
    const owner = parseOwner(text);
    if (owner !== undefined && owner.pid !== pid && ownsLock(owner, written)) {
      throw new EvqError(
        'EVQ_ERR_CONFLICT',
        `another evq broker (pid ${owner.pid}) is using ${dataDir}: stop it, or pick another --data-dir (if no broker runs there, delete ${path})`,
      );
    }
    await rm(path, { force: true }); // stale: its process is gone, or it is another process with that pid
  }
  throw new EvqError('EVQ_ERR_CONFLICT', `could not lock ${dataDir}: another broker keeps taking it (the lock file is ${path})`);
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
    return undefined; // unreadable: stale (a lock is written whole before anything else happens)
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
