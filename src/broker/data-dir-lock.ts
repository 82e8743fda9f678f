import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EvqError } from '../errors.js';

const LOCK = 'evq.lock';

/** Held while a broker uses a data directory; `release()` removes it. */
export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * Makes sure one broker at a time uses a data directory: two writing the same logs would corrupt them.
 * The lock file holds the owner's pid; a lock whose process is gone (kill -9, power loss) is taken over.
 */
export async function lockDataDir(dataDir: string, pid = process.pid): Promise<DataDirLock> {
  const path = join(dataDir, LOCK);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${pid}\n`);
      await handle.close();
      return { release: () => rm(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isSafeInteger(owner) && owner > 0 && owner !== pid && isAlive(owner)) {
      throw new EvqError('EVQ_ERR_CONFLICT', `another evq broker (pid ${owner}) is using ${dataDir}: stop it, or pick another --data-dir`);
    }
    await rm(path, { force: true }); // stale: its process is gone
  }
  throw new EvqError('EVQ_ERR_CONFLICT', `could not lock ${dataDir}: another broker keeps taking it`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
