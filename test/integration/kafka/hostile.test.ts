/**
 * The Kafka listener against a hostile or broken peer on raw TCP (node:net, frames made with evq's own
 * codec): a frame size over the limit closes the connection before anything is allocated for it; a header
 * that does not parse, an API the broker does not have, or a version it does not advertise close it;
 * ApiVersions newer than it speaks answers UNSUPPORTED_VERSION with the range; a Produce whose batch fails
 * its CRC answers CORRUPT_MESSAGE and writes nothing; a record over --max-message-bytes answers
 * MESSAGE_TOO_LARGE; pipelined requests are answered in request order (a long-polling Fetch before a
 * Metadata: the Metadata reply comes after the Fetch reply).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADVERTISED } from '../../../src/broker/kafka/dispatch.js';
import { API_KEY } from '../../../src/protocol/kafka/api-keys.js';
import { readApiVersionsResponse } from '../../../src/protocol/kafka/api-versions.js';
import { KAFKA_ERROR } from '../../../src/protocol/kafka/error-codes.js';
import { readFetchResponse, writeFetchRequest } from '../../../src/protocol/kafka/fetch.js';
import { readResponseHeader } from '../../../src/protocol/kafka/header.js';
import { readMetadataResponse, writeMetadataRequest } from '../../../src/protocol/kafka/metadata.js';
import { readProduceResponse, writeProduceRequest, type ProduceResponse } from '../../../src/protocol/kafka/produce.js';
import { KafkaReader } from '../../../src/protocol/kafka/reader.js';
import { encodeRecordBatch } from '../../../src/protocol/kafka/record-batch.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { closedByBroker, closePeers, connectPeer, requestFrame, type KafkaPeer } from '../../helpers/kafka-peer.js';
import { waitFor } from '../../helpers/wait.js';

const MAX_MESSAGE_BYTES = 1024;

let broker: TestBroker;
const refusals: string[] = [];

beforeAll(async () => {
  broker = await startTestBroker({
    memory: true,
    kafkaPort: 0,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    onKafkaConnectionError: (message) => void refusals.push(message),
  });
});
afterAll(async () => {
  await broker?.close();
});
afterEach(() => {
  closePeers();
  refusals.length = 0;
});

const peer = (): Promise<KafkaPeer> => connectPeer(broker.kafkaPort as number);
const request = requestFrame;
const closedBy = closedByBroker;

async function endOffset(topic: string): Promise<number> {
  return ((await (await fetch(`${broker.url}/topics/${topic}`)).json()) as { endOffset: number }).endOffset;
}

async function createTopic(topic: string): Promise<void> {
  const res = await fetch(`${broker.url}/topics/${topic}`, { method: 'PUT' });
  expect(res.status).toBe(201);
}

async function produce(topic: string, records: Buffer, correlationId: number): Promise<ProduceResponse> {
  const p = await peer();
  p.send(
    request(API_KEY.Produce, 7, correlationId, (w) =>
      writeProduceRequest(w, 7, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topics: [{ name: topic, partitions: [{ index: 0, records }] }],
      }),
    ),
  );
  await waitFor(() => p.frames.length === 1, { what: 'the Produce reply' });
  const r = new KafkaReader(p.frames[0] as Buffer);
  expect(readResponseHeader(r, 0).correlationId).toBe(correlationId);
  return readProduceResponse(r, 7);
}

describe('the Kafka listener against a hostile peer', () => {
  it('a frame size over the limit closes the connection without allocating it; the listener goes on serving', async () => {
    const before = process.memoryUsage().arrayBuffers;
    for (const size of [0x7fffffff, 100 * 1024 * 1024 + 1, -1, 3]) {
      const p = await peer();
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(size);
      p.send(prefix);
      await closedBy(p, `the connection to close after a frame size of ${size}`);
      expect(p.frames).toEqual([]);
    }
    // 2 GiB and 100 MiB were refused from the 4 bytes of the size, not allocated then dropped
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(refusals.length).toBe(4);
    expect(refusals[0]).toMatch(/frame of 2147483647 bytes/);
    // a new connection is answered as usual
    const p = await peer();
    p.send(request(API_KEY.ApiVersions, 2, 7, () => undefined));
    await waitFor(() => p.frames.length === 1, { what: 'an ApiVersions reply on a new connection' });
  });

  it('a header that does not parse (a client id longer than the frame) closes the connection', async () => {
    const p = await peer();
    const body = Buffer.alloc(12);
    body.writeInt16BE(API_KEY.Metadata, 0);
    body.writeInt16BE(1, 2);
    body.writeInt32BE(1, 4);
    body.writeInt16BE(30_000, 8); // client id of 30,000 bytes in a 12-byte frame
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    p.send(Buffer.concat([size, body]));
    await closedBy(p, 'the connection to close after a header that does not parse');
    expect(p.frames).toEqual([]);
    expect(refusals.join('\n')).toMatch(/header that does not parse/);
  });

  it('an API the broker does not have, or a version it does not advertise, closes the connection', async () => {
    for (const [apiKey, version] of [
      [0x7777, 0],
      [API_KEY.Metadata, 99],
      [API_KEY.Produce, 8],
    ] as const) {
      const p = await peer();
      p.send(request(apiKey, version, 1, () => undefined));
      await closedBy(p, `the connection to close after key ${apiKey} v${version}`);
      expect(p.frames).toEqual([]);
    }
    expect(refusals).toHaveLength(3);
    for (const r of refusals) expect(r).toMatch(/is not supported/);
  });

  it('ApiVersions v99 answers UNSUPPORTED_VERSION in a v0 reply that names the range, and the connection stays open', async () => {
    const p = await peer();
    p.send(request(API_KEY.ApiVersions, 99, 42, () => undefined));
    await waitFor(() => p.frames.length === 1, { what: 'the ApiVersions reply' });
    const r = new KafkaReader(p.frames[0] as Buffer);
    expect(readResponseHeader(r, 0).correlationId).toBe(42);
    const answer = readApiVersionsResponse(r, 0);
    expect(answer.errorCode).toBe(KAFKA_ERROR.UNSUPPORTED_VERSION);
    expect(answer.apiKeys).toEqual([{ apiKey: API_KEY.ApiVersions, minVersion: 0, maxVersion: 3 }]);
    // the client asks again within the range, on the same connection
    p.send(request(API_KEY.ApiVersions, 3, 43, (w) => w.compactString('hostile').compactString('1').emptyTaggedFields()));
    await waitFor(() => p.frames.length === 2, { what: 'the second ApiVersions reply' });
    const again = new KafkaReader(p.frames[1] as Buffer);
    expect(readResponseHeader(again, 0).correlationId).toBe(43);
    const table = readApiVersionsResponse(again, 3);
    expect(table.errorCode).toBe(KAFKA_ERROR.NONE);
    // the whole advertised table (it grows as APIs are implemented), in key order, ApiVersions among them
    expect(table.apiKeys).toEqual(ADVERTISED);
    expect(table.apiKeys.map((k) => k.apiKey)).toEqual(
      expect.arrayContaining([API_KEY.Produce, API_KEY.Fetch, API_KEY.ListOffsets, API_KEY.Metadata, API_KEY.ApiVersions]),
    );
    expect(p.closed).toBe(false);
  });

  it('a Produce whose batch fails its CRC-32C answers CORRUPT_MESSAGE and writes nothing', async () => {
    const topic = 'bad-crc';
    await createTopic(topic);
    const records = encodeRecordBatch({ records: [{ timestamp: Date.now(), key: Buffer.from('k'), value: Buffer.from('a value') }] });
    const at = records.indexOf('a value'); // a byte of the value, covered by the CRC
    expect(at).toBeGreaterThan(0);
    const flip = (): void => void records.writeUInt8(records.readUInt8(at) ^ 0x20, at);
    flip();
    const answer = await produce(topic, records, 5);
    expect(answer.topics[0]?.partitions[0]).toMatchObject({ index: 0, errorCode: KAFKA_ERROR.CORRUPT_MESSAGE, baseOffset: -1 });
    expect(await endOffset(topic)).toBe(0);
    // the same batch unharmed is written
    flip();
    const ok = await produce(topic, records, 6);
    expect(ok.topics[0]?.partitions[0]).toMatchObject({ errorCode: KAFKA_ERROR.NONE, baseOffset: 0 });
    expect(await endOffset(topic)).toBe(1);
  });

  it('a record over --max-message-bytes answers MESSAGE_TOO_LARGE and writes nothing of its batch', async () => {
    const topic = 'too-large';
    await createTopic(topic);
    const now = Date.now();
    const records = encodeRecordBatch({
      records: [
        { timestamp: now, key: null, value: Buffer.from('small') },
        { timestamp: now, key: null, value: Buffer.alloc(MAX_MESSAGE_BYTES * 2, 0x61) },
      ],
    });
    const answer = await produce(topic, records, 9);
    expect(answer.topics[0]?.partitions[0]).toMatchObject({ index: 0, errorCode: KAFKA_ERROR.MESSAGE_TOO_LARGE, baseOffset: -1 });
    expect(await endOffset(topic)).toBe(0);
  });

  it('pipelined requests are answered in request order: a long-polling Fetch, then a Metadata', async () => {
    const topic = 'pipelined';
    await createTopic(topic);
    const p = await peer();
    const waitMs = 400;
    const fetchRequest = request(API_KEY.Fetch, 11, 100, (w) =>
      writeFetchRequest(w, 11, {
        replicaId: -1,
        maxWaitMs: waitMs,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          { topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] },
        ],
        forgottenTopics: [],
        rackId: '',
      }),
    );
    const metadataRequest = request(API_KEY.Metadata, 1, 101, (w) =>
      writeMetadataRequest(w, 1, { topics: [topic], allowAutoTopicCreation: false }),
    );
    const sent = Date.now();
    p.send(Buffer.concat([fetchRequest, metadataRequest]));
    await waitFor(() => p.frames.length === 2, { what: 'both replies' });
    // the Fetch waited for records that never came, and the Metadata (ready at once) was held behind it
    expect(Date.now() - sent).toBeGreaterThanOrEqual(waitMs - 5);
    const first = new KafkaReader(p.frames[0] as Buffer);
    expect(readResponseHeader(first, 0).correlationId).toBe(100);
    const fetched = readFetchResponse(first, 11);
    expect(fetched.responses[0]?.partitions[0]).toMatchObject({ errorCode: KAFKA_ERROR.NONE, highWatermark: 0 });
    const second = new KafkaReader(p.frames[1] as Buffer);
    expect(readResponseHeader(second, 0).correlationId).toBe(101);
    expect(readMetadataResponse(second, 1).topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([[topic, 0, 1]]);
  });
});
