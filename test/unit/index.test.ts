import { describe, expect, it } from 'vitest';

describe("the public API (src/index.ts, what `import … from 'evq'` gives)", () => {
  it('exports exactly these names: adding or removing one is a decision (and a CHANGELOG line), not a side effect', async () => {
    const api = await import('../../src/index.js');
    expect(Object.keys(api).sort()).toEqual([
      'Batcher',
      'ERROR_CODES',
      'EXIT',
      'EvqConnectionError',
      'EvqError',
      'EvqFilterError',
      'EvqProduceError',
      'EvqStorageError',
      'EvqUsageError',
      'LIMITS',
      'ManualClock',
      'SCENARIO_DEFAULTS',
      'Scheduler',
      'compileFilter',
      'connect',
      'evaluateThresholds',
      'formatDuration',
      'formatSize',
      'isEvqErrorCode',
      'parseDuration',
      'parseFilter',
      'parseScenario',
      'parseSize',
      'parseThreshold',
      'printFilter',
      'runBench',
      'startBroker',
      'systemClock',
    ]);
  });

  it('the README library example runs against it', async () => {
    const { compileFilter, parseDuration } = await import('../../src/index.js');
    const match = compileFilter('value.amount > 100');
    expect(match({ topic: 'orders', offset: 0, timestamp: Date.now(), key: null, headers: {}, value: '{"amount": 120}' })).toBe(true);
    expect(parseDuration('2m')).toBe(120_000);
  });
});
