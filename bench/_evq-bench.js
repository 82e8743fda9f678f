// `evq serve` and `evq bench` as separate processes, for the benchmarks that compare brokers with one tool:
// startEvqServe() starts a broker in a temporary data dir; runEvqBench() runs `evq bench --json FILE` against
// any URL (http:// or nats://) and returns the parsed result (docs/BENCH-SCHEMA.md).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnNode } from './_bench-util.js';

export const EVQ_BIN = fileURLToPath(new URL('../bin/evq.js', import.meta.url));

/**
 * Starts `evq serve --port 0 --fsync <fsync>` in a fresh temporary data dir; resolves once it listens, with
 * its `url`, `pid` and `stop()` (SIGTERM; the data dir is removed; rejects when the broker did not exit 0).
 */
export async function startEvqServe({ fsync = 'always', bin = EVQ_BIN, timeoutMs = 15_000 } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'evq-bench-serve-'));
  let server;
  try {
    server = await spawnNode([bin, 'serve', '--port', '0', '--data-dir', dataDir, '--fsync', fsync], {
      ready: /evq broker listening on (http:\/\/\S+)/,
      env: { ...process.env, NO_COLOR: '1' },
      timeoutMs,
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  let stopping;
  return {
    url: server.match[1],
    pid: server.child.pid,
    dataDir,
    stop(killAfterMs) {
      stopping ??= server.stop(killAfterMs).then(({ code, signal }) => {
        rmSync(dataDir, { recursive: true, force: true });
        if (code !== 0) throw new Error(`evq serve exited with ${signal ?? code}\n${server.stderr().trim()}`);
      });
      return stopping;
    },
  };
}

/**
 * Every result of this process's runs, in order, with its command line: bench:compare renders each one's
 * charts beside latest.html.
 * @type {{ command: string, result: any }[]}
 */
export const finishedRuns = [];

/** The bench processes running now, so that an interrupted benchmark can stop them (see stopRunningBenches). */
const running = new Set();

/**
 * Runs `node bin/evq.js bench --url <url> <args> --json <tmp file>` and resolves with the parsed result
 * and the exit code (1 when the run itself found lost or duplicated messages: the result says why).
 * Rejects when the process writes no result (usage error, broker unreachable, crash) or runs past
 * `timeoutMs` (SIGINT first, which makes evq bench drain and report; SIGKILL 10 s later).
 */
export function runEvqBench(url, args, { bin = EVQ_BIN, timeoutMs = 120_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'evq-bench-result-'));
  const file = join(dir, 'result.json');
  const argv = [bin, 'bench', '--url', url, ...args, '--json', file];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    const keep = (chunk) => {
      output = (output + chunk).slice(-4096);
    };
    child.stdout.setEncoding('utf8').on('data', keep);
    child.stderr.setEncoding('utf8').on('data', keep);
    let killer;
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    }, timeoutMs);
    const finish = (error, value) => {
      clearTimeout(timer);
      clearTimeout(killer);
      running.delete(child);
      rmSync(dir, { recursive: true, force: true });
      if (error) reject(error);
      else resolve(value);
    };
    child.once('error', (error) => finish(new Error(`evq bench: ${error.message}`)));
    child.once('exit', (code, signal) => {
      const command = `evq bench --url ${url} ${args.join(' ')}`;
      let result;
      try {
        result = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        finish(new Error(`${command}: exited (${signal ?? code}) without a result\n${output.trim()}`));
        return;
      }
      if (!String(result.schema).startsWith('evq-bench/')) {
        finish(new Error(`${command}: unexpected result schema ${JSON.stringify(result.schema)}`));
        return;
      }
      finishedRuns.push({ command, result });
      finish(null, { result, exitCode: code, signal, command, output });
    });
  });
}

/** Stops every evq bench still running (SIGKILL): for an interrupted or failed benchmark. */
export function stopRunningBenches() {
  for (const child of running) child.kill('SIGKILL');
}
