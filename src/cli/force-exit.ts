import type { ExitCode } from '../errors.js';

/**
 * Ends the process at once: only for a second SIGINT/SIGTERM during a shutdown, when the user asked twice
 * not to wait. Every other exit code is set by main() (src/cli/main.ts) when the command returns or throws.
 * A module of its own so that signals.ts and run-serve.ts need not import the entry module (no cycle).
 */
export function forceExit(code: ExitCode): never {
  process.exit(code);
}
