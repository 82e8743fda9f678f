import { describe, expect, it } from 'vitest';
import type { ServeFlags } from '../../../src/cli/commands/serve.js';
import { exitCodeFor } from '../../../src/cli/main.js';
import { captureOutput, parsePlan } from '../../helpers/cli.js';

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
  ])('%s %j is a usage error naming %s', async (name, args, flag) => {
    const { err, errOut } = await parsePlan(name, args, () => ({}));
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut).toContain(flag);
    expect(errOut).not.toMatch(INTERNAL);
  });
});
