import type { ExitCode } from '../errors.js';
import { forceExit } from './force-exit.js';

/**
 * SIGINT and SIGTERM while a command runs: the first calls `stop` (finish cleanly: what was acknowledged is
 * reported), a second exits at once with `secondExit`. Returns the function that removes the handlers.
 */
export function onInterrupt(stop: () => void, secondExit: ExitCode): () => void {
  let interrupts = 0;
  const handler = (): void => {
    if (++interrupts > 1) forceExit(secondExit);
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
