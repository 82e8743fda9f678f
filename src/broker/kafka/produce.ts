/**
 * Produce: every RecordBatch v2 of a partition is decoded (magic, CRC-32C, codec, dense offset deltas),
 * checked and translated before anything of the partition is written, so a bad batch writes nothing
 * (CORRUPT_MESSAGE, INVALID_RECORD, MESSAGE_TOO_LARGE). The records are then appended to the partition the
 * client chose through the broker's one intake (Ingest), in request order, and answered once acknowledged:
 * with `--fsync always` an acks=1/acks=all answer means on disk. acks=0 is answered by nothing, as Kafka
 * does. A record with an `evq-delay` or `evq-deliver-at` header waits in the delay queue as evq's delayed
 * messages do, and is placed by its key when it falls due. Transactions are not supported.
 */
import { parseDuration } from '../../core/durations.js';
import { parseTimePoint } from '../../core/time-spec.js';
import { KafkaCodecError } from '../../protocol/kafka/codec-error.js';
import { KAFKA_ERROR } from '../../protocol/kafka/error-codes.js';
import { readProduceRequest, writeProduceResponse, type ProducePartitionResponse } from '../../protocol/kafka/produce.js';
import { decodeRecordBatch, splitBatches, type RecordBatch } from '../../protocol/kafka/record-batch.js';
import { translateKafkaBatch } from '../../protocol/kafka/record-translation.js';
import type { MessageInput } from '../../protocol/record.js';
import { isValidTopicName } from '../../protocol/validate.js';
import type { ProduceResult } from '../ingest.js';
import type { KafkaContext } from './context.js';
import { kafkaErrorCode } from './errors.js';
import type { KafkaAnswer, KafkaRequest } from './request.js';

/** The most records one Kafka batch may hold (it is bounded by its bytes too). */
const MAX_BATCH_RECORDS = 1_000_000;

export async function handleProduce(ctx: KafkaContext, { header, body }: KafkaRequest): Promise<KafkaAnswer> {
  const version = header.apiVersion;
  const request = readProduceRequest(body, version);
  const acks = request.acks;
  const refusal =
    request.transactionalId !== null
      ? KAFKA_ERROR.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : acks !== 0 && acks !== 1 && acks !== -1
        ? KAFKA_ERROR.INVALID_REQUIRED_ACKS
        : KAFKA_ERROR.NONE;
  // every partition's append starts now, in request order (pipelined requests keep their order too)
  const started = request.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) =>
      refusal !== KAFKA_ERROR.NONE ? Promise.resolve(failed(p.index, refusal)) : producePartition(ctx, t.name, p.index, p.records),
    ),
  }));
  const topics: { name: string; partitions: ProducePartitionResponse[] }[] = [];
  for (const t of started) topics.push({ name: t.name, partitions: await Promise.all(t.partitions) });
  if (acks === 0 && refusal === KAFKA_ERROR.NONE) return null;
  return (w) => writeProduceResponse(w, version, { topics, throttleTimeMs: 0 });
}

function failed(index: number, errorCode: number): ProducePartitionResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
}

async function producePartition(ctx: KafkaContext, name: string, index: number, records: Buffer | null): Promise<ProducePartitionResponse> {
  const { store, ingest, limits } = ctx.broker;
  if (!isValidTopicName(name)) return failed(index, KAFKA_ERROR.INVALID_TOPIC_EXCEPTION);
  let immediate: MessageInput[];
  let delayed: { dueAt: number; message: MessageInput }[];
  try {
    ({ immediate, delayed } = decodePartition(records, limits.maxBatchBytes, ctx.broker.clock.now()));
  } catch (error) {
    return failed(index, kafkaErrorCode(error));
  }
  try {
    const topic = store.get(name) ?? (await store.getOrCreate(name));
    const log = topic.partition(index);
    if (log === undefined) return failed(index, KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION);
    // ingest checks each message against the limits; a chunk is at most its batch count
    const appends: Promise<ProduceResult>[] = [];
    for (let i = 0; i < immediate.length; i += limits.maxBatchCount) {
      appends.push(ingest.produce(name, immediate.slice(i, i + limits.maxBatchCount), { partition: index }));
    }
    for (const d of delayed) appends.push(ingest.produce(name, [d.message], { dueAt: d.dueAt }));
    const results = await Promise.all(appends);
    const first = results.find((r) => !r.delayed);
    return {
      index,
      errorCode: KAFKA_ERROR.NONE,
      baseOffset: first !== undefined && !first.delayed ? first.baseOffset : -1,
      logAppendTimeMs: -1,
      logStartOffset: log.startOffset,
    };
  } catch (error) {
    return failed(index, kafkaErrorCode(error));
  }
}

/** Every batch of a RECORDS field, decoded and translated; throws before anything is appended. */
function decodePartition(
  records: Buffer | null,
  maxBatchBytes: number,
  now: number,
): { immediate: MessageInput[]; delayed: { dueAt: number; message: MessageInput }[] } {
  if (records === null || records.length === 0) throw new KafkaCodecError('CORRUPT_MESSAGE', 'a produce without records');
  const immediate: MessageInput[] = [];
  const delayed: { dueAt: number; message: MessageInput }[] = [];
  for (const [at, end] of splitBatches(records)) {
    const batch: RecordBatch = decodeRecordBatch(
      records,
      { maxRecords: MAX_BATCH_RECORDS, maxUncompressedBytes: maxBatchBytes, denseOffsets: true },
      at,
      end,
    );
    if (batch.transactional || batch.control) {
      throw new KafkaCodecError('INVALID_RECORD', 'transactional and control batches are not supported: evq has no transactions');
    }
    for (const { message, delay } of translateKafkaBatch(batch)) {
      if (delay === null) {
        immediate.push(message);
        continue;
      }
      let dueAt: number;
      try {
        dueAt = delay.kind === 'delay' ? now + parseDuration(delay.text) : parseTimePoint(delay.text);
      } catch (error) {
        throw new KafkaCodecError('INVALID_RECORD', (error as Error).message);
      }
      if (dueAt <= now) immediate.push(message);
      else delayed.push({ dueAt, message });
    }
  }
  return { immediate, delayed };
}
