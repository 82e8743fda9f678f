import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { toConsumePlan, type ConsumeFlags } from '../../../../src/cli/commands/consume.js';
import type { CliEnv } from '../../../../src/cli/connection.js';
import { exitCodeFor } from '../../../../src/cli/main.js';
import { runConsume } from '../../../../src/cli/run-consume.js';
import type { ConsumeOptions, EvqClient, EvqRecord } from '../../../../src/client/types.js';
import { EvqError } from '../../../../src/errors.js';
import { captureOutput, parsePlan } from '../../../helpers/cli.js';

const parse = (args: string[]) => parsePlan('consume', args, (topic: string, flags: ConsumeFlags) => toConsumePlan(topic, flags));

describe('evq consume: parsing', () => {
  it('defaults: from earliest, no group, ends at the end of the log', async () => {
    const { plan } = await parse(['orders']);
    expect(plan).toMatchObject({ topic: 'orders', from: 'earliest', group: undefined, follow: false, limit: undefined });
    expect(plan?.format.name).toBe('raw');
  });

  it('reads --group, --from, --limit, --filter, --follow, --format', async () => {
    const { plan } = await parse([
      'orders',
      '-g',
      'billing',
      '--from',
      'latest',
      '-l',
      '100',
      '-f',
      'offset > 3',
      '--follow',
      '--format',
      'json',
    ]);
    expect(plan).toMatchObject({ group: 'billing', from: 'latest', limit: 100, filter: 'offset > 3', follow: true });
    expect(plan?.format.name).toBe('json');
  });

  it.each([
    [['t', '--limit', 'lots'], /--limit/],
    [['t', '--from', 'soon'], /--from/],
    [['t', '--follw'], /unknown option '--follw'.*--follow/],
  ])('%j is a usage error (exit 2) naming the flag', async (args, message) => {
    const { err, errOut } = await parse(args);
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut.replace(/\n/g, ' ')).toMatch(message);
  });

  it('reads --session-timeout with --group, --partition, --from with a time and --since', async () => {
    expect((await parse(['orders', '--group', 'g', '--session-timeout', '1s'])).plan).toMatchObject({ group: 'g', sessionTimeoutMs: 1000 });
    expect((await parse(['orders'])).plan).toMatchObject({ partition: undefined, sessionTimeoutMs: undefined });
    expect((await parse(['orders', '--partition', '2', '--from', '7'])).plan).toMatchObject({ partition: 2, from: 7 });
    expect((await parse(['orders', '-p', '0'])).plan).toMatchObject({ partition: 0 });
    expect((await parse(['orders', '--from', '@1764579600000'])).plan).toMatchObject({ from: { time: 1764579600000 } });
    expect((await parse(['orders', '--from', '2026-12-01T09:00:00Z'])).plan).toMatchObject({
      from: { time: Date.parse('2026-12-01T09:00:00Z') },
    });
    const before = Date.now();
    const { plan } = await parse(['orders', '--group', 'g', '--since', '5m']);
    const time = (plan?.from as { time: number }).time;
    expect(time).toBeGreaterThanOrEqual(before - 300_000);
    expect(time).toBeLessThanOrEqual(Date.now() - 300_000);
  });

  it.each([
    [['t', '--since', '5m', '--from', 'latest'], /--since.*--from|--from.*--since/],
    [['t', '--since', 'soon'], /--since/],
    [['t', '--partition', '-1'], /--partition/],
    [['t', '--partition', 'x'], /--partition/],
    [['t', '--session-timeout', '5'], /--session-timeout/],
    [['t', '--group', 'g', '--session-timeout', '1h'], /--session-timeout/],
  ])('%j is a usage error (exit 2) naming the flag', async (args, message) => {
    const { err, errOut } = await parse(args);
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut.replace(/\n/g, ' ')).toMatch(message);
  });

  it.each([
    [['t', '--group', 'g', '--partition', '1'], /--partition and --group together/],
    [['t', '--session-timeout', '3s'], /--session-timeout is for a member of a group/],
  ])('%j is a usage error (exit 2) that says what to do', async (args, message) => {
    const { err } = await parse(args);
    const out = captureOutput();
    expect(exitCodeFor(err, out)).toBe(2);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toMatch(message);
  });

  it('a bad group name is a usage error', async () => {
    const { err } = await parse(['t', '--group', 'a/b']);
    const out = captureOutput();
    expect(exitCodeFor(err, out)).toBe(2);
    expect(out.errors[0]).toMatch(/invalid --group "a\/b"/);
  });
});

function env(records: EvqRecord[], seen: { options?: ConsumeOptions }, fail?: Error): CliEnv & { text: () => string } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  const client = {
    url: 'http://fake',
    consume: (_t: string, o?: ConsumeOptions) => {
      seen.options = o;
      return (async function* () {
        yield* records;
        if (fail !== undefined) throw fail;
      })();
    },
    close: async () => undefined,
  } as unknown as EvqClient;
  return { connect: async () => client, stdin: process.stdin, stdout: stdout as unknown as NodeJS.WriteStream, text: () => text };
}

const rec = (offset: number, value: string | Buffer): EvqRecord => ({
  topic: 't',
  partition: 0,
  offset,
  timestamp: 0,
  key: null,
  headers: null,
  value: Buffer.from(value),
});

describe('evq consume: running', () => {
  it('prints every record and ends (exit 0) where the client ends: raw bytes as they are', async () => {
    const seen: { options?: ConsumeOptions } = {};
    const e = env([rec(0, 'a'), rec(1, Buffer.from([0xc3, 0xa9])), rec(2, '')], seen);
    const { plan } = await parse(['t', '-g', 'g1']);
    await runConsume(plan!, captureOutput(), e);
    await new Promise((r) => setImmediate(r));
    expect(e.text()).toBe('a\né\n\n');
    expect(seen.options).toMatchObject({ group: 'g1', from: 'earliest', follow: false });
  });

  it('passes --partition and --session-timeout to the client', async () => {
    const seen: { options?: ConsumeOptions } = {};
    const { plan } = await parse(['t', '-g', 'g1', '--session-timeout', '2s']);
    await runConsume(plan!, captureOutput(), env([], seen));
    expect(seen.options).toMatchObject({ group: 'g1', sessionTimeoutMs: 2000 });
    expect(seen.options?.partition).toBeUndefined();
    const { plan: one } = await parse(['t', '--partition', '3']);
    await runConsume(one!, captureOutput(), env([], seen));
    expect(seen.options).toMatchObject({ partition: 3 });
    expect(seen.options?.sessionTimeoutMs).toBeUndefined();
  });

  it('--limit stops after that many even if the client gives more', async () => {
    const e = env([rec(0, 'a'), rec(1, 'b'), rec(2, 'c')], {});
    const { plan } = await parse(['t', '--limit', '2']);
    await runConsume(plan!, captureOutput(), e);
    await new Promise((r) => setImmediate(r));
    expect(e.text()).toBe('a\nb\n');
  });

  it('a failure of the read is exit 1 with its line', async () => {
    const e = env([rec(0, 'a')], {}, new EvqError('EVQ_ERR_CORRUPT_LOG', 'offsets 10..20 of t cannot be read'));
    const { plan } = await parse(['t']);
    const err = await runConsume(plan!, captureOutput(), e).catch((x: unknown) => x);
    const out = captureOutput();
    expect(exitCodeFor(err, out)).toBe(1);
    expect(out.errors).toEqual(['offsets 10..20 of t cannot be read']);
  });
});
