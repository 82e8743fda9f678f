// @ts-check
// Targets of bench/compare.js measured by a benchmark script of their own (bench/kafka-listener.js,
// bench/console.js): the script runs as a child process and its `RESULT {json}` line is the measurement. A
// script that cannot run here (kcat or chromium missing) is "not run", with its reason, not an error.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs `node bench/<name>.js` with `env` added; resolves with its RESULT object, or `{ notRun }` with the last
 * line of its stderr when it exits without one.
 * @param {string} name @param {Record<string, string>} env @param {number} [timeoutMs]
 * @returns {Promise<Record<string, any>>}
 */
export function runBenchScript(name, env, timeoutMs = 600_000) {
  const script = fileURLToPath(new URL(`../${name}.js`, import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out = (out + c).slice(-65_536)));
    child.stderr.setEncoding('utf8').on('data', (c) => (err = (err + c).slice(-4096)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').findLast((l) => l.startsWith('RESULT '));
      if (line !== undefined) {
        try {
          resolve({ notRun: null, ...JSON.parse(line.slice('RESULT '.length)) });
          return;
        } catch {
          // falls through: not a result
        }
      }
      const why = err.trim().split('\n').at(-1) ?? '';
      resolve({ notRun: `bench/${name}.js exited ${code}${why === '' ? '' : `: ${why}`}` });
    });
  });
}

/** Target 11: the Kafka listener, kcat against evq's own client on one broker. @param {{ kafkaMessages: number }} settings */
export async function measureKafkaListener(settings) {
  const r = await runBenchScript('kafka-listener', { EVQ_BENCH_MESSAGES: String(settings.kafkaMessages) });
  return { figures: { kafkaListener: r }, ...r };
}

/** Target 12: the console's first load and first page on a 1,000,000-message topic. @param {{ consoleMessages: number }} settings */
export async function measureConsole(settings) {
  const r = await runBenchScript('console', { EVQ_BENCH_MESSAGES: String(settings.consoleMessages) });
  return { figures: { console: r }, ...r };
}
