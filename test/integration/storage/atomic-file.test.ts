import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isTempFileName,
  readJsonFile,
  removeStrayTempFiles,
  writeFileAtomic,
  writeJsonFile,
} from '../../../src/broker/storage/atomic-file.js';
import { nodeFileIO } from '../../../src/broker/storage/file-io.js';
import { FaultFileIO, tempDir } from './fault-file-io.js';

let dir: string;
let remove: () => Promise<void>;

beforeEach(async () => {
  ({ dir, remove } = await tempDir());
});
afterEach(async () => {
  await remove();
});

describe('atomic files', () => {
  it('writes, fsyncs, renames and fsyncs the directory', async () => {
    const io = new FaultFileIO();
    const path = join(dir, 'groups.json');
    await writeJsonFile(io, path, { a: 1 });
    expect(await readJsonFile(io, path)).toEqual({ a: 1 });
    expect(io.counts.sync).toBe(1);
    expect(io.counts.rename).toBe(1);
    expect(io.counts.fsyncDir).toBe(1);
    expect(await readdir(dir)).toEqual(['groups.json']);
  });

  it('reads null for a missing file', async () => {
    expect(await readJsonFile(nodeFileIO, join(dir, 'nothing.json'))).toBeNull();
  });

  it('never reads a stray temporary file as the real one', async () => {
    const path = join(dir, 'state.json');
    await writeJsonFile(nodeFileIO, path, { version: 1 });
    // an interrupted write left a newer, half-written temporary file next to it
    await writeFile(join(dir, 'state.json.0123456789ab.tmp'), '{"version": 2, "half');
    expect(await readJsonFile(nodeFileIO, path)).toEqual({ version: 1 });
    // and with no real file at all, there is nothing to read
    await writeFile(join(dir, 'other.json.aaaaaaaaaaaa.tmp'), '{"version": 3}');
    expect(await readJsonFile(nodeFileIO, join(dir, 'other.json'))).toBeNull();
    expect((await removeStrayTempFiles(nodeFileIO, dir)).length).toBe(2);
    expect(await readdir(dir)).toEqual(['state.json']);
    expect(isTempFileName('x.json.abc.tmp')).toBe(true);
    expect(isTempFileName('x.json')).toBe(false);
  });

  it('keeps the old content and leaves no temporary file when the write fails', async () => {
    const io = new FaultFileIO();
    const path = join(dir, 'state.json');
    await writeJsonFile(io, path, { version: 1 });
    for (const op of ['write', 'sync', 'rename'] as const) {
      io.fail(op, 'ENOSPC');
      await expect(writeFileAtomic(io, path, '{"version": 2}')).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1 });
      expect(await readdir(dir)).toEqual(['state.json']);
    }
  });

  it('reports damaged JSON as EVQ_ERR_CORRUPT_LOG', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, '{nope');
    await expect(readJsonFile(nodeFileIO, path)).rejects.toMatchObject({ code: 'EVQ_ERR_CORRUPT_LOG' });
  });
});
