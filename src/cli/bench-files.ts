/**
 * What `evq bench` writes besides its report: the whole result as JSON (`--json FILE`, `-` for stdout), the
 * summary as a CSV row appended to a file (`--csv FILE`, a header first when the file is new or empty) or
 * printed with its header (`--csv`), and reading an earlier JSON result back for `--compare`.
 */

import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { RESULT_SCHEMA, type BenchResult, type LatencySummary } from '../bench/result.js';
import { EvqError } from '../errors.js';

export function resultJson(result: BenchResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

export async function writeJsonResult(path: string, result: BenchResult, stdout: NodeJS.WritableStream): Promise<void> {
  if (path === '-') {
    stdout.write(resultJson(result));
    return;
  }
  try {
    await writeFile(path, resultJson(result));
  } catch (error) {
    throw new EvqError('EVQ_ERR_STORAGE', `cannot write the result to ${path}: ${(error as Error).message}`, { cause: error });
  }
}

const LATENCY_COLUMNS = ['p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max'] as const;

function latencyColumns(prefix: string, s: LatencySummary): [string, number][] {
  return LATENCY_COLUMNS.map((k) => [`${prefix}_${k.replace('.', '_')}_us`, s[k]]);
}

/** The columns of the CSV summary, with their values for one result. */
export function csvColumns(result: BenchResult): [string, string | number | boolean | null][] {
  const c = result.config;
  const v = result.verification;
  return [
    ['started_at', result.startedAt],
    ['topic', c.topic],
    ['transport', c.transport],
    ['producers', c.producers],
    ['subscribers', c.subscribers],
    ['messages', c.messages],
    ['duration_ms', c.durationMs],
    ['size', c.size],
    ['rate', c.rate],
    ['batch_size', c.batchSize],
    ['linger_ms', c.lingerMs],
    ['workers', c.workers],
    ['publish_messages', result.publish.messages],
    ['publish_msgs_per_sec', result.publish.msgsPerSec],
    ['publish_bytes_per_sec', result.publish.bytesPerSec],
    ['deliver_messages', result.deliver.messages],
    ['deliver_msgs_per_sec', result.deliver.msgsPerSec],
    ['deliver_bytes_per_sec', result.deliver.bytesPerSec],
    ...latencyColumns('e2e', result.latency.e2e),
    ...latencyColumns('e2e_uncorrected', result.latency.e2eUncorrected),
    ...latencyColumns('ack', result.latency.ack),
    ['published', v.published],
    ['expected', v.expected],
    ['delivered', v.delivered],
    ['lost', v.lost],
    ['duplicated', v.duplicated],
    ['reordered', v.reordered],
    ['errors', result.errors.reduce((n, e) => n + e.count, 0)],
    ['ok', result.ok],
  ];
}

function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(result: BenchResult): string {
  return csvColumns(result)
    .map(([name]) => name)
    .join(',');
}

export function csvRow(result: BenchResult): string {
  return csvColumns(result)
    .map(([, value]) => csvCell(value))
    .join(',');
}

export async function writeCsvResult(path: string, result: BenchResult, stdout: NodeJS.WritableStream): Promise<void> {
  if (path === '-') {
    stdout.write(`${csvHeader(result)}\n${csvRow(result)}\n`);
    return;
  }
  try {
    const existing = await stat(path).catch(() => null);
    const header = existing === null || existing.size === 0 ? `${csvHeader(result)}\n` : '';
    await appendFile(path, `${header}${csvRow(result)}\n`);
  } catch (error) {
    throw new EvqError('EVQ_ERR_STORAGE', `cannot write the CSV summary to ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** The largest result file read back (a day-long run's JSON is well below). */
export const MAX_RESULT_FILE_BYTES = 512 * 1024 * 1024;

/**
 * Reads an earlier `--json` result (any readable schema: evq-bench/1 or 2); a file that is not one is an error
 * that says so. `use` names what reads it, for the messages.
 */
export async function readResult(
  path: string,
  use: { purpose: string; flag: string } = { purpose: 'to compare with', flag: '--compare' },
): Promise<BenchResult> {
  let text: string;
  try {
    const size = (await stat(path)).size;
    if (size > MAX_RESULT_FILE_BYTES) {
      throw new EvqError(
        'EVQ_ERR_LIMIT_EXCEEDED',
        `${path} is ${Math.round(size / 2 ** 20)} MiB: results of up to ${MAX_RESULT_FILE_BYTES / 2 ** 20} MiB are read`,
      );
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof EvqError) throw error;
    throw new EvqError('EVQ_ERR_NOT_FOUND', `cannot read ${path} ${use.purpose}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EvqError('EVQ_ERR_MALFORMED', `${path} is not JSON: ${use.flag} takes a file written by evq bench --json`);
  }
  const schema = (parsed as { schema?: unknown } | null)?.schema;
  if (typeof schema !== 'string' || schema.split('/')[0] !== RESULT_SCHEMA.split('/')[0]) {
    throw new EvqError(
      'EVQ_ERR_MALFORMED',
      `${path} is not an evq bench result (no "schema": "${RESULT_SCHEMA}"): ${use.flag} takes a file written by evq bench --json`,
    );
  }
  return parsed as BenchResult;
}
