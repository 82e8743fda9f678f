import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../../src/broker/data-dir-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evq-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('data directory lock', () => {
  it('refuses a directory held by a live process, naming it', async () => {
    // pid 1 is always alive: it stands for another broker
    await lockDataDir(dir, 1);
    await expect(lockDataDir(dir)).rejects.toMatchObject({
      code: 'EVQ_ERR_CONFLICT',
      message: expect.stringMatching(/pid 1\).*--data-dir/),
    });
  });

  it('takes over the lock of a process that is gone (kill -9) and releases it on close', async () => {
    await writeFile(join(dir, 'evq.lock'), '2147483646\n');
    const lock = await lockDataDir(dir);
    expect((await readFile(join(dir, 'evq.lock'), 'utf8')).trim()).toBe(String(process.pid));
    await lock.release();
    await expect(readFile(join(dir, 'evq.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
