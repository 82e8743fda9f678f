import { startBroker } from '../broker/server.js';
import { formatSize } from '../core/sizes.js';
import type { CorruptionReport, RecoveryReport } from '../broker/storage/log.js';
import type { ServeFlags } from './commands/serve.js';
import type { Output } from './output.js';
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EXIT, EvqStorageError, EvqUsageError } from '../errors.js';
import { forceExit } from './force-exit.js';

/**
 * `evq serve`: starts the broker, says what recovery did, prints the URL once ready, and on SIGINT/SIGTERM
 * closes it cleanly (stop accepting, finish appends, fsync, close subscribers with 1001). The process exit
 * code is left to main.ts: 0 after a clean shutdown.
 */
export async function runServe(flags: ServeFlags, output: Output): Promise<void> {
  const started = startBroker({
    host: flags.host,
    port: flags.port,
    dataDir: flags.dataDir,
    memory: flags.memory === true,
    fsync: flags.fsync,
    token: flags.token,
    allowHosts: flags.allowHost,
    allowOrigins: flags.allowOrigin,
    maxMessageBytes: flags.maxMessageBytes,
    retentionBytes: flags.retentionBytes,
    retentionAgeMs: flags.retentionAgeMs,
    defaultPartitions: flags.defaultPartitions,
    maxConnections: flags.maxConnections,
    headersTimeoutMs: flags.headersTimeoutMs,
    kafkaPort: flags.kafkaPort,
    kafkaAdvertisedHost: flags.kafkaAdvertisedHost,
    ui: flags.ui !== false,
    uiReadOnly: flags.uiReadOnly === true,
  });
  const broker = await started.catch((err: unknown) => {
    throw flags.memory === true ? err : dataDirError(err, flags.dataDir);
  });
  for (const report of broker.recovery) reportRecovery(report, output);
  broker.onCorruption((report) => reportCorruption(report, output));
  const where = flags.memory ? 'in memory' : `data in ${flags.dataDir}, fsync ${flags.fsync}`;
  const stopped = new Promise<void>((resolve, reject) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        output.info(`${signal} again: exiting without waiting for the shutdown`);
        forceExit(EXIT.failure);
        return;
      }
      stopping = true;
      output.info(`${signal}: shutting down`);
      broker.close().then(() => {
        output.info('evq broker stopped');
        resolve();
      }, reject);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // the one line a script waits for (and parses, with --port 0): on stdout, once a SIGTERM is a clean stop
  const urls = broker.kafkaUrl === null ? broker.url : `${broker.url} and ${broker.kafkaUrl}`;
  output.data(`evq broker listening on ${urls} (${where})`);
  if (broker.consoleUrl !== null)
    output.info(`evq console: ${consoleLink(broker.consoleUrl, flags.token)}${flags.uiReadOnly ? ' (read-only)' : ''}`);
  await stopped;
}

/**
 * The console's address, with the token in the fragment when there is one: a fragment never reaches the
 * server (nor a proxy's logs); the console keeps it for the tab and takes it out of the address bar.
 */
export function consoleLink(url: string, token: string | undefined): string {
  return token === undefined || token === '' ? url : `${url}#token=${encodeURIComponent(token)}`;
}

/** The errno code of an error or of one in its cause chain (a storage error wraps the file system's). */
function errnoOf(err: unknown): { code: string; path: string | undefined } | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { code, path } = current as { code?: unknown; path?: unknown };
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && !code.startsWith('EVQ')) {
      return { code, path: typeof path === 'string' ? path : undefined };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The nearest existing ancestor of `dir` (itself included) that is not a directory, if any. */
function fileInTheWay(dir: string): string | undefined {
  for (let path = resolve(dir); ; path = dirname(path)) {
    try {
      return statSync(path).isDirectory() ? undefined : path;
    } catch {
      if (dirname(path) === path) return undefined;
    }
  }
}

/** A data directory that cannot be used, as one line that says why (instead of "unexpected failure: EEXIST"). */
export function dataDirError(err: unknown, dataDir: string): unknown {
  const errno = errnoOf(err);
  if (errno === undefined) return err;
  const where = errno.path ?? dataDir;
  const options = { cause: err };
  switch (errno.code) {
    case 'EEXIST':
    case 'ENOTDIR': {
      const file = fileInTheWay(dataDir) ?? where;
      return new EvqUsageError(
        'EVQ_ERR_INVALID_ARGUMENT',
        `--data-dir ${dataDir} is not a directory: ${file} is a file; point --data-dir at a directory`,
        options,
      );
    }
    case 'EACCES':
    case 'EPERM':
      return new EvqStorageError(
        'EVQ_ERR_STORAGE',
        `cannot write in --data-dir ${dataDir}: permission denied on ${where}; use a directory this user can write (or fix its permissions)`,
        options,
      );
    case 'EROFS':
      return new EvqStorageError(
        'EVQ_ERR_STORAGE',
        `cannot write in --data-dir ${dataDir}: ${where} is on a read-only file system; pick a writable --data-dir (or --memory)`,
        options,
      );
    case 'ENOSPC':
      return new EvqStorageError('EVQ_ERR_STORAGE', `cannot write in --data-dir ${dataDir}: the disk is full (${where})`, options);
    case 'ENOENT':
      return new EvqStorageError(
        'EVQ_ERR_STORAGE',
        `cannot use --data-dir ${dataDir}: ${where} does not exist and could not be created (was it removed while evq started?)`,
        options,
      );
    default:
      return err;
  }
}

function reportRecovery(report: RecoveryReport, output: Output): void {
  for (const t of report.truncations) {
    const offsets =
      t.lastOffsetDropped === null
        ? `any records from offset ${t.firstOffsetDropped} on were dropped`
        : `offsets ${t.firstOffsetDropped}..${t.lastOffsetDropped} were dropped`;
    output.info(
      `recovery: topic "${t.topic}": cut a torn tail of ${formatSize(t.bytesDropped)} at byte ${t.position} of ${t.file} (${offsets}: ${t.reason})`,
    );
  }
  for (const c of report.corruptions) reportCorruption(c, output);
  for (const file of report.rebuiltIndexes) output.info(`recovery: rebuilt index ${file}`);
}

function reportCorruption(c: CorruptionReport, output: Output): void {
  output.error(
    `topic "${c.topic}": damaged data in ${c.file} at byte ${c.position}, offsets ${c.fromOffset}..${c.toOffset} cannot be read (${c.reason})`,
  );
}
