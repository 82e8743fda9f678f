/**
 * The Kafka error codes the listener answers, as Kafka clients expect them (their retry logic depends on
 * it), over raw TCP with evq's own codec: a partition that does not exist is UNKNOWN_TOPIC_OR_PARTITION
 * (Produce, Fetch, ListOffsets), a name Kafka forbids INVALID_TOPIC_EXCEPTION (Metadata, Produce), a fetch
 * past the end OFFSET_OUT_OF_RANGE, acks other than -1/0/1 INVALID_REQUIRED_ACKS, a transactional produce
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED; Metadata does not create a topic when the client forbids it. And
 * a fetch at an offset inside a stored batch gives kcat exactly the records from that offset.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY } from '../../../src/protocol/kafka/api-keys.js';
import { KAFKA_ERROR } from '../../../src/protocol/kafka/error-codes.js';
import { readFetchResponse, writeFetchRequest } from '../../../src/protocol/kafka/fetch.js';
import { readListOffsetsResponse, writeListOffsetsRequest } from '../../../src/protocol/kafka/list-offsets.js';
import { readMetadataResponse, writeMetadataRequest } from '../../../src/protocol/kafka/metadata.js';
import { readProduceResponse, writeProduceRequest } from '../../../src/protocol/kafka/produce.js';
import { encodeRecordBatch } from '../../../src/protocol/kafka/record-batch.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { bootstrap, hasKcat, killKcat, runKcat } from '../../helpers/kcat.js';
import { closePeers, connectPeer, requestFrame, type KafkaPeer } from '../../helpers/kafka-peer.js';

let broker: TestBroker;
let peer: KafkaPeer;
let correlation = 0;

beforeAll(async () => {
  broker = await startTestBroker({ memory: true, kafkaPort: 0 });
  const res = await fetch(`${broker.url}/topics/ten`, { method: 'PUT' });
  expect(res.status).toBe(201);
  // ten records in one batch: offsets 0..9
  const batch = encodeRecordBatch({
    records: Array.from({ length: 10 }, (_, i) => ({ timestamp: 1_700_000_000_000 + i, key: null, value: Buffer.from(`r${i}`) })),
  });
  const answer = await produce('ten', 0, batch);
  expect(answer).toMatchObject({ errorCode: KAFKA_ERROR.NONE, baseOffset: 0 });
});
afterAll(async () => {
  closePeers();
  await broker?.close();
});
afterEach(killKcat);

async function connection(): Promise<KafkaPeer> {
  if (peer === undefined || peer.closed) peer = await connectPeer(broker.kafkaPort as number);
  return peer;
}

async function produce(topic: string, partition: number, records: Buffer, options: { acks?: number; transactionalId?: string } = {}) {
  const id = ++correlation;
  const r = await (
    await connection()
  ).call(
    requestFrame(API_KEY.Produce, 7, id, (w) =>
      writeProduceRequest(w, 7, {
        transactionalId: options.transactionalId ?? null,
        acks: options.acks ?? -1,
        timeoutMs: 5000,
        topics: [{ name: topic, partitions: [{ index: partition, records }] }],
      }),
    ),
    id,
  );
  return readProduceResponse(r, 7).topics[0]?.partitions[0];
}

async function fetchAt(topic: string, partition: number, offset: number) {
  const id = ++correlation;
  const r = await (
    await connection()
  ).call(
    requestFrame(API_KEY.Fetch, 11, id, (w) =>
      writeFetchRequest(w, 11, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic,
            partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 1 << 20 }],
          },
        ],
        forgottenTopics: [],
        rackId: '',
      }),
    ),
    id,
  );
  return readFetchResponse(r, 11).responses[0]?.partitions[0];
}

async function metadata(topics: string[], allowAutoTopicCreation: boolean) {
  const id = ++correlation;
  const r = await (
    await connection()
  ).call(
    requestFrame(API_KEY.Metadata, 5, id, (w) => writeMetadataRequest(w, 5, { topics, allowAutoTopicCreation })),
    id,
  );
  return readMetadataResponse(r, 5).topics;
}

const oneRecord = (): Buffer => encodeRecordBatch({ records: [{ timestamp: Date.now(), key: null, value: Buffer.from('x') }] });

describe('Kafka error codes of the listener', () => {
  it('a partition that does not exist: UNKNOWN_TOPIC_OR_PARTITION from Produce, Fetch and ListOffsets', async () => {
    expect(await produce('ten', 9, oneRecord())).toMatchObject({ errorCode: KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1 });
    expect(await fetchAt('ten', 9, 0)).toMatchObject({ errorCode: KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION });
    expect(await fetchAt('no-such-topic', 0, 0)).toMatchObject({ errorCode: KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION });
    const id = ++correlation;
    const r = await (
      await connection()
    ).call(
      requestFrame(API_KEY.ListOffsets, 2, id, (w) =>
        writeListOffsetsRequest(w, 2, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [
            {
              name: 'ten',
              partitions: [
                { partitionIndex: 3, timestamp: -1 },
                { partitionIndex: 0, timestamp: -1 },
              ],
            },
          ],
        }),
      ),
      id,
    );
    expect(readListOffsetsResponse(r, 2).topics[0]?.partitions).toEqual([
      { partitionIndex: 3, errorCode: KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1, offset: -1 },
      { partitionIndex: 0, errorCode: KAFKA_ERROR.NONE, timestamp: -1, offset: 10 },
    ]);
  });

  it('a fetch past the end: OFFSET_OUT_OF_RANGE; at the end: no records, no error', async () => {
    expect(await fetchAt('ten', 0, 11)).toMatchObject({ errorCode: KAFKA_ERROR.OFFSET_OUT_OF_RANGE });
    const atEnd = await fetchAt('ten', 0, 10);
    expect(atEnd).toMatchObject({ errorCode: KAFKA_ERROR.NONE, highWatermark: 10 });
    expect(atEnd?.records?.length ?? 0).toBe(0);
  });

  it('a name Kafka forbids: INVALID_TOPIC_EXCEPTION from Metadata and Produce, nothing created', async () => {
    const bad = 'no spaces allowed';
    expect((await metadata([bad], true)).map((t) => [t.name, t.errorCode])).toEqual([[bad, KAFKA_ERROR.INVALID_TOPIC_EXCEPTION]]);
    expect(await produce(bad, 0, oneRecord())).toMatchObject({ errorCode: KAFKA_ERROR.INVALID_TOPIC_EXCEPTION });
    expect(
      ((await fetch(`${broker.url}/topics`).then((r) => r.json())) as { topics: { topic: string }[] }).topics.map((t) => t.topic),
    ).toEqual(['ten']);
  });

  it('Metadata creates a missing topic only when the client allows it', async () => {
    expect((await metadata(['not-created'], false)).map((t) => [t.name, t.errorCode])).toEqual([
      ['not-created', KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect((await fetch(`${broker.url}/topics/not-created`)).status).toBe(404);
    expect((await metadata(['created'], true)).map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([['created', 0, 1]]);
    expect((await fetch(`${broker.url}/topics/created`)).status).toBe(200);
  });

  it('acks 2: INVALID_REQUIRED_ACKS; a transactional produce: TRANSACTIONAL_ID_AUTHORIZATION_FAILED; nothing written', async () => {
    expect(await produce('ten', 0, oneRecord(), { acks: 2 })).toMatchObject({ errorCode: KAFKA_ERROR.INVALID_REQUIRED_ACKS });
    expect(await produce('ten', 0, oneRecord(), { transactionalId: 'tx-1' })).toMatchObject({
      errorCode: KAFKA_ERROR.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    });
    expect(await fetchAt('ten', 0, 10)).toMatchObject({ highWatermark: 10 });
  });

  it.skipIf(!hasKcat)('kcat -o 4 -c 3 on records stored as one batch gives offsets 4, 5 and 6', async () => {
    const res = await runKcat(bootstrap(broker.kafkaUrl), ['-C', '-t', 'ten', '-p', '0', '-o', '4', '-c', '3', '-q', '-f', '%o:%s\n']);
    expect(res.code).toBe(0);
    expect(res.out).toBe('4:r4\n5:r5\n6:r6\n');
  });
});
