/**
 * `evq bench --embedded`: a broker for the run, on 127.0.0.1 and a free port, in memory or in a temporary
 * data directory (removed afterwards). It runs in a worker thread of its own, so the broker and the load
 * generator each have an event loop (and a core) — except when evq runs from its TypeScript sources (tests),
 * where there is no compiled worker to start and the broker runs in this thread.
 */

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BrokerOptions } from '../broker/server.js';
import { EvqError, isEvqErrorCode } from '../errors.js';

export interface EmbeddedBroker {
  readonly url: string;
  /** Where its data is (null in memory). */
  readonly dataDir: string | null;
  /** Whether it runs in a worker thread of its own. */
  readonly ownThread: boolean;
  close(): Promise<void>;
}

const WORKER_URL = new URL('./bench-broker-worker.js', import.meta.url);

export async function startEmbeddedBroker(options: { memory: boolean; fsync: 'always' | 'interval' | 'never' }): Promise<EmbeddedBroker> {
  const dataDir = options.memory ? null : await mkdtemp(join(tmpdir(), 'evq-bench-'));
  const brokerOptions: BrokerOptions = {
    host: '127.0.0.1',
    port: 0,
    memory: options.memory,
    fsync: options.fsync,
    ...(dataDir === null ? {} : { dataDir }),
  };
  const removeDir = async (): Promise<void> => {
    if (dataDir !== null) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    if (!existsSync(fileURLToPath(WORKER_URL))) {
      const { startBroker } = await import('../broker/server.js');
      const broker = await startBroker(brokerOptions);
      return {
        url: broker.url,
        dataDir,
        ownThread: false,
        close: async () => {
          await broker.close();
          await removeDir();
        },
      };
    }
    return await inWorker(brokerOptions, dataDir, removeDir);
  } catch (error) {
    await removeDir();
    throw error;
  }
}

function inWorker(brokerOptions: BrokerOptions, dataDir: string | null, removeDir: () => Promise<void>): Promise<EmbeddedBroker> {
  const worker = new Worker(WORKER_URL, { workerData: brokerOptions });
  return new Promise<EmbeddedBroker>((resolve, reject) => {
    const failed = (error: Error): void =>
      reject(new EvqError('EVQ_ERR_INTERNAL', `the embedded broker did not start: ${error.message}`, { cause: error }));
    worker.once('error', failed);
    worker.once('exit', (code) => failed(new Error(`its thread exited (code ${code})`)));
    worker.once('message', (message: { url?: string; error?: { code?: unknown; message: string } }) => {
      worker.removeAllListeners('exit');
      worker.removeAllListeners('error');
      if (message.error !== undefined) {
        const code = message.error.code;
        void worker.terminate();
        reject(
          new EvqError(isEvqErrorCode(code) ? code : 'EVQ_ERR_INTERNAL', `the embedded broker did not start: ${message.error.message}`),
        );
        return;
      }
      worker.on('error', () => undefined);
      let closing: Promise<void> | undefined;
      resolve({
        url: message.url as string,
        dataDir,
        ownThread: true,
        close: () =>
          (closing ??= (async () => {
            await new Promise<void>((done) => {
              const timer = setTimeout(done, 10_000);
              worker.once('message', () => {
                clearTimeout(timer);
                done();
              });
              worker.once('exit', () => {
                clearTimeout(timer);
                done();
              });
              worker.postMessage('close');
            });
            await worker.terminate();
            await removeDir();
          })()),
      });
    });
  });
}
