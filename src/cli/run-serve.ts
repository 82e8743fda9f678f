import { startBroker } from '../broker/server.js';
import { formatSize } from '../core/sizes.js';
import type { CorruptionReport, RecoveryReport } from '../broker/storage/log.js';
import type { ServeFlags } from './commands/serve.js';
import type { Output } from './output.js';
import { EXIT } from '../errors.js';
import { forceExit } from './force-exit.js';

/**
 * `evq serve`: starts the broker, says what recovery did, prints the URL once ready, and on SIGINT/SIGTERM
 * closes it cleanly (stop accepting, finish appends, fsync, close subscribers with 1001). The process exit
 * code is left to main.ts: 0 after a clean shutdown.
 */
export async function runServe(flags: ServeFlags, output: Output): Promise<void> {
  const broker = await startBroker({
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
    maxConnections: flags.maxConnections,
    headersTimeoutMs: flags.headersTimeoutMs,
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
  output.data(`evq broker listening on ${broker.url} (${where})`);
  await stopped;
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
