/**
 * GET /bench/runs, GET /bench/runs/{id} and POST /bench/runs/{id}: the `evq bench` runs that report to this
 * broker (bench-board.ts), for the console's live view.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EvqError } from '../../errors.js';
import type { BenchRunList } from '../../protocol/http-broker-state.js';
import type { BenchBoard } from '../bench-board.js';
import { readSmallJson } from './group-routes.js';
import { replyJson } from './replies.js';

export function listBenchRuns(board: BenchBoard, res: ServerResponse): void {
  const body: BenchRunList = { runs: board.list() };
  replyJson(res, 200, body);
}

export function describeBenchRun(board: BenchBoard, id: string, res: ServerResponse): void {
  const run = board.get(id);
  if (run === undefined) throw new EvqError('EVQ_ERR_NOT_FOUND', `no bench run "${id.slice(0, 64)}" reported to this broker`);
  replyJson(res, 200, run);
}

export async function updateBenchRun(board: BenchBoard, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readSmallJson(req, 'benchRun', '{"title": "…", "point": {…}}');
  replyJson(res, 200, board.update(id, body));
}
