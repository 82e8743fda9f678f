/**
 * The idempotent producer against a real broker's Kafka listener: kafkajs 2.2.4 with `idempotent: true`
 * delivers each message once; a Produce frame sent twice (a retry whose answer was lost) is appended once
 * and both answers name the same base offset, also when the retry comes after a restart on the same data;
 * a gap in the sequences is OUT_OF_ORDER_SEQUENCE_NUMBER; a transactional InitProducerId is refused.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { API_KEY } from '../../../src/protocol/kafka/api-keys.js';
import { KAFKA_ERROR } from '../../../src/protocol/kafka/error-codes.js';
import { decodeRecordBatch, encodeRecordBatch, splitBatches } from '../../../src/protocol/kafka/record-batch.js';
import { readFetchResponse, writeFetchRequest } from '../../../src/protocol/kafka/fetch.js';
import { KAFKA_PRODUCER_HEADER } from '../../../src/protocol/kafka/record-translation.js';
import { makeTempDir, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { RawClient, idempotentBatch } from '../../helpers/kafka-raw-client.js';

const require = createRequire(import.meta.url);
const hasKcat = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

const FETCH_VERSION = 11;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function open(port: number): Promise<RawClient> {
  const client = await RawClient.open(port);
  cleanups.push(() => client.close());
  return client;
}

async function broker(dataDir?: string): Promise<TestBroker> {
  const b = await startTestBroker({ kafkaPort: 0, ...(dataDir === undefined ? {} : { dataDir }) });
  cleanups.push(() => b.close());
  return b;
}

/** The values of every record of `topic`, read through evq's HTTP API, and their headers. */
async function stored(b: TestBroker, topic: string): Promise<{ values: string[]; headers: (Record<string, string> | null)[] }> {
  const { records } = await readAll(b.url, topic, '?from=0&limit=10000');
  return {
    values: records.map((r) => r.value as string),
    headers: records.map((r) => (r.headers ?? null) as Record<string, string> | null),
  };
}

describe('InitProducerId', () => {
  it('gives each call a new producer id at epoch 0', async () => {
    const b = await broker();
    const client = await open(b.kafkaPort!);
    const first = await client.initProducerId();
    const second = await client.initProducerId();
    expect(first).toMatchObject({ errorCode: KAFKA_ERROR.NONE, producerEpoch: 0 });
    expect(second.producerId).toBeGreaterThan(first.producerId);
  });

  it('refuses a transactional id with TRANSACTIONAL_ID_AUTHORIZATION_FAILED: evq has no transactions', async () => {
    const b = await broker();
    const client = await open(b.kafkaPort!);
    expect(await client.initProducerId('tx-1')).toEqual({
      throttleTimeMs: 0,
      errorCode: KAFKA_ERROR.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      producerId: -1,
      producerEpoch: -1,
    });
  });
});

