// Small helpers shared by the benchmarks (not a benchmark itself: bench/run.js skips files starting with _).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

/** The value at quantile q (0..1) of an ascending array (nearest rank); NaN when empty. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return quantile(sorted, 0.5);
}

/** Rounds to `digits` decimals (for RESULT lines). */
export const round = (x, digits = 0) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

/** 1234567 -> "1,234,567". */
export const fmt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `node <args>` as a separate process and resolves once a line of its stdout matches `ready`, with
 * the match, the child, and `stop()` (SIGTERM, then SIGKILL after `killAfterMs`; resolves on exit).
 * Rejects when the process exits or `timeoutMs` passes before it is ready. Its stderr is kept (the last
 * 4 KiB) for error messages; set `inheritStderr` to see it live. {@link spawnReady} for node.
 * @param {string[]} args
 * @param {{ ready?: RegExp, timeoutMs?: number, env?: NodeJS.ProcessEnv, nodeArgs?: string[], inheritStderr?: boolean }} options
 */
export async function spawnNode(args, { ready, timeoutMs = 15_000, env = process.env, nodeArgs = [], inheritStderr = false } = {}) {
  const { output, ...started } = await spawnReady(process.execPath, [...nodeArgs, ...args], {
    ready,
    timeoutMs,
    env,
    inheritStderr,
    keepWatched: false,
  });
  return { ...started, stderr: output };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux); NaN elsewhere. */
export function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] and [12] are utime and stime (fields 14 and 15 of stat(5)), in clock ticks (100 Hz)
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

/** This process's CPU time so far, in ms. */
export function ownCpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Starts `command args` and resolves once a line of its stdout (or, with `readyOn: 'stderr'`, its stderr:
 * nats-server logs there) matches `ready`, with the match, the child, `stop()` (SIGTERM, then SIGKILL after
 * `killAfterMs`; resolves on exit), `exited` and `output()` (the last 4 KiB of the stream not watched, and of
 * the watched one unless `keepWatched` is false, for error messages). `inheritStderr` (with readyOn 'stdout')
 * passes the child's stderr through to ours instead of keeping it.
 * Rejects when the process cannot start, exits, or `timeoutMs` passes before it is ready.
 * @param {string} command
 * @param {string[]} args
 * @param {{ ready?: RegExp, readyOn?: 'stdout' | 'stderr', timeoutMs?: number, env?: NodeJS.ProcessEnv, inheritStderr?: boolean, keepWatched?: boolean }} options
 */
export function spawnReady(
  command,
  args,
  { ready, readyOn = 'stdout', timeoutMs = 15_000, env = process.env, inheritStderr = false, keepWatched = true } = {},
) {
  const inherit = inheritStderr && readyOn === 'stdout';
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', inherit ? 'inherit' : 'pipe'] });
  let kept = '';
  const keep = (chunk) => {
    kept = (kept + chunk).slice(-4096);
  };
  const watched = readyOn === 'stderr' ? child.stderr : child.stdout;
  const other = readyOn === 'stderr' ? child.stdout : child.stderr;
  other?.setEncoding('utf8');
  other?.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stop = async (killAfterMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };
  return new Promise((resolve, reject) => {
    let buffered = '';
    let done = false;
    const fail = (why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')}: ${why}${kept ? `\n${kept.trim()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before it was ready`));
    watched.setEncoding('utf8');
    watched.on('data', (chunk) => {
      if (done) return;
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const match = ready.exec(line);
        if (match) {
          done = true;
          clearTimeout(timer);
          // this listener goes on draining the watched stream, so a chatty server never blocks on a full pipe
          if (keepWatched) watched.on('data', keep);
          resolve({ child, match, stop, exited, output: () => kept });
          return;
        }
        if (keepWatched) keep(`${line}\n`);
      }
    });
  });
}

/** The load averages (1, 5, 15 min) and the core count, to say how busy the machine was during a benchmark. */
export function machineLoad() {
  const [one, five, fifteen] = loadavg();
  return { one: round(one, 2), five: round(five, 2), fifteen: round(fifteen, 2), cores: availableParallelism() };
}
