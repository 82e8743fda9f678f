import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toProducePlan, type ProduceFlags, type ProducePlan } from '../../../../src/cli/commands/produce.js';
import type { CliEnv } from '../../../../src/cli/connection.js';
import { exitCodeFor } from '../../../../src/cli/main.js';
import { runProduce } from '../../../../src/cli/run-produce.js';
import { DEFAULT_MAX_LINE_BYTES } from '../../../../src/cli/input.js';
import type { EvqClient, ProduceMessage, ProduceOptions, ProduceResult } from '../../../../src/client/types.js';
import { EvqError } from '../../../../src/errors.js';
import { captureOutput, parsePlan } from '../../../helpers/cli.js';

const parse = (args: string[]) =>
  parsePlan('produce', args, (topic: string, messages: string[], flags: ProduceFlags) => toProducePlan(topic, messages, flags));

describe('evq produce: parsing', () => {
  it('defaults: stdin, batches of 1000, 5ms linger, 10s timeout, no compression', async () => {
    const { plan } = await parse(['orders']);
    expect(plan).toMatchObject({
      topic: 'orders',
      args: [],
      file: undefined,
      batchSize: 1000,
      lingerMs: 5,
      timeoutMs: 10_000,
      compression: 'none',
      idempotent: false,
      verbose: false,
      url: 'http://127.0.0.1:7070',
    });
  });

  it('reads every flag', async () => {
    const { plan } = await parse([
      'orders',
      'a',
      'b',
      '-k',
      'c-7',
      '-H',
      'type=deposit',
      '--header',
      'src=cli',
      '--batch-size',
      '10',
      '--linger',
      '20ms',
      '--delay',
      '5m',
      '--idempotent',
      '--compression',
      'gzip',
      '--dead-letter',
      'dead.jsonl',
      '--timeout',
      '2s',
      '-v',
      '--url',
      'http://127.0.0.1:9999',
      '--token',
      's3cret',
    ]);
    expect(plan).toMatchObject({
      args: ['a', 'b'],
      parse: { key: 'c-7', headers: { type: 'deposit', src: 'cli' }, json: false },
      batchSize: 10,
      lingerMs: 20,
      delayMs: 300_000,
      idempotent: true,
      compression: 'gzip',
      deadLetter: 'dead.jsonl',
      timeoutMs: 2000,
      verbose: true,
      url: 'http://127.0.0.1:9999',
      token: 's3cret',
    });
  });

  it('--at reads ISO 8601 and epoch milliseconds; -K reads \\t as a tab', async () => {
    expect((await parse(['t', '--at', '2030-01-01T00:00:00Z'])).plan?.at).toBe(Date.UTC(2030, 0, 1));
    expect((await parse(['t', '--at', '4102444800000'])).plan?.at).toBe(4_102_444_800_000);
    expect((await parse(['t', '-K', '\\t'])).plan?.parse.keyDelimiter).toBe('\t');
  });

  it.each([
    [['t', '--batch-size', '0'], /--batch-size.*expected a whole number from 1 to 1000/],
    [['t', '--batch-size', '5000'], /--batch-size/],
    [['t', '--linger', 'soon'], /--linger.*invalid duration "soon"/],
    [['t', '--compression', 'brotli'], /--compression.*gzip, snappy, lz4, zstd, none/],
    [['t', '--at', 'tomorrow'], /--at.*expected a time like/],
    [['t', '--delay', '5s', '--at', '4102444800000'], /--delay.*cannot be used with.*--at/],
    [['t', '--header', 'novalue'], /--header.*name=value/],
    [['t', '--nope'], /unknown option '--nope'/],
    [['t', '--timeout', 'x'], /--timeout/],
  ])('%j is a usage error (exit 2) naming the flag', async (args, message) => {
    const { err, errOut } = await parse(args);
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut).toMatch(message);
    expect(errOut.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [['bad/topic', 'x'], /topic name "bad\/topic" is invalid/],
    [['t', 'x', '--file', 'f.txt'], /arguments or with --file, not both/],
    [['t', '--json', '-K', ':'], /--key-delimiter cannot be used with --json/],
    [['t', '--url', 'nowhere'], /invalid --url "nowhere"/],
  ])('%j is a usage error (exit 2) before anything connects', async (args, message) => {
    const { err } = await parse(args);
    const out = captureOutput();
    expect(exitCodeFor(err, out)).toBe(2);
    expect(out.errors.join('\n')).toMatch(message);
  });
});

