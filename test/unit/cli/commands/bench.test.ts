import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../../../src/bench/result.js';
import { countOption, rateOption, ratioOption, toBenchPlan, type BenchFlags } from '../../../../src/cli/commands/bench.js';
import { startBenchLive, liveText, plainText } from '../../../../src/cli/bench-live.js';
import { exitCodeFor } from '../../../../src/cli/main.js';
import { failureOf, readPayloads, runBenchCommand } from '../../../../src/cli/run-bench.js';
import { EXIT, EvqError } from '../../../../src/errors.js';
import { captureOutput, parsePlan } from '../../../helpers/cli.js';

const parse = (args: string[]) => parsePlan('bench', args, (flags: BenchFlags) => toBenchPlan(flags));

async function usageError(args: string[]): Promise<string> {
  const { err, errOut } = await parse(args);
  expect(err, args.join(' ')).toBeDefined();
  expect(exitCodeFor(err, captureOutput())).toBe(EXIT.usage);
  return err instanceof EvqError ? err.message : errOut;
}

describe('evq bench: parsing', () => {
  it('defaults: the URL, 1 → 1, 100,000 messages of 100 bytes (left to the scenario), ws, no files', async () => {
    const { plan } = await parse([]);
    expect(plan).toMatchObject({
      scenario: {
        url: 'http://127.0.0.1:7070',
        producers: 1,
        subscribers: 1,
        batchSize: 1000,
        lingerMs: 5,
        rate: 0,
        warmupMs: 0,
        workers: 0,
        transport: 'ws',
        pipelining: 10,
        timeoutMs: 10_000,
        thresholds: [],
      },
      embedded: null,
      payloadFile: null,
      json: null,
      html: null,
      csv: null,
      compare: null,
    });
    expect(plan?.scenario.messages).toBeUndefined();
  });

  it('--partitions, --group and --members', async () => {
    const { plan } = await parse(['--partitions', '6', '--group', 'readers', '--members', '3']);
    expect(plan?.scenario).toMatchObject({ partitions: 6, group: 'readers', members: 3, subscribers: undefined });
    const plain = await parse(['--partitions', '3']);
    expect(plain.plan?.scenario).toMatchObject({ partitions: 3, subscribers: 1, group: undefined, members: undefined });
  });

  it('every flag', async () => {
    const { plan } = await parse([
      '--embedded',
      '--memory',
      '--fsync',
      'never',
      '-t',
      'perf',
      '-p',
      '4',
      '-s',
      '8',
      '-d',
      '30s',
      '--payload-file',
      'p.txt',
      '--batch-size',
      '100',
      '--linger',
      '2ms',
      '-r',
      '20k',
      '-f',
      'value.n > 1',
      '--match-ratio',
      '10%',
      '-w',
      '5s',
      '--workers',
      '2',
      '--transport',
      'http',
      '--pipelining',
      '32',
      '--timeout',
      '3s',
      '--json',
      'out.json',
      '--csv',
      'runs.csv',
      '--compare',
      'old.json',
      '--threshold',
      'p99<5ms',
      '--threshold',
      'lost==0',
    ]);
    expect(plan).toMatchObject({
      scenario: {
        url: null,
        topic: 'perf',
        producers: 4,
        subscribers: 8,
        durationMs: 30_000,
        payloadFile: 'p.txt',
        batchSize: 100,
        lingerMs: 2,
        rate: 20_000,
        filter: 'value.n > 1',
        matchRatio: 0.1,
        warmupMs: 5000,
        workers: 2,
        transport: 'http',
        pipelining: 32,
        timeoutMs: 3000,
        thresholds: ['p99<5ms', 'lost==0'],
      },
      embedded: { memory: true, fsync: 'never' },
      payloadFile: 'p.txt',
      json: 'out.json',
      csv: 'runs.csv',
      compare: 'old.json',
    });
  });

  it('counts and rates take k and M; a ratio takes a percentage; --csv alone is stdout', async () => {
    expect((await parse(['-n', '1M'])).plan?.scenario.messages).toBe(1_000_000);
    expect((await parse(['--messages', '250k', '--csv'])).plan).toMatchObject({ scenario: { messages: 250_000 }, csv: '-' });
    expect(countOption(1)('1.5M')).toBe(1_500_000);
    expect(rateOption('0')).toBe(0);
    expect(rateOption('2.5k')).toBe(2500);
    expect(ratioOption('0.25')).toBe(0.25);
    expect(ratioOption('100%')).toBe(1);
    expect((await parse(['--embedded'])).plan?.embedded).toEqual({ memory: false, fsync: 'always' });
  });

  it('usage errors (exit 2), each saying what is wrong', async () => {
    expect(await usageError(['--embedded', '--url', 'http://x:1'])).toMatch(/cannot be used with option '-u, --url/);
    expect(await usageError(['--messages', '5', '--duration', '5s'])).toMatch(/cannot be used with/);
    expect(await usageError(['--size', '10', '--payload-file', 'p'])).toMatch(/cannot be used with/);
    expect(await usageError(['--memory'])).toMatch(/--memory applies to the broker --embedded starts/);
    expect(await usageError(['--subscribers', '2', '--group', 'g'])).toMatch(/cannot be used with option '--group/);
    expect(await usageError(['--members', '2'])).toMatch(/--members needs --group/);
    expect(await usageError(['--partitions', '0'])).toMatch(/--partitions/);
    expect(await usageError(['--url', 'nats://127.0.0.1:4222', '--partitions', '2'])).toMatch(/--partitions needs an evq broker/);
    expect(await usageError(['--fsync', 'always'])).toMatch(/--fsync applies/);
    expect(await usageError(['--producers', '0'])).toMatch(/expected a whole number from 1/);
    expect(await usageError(['--rate', 'fast'])).toMatch(/messages per second/);
    expect(await usageError(['--match-ratio', '2', '--filter', 'value.a > 1'])).toMatch(/fraction from 0 to 1/);
    expect(await usageError(['--match-ratio', '0.5'])).toMatch(/--match-ratio needs --filter/);
    expect(await usageError(['--filter', 'value.a >'])).toMatch(/column/);
    expect(await usageError(['--threshold', 'p99<soon'])).toMatch(/invalid threshold "p99<soon"/);
    expect(await usageError(['--subscribers', '0', '--threshold', 'p99<5ms'])).toMatch(/no subscribers/);
    expect(await usageError(['--transport', 'udp'])).toMatch(/Allowed choices are ws, http/);
    expect(await usageError(['--json', '-', '--csv'])).toMatch(/both write to stdout/);
    expect(await usageError(['--url', 'ftp://x'])).toMatch(/invalid --url/);
    expect(await usageError(['--workers', '5'])).toMatch(/--workers 5 is more than the 2 producers and subscribers/);
  });
});

describe('evq bench: failures and exit codes', () => {
  const base = (over: Partial<BenchResult>): BenchResult =>
    ({
      errors: [],
      verification: { ok: true, lost: 0, duplicated: 0, reordered: 0, unexpected: 0, expected: 10 },
      thresholds: [],
      ...over,
    }) as BenchResult;

  it('a clean run passes', () => {
    expect(failureOf(base({}))).toBeUndefined();
  });

  it('a broken threshold fails with exit 1 and says which, with the figure', () => {
    const failure = failureOf(
      base({
        thresholds: [
          { expression: 'p99<5ms', metric: 'e2e.p99', op: '<', limit: 5000, actual: 7250, ok: false },
          { expression: 'rate>1', metric: 'publish.rate', op: '>', limit: 1, actual: 100, ok: true },
          { expression: 'ack.p99<1ms', metric: 'ack.p99', op: '<', limit: 1000, actual: null, ok: false },
        ],
      }),
    );
    expect(failure?.code).toBe('EVQ_ERR_LIMIT_EXCEEDED');
    expect(exitCodeFor(failure, captureOutput())).toBe(EXIT.failure);
    expect(failure?.message).toBe('evq bench: thresholds broken: p99<5ms (e2e.p99 = 7.25ms); ack.p99<1ms (no such figure)');
  });

  it('lost, duplicated or reordered messages fail the run; errors fail it with their own code', () => {
    const lost = failureOf(
      base({
        verification: { ok: false, lost: 3, duplicated: 1, reordered: 0, unexpected: 0, expected: 100 } as BenchResult['verification'],
      }),
    );
    expect(lost?.message).toMatch(/verification failed: 3 lost, 1 duplicated, 0 reordered of 100 expected deliveries/);
    expect(lost?.exitCode).toBe(EXIT.failure);
    const errors = failureOf(base({ errors: [{ client: 'producer 0', code: 'EVQ_ERR_UNREACHABLE', message: 'no broker', count: 2 }] }));
    expect(errors?.code).toBe('EVQ_ERR_UNREACHABLE');
    expect(errors?.message).toMatch(/2 errors \(first: producer 0: no broker\)/);
  });
});

describe('evq bench: a run (embedded broker, in this thread under the TypeScript sources)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evq-bench-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the report, writes --json and --csv, compares with --compare', async () => {
    const json = join(dir, 'run.json');
    const csv = join(dir, 'runs.csv');
    const out = captureOutput();
    const { plan } = await parse([
      '--embedded',
      '--memory',
      '--messages',
      '5000',
      '--subscribers',
      '2',
      '--json',
      json,
      '--csv',
      csv,
      '--threshold',
      'lost==0',
    ]);
    const result = await runBenchCommand(plan!, out, { evqVersion: '9.9.9' });
    const report = out.datas.join('\n');
    expect(report).toMatch(
      /^evq bench · 1 producer → 2 subscribers · 5,000 messages of 100 B · ws, batches of 1,000, linger 5ms · as fast as possible/,
    );
    expect(report).toMatch(/published +5,000 +[\d,]+ +[\d.]+ +[\d.]+s/);
    expect(report).toMatch(/delivered +10,000 /);
    expect(report).toMatch(/end to end +\S+ +\S+ +\S+/);
    expect(report).toMatch(/uncorrected +\S+/);
    expect(report).toMatch(
      /verification {2}5,000 published × 2 subscribers = 10,000 expected · 10,000 delivered · 0 lost · 0 duplicated · 0 reordered {2}✓/,
    );
    expect(report).toMatch(/✓ lost==0 {2}\(lost = 0\)/);
    expect(out.infos.some((l) => /^embedded broker on http:\/\/127\.0\.0\.1:\d+ \(in memory\)$/.test(l))).toBe(true);
    const written = JSON.parse(await readFile(json, 'utf8')) as BenchResult;
    expect(written).toMatchObject({
      schema: 'evq-bench/2',
      ok: true,
      target: { embedded: { memory: true, fsync: 'always' } },
      machine: { versions: { evq: '9.9.9' } },
    });
    expect(written.verification.delivered).toBe(result.verification.delivered);
    // the CSV: a header, then one row per run (appended)
    const again = captureOutput();
    await runBenchCommand({ ...plan!, json: null, compare: json }, again, { evqVersion: '9.9.9' });
    const rows = (await readFile(csv, 'utf8')).trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^started_at,topic,transport,producers,subscribers,messages/);
    expect(rows[1]?.split(',')).toHaveLength(rows[0]!.split(',').length);
    expect(rows[2]).toMatch(/,true$/);
    const comparison = again.datas.join('\n');
    expect(comparison).toMatch(new RegExp(`compared with ${json.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.+\\), same scenario`));
    expect(comparison).toMatch(/published msgs\/s +[\d,]+ +[\d,]+ +([+−][\d.]+%|=)/);
    expect(comparison).toMatch(/e2e p99 /);
  });

  it('a broken threshold: the report and --json first, then exit 1 with the reason', async () => {
    const json = join(dir, 'run.json');
    const out = captureOutput();
    const { plan } = await parse(['--embedded', '--memory', '--messages', '2000', '--threshold', 'p99<1us', '--json', json]);
    const error = await runBenchCommand(plan!, out).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvqError);
    expect(exitCodeFor(error, captureOutput())).toBe(EXIT.failure);
    expect((error as EvqError).message).toMatch(/^evq bench: threshold broken: p99<1us \(e2e\.p99 = .+\)$/);
    expect(out.datas.join('\n')).toMatch(/✗ p99<1us/);
    expect(JSON.parse(await readFile(json, 'utf8')).thresholds[0]).toMatchObject({ expression: 'p99<1us', ok: false });
  });

  it('--json - puts the JSON on stdout and the report on stderr', async () => {
    let stdout = '';
    const out = captureOutput();
    const { plan } = await parse(['--embedded', '--memory', '--messages', '500', '--json', '-']);
    await runBenchCommand(plan!, out, { stdout: { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream });
    expect(JSON.parse(stdout)).toMatchObject({ schema: 'evq-bench/2', publish: { messages: 500 } });
    expect(out.datas).toEqual([]);
    expect(out.infos.join('\n')).toMatch(/verification/);
  });

  it('payload files: one payload per line; a missing file or an old result that is not one is an error', async () => {
    const file = join(dir, 'payloads.txt');
    await writeFile(file, 'one\r\n\ntwo\nthree');
    expect((await readPayloads(file)).map(String)).toEqual(['one', 'two', 'three']);
    await expect(readPayloads(join(dir, 'nope'))).rejects.toThrow(/cannot read the payload file/);
    const notResult = join(dir, 'x.json');
    await writeFile(notResult, '{"a": 1}');
    const { plan } = await parse(['--embedded', '--memory', '--messages', '10', '--compare', notResult]);
    await expect(runBenchCommand(plan!, captureOutput())).rejects.toThrow(/is not an evq bench result/);
  });

  it('an unreachable broker is one line that says what to do', async () => {
    const { plan } = await parse(['--url', 'http://127.0.0.1:1', '--messages', '10', '--timeout', '2s']);
    const error = await runBenchCommand(plan!, captureOutput()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvqError);
    expect((error as EvqError).code).toBe('EVQ_ERR_UNREACHABLE');
    expect((error as EvqError).message).toMatch(/127\.0\.0\.1:1/);
  });
});

