import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { buildShapes } from '../bench/payload.js';
import { configOf, parseScenario } from '../bench/scenario.js';
import type { BenchResult } from '../bench/result.js';
import { runBench, type RunOptions } from '../bench/runner.js';
import { benchRunReporter, type BenchRunReporter } from '../client/evq/bench-runs.js';
import { formatDuration } from '../core/durations.js';
import { ERROR_CODES, EXIT, EvqError, isEvqErrorCode, type EvqErrorCode } from '../errors.js';
import { renderComparison } from './bench-compare.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './bench-embedded.js';
import { readResult, writeCsvResult, writeJsonResult } from './bench-files.js';
import { formatCount } from './bench-format.js';
import { startBenchLive } from './bench-live.js';
import { describeConfig, formatMetric, renderReport } from './bench-report.js';
import type { BenchPlan } from './commands/bench.js';
import { explainError } from './error-text.js';
import { onInterrupt } from './signals.js';
import { createOutput, type Output } from './output.js';
import { evqCommit, evqVersion, maskedCommand } from './version.js';

/**
 * `evq bench`: starts the embedded broker if asked, runs the scenario with a live line on stderr, then prints
 * the report (stdout; stderr when stdout carries `--json -` or `--csv`), writes `--json` and `--csv`, prints
 * the `--compare` table, writes the `--html` report, and fails (exit 1, after everything was written) when a message was lost,
 * duplicated or reordered, an error happened, or a threshold broke — saying which. The first Ctrl-C stops
 * producing and still reports; the second quits at once.
 */

export interface BenchEnv {
  stdout: NodeJS.WritableStream;
  evqVersion: string;
  /** Passed to runBench (tests: the compiled worker, a fault-injecting client). */
  run: Pick<RunOptions, 'workerUrl' | 'connect' | 'progressIntervalMs' | 'subscriberThread'>;
  /** The arguments after `evq` (default: this process's, when it runs `evq bench`), for the report. */
  argv: readonly string[] | null;
}

export async function runBenchCommand(plan: BenchPlan, output: Output = createOutput(), env: Partial<BenchEnv> = {}): Promise<BenchResult> {
  const stdout = env.stdout ?? process.stdout;
  // read the payloads and the old result first: a missing file fails before a broker is started
  const payloads = plan.payloadFile === null ? undefined : await readPayloads(plan.payloadFile);
  const old = plan.compare === null ? undefined : await readResult(plan.compare);
  // every usage error before a broker is started: the payloads against the filter too (a stand-in URL)
  buildShapes(parseScenario({ ...plan.scenario, url: plan.scenario.url ?? 'http://127.0.0.1:7070', payloads }));

  let embedded: EmbeddedBroker | undefined;
  if (plan.embedded !== null) {
    embedded = await startEmbeddedBroker(plan.embedded);
    const where = embedded.dataDir === null ? 'in memory' : `data in ${embedded.dataDir}, fsync ${plan.embedded.fsync}`;
    output.info(`embedded broker on ${embedded.url} (${where})`);
  }
  const url = embedded?.url ?? (plan.scenario.url as string);

  const abort = new AbortController();
  let result: BenchResult;
  const live = startBenchLive(output, { subscribers: plan.scenario.subscribers ?? 1 });
  let reporter: BenchRunReporter | null = null;
  const removeSignalHandlers = onInterrupt(() => {
    output.info('stopping: finishing the messages in flight, then reporting (Ctrl-C again to quit now)');
    abort.abort();
  }, EXIT.failure);
  try {
    const scenario = parseScenario({ ...plan.scenario, url, payloads });
    // a broker of the user's (not the embedded one, gone with the run) shows the run live in its console
    if (embedded === undefined) {
      const title = describeConfig(configOf(scenario), scenario.partitions ?? 1);
      reporter = benchRunReporter(url, scenario.token, title, scenario.timeoutMs);
    }
    result = await runBench(scenario, {
      signal: abort.signal,
      onProgress: (p) => {
        live.onProgress(p);
        reporter?.point({
          elapsedMs: p.elapsedMs,
          phase: p.phase,
          publishRate: p.publishRate,
          deliverRate: p.deliverRate,
          p99Us: p.p99Us,
          acked: p.acked,
          delivered: p.delivered,
          errors: p.errors,
        });
      },
      embedded: plan.embedded,
      evqVersion: env.evqVersion ?? evqVersion(),
      evqCommit: evqCommit(),
      command: commandOf(env.argv),
      // at a fixed rate, what the subscribers decode never delays the producers' schedule
      subscriberThread: true,
      ...env.run,
    });
  } catch (error) {
    const explained = explainError(error, url, formatDuration(plan.scenario.timeoutMs ?? 10_000));
    if (embedded === undefined && explained instanceof EvqError && explained.code === 'EVQ_ERR_UNREACHABLE') {
      throw new EvqError('EVQ_ERR_UNREACHABLE', `${explained.message} (or let evq bench start one: --embedded)`, { cause: error });
    }
    throw explained;
  } finally {
    live.stop();
    removeSignalHandlers();
    await embedded?.close();
  }

  const reportToStderr = plan.json === '-' || plan.csv === '-';
  // a reader that goes away (`evq bench … | head -2`) ends the writing to stdout, not the command: as for
  // the other commands, EPIPE is not a failure (the exit status is the run's)
  let readerGone = false;
  const onStdoutError = (): void => void (readerGone = true);
  (stdout as Partial<NodeJS.WritableStream>).on?.('error', onStdoutError); // (tests pass a bare writer)
  const print = (line: string): void => {
    if (reportToStderr) output.info(line);
    else if (!readerGone) output.data(line);
  };
  for (const line of renderReport(result, output.color)) print(line);
  if (old !== undefined) {
    print('');
    for (const line of renderComparison(old, result, plan.compare as string, output.color)) print(line);
  }
  if (plan.json !== null && !(plan.json === '-' && readerGone)) await writeJsonResult(plan.json, result, stdout);
  if (plan.csv !== null && !(plan.csv === '-' && readerGone)) await writeCsvResult(plan.csv, result, stdout);
  if (plan.html !== null) {
    const { writeHtmlReport } = await import('./bench-html.js');
    await writeHtmlReport(plan.html, [{ label: result.config.topic, result }]);
  }

  const failure = failureOf(result);
  await reporter?.finish({
    ok: failure === undefined,
    verdict: failure?.message ?? 'every message exactly once, in order; every threshold held',
    reports: [plan.html, plan.json, plan.csv].filter((f): f is string => f !== null && f !== '-').map((f) => resolvePath(f)),
  });
  if (failure !== undefined) throw failure;
  return result;
}

