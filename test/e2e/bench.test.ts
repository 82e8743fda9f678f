/**
 * `evq bench` as a user runs it (`bin/evq.js` from `dist/`: `npm run build` first): the one-command demo with an
 * embedded broker, the exit codes (thresholds, usage errors, no broker), `--json` against its schema, `--csv`,
 * and worker threads against a separate `evq serve`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/bench/result.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../helpers/spawn-broker.js';
import { EVQ_BIN, killCli, runCli } from '../helpers/spawn-cli.js';
import { validate } from '../helpers/json-schema.js';

const schema = JSON.parse(await readFile(new URL('../../docs/bench-result.schema.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;

let broker: SpawnedBroker;
beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--memory'] });
});
afterEach(killCli);
afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});

describe('evq bench', () => {
  it('--embedded --messages 20000: a report with throughput, corrected and uncorrected percentiles and 0 lost; exit 0', async () => {
    const run = await runCli(['bench', '--embedded', '--messages', '20000'], { timeoutMs: 30_000 });
    expect(run.code, run.err).toBe(0);
    const report = run.out;
    expect(report).toMatch(/^evq bench · 1 producer → 1 subscriber · 20,000 messages of 100 B/);
    expect(report).toMatch(/\(embedded, fsync always\)/);
    expect(report).toMatch(/throughput +messages +msgs\/s +MiB\/s +time/);
    expect(report).toMatch(/published +20,000 +[\d,]+ /);
    expect(report).toMatch(/delivered +20,000 +[\d,]+ /);
    expect(report).toMatch(/latency +p50 +p90 +p99 +p99\.9 +p99\.99 +max +mean +stddev/);
    expect(report).toMatch(/end to end( +[\d.]+(µs|ms|s)){8}/);
    expect(report).toMatch(/uncorrected( +[\d.]+(µs|ms|s)){8}/);
    expect(report).toMatch(/ack( +[\d.]+(µs|ms|s)){8}/);
    expect(report).toMatch(
      /verification {2}20,000 published × 1 subscriber = 20,000 expected · 20,000 delivered · 0 lost · 0 duplicated · 0 reordered/,
    );
    expect(run.err).toMatch(/^embedded broker on http:\/\/127\.0\.0\.1:\d+ \(data in \S+, fsync always\)$/m);
  });

  it('--partitions 3 --duration 2s: the topic gets 3 partitions; 0 lost, 0 duplicated, order kept; the JSON says 3', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'result.json');
    // at a rate one subscriber keeps up with on a busy machine: at full speed two producers outran it there,
    // and the broker rightly closed it as a slow consumer (what this test checks is the partitions)
    const run = await runCli(
      [
        'bench',
        '--url',
        broker.url,
        '--partitions',
        '3',
        '--duration',
        '2s',
        '--batch-size',
        '100',
        '--producers',
        '2',
        '--rate',
        '50000',
        '--json',
        file,
      ],
      { timeoutMs: 30_000 },
    );
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/^evq bench · 2 producers → 1 subscriber · 3 partitions · 2s of 100 B messages/);
    expect(run.out).toMatch(/ 0 lost · 0 duplicated · 0 reordered +✓ every message exactly once, in order/);
    const result = JSON.parse(await readFile(file, 'utf8')) as BenchResult;
    expect(validate(schema, result)).toEqual([]);
    expect(result.config).toMatchObject({ partitions: 3, group: null, members: null });
    expect(result.verification).toMatchObject({ partitions: 3, lost: 0, duplicated: 0, reordered: 0, ok: true });
    expect(result.verification.delivered).toBe(result.verification.published);
    const topic = (await (await fetch(`${broker.url}/topics/${result.config.topic}`)).json()) as { partitions: unknown[] };
    expect(topic.partitions).toHaveLength(3);
  });

  it('--partitions over nats:// is a usage error in one line (exit 2)', async () => {
    const run = await runCli(['bench', '--url', 'nats://127.0.0.1:4222', '--partitions', '3'], { timeoutMs: 10_000 });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(
      /^error: --partitions needs an evq broker \(http:\/\/\): a JetStream stream is one partition; leave --partitions out\n/,
    );
  });

  it('thresholds set the exit code: 1 when one breaks (after the report), 0 when all hold', async () => {
    const broken = await runCli(['bench', '--url', broker.url, '--messages', '3000', '--threshold', 'p99<1us', '--threshold', 'lost==0'], {
      timeoutMs: 20_000,
    });
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/✗ p99<1us/);
    expect(broken.out).toMatch(/✓ lost==0/);
    expect(broken.err).toMatch(/^error: evq bench: threshold broken: p99<1us \(e2e\.p99 = \S+\)\n$/m);
    const held = await runCli(['bench', '--url', broker.url, '--messages', '3000', '--threshold', 'p99<60s', '--threshold', 'rate>1'], {
      timeoutMs: 20_000,
    });
    expect(held.code, held.err).toBe(0);
  });

  it('--json FILE validates against docs/bench-result.schema.json; --csv prints a header and a row', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'result.json');
    const run = await runCli(
      [
        'bench',
        '--url',
        broker.url,
        '--messages',
        '3000',
        '--producers',
        '2',
        '--subscribers',
        '2',
        '--rate',
        '20k',
        '--json',
        file,
        '--csv',
      ],
      {
        timeoutMs: 20_000,
      },
    );
    expect(run.code, run.err).toBe(0);
    const result = JSON.parse(await readFile(file, 'utf8')) as BenchResult;
    expect(validate(schema, result)).toEqual([]);
    expect(result).toMatchObject({
      ok: true,
      config: { producers: 2, subscribers: 2, rate: 20_000 },
      verification: { expected: 6000, delivered: 6000, lost: 0 },
    });
    const [header, row, ...rest] = run.out.trim().split('\n');
    expect(rest).toEqual([]);
    expect(header).toMatch(/^started_at,topic,/);
    expect(row?.split(',').length).toBe(header?.split(',').length);
    expect(run.err).toMatch(/verification/); // the report went to stderr: stdout is the CSV
  });

  it('worker threads and the http transport, against evq serve', async () => {
    const run = await runCli(
      [
        'bench',
        '--url',
        broker.url,
        '--transport',
        'http',
        '--producers',
        '2',
        '--subscribers',
        '2',
        '--workers',
        '2',
        '--messages',
        '4000',
        '--json',
        '-',
      ],
      {
        timeoutMs: 30_000,
      },
    );
    expect(run.code, run.err).toBe(0);
    const result = JSON.parse(run.out) as BenchResult;
    expect(
      new Set(result.clients.subscribers.map((s) => s.worker)).size + new Set(result.clients.producers.map((p) => p.worker)).size,
    ).toBeGreaterThanOrEqual(2);
    expect(result.verification).toMatchObject({ published: 4000, expected: 8000, delivered: 8000, ok: true });
  });

  it('`evq bench … | head -2`: the reader going away is not a failure (exit 0, nothing on stderr but the run)', async () => {
    // bash's pipefail gives the exit status of evq bench, not of head
    const script = `set -o pipefail; "${process.execPath}" "${EVQ_BIN}" bench --embedded --memory --messages 2000 | head -2`;
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile('bash', ['-c', script], { timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } }, (error, out, err) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout: out, stderr: err }),
      );
    });
    expect(code, stderr).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(2);
    expect(stderr).not.toMatch(/EPIPE|error/i);
  });

  it('exit 2 for a usage error, 1 when no broker answers, each with one line', async () => {
    const usage = await runCli(['bench', '--producers', '0']);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--producers/);
    const none = await runCli(['bench', '--url', 'http://127.0.0.1:1', '--timeout', '2s']);
    expect(none.code).toBe(1);
    expect(none.err.trim().split('\n')).toHaveLength(1);
    expect(none.err).toMatch(/^error: .*127\.0\.0\.1:1.*evq serve/);
  });
});
