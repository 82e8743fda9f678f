/**
 * A real `nats-server -js` for the tests that speak NATS JetStream (`nats://`): each one on a loopback port
 * that nats-server picks itself (`-p -1`, read back from its log, so no other process can take the port
 * between choosing and binding it), with its store in a new temp dir.
 *
 * Without nats-server the tests that need it fail under CI (`CI` set: `.ci/run` installs it with
 * `apt-get install -y nats-server`) and are skipped, with a message, elsewhere: {@link describeNats} does
 * both. Call `stop()` (or {@link stopNatsServers} in `afterAll`) so no server outlives its test file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';

/** True when a `nats-server` binary runs here. */
export const hasNatsServer = spawnSync('nats-server', ['--version'], { stdio: 'ignore' }).status === 0;

/** Under CI a missing nats-server is a failure, elsewhere a skip. */
export const natsServerRequired = process.env.CI !== undefined;

const INSTALL_HINT = 'apt-get install -y nats-server';

/**
 * `describe(name, body)` for tests that need nats-server: skipped with a warning when it is missing (outside
 * CI); under CI a missing nats-server is reported as a failed test (not only a failed hook).
 */
export function describeNats(name: string, body: () => void): void {
  if (!hasNatsServer) {
    if (natsServerRequired) {
      describe(`${name} under CI`, () => {
        it('needs nats-server', () => {
          throw new Error(`nats-server is required under CI: ${INSTALL_HINT} (.ci/run installs it)`);
        });
      });
    } else {
      console.warn(`nats-server is not installed: skipping "${name}" (${INSTALL_HINT})`);
    }
  }
  describe.skipIf(!hasNatsServer)(name, body);
}

export interface NatsServer {
  /** `nats://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** The JetStream store directory (removed by `stop()`). */
  readonly dir: string;
  readonly pid: number;
  /** Everything the server logged so far. */
  output(): string;
  /** Stops the server (SIGTERM, SIGKILL past 10 s), waits for it to exit and removes its directory. */
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  /** Deadline for "Server is ready" (default 20 s: the machine is shared). */
  readyTimeoutMs?: number;
  /** Extra nats-server flags. */
  args?: string[];
}

const LISTENING = /Listening for client connections on 127\.0\.0\.1:(\d+)/;
const READY = /Server is ready/;
/** The log kept for error messages: its last 64 k characters. */
const MAX_OUTPUT_CHARS = 65_536;
const live = new Set<NatsServer>();

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `nats-server -js` on 127.0.0.1 with a free port and a temp store dir; resolves once it is ready. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'evq-nats-'));
  const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', '-1', '-sd', dir, ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = exitOf(child);
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`nats-server was not ready within ${readyTimeoutMs} ms:\n${output}`)), readyTimeoutMs);
      const onData = (chunk: string): void => {
        output = (output + chunk).slice(-MAX_OUTPUT_CHARS);
        const listening = LISTENING.exec(output);
        if (listening !== null && READY.test(output)) done(undefined, Number(listening[1]));
      };
      const onExit = (code: number | null): void =>
        done(new Error(`nats-server exited with ${String(code)} before it was ready:\n${output}`));
      const onError = (error: Error): void => done(new Error(`cannot start nats-server (${INSTALL_HINT}): ${error.message}`));
      const done = (error: Error | undefined, value?: number): void => {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('error', onError);
        if (error !== undefined) reject(error);
        else resolve(value as number);
      };
      child.stdout!.setEncoding('utf8').on('data', onData);
      child.stderr!.setEncoding('utf8').on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    dir,
    pid: child.pid as number,
    output: () => output,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(killer);
        }
        await rm(dir, { recursive: true, force: true });
        live.delete(server);
      })()),
  };
  live.add(server);
  return server;
}

/** Stops every server started here that still runs. */
export async function stopNatsServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop()));
}