function commandOf(argv: readonly string[] | null | undefined): string[] | null {
  if (argv === null) return null;
  const args = argv ?? process.argv.slice(2);
  return args[0] === 'bench' ? maskedCommand(args) : null;
}

/** The lines of a payload file: one payload each (a trailing \r dropped, empty lines skipped). */
export async function readPayloads(path: string): Promise<Buffer[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new EvqError('EVQ_ERR_NOT_FOUND', `cannot read the payload file ${path}: ${(error as Error).message}`, { cause: error });
  }
  const payloads: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    let lineEnd = end;
    if (lineEnd > start && bytes[lineEnd - 1] === 0x0d) lineEnd--;
    if (lineEnd > start) payloads.push(Buffer.from(bytes.subarray(start, lineEnd)));
    start = end + 1;
  }
  return payloads;
}

/** Why a finished run fails (exit 1), or undefined when it passed. */
export function failureOf(result: BenchResult): EvqError | undefined {
  const reasons: string[] = [];
  let code: EvqErrorCode | undefined;
  const errorCount = result.errors.reduce((n, e) => n + e.count, 0);
  if (errorCount > 0) {
    const first = result.errors[0];
    if (first !== undefined && isEvqErrorCode(first.code) && ERROR_CODES[first.code].exit === EXIT.failure) code = first.code;
    code ??= 'EVQ_ERR_INTERNAL';
    reasons.push(`${formatCount(errorCount)} error${errorCount === 1 ? '' : 's'} (first: ${first?.client}: ${first?.message})`);
  }
  const v = result.verification;
  if (!v.ok) {
    code ??= 'EVQ_ERR_INTERNAL';
    const parts = [`${formatCount(v.lost)} lost`, `${formatCount(v.duplicated)} duplicated`, `${formatCount(v.reordered)} reordered`];
    if (v.unexpected > 0) parts.push(`${formatCount(v.unexpected)} delivered against the filter`);
    reasons.push(`verification failed: ${parts.join(', ')} of ${formatCount(v.expected)} expected deliveries`);
  }
  const broken = result.thresholds.filter((t) => !t.ok);
  if (broken.length > 0) {
    code ??= 'EVQ_ERR_LIMIT_EXCEEDED';
    const list = broken.map(
      (t) => `${t.expression} (${t.actual === null ? 'no such figure' : `${t.metric} = ${formatMetric(t.metric, t.actual)}`})`,
    );
    reasons.push(`threshold${broken.length === 1 ? '' : 's'} broken: ${list.join('; ')}`);
  }
  if (code === undefined) return undefined;
  return new EvqError(code, `evq bench: ${reasons.join('; ')}`);
}
