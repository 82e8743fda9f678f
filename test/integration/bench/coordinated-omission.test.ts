/**
 * Coordinated omission, as wrk2 shows it: the broker (`evq serve`, its own process, its default fsync always)
 * is frozen with SIGSTOP for 500 ms in the middle of a 20,000 msgs/s run. Messages intended during the pause
 * wait in the producer, whose window of unacknowledged batches is full, and go out late: their latency from
 * the *intended* send time includes the pause, their latency from the moment they were finally sent does not.
 *
 * How high the corrected p99 can be: at a constant rate, a pause of P in a measured phase of T delays a share
 * P/T of the messages by P down to 0 (the first one intended in the pause waits all of it, the last one
 * hardly), plus the time the broker takes to catch up. The top 1% of the messages are then the first 1% of T
 * of the pause: the corrected p99 is P − 0.01·T plus the catch-up — at least the pause less 1% of the
 * measured phase, and usually more than the pause itself. The max is at least the pause. The uncorrected p99
 * only sees the few messages that were in flight when the broker froze (small batches keep them under 1%).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench, type BenchProgress } from '../../../src/bench/runner.js';
import { parseScenario } from '../../../src/bench/scenario.js';
import { PACED_MAX_IN_FLIGHT } from '../../../src/bench/produce-window.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../../helpers/spawn-broker.js';

const PAUSE_MS = 500;
const MEASURED_MS = 1200;

let broker: SpawnedBroker;
beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir());
});
afterAll(async () => {
  broker.kill('SIGCONT');
  await killSpawned();
  await removeTempDirs();
});

describe('coordinated-omission correction', () => {
  it('a 500 ms pause of the broker: corrected p99 reaches the pause, uncorrected p99 stays far below it', async () => {
    // batches of 1: what sits in the producer's window of unacknowledged batches when the broker freezes
    // (PACED_MAX_IN_FLIGHT messages, sent before the pause: corrected and uncorrected alike) stays under 1% of the run
    expect(PACED_MAX_IN_FLIGHT + 2).toBeLessThan(0.01 * 20 * MEASURED_MS);
    const scenario = parseScenario({ url: broker.url, rate: 20_000, durationMs: MEASURED_MS, warmupMs: 500, batchSize: 1 });
    let pausedFor = 0;
    let paused = false;
    let resume: NodeJS.Timeout | undefined;
    // once the runner says its measured phase has run 200 ms (not a guess of when that is), the broker
    // freezes for PAUSE_MS (the fault itself is timed: it ends well inside the 1.2 s measured)
    const onProgress = (progress: BenchProgress): void => {
      if (paused || progress.phase !== 'measuring' || progress.elapsedMs < scenario.warmupMs + 200) return;
      paused = true;
      const from = performance.now();
      broker.kill('SIGSTOP');
      // a timer may fire a fraction of a millisecond early by performance.now(): re-arm for what is left
      const end = (): void => {
        const elapsed = performance.now() - from;
        if (elapsed < PAUSE_MS) {
          resume = setTimeout(end, Math.max(1, Math.ceil(PAUSE_MS - elapsed)));
          return;
        }
        broker.kill('SIGCONT');
        pausedFor = elapsed;
      };
      resume = setTimeout(end, PAUSE_MS);
    };
    const result = await runBench(scenario, { onProgress, progressIntervalMs: 20 });
    clearTimeout(resume);
    broker.kill('SIGCONT');
    expect(pausedFor).toBeGreaterThanOrEqual(PAUSE_MS);

    const pauseUs = PAUSE_MS * 1000;
    const tailUs = 0.01 * MEASURED_MS * 1000; // the part of the pause a p99 can leave out
    const corrected = result.latency.e2e;
    const uncorrected = result.latency.e2eUncorrected;
    expect(corrected.max).toBeGreaterThanOrEqual(pauseUs);
    expect(corrected.p99).toBeGreaterThanOrEqual(pauseUs - tailUs);
    // a pause over ~40% of the run puts the corrected p90 in the hundreds of ms too
    expect(corrected.p90).toBeGreaterThanOrEqual(pauseUs - 0.1 * MEASURED_MS * 1000);
    expect(uncorrected.p99).toBeLessThan(pauseUs / 2);
    expect(uncorrected.p90).toBeLessThan(pauseUs / 10);
    // the stall shows as the generator's lateness: it could not send on schedule during the pause
    expect(result.latency.sendLag.max).toBeGreaterThanOrEqual(pauseUs - tailUs);
    expect(result.verification).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
  });
});
