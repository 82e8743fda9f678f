/**
 * The worker thread of `evq bench --embedded`: the broker, on its own event loop, so that it does not share
 * one with the load generator. Told `close` by its parent, it shuts the broker down and says `closed`.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { startBroker, type BrokerOptions } from '../broker/server.js';

const port = parentPort;
if (port === null) throw new Error('bench-broker-worker runs in a worker thread');

try {
  const broker = await startBroker(workerData as BrokerOptions);
  port.on('message', (message: unknown) => {
    if (message !== 'close') return;
    broker.close().then(
      () => port.postMessage({ closed: true }),
      (error: unknown) => port.postMessage({ closed: true, error: String((error as Error)?.message ?? error) }),
    );
  });
  port.postMessage({ url: broker.url });
} catch (error) {
  const e = error as { code?: unknown; message?: unknown };
  port.postMessage({ error: { code: e?.code, message: String(e?.message ?? error) } });
}
