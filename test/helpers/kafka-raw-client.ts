/**
 * A raw Kafka connection for tests: request frames written with evq's own encoders (so a test can send the
 * same bytes twice, pipeline several, or make a sequence gap), answers matched by correlation id.
 */
import { connect, type Socket } from 'node:net';
import { API_KEY, responseHeaderVersion } from '../../src/protocol/kafka/api-keys.js';
import { frame, readResponseHeader, writeRequestHeader } from '../../src/protocol/kafka/header.js';
import { readInitProducerIdResponse, writeInitProducerIdRequest } from '../../src/protocol/kafka/init-producer-id.js';
import { readProduceResponse, writeProduceRequest, type ProducePartitionResponse } from '../../src/protocol/kafka/produce.js';
import { KafkaReader } from '../../src/protocol/kafka/reader.js';
import { encodeRecordBatch } from '../../src/protocol/kafka/record-batch.js';
import type { KafkaWriter } from '../../src/protocol/kafka/writer.js';

export const PRODUCE_VERSION = 7;

/** A raw Kafka connection: frames out, answers matched by correlation id. */
export class RawClient {
  #next = 1;
  #buffer = Buffer.alloc(0);
  readonly #waiting = new Map<number, (body: KafkaReader) => void>();

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      while (this.#buffer.length >= 4 && this.#buffer.length >= 4 + this.#buffer.readInt32BE(0)) {
        const size = this.#buffer.readInt32BE(0);
        const body = this.#buffer.subarray(4, 4 + size);
        this.#buffer = this.#buffer.subarray(4 + size);
        const correlationId = body.readInt32BE(0);
        this.#waiting.get(correlationId)?.(new KafkaReader(body));
        this.#waiting.delete(correlationId);
      }
    });
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('error', () => undefined);
    return new RawClient(socket);
  }

  close(): void {
    this.socket.destroy();
  }

  /** A request frame and the promise of its answer's body (after the response header). */
  request(
    apiKey: number,
    apiVersion: number,
    write: (w: KafkaWriter) => void,
  ): {
    bytes: Buffer;
    correlationId: number;
  } {
    const correlationId = this.#next++;
    return {
      correlationId,
      bytes: frame((w) => {
        writeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: 'raw' });
        write(w);
      }),
    };
  }

  /** Sends `bytes` and waits for the answer to `correlationId` (several frames may be sent at once). */
  answer(correlationId: number, apiKey: number, apiVersion: number): Promise<KafkaReader> {
    return new Promise((resolve) => {
      this.#waiting.set(correlationId, (body) => {
        readResponseHeader(body, responseHeaderVersion(apiKey, apiVersion));
        resolve(body);
      });
    });
  }

  send(...frames: Buffer[]): void {
    this.socket.write(Buffer.concat(frames));
  }

  async initProducerId(transactionalId: string | null = null): Promise<{ errorCode: number; producerId: number; producerEpoch: number }> {
    const { bytes, correlationId } = this.request(API_KEY.InitProducerId, 1, (w) =>
      writeInitProducerIdRequest(w, 1, { transactionalId, transactionTimeoutMs: 60_000 }),
    );
    const answer = this.answer(correlationId, API_KEY.InitProducerId, 1);
    this.send(bytes);
    return readInitProducerIdResponse(await answer, 1);
  }

  /** A Produce frame of one idempotent batch to partition 0 of `topic`, with a fresh correlation id each call. */
  produceFrame(topic: string, producerId: number, baseSequence: number, values: string[]): { bytes: Buffer; correlationId: number } {
    return this.produceRecordsFrame(topic, idempotentBatch(producerId, baseSequence, values));
  }

  /**
   * A Produce frame (acks -1) carrying `records` (one or more RecordBatch v2, or under v0–2 a legacy message
   * set) to partition 0 of `topic`.
   */
  produceRecordsFrame(topic: string, records: Buffer, version = PRODUCE_VERSION): { bytes: Buffer; correlationId: number } {
    return this.request(API_KEY.Produce, version, (w) =>
      writeProduceRequest(w, version, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topics: [{ name: topic, partitions: [{ index: 0, records }] }],
      }),
    );
  }

  /** Sends one Produce frame and waits for its answer. */
  async produce(frame: { bytes: Buffer; correlationId: number }, version = PRODUCE_VERSION): Promise<ProducePartitionResponse> {
    const answer = this.produceAnswer(frame.correlationId, version);
    this.send(frame.bytes);
    return answer;
  }

  async produceAnswer(correlationId: number, version = PRODUCE_VERSION): Promise<ProducePartitionResponse> {
    const body = await this.answer(correlationId, API_KEY.Produce, version);
    return readProduceResponse(body, version).topics[0]!.partitions[0]!;
  }
}

/** One RecordBatch v2 of `values` (unkeyed, stamped now) from `producerId`, epoch `epoch`, at `baseSequence`. */
export function idempotentBatch(
  producerId: number,
  baseSequence: number,
  values: string[],
  options: { epoch?: number; headers?: { key: string; value: Buffer | null }[] } = {},
): Buffer {
  return encodeRecordBatch({
    records: values.map((v) => ({ timestamp: Date.now(), key: null, value: Buffer.from(v), headers: options.headers ?? [] })),
    producerId,
    producerEpoch: options.epoch ?? 0,
    baseSequence,
  });
}
