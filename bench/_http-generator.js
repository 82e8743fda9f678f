// The HTTP load generators of bench/generator.js, shared with bench/compare.js: `evq bench --transport http`
// (single-message POSTs, 10 connections x pipelining 10) and `autocannon -c 10 -p 10` against the same
// minimal node:http server (bench/_minimal-http-server.js), each as its own process, with the CPU time it
// spent (sampled from /proc, Linux).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processCpuMs } from './_bench-util.js';

const here = dirname(fileURLToPath(import.meta.url));
const EVQ = join(here, '..', 'bin', 'evq.js');
const MINIMAL_SERVER = join(here, '_minimal-http-server.js');

/** Every process started here and still running (killChildren() stops them: an interrupted benchmark). */
const children = new Set();

export function killChildren() {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

/** Runs a process to its end: stdout, stderr, exit code, and its CPU time (sampled from /proc). */
export function runProcess(command, args, { timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    children.add(child);
    let stdout = '';
    let stderr = '';
    let cpuMs = 0;
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr = (stderr + c).slice(-8192)));
    const sampler = setInterval(() => {
      const cpu = processCpuMs(child.pid);
      if (Number.isFinite(cpu)) cpuMs = cpu;
    }, 50);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearInterval(sampler);
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr, cpuMs });
    });
  });
}

/** Starts bench/_minimal-http-server.js; resolves with its `url`, `pid` and `stop()`. */
export async function startMinimalServer() {
  const child = spawn(process.execPath, [MINIMAL_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  const port = await new Promise((resolve, reject) => {
    child.once('exit', () => reject(new Error('the minimal server exited')));
    child.stdout.setEncoding('utf8').on('data', (c) => {
      const m = /listening on (\d+)/.exec(c);
      if (m) resolve(Number(m[1]));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('close', resolve);
        child.kill('SIGTERM');
        children.delete(child);
      }),
  };
}

/** `evq bench --transport http` for `seconds`: requests, requests/s, errors, CPU µs per request. */
export async function evqHttpRun(url, seconds) {
  const args = [
    EVQ,
    'bench',
    '--url',
    url,
    '--transport',
    'http',
    '--producers',
    '10',
    '--pipelining',
    '10',
    '--subscribers',
    '0',
    '--duration',
    `${seconds}s`,
    '--size',
    '100',
    '--json',
    '-',
  ];
  const r = await runProcess(process.execPath, args);
  if (r.code !== 0) throw new Error(`evq bench --transport http failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop()}`);
  const json = JSON.parse(r.stdout);
  const requests = json.publish.messages;
  return {
    requests,
    perSec: requests / (json.publish.durationMs / 1000),
    errors: json.errors.length,
    cpuUsPerReq: (r.cpuMs * 1000) / requests,
  };
}

/** `autocannon -c 10 -p 10 -m POST` (100-byte bodies) for `seconds`: the same figures. */
export async function autocannonRun(url, seconds) {
  const require = createRequire(import.meta.url);
  let bin;
  try {
    bin = join(dirname(require.resolve('autocannon/package.json')), 'autocannon.js');
  } catch {
    throw new Error('autocannon is not installed (it is a devDependency: npm install)');
  }
  const body = 'x'.repeat(100);
  const r = await runProcess(process.execPath, [
    bin,
    '-c',
    '10',
    '-p',
    '10',
    '-d',
    String(seconds),
    '-m',
    'POST',
    '-b',
    body,
    '-j',
    `${url}/topics/bench/messages`,
  ]);
  if (r.code !== 0) throw new Error(`autocannon failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop()}`);
  const json = JSON.parse(r.stdout);
  const requests = json.requests.total;
  return { requests, perSec: requests / json.duration, errors: json.errors + json.non2xx, cpuUsPerReq: (r.cpuMs * 1000) / requests };
}
