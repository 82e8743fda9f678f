// A broker in its own process, started with options that `evq serve` has no flags for (a short headers
// timeout, a small connection limit), so a test can measure its RSS and file descriptors from outside.
// Usage: node broker-process.mjs '<BrokerOptions as JSON>'. Runs dist/: `npm run build` first.
// Prints the same ready line as `evq serve`; SIGTERM closes the broker and exits 0.
import { startBroker } from '../../../dist/broker/server.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const broker = await startBroker({ host: '127.0.0.1', port: 0, ...options });
process.stdout.write(`evq broker listening on ${broker.url} (test process)\n`);
const stop = () => {
  broker.close().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`close failed: ${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
};
// SIGUSR2: a full garbage collection (the process runs with --expose-gc), then one line with the memory
// figures, so a test can tell memory still held from garbage not yet collected
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
  process.stdout.write(`memory ${JSON.stringify(process.memoryUsage())}\n`);
});
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
