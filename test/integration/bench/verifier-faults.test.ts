/**
 * The verifier against a fault-injecting transport: a real broker and the real client, with records lost,
 * repeated and reordered between the client and the subscriber (test/integration/bench/fault-client.ts).
 * The report must count exactly what was injected — and nothing on the clean subscriber.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../../src/client/connect.js';
import { runBench } from '../../../src/bench/runner.js';
import { parseScenario } from '../../../src/bench/scenario.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { faultyClient, type FaultPlan } from './fault-client.js';
import { Chalk } from 'chalk';
import { renderReport } from '../../../src/cli/bench-report.js';
import { failureOf } from '../../../src/cli/run-bench.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

async function run(plan: FaultPlan, subscribers = 2) {
  broker = await startTestBroker({ memory: true });
  let injected: { drop: number; duplicate: number; 'swap-with-next': number; 'close-as-slow': number } | undefined;
  const scenario = parseScenario({ url: broker.url, producers: 2, subscribers, messages: 20_000, drainTimeoutMs: 500 });
  const result = await runBench(scenario, {
    connect: async (url, options) => {
      const client = faultyClient(await connect(url, options), plan);
      injected = client.injected;
      return client;
    },
  });
  return { result, injected: injected! };
}

describe('verification against a faulty transport', () => {
  it('counts injected losses, duplicates and reorderings exactly, on the faulty subscriber only', async () => {
    // subscription 0 is faulty, subscription 1 clean; faults only well inside the run (a drop at the very end
    // would look the same, but waits out the drain timeout)
    const { result, injected } = await run((sub, i) => {
      if (sub !== 0 || i < 100 || i > 19_000) return 'pass';
      if (i % 997 === 0) return 'drop';
      if (i % 991 === 0) return 'duplicate';
      if (i % 983 === 0) return 'swap-with-next';
      return 'pass';
    });
    expect(injected.drop).toBeGreaterThan(10);
    expect(injected.duplicate).toBeGreaterThan(10);
    expect(injected['swap-with-next']).toBeGreaterThan(10);
    const v = result.verification;
    expect(v).toMatchObject({
      published: 20_000,
      expected: 40_000,
      lost: injected.drop,
      duplicated: injected.duplicate,
      reordered: injected['swap-with-next'],
      unexpected: 0,
      ok: false,
    });
    expect(v.delivered).toBe(40_000 - injected.drop);
    const [faulty, clean] = result.clients.subscribers;
    expect(faulty).toMatchObject({ lost: injected.drop, duplicated: injected.duplicate, reordered: injected['swap-with-next'] });
    expect(clean).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, received: 20_000 });
    expect(result.ok).toBe(false);
  });

  it('a subscriber the broker closed as slow: what it missed is not delivered (with the reason), not lost; the run passes', async () => {
    const { result, injected } = await run((sub, i) => (sub === 0 && i === 5_000 ? 'close-as-slow' : 'pass'));
    expect(injected['close-as-slow']).toBe(1);
    const v = result.verification;
    expect(v).toMatchObject({ published: 20_000, expected: 40_000, delivered: 25_000, lost: 0, undelivered: 15_000, ok: true });
    expect(v.undeliveredReasons).toEqual([
      expect.stringMatching(/^subscriber \d: closed by the broker as a slow consumer \(WebSocket code 4008\)$/),
    ]);
    const dropped = result.clients.subscribers.find((s) => s.endedBy !== null)!;
    expect(dropped).toMatchObject({ lost: 0, undelivered: 15_000, endedBy: expect.stringMatching(/slow consumer/) });
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    expect(failureOf(result)).toBeUndefined(); // exit 0: nothing was lost
    const report = renderReport(result, new Chalk({ level: 0 })).join('\n');
    expect(report).toMatch(/0 lost/);
    expect(report).toMatch(
      /15,000 not delivered \(still in the broker, not lost\): subscriber \d: closed by the broker as a slow consumer/,
    );
    expect(report).not.toMatch(/FAILED/);
    // the verdict does not claim what did not happen
    expect(report).toMatch(/✓ nothing lost, duplicated or reordered \(15,000 not delivered\)/);
    expect(report).not.toMatch(/every message exactly once/);
  });

  it('without faults: every message exactly once, in order', async () => {
    const { result } = await run(() => 'pass', 1);
    expect(result.verification).toMatchObject({
      published: 20_000,
      expected: 20_000,
      delivered: 20_000,
      lost: 0,
      duplicated: 0,
      reordered: 0,
      ok: true,
    });
    expect(result.ok).toBe(true);
  });
});