describe('kafkajs idempotent producer', () => {
  it('delivers each message once, in order', async () => {
    const b = await broker();
    const kafka = new Kafka({ clientId: 'idem', brokers: [`127.0.0.1:${b.kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const values = [`m${i}-a`, `m${i}-b`, `m${i}-c`];
      sent.push(...values);
      const [answer] = await producer.send({ topic: 'idem', messages: values.map((value) => ({ value })) });
      expect(answer).toMatchObject({ errorCode: 0, baseOffset: String(i * 3) });
    }
    const { values, headers } = await stored(b, 'idem');
    expect(values).toEqual(sent);
    // evq readers see which producer wrote each batch, on its last record
    expect(headers[2]?.[KAFKA_PRODUCER_HEADER]).toMatch(/^\d+:0:0:2:3$/);
    expect(headers[0]?.[KAFKA_PRODUCER_HEADER]).toBeUndefined();
  });

  it('a retry after a lost answer is answered with the first offset and not appended again', async () => {
    const b = await broker();
    // the connection that carries the third Produce closes as its answer arrives: the write happened, the
    // answer is lost, and kafkajs sends the same batch (the same sequence) again on a new connection
    let produces = 0;
    let dropped = 0;
    const socketFactory = ({ host, port, onConnect }: { host: string; port: number; onConnect: () => void }): Socket => {
      const socket = connect({ host, port }, onConnect);
      let armed = false;
      const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
      socket.write = ((chunk: unknown, ...rest: unknown[]) => {
        if (Buffer.isBuffer(chunk) && chunk.length >= 6 && chunk.readInt16BE(4) === API_KEY.Produce && ++produces === 3) armed = true;
        return write(chunk, ...rest);
      }) as typeof socket.write;
      const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
      socket.emit = ((event: string | symbol, ...args: unknown[]) => {
        if (event === 'data' && armed) {
          armed = false;
          dropped++;
          socket.destroy(new Error('the answer was lost'));
          return true;
        }
        return emit(event, ...args);
      }) as typeof socket.emit;
      return socket;
    };
    const kafka = new Kafka({
      clientId: 'idem',
      brokers: [`127.0.0.1:${b.kafkaPort}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 50 },
      socketFactory: socketFactory as never,
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const offsets: string[] = [];
    for (let i = 0; i < 5; i++) {
      const [answer] = await producer.send({ topic: 'lost', messages: [{ value: `m${i}` }] });
      offsets.push(answer!.baseOffset!);
    }
    expect(dropped).toBe(1);
    expect(produces).toBeGreaterThan(5);
    expect(offsets).toEqual(['0', '1', '2', '3', '4']);
    expect((await stored(b, 'lost')).values).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('a Kafka fetch does not return the producer header evq readers see', async () => {
    const b = await broker();
    const client = await open(b.kafkaPort!);
    const { producerId } = await client.initProducerId();
    const p = client.produceFrame('hidden', producerId, 0, ['x', 'y']);
    const produced = client.produceAnswer(p.correlationId);
    client.send(p.bytes);
    expect((await produced).errorCode).toBe(KAFKA_ERROR.NONE);
    expect((await stored(b, 'hidden')).headers[1]?.[KAFKA_PRODUCER_HEADER]).toBe(`${producerId}:0:0:1:2`);

    const f = client.request(API_KEY.Fetch, FETCH_VERSION, (w) =>
      writeFetchRequest(w, FETCH_VERSION, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: 'hidden',
            partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }],
          },
        ],
        forgottenTopics: [],
        rackId: '',
      }),
    );
    const fetched = client.answer(f.correlationId, API_KEY.Fetch, FETCH_VERSION);
    client.send(f.bytes);
    const records = readFetchResponse(await fetched, FETCH_VERSION).responses[0]!.partitions[0]!.records!;
    const kafkaBatch = decodeRecordBatch(records, { maxRecords: 10, maxUncompressedBytes: 1 << 20 }, ...splitBatches(records)[0]!);
    expect(kafkaBatch.records.map((r) => [r.value?.toString(), r.headers])).toEqual([
      ['x', []],
      ['y', []],
    ]);
  });
});

