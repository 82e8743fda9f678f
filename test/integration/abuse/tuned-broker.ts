import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BrokerOptions } from '../../../src/broker/server.js';
import { readRss } from '../../helpers/spawn-broker.js';

const SCRIPT = fileURLToPath(new URL('./broker-process.mjs', import.meta.url));

/** A broker in a child process (see broker-process.mjs), so its memory and descriptors are its own. */
export interface TunedBroker {
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  rssBytes(): number | null;
  /** Open file descriptors of the process (entries of /proc/<pid>/fd). */
  openFds(): number;
  /** Whether the process is still running. */
  running(): boolean;
  stderr(): string;
  /** Collects the garbage in the broker, then returns its memory figures (process.memoryUsage()). */
  memoryAfterGc(): Promise<NodeJS.MemoryUsage>;
  /** SIGTERM, and resolves with the exit code once it has exited (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

export async function startTunedBroker(options: BrokerOptions & { dataDir: string }): Promise<TunedBroker> {
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', SCRIPT, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the broker process printed no ready line in 20 s: ${stderr}`));
    }, 20_000);
    child.stdout!.on('data', () => {
      const match = /listening on (http:\/\/\S+) /.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      resolve(match[1] as string);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the broker process exited before it was ready: ${stderr}`));
    });
  });
  const pid = child.pid as number;
  return {
    pid,
    url,
    port: Number(new URL(url).port),
    rssBytes: () => readRss(pid),
    openFds: () => readdirSync(`/proc/${pid}/fd`).length,
    running: () => child.exitCode === null && child.signalCode === null,
    stderr: () => stderr,
    memoryAfterGc: () =>
      new Promise((resolve, reject) => {
        const seen = stdout.length;
        const timer = setTimeout(() => reject(new Error('the broker process did not report its memory in 10 s')), 10_000);
        const onData = (): void => {
          const match = /^memory (\{.*\})$/m.exec(stdout.slice(seen));
          if (match === null) return;
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve(JSON.parse(match[1] as string) as NodeJS.MemoryUsage);
        };
        child.stdout!.on('data', onData);
        child.kill('SIGUSR2');
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
