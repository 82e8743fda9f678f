/**
 * `--workers K`: the clients run in worker threads (the compiled src/bench/worker.ts: `npm run build` first)
 * and the histograms they recorded are merged exactly — the merged counts, minimum and maximum are those of
 * all the per-client histograms together, and the verification covers every subscriber.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../../src/bench/runner.js';
import { parseScenario } from '../../../src/bench/scenario.js';
import { mergeIntervals } from '../../../src/bench/report/series.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../../helpers/spawn-broker.js';

const WORKER_URL = new URL('../../../dist/bench/worker.js', import.meta.url);

let broker: SpawnedBroker;
beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--memory'] });
});
afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});

describe('worker threads', () => {
  it('2 workers, 2 producers → 3 subscribers: every count adds up, histograms merged exactly', async () => {
    const scenario = parseScenario({ url: broker.url, producers: 2, subscribers: 3, messages: 30_000, workers: 2 });
    const progress: number[] = [];
    const result = await runBench(scenario, {
      workerUrl: WORKER_URL,
      progressIntervalMs: 200,
      onProgress: (p) => progress.push(p.delivered),
    });
    const { producers, subscribers } = result.clients;
    // spread over both workers
    expect(new Set([...producers, ...subscribers].map((c) => c.worker))).toEqual(new Set([0, 1]));
    expect(producers.reduce((n, p) => n + p.acked, 0)).toBe(30_000);
    expect(subscribers.map((s) => s.received)).toEqual([30_000, 30_000, 30_000]);
    // merged = every client's histogram together: counts add up, min and max are the extremes
    const e2e = result.latency.e2e;
    expect(e2e.count).toBe(subscribers.reduce((n, s) => n + s.e2e.count, 0));
    expect(e2e.count).toBe(90_000);
    expect(e2e.min).toBe(Math.min(...subscribers.map((s) => s.e2e.min)));
    expect(e2e.max).toBe(Math.max(...subscribers.map((s) => s.e2e.max)));
    const mean = subscribers.reduce((n, s) => n + s.e2e.mean * s.e2e.count, 0) / e2e.count;
    expect(e2e.mean).toBeCloseTo(mean, 1);
    expect(result.latency.ack.count).toBe(30_000);
    expect(result.latency.ack.max).toBe(Math.max(...producers.map((p) => p.ack.max)));
    // percentiles of the whole lie within those of the parts
    expect(e2e.p50).toBeGreaterThanOrEqual(Math.min(...subscribers.map((s) => s.e2e.p50)));
    expect(e2e.p50).toBeLessThanOrEqual(Math.max(...subscribers.map((s) => s.e2e.p50)));
    expect(result.verification).toMatchObject({
      published: 30_000,
      expected: 90_000,
      delivered: 90_000,
      lost: 0,
      duplicated: 0,
      reordered: 0,
      ok: true,
    });
    expect(result.timeline.reduce((n, s) => n + s.delivered, 0)).toBe(90_000);
    // the per-second histograms of both workers, merged, are the whole ones
    expect(mergeIntervals(result.intervals!, 'e2e').summary()).toEqual(e2e);
    expect(mergeIntervals(result.intervals!, 'ack').summary()).toEqual(result.latency.ack);
    expect(result.ok).toBe(true);
  });

  it('a worker that cannot reach the broker fails the run with the connection error', async () => {
    const scenario = parseScenario({ url: 'http://127.0.0.1:1', producers: 1, subscribers: 1, messages: 10, workers: 2, timeoutMs: 2000 });
    await expect(runBench(scenario, { workerUrl: WORKER_URL })).rejects.toMatchObject({ code: 'EVQ_ERR_UNREACHABLE' });
  });
});
