import { EvqError } from '../errors.js';

/** The action of a subcommand that a later release builds: a clear error, exit 1, never a stack trace. */
export function notYetAvailable(name: string): () => never {
  return () => {
    throw new EvqError('EVQ_ERR_NOT_IMPLEMENTED', `evq ${name} is not yet available in this version of evq`);
  };
}
