/**
 * What kafkajs's admin cannot be made to send, on the wire to the listener (requests written by evq's
 * codec, which the unit tests pin to kafkajs's bytes): one name twice in a CreateTopics, num_partitions
 * together with assignments, CreatePartitions with the wrong number of assignments, DescribeConfigs of
 * another broker id, of an unsupported resource type, and at v0 (`is_default`) — each with its error code
 * and a one-line error message.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY } from '../../../src/protocol/kafka/api-keys.js';
import { readCreatePartitionsResponse, writeCreatePartitionsRequest } from '../../../src/protocol/kafka/create-partitions.js';
import { readCreateTopicsResponse, writeCreateTopicsRequest, type CreateTopicsTopic } from '../../../src/protocol/kafka/create-topics.js';
import { CONFIG_SOURCE, readDescribeConfigsResponse, writeDescribeConfigsRequest } from '../../../src/protocol/kafka/describe-configs.js';
import { KAFKA_ERROR } from '../../../src/protocol/kafka/error-codes.js';
import { frame, readResponseHeader, writeRequestHeader } from '../../../src/protocol/kafka/header.js';
import { KafkaReader } from '../../../src/protocol/kafka/reader.js';
import type { KafkaWriter } from '../../../src/protocol/kafka/writer.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';

let broker: TestBroker;
let socket: Socket;
let correlationId = 0;
const waiting = new Map<number, { resolve: (body: KafkaReader) => void; reject: (e: Error) => void }>();

beforeAll(async () => {
  broker = await startTestBroker({ kafkaPort: 0, memory: true });
  socket = connect({ host: '127.0.0.1', port: broker.kafkaPort as number });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const r = new KafkaReader(pending.subarray(4, 4 + pending.readInt32BE(0)));
      pending = pending.subarray(4 + pending.readInt32BE(0));
      const id = readResponseHeader(r, 0).correlationId;
      waiting.get(id)?.resolve(r);
      waiting.delete(id);
    }
  });
  socket.on('close', () => {
    for (const w of waiting.values()) w.reject(new Error('the broker closed the connection'));
  });
});
afterAll(async () => {
  socket?.destroy();
  await broker?.close();
});

function send(apiKey: number, apiVersion: number, body: (w: KafkaWriter) => void): Promise<KafkaReader> {
  const id = ++correlationId;
  const reply = new Promise<KafkaReader>((resolve, reject) => waiting.set(id, { resolve, reject }));
  socket.write(
    frame((w) => {
      writeRequestHeader(w, { apiKey, apiVersion, correlationId: id, clientId: 'edges' });
      body(w);
    }),
  );
  return reply;
}

const topic = (name: string, more: Partial<CreateTopicsTopic> = {}): CreateTopicsTopic => ({
  name,
  numPartitions: 1,
  replicationFactor: 1,
  assignments: [],
  configs: [],
  ...more,
});

async function createTopics(version: number, topics: CreateTopicsTopic[], validateOnly = false) {
  const r = await send(API_KEY.CreateTopics, version, (w) =>
    writeCreateTopicsRequest(w, version, { topics, timeoutMs: 1000, validateOnly }),
  );
  return readCreateTopicsResponse(r, version).topics;
}

describe('CreateTopics on the wire', () => {
  it('refuses a name given twice (INVALID_REQUEST for both) and still creates the others', async () => {
    const results = await createTopics(3, [topic('twice'), topic('once'), topic('twice')]);
    expect(results.map((t) => [t.name, t.errorCode])).toEqual([
      ['twice', KAFKA_ERROR.INVALID_REQUEST],
      ['once', KAFKA_ERROR.NONE],
      ['twice', KAFKA_ERROR.INVALID_REQUEST],
    ]);
    expect(results[0]?.errorMessage).toBe('topic "twice" is named more than once in the request');
  });

  it('refuses num_partitions together with assignments, and assignments that skip a partition', async () => {
    const both = await createTopics(3, [topic('both', { assignments: [{ partitionIndex: 0, brokerIds: [1] }] })]);
    expect(both[0]?.errorCode).toBe(KAFKA_ERROR.INVALID_REQUEST);
    const gap = await createTopics(3, [
      topic('gap', {
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [
          { partitionIndex: 0, brokerIds: [1] },
          { partitionIndex: 2, brokerIds: [1] },
        ],
      }),
    ]);
    expect(gap[0]?.errorCode).toBe(KAFKA_ERROR.INVALID_REPLICA_ASSIGNMENT);
  });

  it('answers v0 with codes only, v1+ with one-line messages', async () => {
    const [v0] = await createTopics(0, [topic('rf', { replicationFactor: 3 })]);
    expect(v0).toEqual({ name: 'rf', errorCode: KAFKA_ERROR.INVALID_REPLICATION_FACTOR, errorMessage: null });
    const [v1] = await createTopics(1, [topic('x'.repeat(250))]);
    expect(v1?.errorCode).toBe(KAFKA_ERROR.INVALID_TOPIC_EXCEPTION);
    expect(v1?.errorMessage).toMatch(/^topic name "x+.*the limit is 249$/);
    const [big] = await createTopics(2, [topic('huge', { numPartitions: 1_000_000 })]);
    expect(big?.errorCode).toBe(KAFKA_ERROR.INVALID_PARTITIONS);
    expect(big?.errorMessage).not.toMatch(/\n/);
  });
});

describe('CreatePartitions on the wire', () => {
  it('wants one assignment per new partition, each on this broker', async () => {
    await createTopics(3, [topic('grow-me')]);
    const grow = async (assignments: number[][] | null, validateOnly = true) => {
      const r = await send(API_KEY.CreatePartitions, 1, (w) =>
        writeCreatePartitionsRequest(w, 1, { topics: [{ name: 'grow-me', count: 3, assignments }], timeoutMs: 1000, validateOnly }),
      );
      return readCreatePartitionsResponse(r, 1).results[0];
    };
    expect((await grow([[1]]))?.errorCode).toBe(KAFKA_ERROR.INVALID_REPLICA_ASSIGNMENT);
    expect((await grow([[1], [2]]))?.errorMessage).toMatch(/partition 2 of "grow-me" is assigned to \[2\]/);
    expect((await grow([[1], [1]], false))?.errorCode).toBe(KAFKA_ERROR.NONE);
    const [missing] = readCreatePartitionsResponse(
      await send(API_KEY.CreatePartitions, 0, (w) =>
        writeCreatePartitionsRequest(w, 0, {
          topics: [{ name: 'no-such', count: 2, assignments: null }],
          timeoutMs: 1000,
          validateOnly: false,
        }),
      ),
      0,
    ).results;
    expect(missing?.errorCode).toBe(KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe('DescribeConfigs on the wire', () => {
  const describeConfigs = async (
    version: number,
    resources: { resourceType: number; resourceName: string; configurationKeys: string[] | null }[],
  ) =>
    readDescribeConfigsResponse(
      await send(API_KEY.DescribeConfigs, version, (w) =>
        writeDescribeConfigsRequest(w, version, { resources, includeSynonyms: true, includeDocumentation: false }),
      ),
      version,
    ).results;

  it('answers another broker id and an unsupported resource type with INVALID_REQUEST, "" as this broker', async () => {
    const [other, logger, cluster] = await describeConfigs(3, [
      { resourceType: 4, resourceName: '2', configurationKeys: null },
      { resourceType: 8, resourceName: '1', configurationKeys: null },
      { resourceType: 4, resourceName: '', configurationKeys: ['broker.id', 'no.such.config'] },
    ]);
    expect(other?.errorCode).toBe(KAFKA_ERROR.INVALID_REQUEST);
    expect(other?.errorMessage).toBe('unexpected broker id "2": this broker is 1');
    expect(logger?.errorCode).toBe(KAFKA_ERROR.INVALID_REQUEST);
    expect(cluster?.configs.map((c) => [c.name, c.value])).toEqual([['broker.id', '1']]);
  });

  it('gives synonyms and types at v3, and is_default at v0', async () => {
    await createTopics(3, [topic('described')]);
    const [v3] = await describeConfigs(3, [{ resourceType: 2, resourceName: 'described', configurationKeys: ['retention.bytes'] }]);
    // the memory store keeps 256 MiB per partition unless told otherwise: what DescribeConfigs must say
    expect(v3?.configs[0]).toMatchObject({
      name: 'retention.bytes',
      value: String(256 * 1024 * 1024),
      configSource: CONFIG_SOURCE.staticBroker,
      synonyms: [{ name: 'log.retention.bytes', value: String(256 * 1024 * 1024), source: CONFIG_SOURCE.staticBroker }],
      configType: 5,
    });
    const [v0] = await describeConfigs(0, [
      { resourceType: 2, resourceName: 'described', configurationKeys: ['cleanup.policy', 'retention.bytes'] },
    ]);
    expect(v0?.configs.map((c) => [c.name, c.configSource])).toEqual([
      ['cleanup.policy', CONFIG_SOURCE.default],
      ['retention.bytes', CONFIG_SOURCE.unknown],
    ]);
  });
});
