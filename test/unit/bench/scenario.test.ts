import { describe, expect, it } from 'vitest';
import { configOf, messagesOf, parseScenario, SCENARIO_DEFAULTS, type ScenarioInput } from '../../../src/bench/scenario.js';
import { EvqError } from '../../../src/errors.js';

const URL = 'http://127.0.0.1:7070';

function usage(input: Partial<ScenarioInput>): string {
  try {
    parseScenario({ url: URL, ...input });
  } catch (error) {
    expect(error).toBeInstanceOf(EvqError);
    expect((error as EvqError).exitCode).toBe(2);
    return (error as EvqError).message;
  }
  throw new Error(`no usage error for ${JSON.stringify(input)}`);
}

describe('parseScenario', () => {
  it('fills in the defaults: 1 producer, 1 subscriber, 100,000 messages of 100 bytes, ws, a fresh topic', () => {
    const s = parseScenario({ url: URL });
    expect(s).toMatchObject({
      url: URL,
      producers: 1,
      subscribers: 1,
      messages: 100_000,
      durationMs: null,
      size: 100,
      payloads: null,
      batchSize: 1000,
      lingerMs: 5,
      rate: 0,
      filter: null,
      matchRatio: null,
      warmupMs: 0,
      workers: 0,
      transport: 'ws',
      pipelining: 10,
      stampIn: 'value',
      thresholds: [],
    });
    expect(s.topic).toMatch(/^bench-[0-9a-f]{8}$/);
    expect(parseScenario({ url: URL }).topic).not.toBe(s.topic);
    expect(SCENARIO_DEFAULTS.messages).toBe(100_000);
  });

  it('a duration instead of a message count', () => {
    const s = parseScenario({ url: URL, durationMs: 30_000 });
    expect(s.messages).toBeNull();
    expect(s.durationMs).toBe(30_000);
    expect(usage({ durationMs: 1000, messages: 5 })).toMatch(/--messages or --duration, not both/);
  });

  it('spreads the measured messages over the producers, the remainder to the first ones', () => {
    const s = parseScenario({ url: URL, producers: 3, messages: 10 });
    expect([0, 1, 2].map((id) => messagesOf(s, id))).toEqual([4, 3, 3]);
    expect(messagesOf(parseScenario({ url: URL, durationMs: 5 }), 0)).toBeNull();
  });

  it("the stamp goes in the value unless the value is the user's, shaped for a filter, or shorter than 40 bytes", () => {
    expect(parseScenario({ url: URL, size: 40 }).stampIn).toBe('value');
    expect(parseScenario({ url: URL, size: 39 }).stampIn).toBe('header');
    expect(parseScenario({ url: URL, payloads: [Buffer.from('x')] }).stampIn).toBe('header');
    expect(parseScenario({ url: URL, filter: 'value.a == 1' }).stampIn).toBe('header');
  });

  it('a filter: checked by the filter compiler (a usage error naming the column); match ratio 1 unless given', () => {
    expect(parseScenario({ url: URL, filter: 'value.a > 1' }).matchRatio).toBe(1);
    expect(parseScenario({ url: URL, filter: 'value.a > 1', matchRatio: 0.25 }).matchRatio).toBe(0.25);
    expect(usage({ filter: 'value.a >' })).toMatch(/column/);
    expect(usage({ matchRatio: 0.5 })).toMatch(/--match-ratio needs --filter/);
    expect(usage({ filter: 'value.a > 1', matchRatio: 1.5 })).toMatch(/--match-ratio must be a number from 0 to 1/);
  });

  it('refuses impossible numbers, naming the option', () => {
    expect(usage({ producers: 0 })).toMatch(/--producers must be a whole number from 1 to 1,000/);
    expect(usage({ producers: 1.5 })).toMatch(/--producers/);
    expect(usage({ subscribers: -1 })).toMatch(/--subscribers/);
    expect(usage({ messages: 0 })).toMatch(/--messages/);
    expect(usage({ size: 0 })).toMatch(/--size/);
    expect(usage({ size: 2 * 1024 * 1024 })).toMatch(/--size/);
    expect(usage({ batchSize: 1001 })).toMatch(/--batch-size/);
    expect(usage({ rate: -1 })).toMatch(/--rate/);
    expect(usage({ rate: Number.NaN })).toMatch(/--rate/);
    expect(usage({ pipelining: 0 })).toMatch(/--pipelining/);
    expect(usage({ workers: 3, producers: 1, subscribers: 1 })).toMatch(/--workers 3 is more than the 2 producers and subscribers/);
    expect(usage({ transport: 'udp' as never })).toMatch(/--transport must be ws or http/);
  });

  it('refuses a bad topic, a missing URL, and payloads together with a size', () => {
    expect(() => parseScenario({ url: URL, topic: 'a b' })).toThrow(EvqError);
    expect(usage({ url: ' ' })).toMatch(/a broker URL is needed/);
    expect(usage({ payloads: [Buffer.from('a')], size: 10 })).toMatch(/--size or --payload-file, not both/);
    expect(usage({ payloads: [], payloadFile: 'p.txt' })).toMatch(/the payload file p\.txt has no payloads/);
  });

  it('thresholds are parsed with the scenario; end-to-end ones need a subscriber', () => {
    const s = parseScenario({ url: URL, thresholds: ['p99<5ms', 'rate>100k'] });
    expect(s.thresholds.map((t) => t.metric)).toEqual(['e2e.p99', 'publish.rate']);
    expect(usage({ thresholds: ['p99 < fast'] })).toMatch(/invalid threshold "p99 < fast"/);
    expect(usage({ subscribers: 0, thresholds: ['p99<5ms'] })).toMatch(/no subscribers/);
    expect(parseScenario({ url: URL, subscribers: 0, thresholds: ['ack.p99<5ms'] }).thresholds).toHaveLength(1);
  });

  it('configOf gives the scenario as the result reports it, without payload bytes', () => {
    const s = parseScenario({ url: URL, payloads: [Buffer.from('a'), Buffer.from('b')], payloadFile: 'p.txt', thresholds: ['lost==0'] });
    const config = configOf(s);
    expect(config).toMatchObject({ size: null, payloadFile: 'p.txt', payloads: 2, thresholds: ['lost==0'], stampIn: 'header' });
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
  });

  it('--partitions N: a whole number from 1 to the broker limit; more than 1 over nats:// is a usage error', () => {
    expect(parseScenario({ url: URL }).partitions).toBeNull();
    expect(configOf(parseScenario({ url: URL, partitions: 6 }))).toMatchObject({ partitions: 6, group: null, members: null });
    expect(usage({ partitions: 0 })).toMatch(/--partitions must be a whole number from 1 to 1,024/);
    expect(usage({ partitions: 1025 })).toMatch(/--partitions/);
    expect(usage({ url: 'nats://127.0.0.1:4222', partitions: 3 })).toBe(
      '--partitions needs an evq broker (http://): a JetStream stream is one partition; leave --partitions out',
    );
    expect(parseScenario({ url: 'nats://127.0.0.1:4222', partitions: 1 }).partitions).toBe(1);
  });

  it('--group G --members K: K readers in one group instead of subscribers', () => {
    const s = parseScenario({ url: URL, group: 'g1', members: 3, partitions: 6 });
    expect(s).toMatchObject({ group: 'g1', subscribers: 3, partitions: 6 });
    expect(configOf(s)).toMatchObject({ group: 'g1', members: 3, subscribers: 3, partitions: 6 });
    expect(parseScenario({ url: URL, group: 'g1' }).subscribers).toBe(1);
    expect(usage({ group: 'g1', subscribers: 2 })).toBe('give --subscribers or --group with --members, not both');
    expect(usage({ members: 2 })).toMatch(/^--members needs --group/);
    expect(usage({ group: 'g1', members: 0 })).toMatch(/--members must be a whole number from 1/);
    expect(usage({ group: 'a b' })).toMatch(/group/i);
    expect(usage({ url: 'nats://127.0.0.1:4222', group: 'g1' })).toMatch(/^--group needs an evq broker/);
  });

  it('over kafka:// the transport is named kafka, partitions and groups are taken, --transport http is a usage error', () => {
    const s = parseScenario({ url: 'kafka://127.0.0.1:9092,127.0.0.2:9092', partitions: 6, group: 'g1', members: 3 });
    expect(configOf(s)).toMatchObject({ transport: 'kafka', partitions: 6, group: 'g1', members: 3 });
    expect(configOf(parseScenario({ url: 'nats://127.0.0.1:4222' })).transport).toBe('nats');
    expect(configOf(parseScenario({ url: URL })).transport).toBe('ws');
    expect(usage({ url: 'kafka://127.0.0.1:9092', transport: 'http' })).toBe(
      '--transport http needs an evq broker (http://): over kafka:// the producers publish with the Kafka client; leave --transport out',
    );
  });
});
