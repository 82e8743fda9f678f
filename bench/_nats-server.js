// nats-server for the benchmarks: finds the binary (installing Debian's package the way .ci/run does when it
// is missing, we are root and apt-get is there) and starts `nats-server -js` on a free loopback port with a
// temporary store directory, removed by stop().
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { spawnReady } from './_bench-util.js';

const INSTALL_HINT =
  'install it with `apt-get install -y nats-server` (Debian/Ubuntu) or from https://github.com/nats-io/nats-server/releases';
/** Where Debian and a manual install put it, looked at also when they are not on PATH. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/bin', '/usr/bin'];

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function lookUp(name) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  return dirs.map((dir) => join(dir, name)).find(isExecutable) ?? null;
}

/**
 * The path of nats-server (`EVQ_BENCH_NATS_SERVER` when set). When it is not found, installs it with apt-get
 * if `install` and this process runs as root with apt-get available (printing what it does on `log`);
 * otherwise throws an error that says how to install it.
 */
export function findNatsServer({ install = true, log = console.log } = {}) {
  const explicit = process.env.EVQ_BENCH_NATS_SERVER;
  if (explicit !== undefined && explicit !== '') {
    if (isExecutable(explicit)) return explicit;
    throw new Error(`EVQ_BENCH_NATS_SERVER=${explicit} is not an executable file; ${INSTALL_HINT}`);
  }
  const found = lookUp('nats-server');
  if (found !== null) return found;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = lookUp('apt-get');
  if (!install || !root || apt === null) {
    throw new Error(
      `nats-server is not installed; ${INSTALL_HINT}${!root && apt !== null ? ' (as root: this script installs it itself)' : ''}`,
    );
  }
  log('nats-server is missing: installing it (apt-get install -y nats-server), as .ci/run does');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', 'nats-server'],
  ]) {
    const r = spawnSync(apt, args, { env, stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 });
    if (r.status !== 0)
      throw new Error(`apt-get ${args.join(' ')} failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`}); ${INSTALL_HINT}`);
  }
  const installed = lookUp('nats-server');
  if (installed === null) throw new Error(`apt-get installed nats-server but it is not on PATH nor in ${EXTRA_DIRS.join(', ')}`);
  return installed;
}

/**
 * Starts `nats-server -js` (file storage in a fresh temporary directory) on 127.0.0.1 and a port the
 * server picks itself (`-p -1`), and resolves once it accepts clients, with its `url` (nats://…), `pid`,
 * `version`, `storeDir` and `stop()` (SIGTERM, then the store directory is removed).
 */
export async function startNatsServer(binary, { timeoutMs = 15_000 } = {}) {
  const storeDir = mkdtempSync(join(tmpdir(), 'evq-bench-nats-'));
  let server;
  try {
    server = await spawnReady(binary, ['-js', '-a', '127.0.0.1', '-p', '-1', '-sd', storeDir], {
      ready: /Listening for client connections on (127\.0\.0\.1:\d+)/,
      readyOn: 'stderr',
      timeoutMs,
    });
  } catch (error) {
    rmSync(storeDir, { recursive: true, force: true });
    throw error;
  }
  const version = /Version:\s+(\S+)/.exec(server.output())?.[1] ?? 'unknown';
  let stopping;
  return {
    url: `nats://${server.match[1]}`,
    pid: server.child.pid,
    version,
    storeDir,
    stop(killAfterMs) {
      stopping ??= server.stop(killAfterMs).finally(() => rmSync(storeDir, { recursive: true, force: true }));
      return stopping;
    },
  };
}