describe('evq bench: progress lines', () => {
  const p = {
    phase: 'measuring' as const,
    elapsedMs: 5000,
    sent: 500_000,
    acked: 499_000,
    delivered: 498_000,
    errors: 0,
    publishRate: 99_800,
    deliverRate: 99_600,
    p99Us: 4210,
    latency: 'e2e' as const,
  };

  it('the live line and the plain line', () => {
    expect(liveText(p, 1)).toBe('measuring 5.0s · 99,800 msgs/s published · 99,600 msgs/s delivered · e2e p99 4.21ms');
    expect(liveText({ ...p, phase: 'warmup', p99Us: null, latency: 'ack' }, 0)).toBe('warming up 5.0s · 99,800 msgs/s published');
    expect(plainText(p, 1, 99_800, 99_600)).toBe(
      '[5.0s] 499,000 published (99,800 msgs/s), 498,000 delivered (99,600 msgs/s), e2e p99 4.21ms so far, 0 errors',
    );
  });

  it('off a terminal: a plain line every 5 seconds', () => {
    const out = captureOutput();
    const live = startBenchLive(out, { subscribers: 1, stream: { isTTY: false } as NodeJS.WriteStream });
    for (let s = 1; s <= 12; s++) live.onProgress({ ...p, elapsedMs: s * 1000, acked: s * 100_000, delivered: s * 100_000 });
    live.stop();
    expect(out.infos).toEqual([
      '[5.0s] 500,000 published (100,000 msgs/s), 500,000 delivered (100,000 msgs/s), e2e p99 4.21ms so far, 0 errors',
      '[10.0s] 1,000,000 published (100,000 msgs/s), 1,000,000 delivered (100,000 msgs/s), e2e p99 4.21ms so far, 0 errors',
    ]);
  });
});
