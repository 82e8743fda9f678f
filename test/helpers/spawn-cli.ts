/**
 * Runs `bin/evq.js` as a user would (`node bin/evq.js produce …`), for the end-to-end tests of the client
 * commands: stdin piped from a string, a Buffer or another stream; stdout kept as bytes (to compare byte for
 * byte), stderr as text; every run bounded by a timeout. The CLI runs from `dist/`: `npm run build` first.
 *
 * Every process started here is remembered until it has exited: call {@link killCli} in `afterEach`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const EVQ_BIN = fileURLToPath(new URL('../../bin/evq.js', import.meta.url));

export interface CliResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  /** stdout as UTF-8 text. */
  out: string;
  /** stderr as text. */
  err: string;
  /** Wall time from spawn to exit. */
  ms: number;
  /** True when the timeout killed it. */
  timedOut: boolean;
}

export interface CliOptions {
  /** The broker: sets EVQ_URL (unset otherwise, as EVQ_TOKEN unless given in `env`). */
  url?: string;
  /** Piped to stdin, which is then closed. Without it stdin is empty (closed at once). */
  stdin?: string | Buffer | Readable;
  env?: Record<string, string>;
  /** Kill it (SIGKILL) past this many ms. Default 20,000. */
  timeoutMs?: number;
}

export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): Buffer;
  out(): string;
  err(): string;
  /** Resolves once stdout (as text) satisfies `test`; rejects past `ms` or when the process exits first. */
  waitForOut(test: RegExp | ((out: string) => boolean), ms?: number): Promise<void>;
  /** Resolves once stderr satisfies `test`; rejects past `ms` or when the process exits first. */
  waitForErr(test: RegExp | ((err: string) => boolean), ms?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when it has exited and its output has been read to the end (never rejects). */
  readonly done: Promise<CliResult>;
}

const live = new Set<ChildProcess>();

function cliEnv(options: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.EVQ_URL;
  delete env.EVQ_TOKEN;
  delete env.FORCE_COLOR;
  if (options.url !== undefined) env.EVQ_URL = options.url;
  return { ...env, ...options.env };
}

/** Starts `evq ARGS` and returns at once; see {@link runCli} for commands expected to end by themselves. */
export function startCli(args: string[], options: CliOptions = {}): CliProcess {
  const started = performance.now();
  const child = spawn(process.execPath, [EVQ_BIN, ...args], { env: cliEnv(options), stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const chunks: Buffer[] = [];
  let outText: string | undefined;
  let errText = '';
  const watchers = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    outText = undefined;
    for (const w of watchers) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    errText += chunk;
    for (const w of watchers) w();
  });
  const stdout = (): Buffer => Buffer.concat(chunks);
  const out = (): string => (outText ??= stdout().toString('utf8'));

  const stdin = child.stdin!;
  stdin.on('error', () => undefined); // a command that exits before reading all of stdin: EPIPE is expected
  const input = options.stdin;
  if (input === undefined) stdin.end();
  else if (typeof input === 'string' || Buffer.isBuffer(input)) stdin.end(input);
  else input.pipe(stdin);

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 20_000);
  const done = new Promise<CliResult>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      live.delete(child);
      for (const w of watchers) w();
      resolve({ code, signal, stdout: stdout(), out: out(), err: errText, ms: performance.now() - started, timedOut });
    };
    child.once('close', finish);
    child.once('error', () => finish(null, null));
  });
  let exited = false;
  void done.then(() => (exited = true));
  const waitForText = (text: () => string, name: string, test: RegExp | ((text: string) => boolean), ms = 15_000): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const ok = (): boolean => (typeof test === 'function' ? test(text()) : test.test(text()));
      const check = (): void => {
        if (ok()) {
          cleanup();
          resolve();
        } else if (exited || child.exitCode !== null) {
          cleanup();
          reject(new Error(`evq ${args.join(' ')} exited before its ${name} matched; stdout: ${out().slice(-500)} stderr: ${errText}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`evq ${args.join(' ')}: ${name} did not match within ${ms} ms; stdout: ${out().slice(-500)} stderr: ${errText}`));
      }, ms);
      const cleanup = (): void => {
        clearTimeout(timer);
        watchers.delete(check);
      };
      watchers.add(check);
      check();
    });

  return {
    child,
    pid: child.pid as number,
    stdout,
    out,
    err: () => errText,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
    done,
    waitForOut: (test, ms) => waitForText(out, 'stdout', test, ms),
    waitForErr: (test, ms) => waitForText(() => errText, 'stderr', test, ms),
  };
}

/** Runs `evq ARGS` to its end (SIGKILLed past the timeout). */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** SIGKILLs every process started here that still runs, and waits for them. */
export async function killCli(): Promise<void> {
  const running = [...live];
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** Lines of text output, without the empty string after the last newline. */
export function lines(text: string): string[] {
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
}
