/**
 * Spawns `bin/evq.js` as a user would (`node bin/evq.js serve …`), for the end-to-end tests. The broker runs
 * from `dist/`: run `npm run build` first.
 *
 * Every process started here is remembered until it has exited; call {@link killSpawned} in `afterEach` so
 * a failing test never leaves a broker behind, and {@link removeTempDirs} to delete the data directories
 * made by {@link makeTempDir}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EVQ_BIN = fileURLToPath(new URL('../../bin/evq.js', import.meta.url));

// `evq broker listening on http://H:P (…)`, or `… on http://H:P and kafka://H:P (…)` with --kafka-port
const READY_LINE = /^evq broker listening on (http:\/\/\S+)(?: and (kafka:\/\/\S+))? \(/m;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedBroker {
  readonly pid: number;
  /** `http://127.0.0.1:PORT`, parsed from the ready line. */
  readonly url: string;
  readonly port: number;
  /** `kafka://127.0.0.1:PORT` from the ready line when started with `--kafka-port`, else null. */
  readonly kafkaUrl: string | null;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Sends a signal (SIGKILL, SIGTERM, SIGINT…). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<Exit>;
  /** The process's resident set (VmRSS of /proc/<pid>/status) in bytes; `null` once it has gone. */
  rssBytes(): number | null;
}

export interface SpawnOptions {
  /** Extra flags after `serve --port 0 --data-dir DIR` (a later `--port` wins). */
  args?: string[];
  /** Environment on top of the test's (without EVQ_TOKEN / EVQ_URL, which would change what is tested). */
  env?: Record<string, string>;
  /** Deadline for the ready line (default 20 s: the machine is shared). */
  readyTimeoutMs?: number;
}

interface Tracked {
  child: ChildProcess;
  exited: Promise<Exit>;
}

const live = new Set<Tracked>();
const tempDirs: string[] = [];

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  if (extra.EVQ_TOKEN === undefined) delete env.EVQ_TOKEN;
  if (extra.EVQ_URL === undefined) delete env.EVQ_URL;
  delete env.FORCE_COLOR;
  return env;
}

/** Starts `evq` with `args` and tracks it; output is collected as it comes. */
function start(args: string[], env?: Record<string, string>): { tracked: Tracked; out: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [EVQ_BIN, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out.stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out.stderr += chunk));
  const exited = new Promise<Exit>((resolve) => {
    // 'close': the process has exited and its output has been read to the end
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  const tracked: Tracked = { child, exited };
  live.add(tracked);
  void exited.then(() => live.delete(tracked));
  return { tracked, out };
}

/**
 * Spawns `evq serve --port 0 --data-dir DIR …` on 127.0.0.1 and resolves once it printed its ready line.
 * Rejects (with what it wrote on stderr) when it exits first or misses the deadline.
 */
export async function spawnBroker(dataDir: string, options: SpawnOptions = {}): Promise<SpawnedBroker> {
  const { tracked, out } = start(['serve', '--port', '0', '--data-dir', dataDir, ...(options.args ?? [])], options.env);
  const { child, exited } = tracked;
  const [url, kafkaUrl] = await new Promise<[string, string | null]>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`evq serve printed no ready line within ${options.readyTimeoutMs ?? 20_000} ms; stderr: ${out.stderr}`));
    }, options.readyTimeoutMs ?? 20_000);
    const onData = (): void => {
      const match = READY_LINE.exec(out.stdout);
      if (match === null) return;
      cleanup();
      resolve([match[1] as string, match[2] ?? null]);
    };
    const onExit = (): void => {
      cleanup();
      reject(new Error(`evq serve exited before it was ready; stdout: ${out.stdout} stderr: ${out.stderr}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
    };
    // registered after the collecting listener, so out.stdout already holds the chunk
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
  const pid = child.pid as number;
  return {
    pid,
    url,
    port: Number(new URL(url).port),
    kafkaUrl,
    dataDir,
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    kill: (signal) => void child.kill(signal),
    exited,
    rssBytes: () => readRss(pid),
  };
}

/** Runs `evq ARGS` to its end (killed past `timeoutMs`), for commands expected to exit by themselves. */
export async function runEvq(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const { tracked, out } = start(args, options.env);
  const timer = setTimeout(() => tracked.child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const exit = await tracked.exited;
  clearTimeout(timer);
  return { ...exit, stdout: out.stdout, stderr: out.stderr };
}

/** VmRSS of a process in bytes, or `null` when it has gone. */
export function readRss(pid: number): number | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match === null ? null : Number(match[1]) * 1024;
}

/** SIGKILLs every process spawned here that is still running and waits for each to exit. */
export async function killSpawned(): Promise<void> {
  const running = [...live];
  for (const { child } of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await Promise.all(running.map((t) => t.exited));
}

/** A new empty directory under the system's temp dir, removed by {@link removeTempDirs}. */
export async function makeTempDir(prefix = 'evq-e2e-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence, so a failure reproduces. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a randomised test: `EVQ_E2E_SEED` when set (to replay a failure), else a new one. */
export function testSeed(): number {
  const fromEnv = process.env.EVQ_E2E_SEED;
  if (fromEnv !== undefined && fromEnv !== '') return Number(fromEnv) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}
