/**
 * `evq bench report RUN.json [MORE.json…] --html FILE`: reads the saved results (every file before writing
 * anything: a bad one fails the command and writes nothing) and writes one HTML report of them.
 */

import type { LabelledResult } from '../bench/report/model.js';
import { readResult } from './bench-files.js';
import { writeHtmlReport } from './bench-html.js';
import type { BenchReportPlan } from './commands/bench-report.js';
import { createOutput, type Output } from './output.js';

export async function runBenchReport(plan: BenchReportPlan, output: Output = createOutput()): Promise<void> {
  const runs: LabelledResult[] = [];
  for (const [i, file] of plan.files.entries()) {
    runs.push({ label: plan.labels[i] as string, result: await readResult(file, { purpose: 'for the report', flag: 'evq bench report' }) });
  }
  await writeHtmlReport(plan.html, runs);
  output.info(
    `wrote ${plan.html}: ${runs.length === 1 ? `the report of ${plan.files[0]}` : `${runs.length} runs overlaid (${plan.labels.join(', ')})`}`,
  );
}
