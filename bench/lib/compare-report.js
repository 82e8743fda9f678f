// @ts-check
// The one reporter of bench/compare.js: the lines printed while it measures, the table of verdicts at the
// end, and the JSON file (every raw figure, the checks, the machine, load and commit) in bench/results/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { finishedRuns } from '../_evq-bench.js';
import { cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineLoad, round } from '../_bench-util.js';
import { writeCompareHtml } from './compare-html.js';

/** @typedef {import('./compare-settings.js').CompareSettings} CompareSettings */
/** @typedef {import('./compare-checks.js').Check} Check */

/**
 * What a target's `measure` gets: the settings, the running servers, and the reporter's ways to tell.
 * @typedef {object} CompareContext
 * @property {CompareSettings} settings
 * @property {Record<string, any>} servers   always, never (evq serve --fsync …), nats, forwarder
 * @property {<T>(launch: () => Promise<T>) => Promise<T>} start   starts a server stopped at the end (or by stopOne)
 * @property {(server: any) => Promise<unknown>} stopOne
 * @property {(text: string) => void} step    prints one indented line of progress
 * @property {(...texts: string[]) => void} problem   records what a run lost or failed (the exit code becomes 1)
 * @property {(id: number) => any} measured   what an earlier target measured
 * @property {<T>(key: string, measure: (ctx: CompareContext) => Promise<T>) => Promise<T>} once   a measurement two targets share, made once
 */

/**
 * One row of the comparison: what it measures and the verdict on it.
 * @typedef {object} Target
 * @property {number} id
 * @property {string[]} needs   the servers its measurement uses (always, never, nats, forwarder): only those are started
 * @property {string | ((measured: any) => string)} title
 * @property {string} [heading]   printed before it is measured (none when it shares an earlier target's measurement)
 * @property {(ctx: CompareContext) => Promise<{ figures: Record<string, unknown> } & Record<string, any>>} measure
 * @property {(measured: any) => { checks: Check[], detail: string }} check
 */

/** @returns {{ commit: string | null, dirty: boolean | null }} */
function gitCommit() {
  try {
    const cwd = fileURLToPath(new URL('../..', import.meta.url));
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

/**
 * Each evq bench run of this comparison as its own HTML report (`evq bench --html`'s page), in
 * `<latest>-runs/N.html`; answers their paths relative to the page that links them.
 * @param {string} htmlOut @returns {Promise<{ command: string, file: string }[]>}
 */
async function writeRunReports(htmlOut) {
  if (finishedRuns.length === 0) return [];
  const { writeHtmlReport } = await import('../../dist/cli/bench-html.js');
  const dir = htmlOut.replace(/\.html$/, '') + '-runs';
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const out = [];
  for (const [i, run] of finishedRuns.entries()) {
    const file = join(dir, `${i + 1}.html`);
    await writeHtmlReport(file, [{ label: run.command, result: run.result }]);
    out.push({ command: run.command, file: `${basename(dir)}/${i + 1}.html` });
  }
  return out;
}

/** @param {CompareSettings} settings */
export function createReporter(settings) {
  const started = performance.now();
  const loadBefore = machineLoad();
  /** @type {string[]} */
  const problems = [];
  /** @type {{ id: number, title: string, pass: boolean, checks: Check[], detail: string }[]} */
  const targets = [];
  /** @type {Record<string, any>} */
  const result = {
    schema: 'evq-compare/1',
    date: new Date().toISOString(),
    git: gitCommit(),
    machine: {
      platform: platform(),
      release: release(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? null,
      totalMemoryBytes: totalmem(),
      freeMemoryBytes: freemem(),
      node: process.version,
      loadAverageBefore: loadavg().map((v) => round(v, 2)),
    },
    settings: {
      rounds: settings.rounds,
      seconds: settings.seconds,
      warmupSeconds: settings.warmup,
      messageBytes: settings.size,
      pipeLines: settings.pipeLines,
      retained: settings.retained,
      only: settings.only,
    },
    figures: {},
    targets,
  };

  return {
    result,
    /** @param {string} text */
    step: (text) => console.log(`   ${text}`),
    /** @param {string[]} texts */
    problem: (...texts) => void problems.push(...texts),

    /** The servers measured against, and the first line. @param {Record<string, unknown>} servers @param {string} natsVersion */
    servers(servers, natsVersion) {
      result.servers = servers;
      const started = [
        servers.evqAlways !== null || servers.evqNever !== null
          ? `evq serve --fsync ${[servers.evqAlways !== null ? 'always' : '', servers.evqNever !== null ? 'never' : ''].filter(Boolean).join('/')}`
          : '',
        servers.nats !== null ? `nats-server ${natsVersion} -js` : '',
        servers.forwarder !== null ? 'a bare ws forwarder' : '',
      ].filter(Boolean);
      console.log(
        `bench:compare — ${started.length > 0 ? started.join(', ') : 'servers of their own per target'}; ${settings.size}-byte messages; ` +
          `${settings.rounds} alternating round(s); load average ${loadBefore.one} on ${loadBefore.cores} cores (node ${process.version})`,
      );
    },

    /** @param {Target} target */
    heading(target) {
      if (target.heading !== undefined) console.log(`\n${target.heading}`);
    },

    /** A target measured: its figures into the JSON, its verdict into the table. @param {Target} target @param {any} measured */
    record(target, measured) {
      Object.assign(result.figures, measured.figures);
      const { checks, detail } = target.check(measured);
      const title = typeof target.title === 'function' ? target.title(measured) : target.title;
      targets.push({ id: target.id, title, pass: checks.every((c) => c.pass), checks, detail });
    },

    /** A target whose measurement erred: a FAIL with the reason. @param {Target} target @param {string} why */
    failed(target, why) {
      const title = typeof target.title === 'function' ? `target ${target.id}` : target.title;
      targets.push({
        id: target.id,
        title,
        pass: false,
        checks: [{ name: 'measured', ratio: null, target: 1, pass: false }],
        detail: `could not run: ${why}`,
      });
    },

    /** Prints the table and the summary, writes the JSON; true when no run erred or lost anything. @param {number} of targets in the table */
    async finish(of) {
      targets.sort((a, b) => a.id - b.id);
      console.log('\n   target  result  what: measured (ratio) (target)');
      for (const t of targets) console.log(`   ${String(t.id).padEnd(8)}${t.pass ? 'PASS' : 'FAIL'}    ${t.title}: ${t.detail}`);
      const loadAfter = machineLoad();
      result.machine.loadAverageAfter = loadavg().map((v) => round(v, 2));
      result.ok = problems.length === 0;
      result.problems = problems;
      result.passed = targets.filter((t) => t.pass).length;
      result.wallSeconds = round((performance.now() - started) / 1000, 1);
      for (const p of problems) console.log(`!! ${p}`);
      mkdirSync(dirname(settings.out), { recursive: true });
      writeFileSync(settings.out, `${JSON.stringify(result, null, 2)}\n`);
      const htmlOut = settings.out.replace(/\.json$/, '') + '.html';
      writeCompareHtml(htmlOut, result, await writeRunReports(htmlOut));
      console.log(
        `\n${result.passed} of ${of} targets met; ${result.ok ? 'no run lost anything' : 'FAILED: a run erred or lost messages'} ` +
          `(${result.wallSeconds} s, load average ${loadBefore.one} -> ${loadAfter.one} on ${loadAfter.cores} cores); written to ${settings.out} and ${htmlOut}`,
      );
      return result.ok;
    },
  };
}
