// The servers a benchmark script started: stopped together at its end, and also when it is interrupted
// (Ctrl-C, SIGTERM) or runs past its time limit, so that no broker or nats-server outlives the script.

/**
 * Installs SIGINT/SIGTERM handlers and a wall-clock limit (`maxWallSeconds`; `what` names the script in the
 * message) that stop every server and exit (130, 143, 1). Returns:
 * - `start(starter)`: awaits `starter()` (resolving with an object that has `stop(killAfterMs)`) and keeps it;
 * - `stopOne(server)`: stops one server now, so that it costs the machine nothing afterwards;
 * - `stopAll()`: calls `beforeStop()` (e.g. to kill load generators still running), stops every server kept
 *   (SIGKILL after `killAfterMs`), prints why any did not stop cleanly and resolves with whether all did.
 *   A call while one is under way gets the same promise.
 */
export function serverSet({ maxWallSeconds, what = 'the benchmark', beforeStop = () => {}, killAfterMs = 5000 }) {
  const servers = new Set();
  let stopping = null;
  function stopAll() {
    stopping ??= (async () => {
      beforeStop();
      const list = [...servers];
      servers.clear();
      const outcomes = await Promise.allSettled(list.map((s) => s.stop(killAfterMs)));
      for (const o of outcomes) if (o.status === 'rejected') console.log(`!! ${o.reason?.message ?? o.reason}`);
      return outcomes.every((o) => o.status === 'fulfilled');
    })().finally(() => {
      stopping = null;
    });
    return stopping;
  }
  async function start(starter) {
    const server = await starter();
    servers.add(server);
    return server;
  }
  async function stopOne(server) {
    servers.delete(server);
    await server.stop();
  }
  const abort = (code, why) => {
    console.log(`!! ${why}: stopping the servers`);
    void stopAll().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => abort(130, 'interrupted'));
  process.on('SIGTERM', () => abort(143, 'terminated'));
  setTimeout(() => abort(1, `${what} did not finish in ${maxWallSeconds} s`), maxWallSeconds * 1000).unref();
  return { start, stopOne, stopAll };
}
