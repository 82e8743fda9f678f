import { describe, expect, it } from 'vitest';
import type { ServeFlags } from '../../../../src/cli/commands/serve.js';
import { exitCodeFor } from '../../../../src/cli/main.js';
import { dataDirError } from '../../../../src/cli/run-serve.js';
import { EvqStorageError } from '../../../../src/errors.js';
import { captureOutput, parsePlan } from '../../../helpers/cli.js';

/** Internal option names that a user's error message must never show. */
const INTERNAL = /lingerMs|timeoutMs|maxMessageBytes|retentionBytes|retentionAgeMs|headersTimeoutMs|delayMs|batchSize/;

describe('evq serve: flags are checked before anything starts', () => {
  it.each([
    [['--retention-bytes', '0'], '--retention-bytes'],
    [['--retention-age', '0'], '--retention-age'],
    [['--retention-age', '0s'], '--retention-age'],
    [['--max-message-bytes', '0'], '--max-message-bytes'],
    [['--max-message-bytes', '3gb'], '--max-message-bytes'],
    [['--headers-timeout', '0'], '--headers-timeout'],
  ])('%j is a usage error (exit 2) naming %s', async (args, flag) => {
    const { err, errOut, plan } = await parsePlan('serve', args, (flags: ServeFlags) => flags);
    expect(plan).toBeUndefined(); // the action (which starts the broker) never ran
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut).toContain(flag);
    expect(errOut).not.toMatch(INTERNAL);
    expect(errOut.trim().split('\n')).toHaveLength(1);
  });

  it('takes sizes and durations in range', async () => {
    const { plan } = await parsePlan(
      'serve',
      ['--retention-bytes', '1mb', '--retention-age', '2h', '--max-message-bytes', '100mb'],
      (f: ServeFlags) => f,
    );
    expect(plan).toMatchObject({ retentionBytes: 1024 * 1024, retentionAge: 2 * 3600_000, maxMessageBytes: 100 * 1024 * 1024 });
  });
});

describe('evq produce and subscribe: out-of-range flags name the flag, not an option field', () => {
  it.each([
    ['produce', ['t', '--linger', '2m'], '--linger'],
    ['produce', ['t', '--timeout', '0'], '--timeout'],
    ['produce', ['t', '--max-message-bytes', '0'], '--max-message-bytes'],
    ['produce', ['t', '--delay', '90d'], '--delay'],
    ['subscribe', ['t', '--timeout', '0'], '--timeout'],
    ['consume', ['t', '--timeout', '0'], '--timeout'],
    ['topics', ['--timeout', '0'], '--timeout'],
    ['groups', ['--timeout', '0'], '--timeout'],
  ])('%s %j is a usage error naming %s', async (name, args, flag) => {
    const { err, errOut } = await parsePlan(name, args, () => ({}));
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut).toContain(flag);
    expect(errOut).not.toMatch(INTERNAL);
  });
});

describe('evq serve: a data directory that cannot be used is one line saying why', () => {
  const fsError = (code: string, path: string): Error =>
    Object.assign(new Error(`${code}: something, mkdir '${path}'`), { code, errno: -1, syscall: 'mkdir', path });

  it.each([
    ['EROFS', /^cannot write in --data-dir \/mnt\/ro\/evq: \/mnt\/ro\/evq is on a read-only file system; pick a writable --data-dir/, 1],
    ['EACCES', /^cannot write in --data-dir \/mnt\/ro\/evq: permission denied on \/mnt\/ro\/evq; use a directory this user can write/, 1],
    ['ENOSPC', /^cannot write in --data-dir \/mnt\/ro\/evq: the disk is full/, 1],
    ['ENOENT', /^cannot use --data-dir \/mnt\/ro\/evq: \/mnt\/ro\/evq does not exist and could not be created/, 1],
  ])('%s', (code, message, exit) => {
    // as the broker's start throws it: the file system's error, or a storage error wrapping it
    for (const err of [
      fsError(code, '/mnt/ro/evq'),
      new EvqStorageError('EVQ_ERR_STORAGE', 'x', { cause: fsError(code, '/mnt/ro/evq') }),
    ]) {
      const explained = dataDirError(err, '/mnt/ro/evq');
      const out = captureOutput();
      expect(exitCodeFor(explained, out)).toBe(exit);
      expect(out.errors).toEqual([expect.stringMatching(message)]);
    }
  });

  it('leaves other failures as they are (a port in use says so itself)', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    expect(dataDirError(inUse, '/d')).toBe(inUse);
  });
});
