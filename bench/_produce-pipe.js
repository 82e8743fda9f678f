// `evq produce` from a pipe, as bench/produce-pipe.js and bench/compare.js run it: its stdin a pipe this
// process writes into (a file, or generated lines), the rate over the wall time from spawn to exit (Node's
// start-up included), and its peak RSS: the VmHWM of /proc/PID/status (Linux), polled every 20 ms, the last
// value read before the exit.
import { spawn } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const EVQ = fileURLToPath(new URL('../bin/evq.js', import.meta.url));

/** A field of /proc/PID/status in bytes (VmHWM: peak RSS, VmRSS: RSS now); 0 when it cannot be read. */
export function procStatusBytes(pid, field = 'VmHWM') {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

export const vmHwm = (pid) => procStatusBytes(pid, 'VmHWM');

/**
 * A stream of `count` lines of `lineBytes` bytes (newline included), generated as it is read: a block of
 * 10,000 distinct lines written again and again (so that writing 10,000,000 lines costs this process little).
 */
export function generatedLines(count, lineBytes = 101) {
  const per = Math.min(count, 10_000);
  let block = '';
  for (let i = 0; i < per; i++) {
    const head = `{"n":${i},"note":"`;
    block += `${head}${'x'.repeat(Math.max(0, lineBytes - 1 - head.length - 2))}"}\n`;
  }
  const buffer = Buffer.from(block);
  return Readable.from(
    (function* lines() {
      let left = count;
      while (left >= per) {
        yield buffer;
        left -= per;
      }
      if (left > 0) {
        let end = 0;
        for (let i = 0; i < left; i++) end = buffer.indexOf(10, end) + 1;
        yield buffer.subarray(0, end);
      }
    })(),
    { objectMode: false },
  );
}

/**
 * Runs `evq produce TOPIC --url URL ARGS` with `input` (a file path, or a Readable) piped into its stdin.
 * Resolves with `ms` (wall time), `peak` (VmHWM bytes) and its `summary` (stderr); rejects unless it exits 0.
 */
export function produceFromPipe(url, topic, input, args = [], { timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [EVQ, 'produce', topic, '--url', url, ...args], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, vmHwm(child.pid))), 20);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr = (stderr + c).slice(-8192)));
    const source = typeof input === 'string' ? createReadStream(input, { highWaterMark: 64 * 1024 }) : input;
    source.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      source.destroy();
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`evq produce exited ${signal ?? code}: ${stderr.trim()}`));
      else resolve({ ms, peak, summary: stderr.trim() });
    });
  });
}
