// The short crash loop of `npm run test:chaos` (scripts/chaos.js): a real `evq serve`, killed with SIGKILL
// at random moments under mixed load for 10 rounds, restarted each time; every acknowledged message is
// there exactly once, group offsets never go back, no delayed message is early or lost. Runs on dist/
// (`npm test` builds first). Replay a failure with EVQ_E2E_SEED=<seed>.
import { describe, expect, it } from 'vitest';
import { formatSummary, runChaos } from '../../scripts/chaos.js';
import { testSeed } from '../helpers/spawn-broker.js';

describe('crash loop (npm run test:chaos, short)', () => {
  it('survives 10 SIGKILLs under mixed load with nothing acknowledged lost', async () => {
    const seed = testSeed();
    const summary = await runChaos({ rounds: 10, seed, minLoadMs: 200, maxLoadMs: 1000 }).catch((error: unknown) => {
      throw new Error(`seed ${seed}: ${(error as Error).message}`, { cause: error });
    });
    console.log(formatSummary(summary));
    expect(summary.rounds).toBe(10);
    expect(summary.faultsSurvived).toBe(10);
    expect(summary.lost).toBe(0);
    // the load did happen: messages acknowledged and read live, commits made, delayed messages delivered
    expect(summary.acked).toBeGreaterThan(0);
    expect(summary.subscribed).toBeGreaterThan(0);
    expect(summary.commits).toBeGreaterThan(0);
    expect(summary.delayed).toBeGreaterThan(0);
    expect(summary.delayedDelivered).toBe(summary.delayed);
  }, 120_000);
});
