/**
 * The entry point of a worker thread (`--workers K`): one {@link BenchNode} driven by the coordinator's
 * messages (`{ id, op, arg }` in, `{ id, ok, value | error }` out). Histograms leave the thread encoded.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { LatencyHistogram } from './histogram.js';
import { BenchNode, type NodeSetup } from './node.js';
import { reviveShapes } from './payload.js';

interface Call {
  id: number;
  op: 'prepare' | 'run' | 'drain' | 'progress' | 'finish' | 'abort' | 'close';
  arg?: unknown;
}

const port = parentPort;
if (port === null) throw new Error('src/bench/worker.ts runs in a worker thread');
const setup = workerData as NodeSetup;
const node = new BenchNode({ ...setup, shapes: reviveShapes(setup.shapes) });

async function handle(call: Call): Promise<unknown> {
  switch (call.op) {
    case 'prepare':
      return node.prepare();
    case 'run':
      return node.run(call.arg as number);
    case 'drain':
      return node.drain(call.arg as number[]);
    case 'progress': {
      const progress = await node.progress();
      return { ...progress, live: progress.live instanceof LatencyHistogram ? progress.live.encode() : progress.live };
    }
    case 'finish':
      return node.finish(call.arg as number[]);
    case 'abort':
      node.abort();
      return undefined;
    case 'close':
      return node.close();
  }
}

port.on('message', (call: Call) => {
  handle(call).then(
    (value) => port.postMessage({ id: call.id, ok: true, value }),
    (error: unknown) => {
      const e = error as { code?: unknown; message?: unknown; name?: unknown };
      port.postMessage({ id: call.id, ok: false, error: { code: e?.code, message: String(e?.message ?? error), name: e?.name } });
    },
  );
});
