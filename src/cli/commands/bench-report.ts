import { Command, InvalidArgumentError } from '../commander.js';
import { EvqUsageError } from '../../errors.js';
import { withExamples } from '../help.js';
import type { Output } from '../output.js';

/** Runs one report overlays at most (a colour each, a column each in the table of differences). */
export const MAX_REPORT_RUNS = 8;

export interface BenchReportPlan {
  files: string[];
  /** One per file (the file's name without .json unless given). */
  labels: string[];
  html: string;
}

function collect(value: string, previous: string[] = []): string[] {
  if (value.trim() === '') throw new InvalidArgumentError('expected a label, got an empty one');
  return [...previous, value];
}

/** The run's label from its file name: `runs/nats.json` → `nats`. */
export function labelOf(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.json$/i, '') || base;
}

export function toBenchReportPlan(files: string[], flags: { html?: string; label?: string[] }): BenchReportPlan {
  if (files.length > MAX_REPORT_RUNS) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `evq bench report overlays up to ${MAX_REPORT_RUNS} runs, got ${files.length}`);
  }
  if (flags.html === undefined || flags.html === '') {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', 'evq bench report needs --html FILE: where to write the report');
  }
  const given = flags.label ?? [];
  if (given.length > files.length) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `${given.length} --label for ${files.length} result files: one label per file, in order`,
    );
  }
  const labels = files.map((f, i) => given[i] ?? labelOf(f));
  // the same name twice (a/run.json, b/run.json): numbered, so the legends tell them apart
  const seen = new Map<string, number>();
  for (const l of labels) seen.set(l, (seen.get(l) ?? 0) + 1);
  const counter = new Map<string, number>();
  const unique = labels.map((l) => {
    if ((seen.get(l) ?? 0) < 2) return l;
    const n = (counter.get(l) ?? 0) + 1;
    counter.set(l, n);
    return `${l} (${n})`;
  });
  return { files, labels: unique, html: flags.html };
}

export function makeBenchReportCommand(output?: Output): Command {
  const command = new Command('report')
    .description('render saved --json results as one HTML report; several are overlaid on every chart, with a table of differences')
    .argument('<run.json...>', 'results written by evq bench --json (evq-bench/1 or later)')
    .option('--html <file>', 'where to write the report (self-contained: opens offline)')
    .option('--label <name>', 'the label of each run, in the order of the files (default: the file name)', collect);
  withExamples(command, [
    'evq bench report run.json --html run.html',
    'evq bench report evq.json nats.json kafka.json --html compare.html',
    "evq bench report a.json b.json --label 'evq serve' --label JetStream --html vs.html",
  ]);
  return command.action(async (files: string[], _flags: unknown, cmd: Command) => {
    // `--html` is also evq bench's own option: commander hands it to whichever command it reads first
    const plan = toBenchReportPlan(files, cmd.optsWithGlobals<{ html?: string; label?: string[] }>());
    const { runBenchReport } = await import('../run-bench-report.js');
    await runBenchReport(plan, output);
  });
}