/** A client that acknowledges in order, rejects "REJECT" values and fails at "FAIL". */
function fakeClient(log: { produced: ProduceMessage[]; options?: ProduceOptions; closed: boolean }): EvqClient {
  return {
    url: 'http://fake',
    async produce(_topic, messages, options = {}): Promise<ProduceResult> {
      log.options = options;
      let index = 0;
      let offset = 100;
      let acknowledged = 0;
      let rejected = 0;
      let first: number | null = null;
      for await (const m of messages as AsyncIterable<ProduceMessage>) {
        const text = Buffer.from(m.value).toString();
        if (text === 'FAIL') throw new EvqError('EVQ_ERR_CLOSED', 'the connection to the evq broker at http://fake was lost');
        if (text === 'TIMEOUT') {
          // as the real client's EvqProduceError: the cause, what was acknowledged, where it stopped
          const cause = new EvqError('EVQ_ERR_TIMEOUT', 'the evq broker at http://fake did not acknowledge within 2 s');
          throw Object.assign(new EvqError('EVQ_ERR_TIMEOUT', 'produce failed: …', { cause }), { firstUnacknowledged: index, result: {} });
        }
        if (text === 'REJECT') {
          if (options.onReject === undefined) throw new EvqError('EVQ_ERR_MESSAGE_TOO_LARGE', 'message too large');
          options.onReject({ index, message: m, code: 'EVQ_ERR_MESSAGE_TOO_LARGE', reason: 'message too large' });
          rejected++;
        } else {
          log.produced.push(m);
          first ??= offset;
          options.onAck?.({ index, partition: 0, offset, delayed: false });
          offset++;
          acknowledged++;
        }
        index++;
      }
      return { acknowledged, rejected, firstOffset: first, lastOffset: first === null ? null : offset - 1, elapsedMs: 10, wireBytes: 0 };
    },
    subscribe: () => {
      throw new Error('unused');
    },
    consume: () => {
      throw new Error('unused');
    },
    topics: async () => [],
    createTopic: async () => true,
    alterTopic: async (topic) => ({ topic, partitions: 1, previous: 1 }),
    describeTopic: async () => null,
    deleteTopic: async () => undefined,
    groups: async () => [],
    describeGroup: async () => {
      throw new Error(`not used`);
    },
    resetGroup: async () => {
      throw new EvqError('EVQ_ERR_NOT_IMPLEMENTED', 'not in this fake');
    },
    close: async () => void (log.closed = true),
    [Symbol.asyncDispose]: async () => undefined,
  };
}

function env(stdinText: string, log: Parameters<typeof fakeClient>[0]): CliEnv & { stdoutText: () => string } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  return {
    connect: async () => fakeClient(log),
    stdin: Readable.from([Buffer.from(stdinText)]) as unknown as NodeJS.ReadStream,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdoutText: () => text,
  };
}

