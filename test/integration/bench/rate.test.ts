/**
 * The --rate schedule against an idle broker (`evq serve --memory`, its own process): 3 s at 20,000 msgs/s.
 * What is checked is the rate of *intended* sends — messages on the schedule per second of the measured
 * phase — which depends on the scheduler, not on how loaded the machine is; beyond that the broker only
 * has to keep up with 20,000 msgs/s (every message acknowledged and delivered).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../../src/bench/runner.js';
import { parseScenario } from '../../../src/bench/scenario.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../../helpers/spawn-broker.js';

let broker: SpawnedBroker;
beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--memory'] });
});
afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});

describe('rate control', () => {
  it('keeps 20,000 msgs/s within 2% over a 3 s run', async () => {
    const scenario = parseScenario({ url: broker.url, rate: 20_000, durationMs: 3000 });
    const result = await runBench(scenario);
    const intended = result.publish.intendedMsgsPerSec as number;
    expect(Math.abs(intended - 20_000) / 20_000).toBeLessThan(0.02);
    expect(Math.abs(result.publish.sent - 60_000)).toBeLessThanOrEqual(1);
    // the timeline's seconds add up to what was sent, about 20,000 in each full second
    const timeline = result.timeline.filter((s) => s.second >= 0);
    expect(timeline.reduce((n, s) => n + s.sent, 0)).toBe(result.publish.sent);
    // the broker kept up: all acknowledged and delivered, exactly once and in order
    expect(result.publish.messages).toBe(result.publish.sent);
    expect(result.deliver.messages).toBe(result.publish.sent);
    expect(result.verification).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, ok: true });
    expect(result.latency.e2e.count).toBe(result.publish.sent);
    expect(result.ok).toBe(true);
  });

  it('two producers share the rate: 10,000 msgs/s each, interleaved', async () => {
    const scenario = parseScenario({ url: broker.url, rate: 20_000, durationMs: 1000, producers: 2, subscribers: 1 });
    const result = await runBench(scenario);
    expect(Math.abs((result.publish.intendedMsgsPerSec as number) - 20_000) / 20_000).toBeLessThan(0.02);
    expect(result.clients.producers.map((p) => p.sent)).toEqual([10_000, 10_000]);
    expect(result.verification.ok).toBe(true);
  });
});
