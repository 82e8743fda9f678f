import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { toSubscribePlan, type SubscribeFlags } from '../../../../src/cli/commands/subscribe.js';
import { positionOption } from '../../../../src/cli/options.js';
import type { CliEnv } from '../../../../src/cli/connection.js';
import { exitCodeFor } from '../../../../src/cli/main.js';
import { resumeCommand, runSubscribe } from '../../../../src/cli/run-subscribe.js';
import type { EvqClient, EvqRecord, SubscribeOptions, Subscription } from '../../../../src/client/types.js';
import { EvqError } from '../../../../src/errors.js';
import { captureOutput, parsePlan } from '../../../helpers/cli.js';

const parse = (args: string[]) => parsePlan('subscribe', args, (topic: string, flags: SubscribeFlags) => toSubscribePlan(topic, flags));

describe('evq subscribe: parsing', () => {
  it('defaults: live from latest, raw values, no count, no timeout', async () => {
    const { plan } = await parse(['orders']);
    expect(plan).toMatchObject({ topic: 'orders', from: 'latest', count: undefined, idleTimeoutMs: undefined, filter: undefined });
    expect(plan?.format.name).toBe('raw');
  });

  it('reads --from earliest|latest|N|-N, --count, --format, --timeout and --filter', async () => {
    const { plan } = await parse([
      'orders',
      '--from',
      '-5',
      '-n',
      '3',
      '--format',
      '{offset} {value}',
      '--timeout',
      '2s',
      '-f',
      'value.amount > 100',
    ]);
    expect(plan).toMatchObject({ from: { last: 5 }, count: 3, idleTimeoutMs: 2000, filter: 'value.amount > 100' });
    expect(plan?.format.name).toBe('{offset} {value}');
    expect((await parse(['t', '--from', 'earliest'])).plan?.from).toBe('earliest');
    expect((await parse(['t', '--from=17'])).plan?.from).toBe(17);
  });

  it('reads --partition, --since and --from TIME; --since with --from is a usage error', async () => {
    expect((await parse(['t', '--partition', '2', '--from', '7'])).plan).toMatchObject({ partition: 2, from: 7 });
    expect((await parse(['t', '-p', '0'])).plan).toMatchObject({ partition: 0, from: 'latest' });
    expect((await parse(['t'])).plan?.partition).toBeUndefined();
    const before = Date.now();
    const since = (await parse(['t', '--since', '5m'])).plan?.from as { time: number };
    expect(since.time).toBeGreaterThanOrEqual(before - 300_000);
    expect(since.time).toBeLessThanOrEqual(Date.now() - 300_000);
    expect((await parse(['t', '--from', '2026-12-01T09:00:00Z'])).plan?.from).toEqual({ time: Date.UTC(2026, 11, 1, 9) });
    const both = await parse(['t', '--since', '5m', '--from', 'earliest']);
    expect(exitCodeFor(both.err, captureOutput())).toBe(2);
    expect(both.errOut).toMatch(/--since.*cannot be used with.*--from/);
    expect((await parse(['t', '--partition', '-1'])).errOut).toMatch(/--partition.*whole number from 0/);
  });

  it('positionOption refuses what is not a position', () => {
    expect(positionOption('0')).toBe(0);
    expect(() => positionOption('-0')).toThrow(/-0 reads nothing/);
    for (const bad of ['soon', '1.5', '1e3', '-x', '99999999999999999'])
      expect(() => positionOption(bad)).toThrow(/expected earliest, latest, an offset, -N .* or a time/);
  });

  it('positionOption reads a time as kcat and the nats CLI users write it', () => {
    expect(positionOption('2026-12-01T09:00:00Z')).toEqual({ time: Date.UTC(2026, 11, 1, 9) });
    expect(positionOption('@1764579600000')).toEqual({ time: 1764579600000 });
    expect(() => positionOption('2026-12-01T09:00:00')).toThrow(/no time zone/);
  });

  it.each([
    [['t', '--format', '{nope}'], /--format.*unknown placeholder \{nope\}/],
    [['t', '--from', 'yesterday'], /--from.*expected earliest, latest/],
    [['t', '--count', '0'], /--count.*from 1/],
    [['t', '--bogus'], /unknown option '--bogus'/],
  ])('%j is a usage error (exit 2), one line naming the flag', async (args, message) => {
    const { err, errOut } = await parse(args);
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut).toMatch(message);
    expect(errOut.trim().split('\n')).toHaveLength(1);
  });

  it('--help says the filter runs on the broker and shows examples', async () => {
    const { out } = await parse(['--help']);
    expect(out).toMatch(/filter runs\s+on\s+the\s+broker/);
    expect(out).toMatch(/Examples:\n {2}\$ evq subscribe/);
    expect(out).toMatch(/\{time\} \(ISO 8601, UTC\)/);
  });
});

function rec(offset: number, value: string): EvqRecord {
  return { topic: 't', partition: 0, offset, timestamp: 0, key: null, headers: null, value: Buffer.from(value) };
}

