/**
 * Both transports against a real broker (`evq serve --memory`): WebSocket batches and single-message HTTP
 * POSTs on raw pipelined sockets, with the stamp in the value or (for shaped filter messages and payload
 * files) in the `evq-bench` header; the subscribers verify every message either way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../../src/bench/runner.js';
import { parseScenario } from '../../../src/bench/scenario.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../../helpers/spawn-broker.js';

let broker: SpawnedBroker;
beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--memory', '--max-message-bytes', '4kb'] });
});
afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});

describe('transports', () => {
  it('http: 2 producers × pipelining 10, stamp in the value, 2 subscribers verify', async () => {
    const scenario = parseScenario({ url: broker.url, transport: 'http', producers: 2, subscribers: 2, messages: 4000, pipelining: 10 });
    const result = await runBench(scenario);
    expect(result.config).toMatchObject({ transport: 'http', stampIn: 'value' });
    expect(result.publish.messages).toBe(4000);
    expect(result.latency.ack.count).toBe(4000);
    expect(result.verification).toMatchObject({ published: 4000, expected: 8000, delivered: 8000, ok: true });
    expect(result.ok).toBe(true);
  });

  it('http with a filter: shaped messages, the stamp in a header, 25% match', async () => {
    const scenario = parseScenario({
      url: broker.url,
      transport: 'http',
      subscribers: 1,
      messages: 2000,
      filter: 'value.amount > 100 && headers.type == "deposit"',
      matchRatio: 0.25,
    });
    const result = await runBench(scenario);
    expect(result.config.stampIn).toBe('header');
    expect(result.verification).toMatchObject({ published: 2000, matching: 500, expected: 500, delivered: 500, unexpected: 0, ok: true });
    expect(result.deliver.messages).toBe(500);
  });

  it('ws with payloads of a file sorted by the filter', async () => {
    const payloads = ['{"kind":"a","n":1}', '{"kind":"b","n":2}', '{"kind":"a","n":3}'].map((p) => Buffer.from(p));
    const scenario = parseScenario({
      url: broker.url,
      subscribers: 2,
      messages: 3000,
      payloads,
      payloadFile: 'payloads.txt',
      filter: 'value.kind == "a"',
      matchRatio: 0.5,
    });
    const result = await runBench(scenario);
    expect(result.verification).toMatchObject({
      published: 3000,
      matching: 1500,
      expected: 3000,
      delivered: 3000,
      unexpected: 0,
      ok: true,
    });
  });

  it("a message the broker refuses ends its producer with the broker's error (http and ws)", async () => {
    for (const transport of ['http', 'ws'] as const) {
      const scenario = parseScenario({ url: broker.url, transport, subscribers: 1, messages: 50, size: 8000, drainTimeoutMs: 300 });
      const result = await runBench(scenario);
      expect(result.errors[0], transport).toMatchObject({ client: 'producer 0', code: 'EVQ_ERR_MESSAGE_TOO_LARGE' });
      expect(result.verification.published, transport).toBe(0);
      expect(result.verification.lost, transport).toBe(0);
      expect(result.ok, transport).toBe(false);
    }
  });
});