describe('librdkafka (kcat) idempotent producer', () => {
  it.skipIf(!hasKcat)('delivers each line once, batches larger than evq appends at once included', async () => {
    const b = await broker();
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`);
    const exit = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        'kcat',
        [
          '-b',
          `127.0.0.1:${b.kafkaPort}`,
          '-P',
          '-t',
          'kcat',
          '-X',
          'enable.idempotence=true',
          '-X',
          'batch.num.messages=2500',
          '-X',
          'linger.ms=50',
        ],
        { stdio: ['pipe', 'ignore', 'pipe'] },
      );
      cleanups.push(() => void child.kill('SIGKILL'));
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
      child.stdin.end(lines.join('\n') + '\n');
    });
    expect(exit.code, exit.stderr).toBe(0);
    const values: string[] = [];
    const batchSizes: number[] = [];
    for (let from = 0; from < lines.length; from += 1000) {
      const { records } = await readAll(b.url, 'kcat', `?from=${from}&limit=1000`);
      for (const r of records) {
        values.push(r.value as string);
        const marker = r.headers?.[KAFKA_PRODUCER_HEADER] as string | undefined;
        if (marker !== undefined) batchSizes.push(Number(marker.split(':')[4]));
      }
    }
    expect(values).toEqual(lines);
    // librdkafka's batches were idempotent ones, each marked on its last record, some larger than the
    // 1,000 messages evq appends at once (so appended in parts)
    expect(batchSizes.reduce((a, n) => a + n, 0)).toBe(lines.length);
    expect(Math.max(...batchSizes)).toBeGreaterThan(1000);
  });
});

describe('a Produce frame sent twice', () => {
  it('is appended once, and both answers give the same base offset, also while the first is being written', async () => {
    const b = await broker();
    const client = await open(b.kafkaPort!);
    const { producerId } = await client.initProducerId();
    const first = client.produceFrame('retry', producerId, 0, ['a', 'b']);
    const answer = client.produceAnswer(first.correlationId);
    client.send(first.bytes);
    expect(await answer).toMatchObject({ errorCode: KAFKA_ERROR.NONE, baseOffset: 0 });

    const second = client.produceFrame('retry', producerId, 2, ['c']);
    const retry = client.produceFrame('retry', producerId, 2, ['c']);
    const third = client.produceFrame('retry', producerId, 3, ['d']);
    const answers = [second, retry, third].map((f) => client.produceAnswer(f.correlationId));
    // pipelined in one write: the retry is read while the first write of sequence 2 is under way
    client.send(second.bytes, retry.bytes, third.bytes);
    expect(await Promise.all(answers)).toMatchObject([
      { errorCode: KAFKA_ERROR.NONE, baseOffset: 2 },
      { errorCode: KAFKA_ERROR.NONE, baseOffset: 2 },
      { errorCode: KAFKA_ERROR.NONE, baseOffset: 3 },
    ]);
    const again = client.produceFrame('retry', producerId, 0, ['a', 'b']);
    const againAnswer = client.produceAnswer(again.correlationId);
    client.send(again.bytes);
    expect(await againAnswer).toMatchObject({ errorCode: KAFKA_ERROR.NONE, baseOffset: 0 });
    expect((await stored(b, 'retry')).values).toEqual(['a', 'b', 'c', 'd']);
  });

  it('is still appended once when the retry comes after a restart on the same data', async () => {
    const dataDir = await makeTempDir();
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const before = await broker(dataDir);
    let client = await open(before.kafkaPort!);
    const { producerId } = await client.initProducerId();
    for (const [seq, value] of [
      [0, 'a'],
      [1, 'b'],
    ] as const) {
      const f = client.produceFrame('restart', producerId, seq, [value]);
      const answer = client.produceAnswer(f.correlationId);
      client.send(f.bytes);
      expect(await answer).toMatchObject({ errorCode: KAFKA_ERROR.NONE, baseOffset: seq });
    }
    await before.close();

    const after = await broker(dataDir);
    client = await open(after.kafkaPort!);
    const frames = [
      client.produceFrame('restart', producerId, 1, ['b']),
      client.produceFrame('restart', producerId, 0, ['a']),
      client.produceFrame('restart', producerId, 2, ['c']),
      client.produceFrame('restart', producerId, 4, ['gap']),
    ];
    const answers = frames.map((f) => client.produceAnswer(f.correlationId));
    client.send(...frames.map((f) => f.bytes));
    expect(await Promise.all(answers)).toMatchObject([
      { errorCode: KAFKA_ERROR.NONE, baseOffset: 1 },
      { errorCode: KAFKA_ERROR.NONE, baseOffset: 0 },
      { errorCode: KAFKA_ERROR.NONE, baseOffset: 2 },
      { errorCode: KAFKA_ERROR.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1 },
    ]);
    expect((await stored(after, 'restart')).values).toEqual(['a', 'b', 'c']);
  });
});

describe('sequence errors', () => {
  it('a gap is OUT_OF_ORDER_SEQUENCE_NUMBER and writes nothing; an unknown producer past 0 is UNKNOWN_PRODUCER_ID', async () => {
    const b = await broker();
    const client = await open(b.kafkaPort!);
    const { producerId } = await client.initProducerId();
    const frames = [
      client.produceFrame('gaps', producerId, 0, ['a']),
      client.produceFrame('gaps', producerId, 2, ['skipped one']),
      client.produceFrame('gaps', producerId + 1, 5, ['unknown']),
      client.produceFrame('gaps', producerId, 1, ['b']),
    ];
    const answers = frames.map((f) => client.produceAnswer(f.correlationId));
    client.send(...frames.map((f) => f.bytes));
    expect((await Promise.all(answers)).map((a) => a.errorCode)).toEqual([
      KAFKA_ERROR.NONE,
      KAFKA_ERROR.OUT_OF_ORDER_SEQUENCE_NUMBER,
      KAFKA_ERROR.UNKNOWN_PRODUCER_ID,
      KAFKA_ERROR.NONE,
    ]);
    expect((await stored(b, 'gaps')).values).toEqual(['a', 'b']);
  });
});

describe('what an idempotent produce may not carry', () => {
  it('two batches of one producer in one partition are one step: in sequence they are taken, a gap between them writes neither', async () => {
    const b = await broker();
    const client = await open(b.kafkaPort!);
    const { producerId } = await client.initProducerId();
    const both = Buffer.concat([idempotentBatch(producerId, 0, ['a', 'b']), idempotentBatch(producerId, 2, ['c'])]);
    expect(await client.produce(client.produceRecordsFrame('two', both))).toMatchObject({ errorCode: KAFKA_ERROR.NONE, baseOffset: 0 });
    // the same two again: a retry
    expect(await client.produce(client.produceRecordsFrame('two', both))).toMatchObject({ errorCode: KAFKA_ERROR.NONE, baseOffset: 0 });
    const gap = Buffer.concat([idempotentBatch(producerId, 3, ['d']), idempotentBatch(producerId, 5, ['f'])]);
    expect((await client.produce(client.produceRecordsFrame('two', gap))).errorCode).toBe(KAFKA_ERROR.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await stored(b, 'two')).values).toEqual(['a', 'b', 'c']);
  });

  it('an older epoch is INVALID_PRODUCER_EPOCH; delayed records and the evq-kafka-producer header are INVALID_RECORD', async () => {
    const b = await broker();
    const client = await open(b.kafkaPort!);
    const { producerId } = await client.initProducerId();
    const epoch1 = idempotentBatch(producerId, 0, ['new epoch'], { epoch: 1 });
    expect((await client.produce(client.produceRecordsFrame('refused', epoch1))).errorCode).toBe(KAFKA_ERROR.NONE);
    const epoch0 = idempotentBatch(producerId, 1, ['fenced']);
    expect((await client.produce(client.produceRecordsFrame('refused', epoch0))).errorCode).toBe(KAFKA_ERROR.INVALID_PRODUCER_EPOCH);
    const delayed = idempotentBatch(producerId, 1, ['later'], { epoch: 1, headers: [{ key: 'evq-delay', value: Buffer.from('5m') }] });
    expect((await client.produce(client.produceRecordsFrame('refused', delayed))).errorCode).toBe(KAFKA_ERROR.INVALID_RECORD);
    const forged = encodeRecordBatch({
      records: [
        {
          timestamp: Date.now(),
          key: null,
          value: Buffer.from('x'),
          headers: [{ key: KAFKA_PRODUCER_HEADER, value: Buffer.from('1:0:0:0:1') }],
        },
      ],
    });
    expect((await client.produce(client.produceRecordsFrame('refused', forged))).errorCode).toBe(KAFKA_ERROR.INVALID_RECORD);
    expect((await stored(b, 'refused')).values).toEqual(['new epoch']);
  });
});
