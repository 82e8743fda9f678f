/**
 * Runs kcat (Debian's kcat 1.7, librdkafka 2.0) against a broker's Kafka listener, for the integration and
 * end-to-end tests of `--kafka-port`: stdin piped from a string or Buffer, stdout kept as bytes, stderr as
 * text, every run bounded by a timeout. Every process started here is remembered until it has exited: call
 * {@link killKcat} in `afterEach`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Whether kcat is installed (the tests that need it are skipped without it). */
export const hasKcat = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;

export interface KcatResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  /** stdout as UTF-8 text. */
  out: string;
  err: string;
  timedOut: boolean;
}

export interface KcatProcess {
  readonly child: ChildProcess;
  out(): string;
  err(): string;
  /** Resolves once stderr satisfies `test`; rejects past `ms` or when kcat exits first. */
  waitForErr(test: (err: string) => boolean, ms?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  readonly done: Promise<KcatResult>;
}

const live = new Set<ChildProcess>();

/** `host:port` of a `kafka://host:port` URL, as kcat's `-b` takes it. */
export function bootstrap(kafkaUrl: string | null): string {
  if (kafkaUrl === null) throw new Error('the broker has no Kafka listener (start it with kafkaPort)');
  return kafkaUrl.replace(/^kafka:\/\//, '');
}

/** Starts `kcat -b BROKER ARGS` and returns at once. */
export function startKcat(broker: string, args: string[], options: { stdin?: string | Buffer; timeoutMs?: number } = {}): KcatProcess {
  const child = spawn('kcat', ['-b', broker, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const chunks: Buffer[] = [];
  let errText = '';
  const watchers = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    errText += chunk;
    for (const w of watchers) w();
  });
  child.stdin!.on('error', () => undefined);
  if (options.stdin === undefined) child.stdin!.end();
  else child.stdin!.end(options.stdin);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 20_000);
  const out = (): string => Buffer.concat(chunks).toString('utf8');
  let exited = false;
  const done = new Promise<KcatResult>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      live.delete(child);
      exited = true;
      for (const w of watchers) w();
      const stdout = Buffer.concat(chunks);
      resolve({ code, signal, stdout, out: stdout.toString('utf8'), err: errText, timedOut });
    };
    child.once('close', finish);
    child.once('error', () => finish(null, null));
  });
  return {
    child,
    out,
    err: () => errText,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
    done,
    waitForErr: (test, ms = 15_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (test(errText)) {
            cleanup();
            resolve();
          } else if (exited) {
            cleanup();
            reject(new Error(`kcat ${args.join(' ')} exited before its stderr matched; stderr: ${errText.slice(-500)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`kcat ${args.join(' ')}: stderr did not match within ${ms} ms; stderr: ${errText.slice(-500)}`));
        }, ms);
        const cleanup = (): void => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      }),
  };
}

/** Runs `kcat -b BROKER ARGS` to its end (SIGKILLed past the timeout). */
export function runKcat(
  broker: string,
  args: string[],
  options: { stdin?: string | Buffer; timeoutMs?: number } = {},
): Promise<KcatResult> {
  return startKcat(broker, args, options).done;
}

/** SIGKILLs every kcat started here that still runs, and waits for each. */
export async function killKcat(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}
