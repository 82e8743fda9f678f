import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../../../src/cli/main.js';
import { labelOf, toBenchReportPlan, type BenchReportPlan } from '../../../../src/cli/commands/bench-report.js';
import { runBenchReport } from '../../../../src/cli/run-bench-report.js';
import { EvqError, EvqUsageError } from '../../../../src/errors.js';
import { captureOutput } from '../../../helpers/cli.js';
import { asSchema1, syntheticResult } from '../../../helpers/bench-result.js';

/** Parses `evq bench report …` as the CLI would, returning the plan instead of running it. */
async function parse(args: string[]): Promise<{ plan?: BenchReportPlan; err?: unknown }> {
  const program = buildProgram(captureOutput());
  const quiet = (cmd: Command): void => {
    cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    cmd.commands.forEach(quiet);
  };
  quiet(program);
  let plan: BenchReportPlan | undefined;
  const report = program.commands.find((c) => c.name() === 'bench')!.commands.find((c) => c.name() === 'report')!;
  report.action((files: string[], _flags: unknown, cmd: Command) => {
    plan = toBenchReportPlan(files, cmd.optsWithGlobals());
  });
  try {
    await program.parseAsync(['node', 'evq', 'bench', 'report', ...args]);
    return { plan };
  } catch (err) {
    return { err };
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evq-bench-report-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('evq bench report', () => {
  it('files, --html and --label (labels default to the file names; the same name twice is numbered)', async () => {
    expect((await parse(['a.json', 'runs/nats.json', '--html', 'out.html'])).plan).toEqual({
      files: ['a.json', 'runs/nats.json'],
      labels: ['a', 'nats'],
      html: 'out.html',
    });
    expect((await parse(['--html', 'o.html', 'x/run.json', 'y/run.json', '--label', 'evq serve'])).plan?.labels).toEqual([
      'evq serve',
      'run',
    ]);
    expect(toBenchReportPlan(['x/run.json', 'y/run.json'], { html: 'o' }).labels).toEqual(['run (1)', 'run (2)']);
    expect(labelOf('C:\\runs\\kafka.JSON')).toBe('kafka');
  });

  it('usage errors: no --html, too many labels or runs, no file', async () => {
    expect((await parse(['a.json'])).err).toBeInstanceOf(EvqUsageError);
    expect(String((await parse(['a.json'])).err)).toMatch(/needs --html FILE/);
    expect(String((await parse(['a.json', '--html', 'o', '--label', 'x', '--label', 'y'])).err)).toMatch(/one label per file/);
    expect(String((await parse([...Array.from({ length: 9 }, (_, i) => `${i}.json`), '--html', 'o'])).err)).toMatch(/up to 8 runs/);
    expect((await parse(['--html', 'o'])).err).toBeDefined();
  });

  it('writes one HTML file of the runs (an evq-bench/1 file too); a file that is not a result writes nothing', async () => {
    const a = join(dir, 'evq.json');
    const b = join(dir, 'old.json');
    await writeFile(a, JSON.stringify(syntheticResult({ seconds: 3, rate: 100, topic: 'orders<script>' })));
    await writeFile(b, JSON.stringify(asSchema1(syntheticResult({ seconds: 3, rate: 100 }))));
    const html = join(dir, 'out.html');
    const out = captureOutput();
    await runBenchReport(toBenchReportPlan([a, b], { html }), out);
    const page = await readFile(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<title>evq bench · evq vs old</title>');
    // the run's strings are only in the compressed data, never in the markup
    expect(page).not.toContain('orders<script>');
    expect(page.match(/<script/g)).toHaveLength(3);
    expect(out.infos).toEqual([`wrote ${html}: 2 runs overlaid (evq, old)`]);

    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"schema": "other/1"}');
    const again = join(dir, 'again.html');
    const error = await runBenchReport(toBenchReportPlan([a, bad], { html: again }), captureOutput()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvqError);
    expect((error as EvqError).message).toMatch(
      /bad\.json is not an evq bench result .*evq bench report takes a file written by evq bench --json/,
    );
    await expect(readFile(again)).rejects.toThrow(/ENOENT/);
  });
});