/** A subscription that yields `records`, then waits until closed (or ends with `error`). */
function fakeSubscription(records: EvqRecord[], error?: Error): Subscription & { closedBy: () => boolean } {
  let close!: () => void;
  let closedByCaller = false;
  const closedSignal = new Promise<void>((r) => (close = r));
  let settle!: (e: Error | null) => void;
  const closed = new Promise<Error | null>((r) => (settle = r));
  const sub = {
    topic: 't',
    closed,
    closedBy: () => closedByCaller,
    async close() {
      closedByCaller = true;
      close();
      settle(null);
    },
    async *[Symbol.asyncIterator]() {
      for (const r of records) yield r;
      if (error !== undefined) {
        settle(error);
        throw error;
      }
      await closedSignal;
    },
    async [Symbol.asyncDispose]() {
      await sub.close();
    },
  };
  return sub;
}

function env(sub: Subscription, seen: { options?: SubscribeOptions }): CliEnv & { text: () => string } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  const client = {
    url: 'http://fake',
    subscribe: (_t: string, o?: SubscribeOptions) => {
      seen.options = o;
      return sub;
    },
    close: async () => undefined,
  } as unknown as EvqClient;
  return { connect: async () => client, stdin: process.stdin, stdout: stdout as unknown as NodeJS.WriteStream, text: () => text };
}

describe('evq subscribe: running', () => {
  it('prints --count records in the chosen format and stops', async () => {
    const sub = fakeSubscription([rec(5, 'a'), rec(6, 'b'), rec(7, 'c')]);
    const seen: { options?: SubscribeOptions } = {};
    const e = env(sub, seen);
    const { plan } = await parse(['t', '-n', '2', '--format', '{offset}:{value}', '--from', '-3', '-f', 'key == "x"']);
    await runSubscribe(plan!, captureOutput(), e);
    expect(e.text()).toBe('5:a\n6:b\n');
    expect(sub.closedBy()).toBe(true);
    expect(seen.options).toMatchObject({ from: { last: 3 }, filter: 'key == "x"' });
  });

  it('--timeout: exits 0 when nothing arrives for that long', async () => {
    const e = env(fakeSubscription([rec(0, 'a')]), {});
    const out = captureOutput();
    const { plan } = await parse(['t', '--timeout', '50ms']);
    await runSubscribe(plan!, out, e);
    expect(e.text()).toBe('a\n');
    expect(out.infos).toEqual(['no message for 50ms: 1 received, stopping']);
  });

  it('--timeout before --count was reached: exit 1 saying how many arrived', async () => {
    const { plan } = await parse(['t', '--timeout', '50ms', '--count', '5']);
    const err = await runSubscribe(plan!, captureOutput(), env(fakeSubscription([rec(0, 'a')]), {})).catch((x: unknown) => x);
    expect(exitCodeFor(err, captureOutput())).toBe(1);
    expect((err as Error).message).toBe('no message for 50ms: 1 of the 5 messages asked for arrived');
  });

  it('a slow-consumer drop says so and how to resume', async () => {
    const drop = new EvqError('EVQ_ERR_SLOW_CONSUMER', 'subscriber too slow');
    const { plan } = await parse(['orders', '-f', "key == 'a'"]);
    plan!.topic = 't';
    const err = await runSubscribe(plan!, captureOutput(), env(fakeSubscription([rec(41, 'a')], drop), {})).catch((x: unknown) => x);
    expect(exitCodeFor(err, captureOutput())).toBe(1);
    expect((err as Error).message).toBe(
      "the broker dropped this subscription after offset 41: it read too slowly (slow consumer); resume with: evq subscribe t --from 42 --filter 'key == '\\''a'\\'''",
    );
  });

  it('resumeCommand of every partition of a topic of several: one command per partition, run together', async () => {
    const { plan } = await parse(['t', '-f', 'key == "a"']);
    const positions = [
      { partition: 0, next: 5 },
      { partition: 1, next: 0 },
      { partition: 2, next: 9 },
    ];
    expect(resumeCommand(plan!, rec(8, 'x'), positions)).toBe(
      '(evq subscribe t --partition 0 --from 5 --filter \'key == "a"\' & evq subscribe t --partition 1 --from 0 --filter \'key == "a"\'' +
        ' & evq subscribe t --partition 2 --from 9 --filter \'key == "a"\' & wait)',
    );
    // one partition: as before partitions
    expect(resumeCommand((await parse(['t'])).plan!, rec(8, 'x'), [{ partition: 0, next: 9 }])).toBe('evq subscribe t --from 9');
    expect(resumeCommand((await parse(['t', '-p', '2'])).plan!, { ...rec(8, 'x'), partition: 2 }, [])).toBe(
      'evq subscribe t --partition 2 --from 9',
    );
  });

  it('--from OFFSET without --partition on a topic of several partitions: one usage line', async () => {
    const refusal = new EvqError('EVQ_ERR_INVALID_ARGUMENT', 'topic "t" has 3 partitions: an offset to start from needs a partition');
    const { plan } = await parse(['t', '--from', '5']);
    const err = await runSubscribe(plan!, captureOutput(), env(fakeSubscription([], refusal), {})).catch((x: unknown) => x);
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect((err as Error).message).toBe(
      '--from 5 needs --partition N: topic t has 3 partitions, each with its own offsets (earliest, latest, -N and times apply to each)',
    );
  });

  it('resumeCommand starts where it was asked to when nothing arrived', async () => {
    const { plan } = await parse(['t', '--from', '-3']);
    expect(resumeCommand(plan!, undefined)).toBe('evq subscribe t --from -3');
  });
});