describe('evq produce: running', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evq-produce-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const planFor = async (args: string[]): Promise<ProducePlan> => (await parse(args)).plan!;

  it('produces the lines of stdin and prints one summary line', async () => {
    const log: { produced: ProduceMessage[]; options?: ProduceOptions; closed: boolean } = { produced: [], closed: false };
    const out = captureOutput();
    await runProduce(await planFor(['orders', '-k', 'k1']), out, env('a\nb\nc\n', log));
    expect(log.produced.map((m) => Buffer.from(m.value).toString())).toEqual(['a', 'b', 'c']);
    expect(log.produced[0]?.key).toBe('k1');
    expect(out.infos).toEqual([expect.stringMatching(/^produced 3 messages to orders \(offsets 100\.\.102\) in \d+ms, \d+ msg\/s$/)]);
    expect(log.closed).toBe(true);
    expect(log.options).toMatchObject({ batchSize: 1000, lingerMs: 5, compression: 'none', idempotent: false });
  });

  it('arguments are messages (a newline inside one stays in it); --verbose prints offsets in order', async () => {
    const log: { produced: ProduceMessage[]; options?: ProduceOptions; closed: boolean } = { produced: [], closed: false };
    const e = env('', log);
    await runProduce(await planFor(['t', 'one', 'two\nlines', '-v']), captureOutput(), e);
    expect(log.produced.map((m) => Buffer.from(m.value).toString())).toEqual(['one', 'two\nlines']);
    await new Promise((r) => setImmediate(r));
    expect(e.stdoutText()).toBe('100\n101\n');
  });

  it('empty input: nothing to produce, exit 0', async () => {
    const out = captureOutput();
    await runProduce(await planFor(['t']), out, env('', { produced: [], closed: false }));
    expect(out.infos).toEqual(['no messages to produce to t: the input was empty']);
  });

  it('--dead-letter: rejected messages go to the file as JSON lines, are counted, and exit 1', async () => {
    const file = join(dir, 'dead.jsonl');
    const out = captureOutput();
    const log: { produced: ProduceMessage[]; options?: ProduceOptions; closed: boolean } = { produced: [], closed: false };
    const err = await runProduce(
      await planFor(['t', '--json', '--dead-letter', file]),
      out,
      env('{"value":"a"}\nnot json\n{"value":"REJECT","key":"k"}\n{"value":"b"}\n', log),
    ).catch((e: unknown) => e);
    expect(log.produced.map((m) => m.value)).toEqual(['a', 'b']);
    expect(out.infos).toEqual([
      expect.stringMatching(/^produced 2 messages to t \(offsets 100\.\.101\).*; 2 rejected, written to .*dead\.jsonl$/),
    ]);
    expect(err).toBeInstanceOf(EvqError);
    expect(exitCodeFor(err, captureOutput())).toBe(1);
    expect((err as Error).message).toMatch(/2 of 4 messages were refused and written to .*dead\.jsonl/);
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ line: 2, code: 'EVQ_ERR_MALFORMED', raw: 'not json', reason: expect.stringMatching(/not valid JSON/) }),
      expect.objectContaining({ line: 3, code: 'EVQ_ERR_MESSAGE_TOO_LARGE', key: 'k', value: 'REJECT', reason: 'message too large' }),
    ]);
  });

  it('--dead-letter: a line that could not be read is kept as "raw", so sending the file back unedited stores nothing', async () => {
    const file = join(dir, 'dead-raw.jsonl');
    const first = { produced: [] as ProduceMessage[], closed: false };
    await runProduce(await planFor(['t', '--json', '--dead-letter', file]), captureOutput(), env('{"valueBase64":"@@@@"}\n', first)).catch(
      () => undefined,
    );
    expect(first.produced).toEqual([]);
    const [dead] = (await readFile(file, 'utf8')).trim().split('\n');
    expect(JSON.parse(dead as string)).toMatchObject({ line: 1, code: 'EVQ_ERR_MALFORMED', raw: '{"valueBase64":"@@@@"}' });
    expect(JSON.parse(dead as string)).not.toHaveProperty('value');
    // replayed as the hint says, before it is fixed: refused again, not stored as the text of the line
    const again = { produced: [] as ProduceMessage[], closed: false };
    const err = await runProduce(await planFor(['t', '--json']), captureOutput(), env(`${dead}\n`, again)).catch((e: unknown) => e);
    expect(again.produced).toEqual([]);
    expect((err as Error).message).toMatch(/line 1: missing "value"/);
  });

  it('--dead-letter in a directory that does not exist: one line, exit 2, before anything is sent', async () => {
    const log: { produced: ProduceMessage[]; options?: ProduceOptions; closed: boolean } = { produced: [], closed: false };
    let connected = false;
    const e = env('{"value":"REJECT"}\n{"value":"a"}\n', log);
    const file = join(dir, 'no-such-dir', 'x.jsonl');
    const err = await runProduce(await planFor(['t', '--json', '--dead-letter', file]), captureOutput(), {
      ...e,
      connect: async (...args) => {
        connected = true;
        return e.connect(...args);
      },
    }).catch((x: unknown) => x);
    const out = captureOutput();
    expect(exitCodeFor(err, out)).toBe(2);
    expect(out.errors).toEqual([`cannot write the dead letters to --dead-letter ${file}: no such directory`]);
    expect(connected).toBe(false);
    expect(log.produced).toEqual([]);
  });

  it('--dead-letter: a line over the line limit goes to the dead letters, the rest is produced', async () => {
    const file = join(dir, 'dead.jsonl');
    const log: { produced: ProduceMessage[]; options?: ProduceOptions; closed: boolean } = { produced: [], closed: false };
    const long = Buffer.alloc(DEFAULT_MAX_LINE_BYTES + 10, 0x61);
    long[5] = 0xff; // not UTF-8: kept byte for byte
    const e = env('', log);
    e.stdin = Readable.from([
      Buffer.from('a\n'),
      long.subarray(0, 1000),
      long.subarray(1000),
      Buffer.from('\nb\n'),
    ]) as unknown as NodeJS.ReadStream;
    const out = captureOutput();
    const err = await runProduce(await planFor(['t', '--dead-letter', file]), out, e).catch((x: unknown) => x);
    expect(log.produced.map((m) => Buffer.from(m.value).toString())).toEqual(['a', 'b']);
    expect(out.infos).toEqual([expect.stringMatching(/^produced 2 messages to t .*; 1 rejected, written to .*dead\.jsonl$/)]);
    expect(exitCodeFor(err, captureOutput())).toBe(1);
    const letters = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      line: 2,
      code: 'EVQ_ERR_MESSAGE_TOO_LARGE',
      reason: expect.stringMatching(/line 2 is longer than/),
    });
    expect(Buffer.from(letters[0].valueBase64, 'base64').equals(long)).toBe(true);
  });

  it('a failure says how many messages were acknowledged before it', async () => {
    const out = captureOutput();
    const err = await runProduce(await planFor(['t']), out, env('a\nb\nFAIL\nc\n', { produced: [], closed: false })).catch(
      (e: unknown) => e,
    );
    expect(exitCodeFor(err, out)).toBe(1);
    expect(out.errors).toEqual([
      expect.stringMatching(
        /connection to the evq broker at http:\/\/fake was lost; acknowledged before the failure: 2 of 3 messages read \(offsets 100\.\.101\) \(batches sent but not acknowledged may have been appended: --idempotent makes a retry safe\)$/,
      ),
    ]);
    expect(out.infos).toEqual([]);
  });

  it('a client produce error: its cause, and the line of the first message not acknowledged', async () => {
    const out = captureOutput();
    const err = await runProduce(
      await planFor(['t', '--idempotent', '--url', 'http://fake']),
      out,
      env('a\nb\nTIMEOUT\nc\n', { produced: [], closed: false }),
    ).catch((e: unknown) => e);
    expect(exitCodeFor(err, out)).toBe(1);
    expect(out.errors).toEqual([
      'the evq broker at http://fake did not acknowledge within 2 s; acknowledged before the failure: 2 of 3 messages read (offsets 100..101); the first one not acknowledged is line 3',
    ]);
  });

  it('a rejection without --dead-letter fails the produce (exit 1)', async () => {
    const out = captureOutput();
    const err = await runProduce(await planFor(['t', 'a', 'REJECT']), out, env('', { produced: [], closed: false })).catch(
      (e: unknown) => e,
    );
    expect(exitCodeFor(err, out)).toBe(1);
    expect(out.errors[0]).toMatch(/^message too large; acknowledged before the failure: 1 of 2 messages read \(offset 100\)$/);
  });

  it('a bad --json line without --dead-letter fails with its line number', async () => {
    const out = captureOutput();
    const err = await runProduce(await planFor(['t', '--json']), out, env('{"value":"a"}\n{oops\n', { produced: [], closed: false })).catch(
      (e: unknown) => e,
    );
    expect(exitCodeFor(err, out)).toBe(1);
    expect(out.errors[0]).toMatch(/^line 2: not valid JSON.*; acknowledged before the failure: 1 of 2 messages read \(offset 100\)$/);
  });
});
