/**
 * A running `evq bench` tells the evq broker it measures how it goes (`POST /bench/runs/{id}`), so that the
 * broker's console can draw it live. Best effort and never in the way: one request at a time, at most 60 points
 * waiting (the oldest dropped), and after the first failure (a broker without the route, a lost connection)
 * nothing more is sent; the run itself is never failed by it.
 */
import { randomBytes } from 'node:crypto';
import { MEDIA_TYPES, PATHS } from '../../protocol/http.js';
import type { BenchRunPoint, BenchRunUpdate } from '../../protocol/http-broker-state.js';
import { evqEndpoint } from './endpoint.js';
import { HttpApi } from './http.js';

const MAX_WAITING = 60;

export interface BenchRunReporter {
  readonly id: string;
  point(point: BenchRunPoint): void;
  /** Sends the end of the run after what is waiting; resolves when sent (or given up), never rejects. */
  finish(finished: NonNullable<BenchRunUpdate['finished']>): Promise<void>;
}

/** A reporter for a run titled `title` on the evq broker at `url`; null for a URL that is not evq's (nats://, kafka://). */
export function benchRunReporter(url: string, token: string | undefined, title: string, timeoutMs: number): BenchRunReporter | null {
  let api: HttpApi;
  try {
    const parsed = new URL(url);
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) return null;
    api = new HttpApi(evqEndpoint(parsed), token, timeoutMs);
  } catch {
    return null;
  }
  const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const waiting: BenchRunUpdate[] = [{ title }];
  let failed = false;
  let sending: Promise<void> | null = null;

  const pump = (): Promise<void> => {
    sending ??= (async () => {
      while (!failed && waiting.length > 0) {
        const update = waiting.shift() as BenchRunUpdate;
        try {
          await api.request({
            method: 'POST',
            path: PATHS.benchRun(id),
            headers: { 'content-type': MEDIA_TYPES.json },
            body: JSON.stringify(update),
          });
        } catch {
          failed = true;
        }
      }
      sending = null;
    })();
    return sending;
  };

  return {
    id,
    point(point) {
      if (failed) return;
      waiting.push({ point });
      if (waiting.length > MAX_WAITING) waiting.splice(0, waiting.length - MAX_WAITING);
      void pump();
    },
    async finish(finished) {
      if (!failed) waiting.push({ finished });
      while (sending !== null || (!failed && waiting.length > 0)) await pump();
      await api.close();
    },
  };
}
