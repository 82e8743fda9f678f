/**
 * The bench's producers reuse their messages (a ring per producer, src/bench/payload.ts): a message must keep
 * its own value until the broker has acknowledged it, whatever the client holds at once. A real client
 * against a real broker, watched on its way: every message the client takes is remembered, and when its
 * acknowledgement arrives its value must still carry its own stamp. Batches of 1 make the ring as small as
 * it gets (the window of 16 batches plus what waits for it). Over NATS too (when nats-server is installed),
 * where the client publishes the value itself and may publish it again until it is acknowledged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../../src/client/connect.js';
import type { EvqClient, ProduceMessage } from '../../../src/client/types.js';
import { heldMessages } from '../../../src/bench/produce-window.js';
import { runBench } from '../../../src/bench/runner.js';
import { parseScenario } from '../../../src/bench/scenario.js';
import { emptyStamp, readStamp } from '../../../src/bench/stamp.js';
import { describeNats, startNatsServer, type NatsServer } from '../../helpers/nats-server.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../../helpers/spawn-broker.js';

interface Watch {
  taken: number;
  /** Acknowledged messages whose value no longer carried their own sequence number. */
  overwritten: number[];
  /** Most messages taken and not yet acknowledged at once. */
  maxHeld: number;
  /** Distinct message objects taken (fewer than `taken` once messages are reused). */
  objects: Set<ProduceMessage>;
}

/** A real client whose produce remembers each message it takes and checks it when it is acknowledged. */
function watchingClient(inner: EvqClient, watch: Watch): EvqClient {
  return {
    url: inner.url,
    subscribe: (topic, options) => inner.subscribe(topic, options),
    consume: (topic, options) => inner.consume(topic, options),
    topics: () => inner.topics(),
    createTopic: (topic, settings) => inner.createTopic(topic, settings),
    alterTopic: (topic, settings) => inner.alterTopic(topic, settings),
    describeTopic: (topic) => inner.describeTopic(topic),
    deleteTopic: (topic) => inner.deleteTopic(topic),
    groups: () => inner.groups(),
    describeGroup: (group: string) => inner.describeGroup(group),
    resetGroup: (topic, group, to, options) => inner.resetGroup(topic, group, to, options),
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
    produce(topic, messages, options = {}) {
      const held = new Map<number, ProduceMessage>();
      async function* watched(): AsyncGenerator<ProduceMessage> {
        for await (const message of messages as AsyncIterable<ProduceMessage>) {
          held.set(watch.taken++, message);
          watch.objects.add(message);
          watch.maxHeld = Math.max(watch.maxHeld, held.size);
          yield message;
        }
      }
      const stamp = emptyStamp();
      return inner.produce(topic, watched(), {
        ...options,
        onAck: (ack) => {
          const message = held.get(ack.index) as ProduceMessage;
          held.delete(ack.index);
          if (!readStamp(message.value as Buffer, 0, stamp) || stamp.seq !== ack.index) watch.overwritten.push(ack.index);
          options.onAck?.(ack);
        },
      });
    },
  };
}

let broker: SpawnedBroker;
beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--fsync', 'always'] });
});
afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});

/** Runs a bench of `batchSize` batches against `url` through the watching client; what it saw, and the result. */
async function watchedRun(url: string, batchSize: number) {
  const messages = heldMessages(batchSize, 100) * 50;
  const scenario = parseScenario({ url, subscribers: 1, messages, batchSize, size: 100 });
  const watch: Watch = { taken: 0, overwritten: [], maxHeld: 0, objects: new Set() };
  const result = await runBench(scenario, { connect: async (to, options) => watchingClient(await connect(to, options), watch) });
  return { messages, watch, result };
}

function expectIntact({ messages, watch, result }: Awaited<ReturnType<typeof watchedRun>>, batchSize: number): void {
  expect(watch.taken).toBe(messages);
  expect(watch.overwritten).toEqual([]);
  // the messages were reused, and the client held no more at once than the ring holds
  expect(watch.objects.size).toBe(heldMessages(batchSize, 100));
  expect(watch.maxHeld).toBeLessThanOrEqual(heldMessages(batchSize, 100));
  expect(result.verification).toMatchObject({ published: messages, delivered: messages, lost: 0, duplicated: 0, reordered: 0, ok: true });
}

describe('reused bench messages', () => {
  it.each([1, 20])('batches of %i: every message still carries its own stamp when acknowledged, and arrives once', async (batchSize) => {
    expectIntact(await watchedRun(broker.url, batchSize), batchSize);
  });
});

describeNats('reused bench messages over nats://', () => {
  let server: NatsServer | undefined;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each([1, 20])('batches of %i: every message still carries its own stamp when JetStream acknowledges it', async (batchSize) => {
    expectIntact(await watchedRun((server as NatsServer).url, batchSize), batchSize);
  });
});
