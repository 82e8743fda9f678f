import type { Server as NetServer } from 'node:net';
import { EvqError, EvqUsageError } from '../errors.js';

/**
 * Starts `server` listening on `host:port` and resolves once it is; the errors a user can act on become
 * one-line EvqErrors naming the flag to change (`--port`, `--kafka-port`).
 */
export function listen(server: NetServer, host: string, port: number, flag = '--port', what = 'port'): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE')
        reject(
          new EvqError(
            'EVQ_ERR_UNAVAILABLE',
            `${what} ${port} on ${host} is already in use: stop the other process or pick another ${flag}`,
            {
              cause: err,
            },
          ),
        );
      else if (err.code === 'EACCES')
        reject(new EvqError('EVQ_ERR_UNAVAILABLE', `not allowed to listen on ${host}:${port}: pick a ${flag} above 1023`, { cause: err }));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
        reject(new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `cannot listen on ${host}: no such address on this machine`, { cause: err }));
      else reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolvePromise();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
