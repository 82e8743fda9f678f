/**
 * Produce: every RecordBatch v2 of a partition (or, Produce v0–2, every legacy message of magic 0/1, with
 * its CRC-32) is decoded (magic, CRC-32C, codec, dense offset deltas),
 * checked and translated before anything of the partition is written, so a bad batch writes nothing
 * (CORRUPT_MESSAGE, INVALID_RECORD, MESSAGE_TOO_LARGE). The records are then appended to the partition the
 * client chose through the broker's one intake (Ingest), in request order, and answered once acknowledged:
 * with `--fsync always` an acks=1/acks=all answer means on disk. acks=0 is answered by nothing, as Kafka
 * does. A record with an `evq-delay` or `evq-deliver-at` header waits in the delay queue as evq's delayed
 * messages do, and is placed by its key when it falls due. Transactions are not supported.
 *
 * A batch with a producer id (an idempotent producer's) is checked against the producer's sequences on its
 * partition (producer-sequences.ts) and appended in the same step, one step at a time per partition, in
 * request order: a retry is answered with the first write's base offset and not appended again, also when
 * it arrives while the first write is under way, and after a restart (producer-state.ts: the last record of
 * the batch carries the producer's sequences). Delayed records in an idempotent batch are refused
 * (INVALID_RECORD): a retry could not be told from a new batch once they left the delay queue.
 */
import { parseDuration } from '../../core/durations.js';
import { parseTimePoint } from '../../core/time-spec.js';
import { KafkaCodecError } from '../../protocol/kafka/codec-error.js';
import { KAFKA_ERROR } from '../../protocol/kafka/error-codes.js';
import { readProduceRequest, writeProduceResponse, type ProducePartitionResponse } from '../../protocol/kafka/produce.js';
import { decodeLegacyEntry } from '../../protocol/kafka/message-set.js';
import { decodeRecordBatch, RECORD_BATCH_MAGIC, splitBatches, type RecordBatch } from '../../protocol/kafka/record-batch.js';
import type { MessageInput } from '../../protocol/record.js';
import { isValidTopicName } from '../../protocol/validate.js';
import { KAFKA_PRODUCER_HEADER, translateKafkaBatch } from '../../protocol/kafka/record-translation.js';
import type { ProduceResult } from '../ingest.js';
import type { KafkaContext } from './context.js';
import { kafkaErrorCode } from './errors.js';
import { producerMarker } from './producer-state.js';
import { inSequence, lastSequence, type ProducerBatch } from './producer-sequences.js';
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
      refusal !== KAFKA_ERROR.NONE ? Promise.resolve(failed(p.index, refusal)) : producePartition(ctx, version, t.name, p.index, p.records),
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

async function producePartition(
  ctx: KafkaContext,
  version: number,
  name: string,
  index: number,
  records: Buffer | null,
): Promise<ProducePartitionResponse> {
  const { store, ingest, limits } = ctx.broker;
  if (!isValidTopicName(name)) return failed(index, KAFKA_ERROR.INVALID_TOPIC_EXCEPTION);
  let immediate: MessageInput[];
  let delayed: { dueAt: number; message: MessageInput }[];
  let producer: ProducerBatch | null;
  try {
    ({ immediate, delayed, producer } = decodePartition(records, version, limits.maxBatchBytes, ctx.broker.clock.now()));
    if (producer !== null && delayed.length > 0) {
      throw new KafkaCodecError(
        'INVALID_RECORD',
        'an idempotent producer cannot delay records (evq-delay, evq-deliver-at): produce them without idempotence',
      );
    }
  } catch (error) {
    return failed(index, kafkaErrorCode(error));
  }
  // joined now, before anything is awaited, so that the batches of a partition are checked in request order
  if (producer !== null) return produceSequenced(ctx, name, index, producer, immediate);
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

/**
 * An idempotent producer's batch: checked against the producer's sequences and, when new, appended, in one
 * step of the partition's queue; the step ends once the appends have started (they keep their order), the
 * answer waits for them (or, for a retry, for the first write).
 */
async function produceSequenced(
  ctx: KafkaContext,
  name: string,
  index: number,
  producer: ProducerBatch,
  immediate: MessageInput[],
): Promise<ProducePartitionResponse> {
  const { store, ingest, limits } = ctx.broker;
  try {
    const { log, baseOffset } = await ctx.producers.serialize(name, index, async () => {
      const topic = store.get(name) ?? (await store.getOrCreate(name));
      const log = topic.partition(index);
      if (log === undefined) return { log, baseOffset: null };
      const state = await ctx.producers.of(log);
      const check = state.check(producer);
      if (check.verdict === 'refuse') throw new KafkaCodecError(check.error, check.message);
      if (check.verdict === 'duplicate') return { log, baseOffset: check.baseOffset };
      // the marker goes on the last record: once it is written, every record of the batch is
      const last = immediate[immediate.length - 1] as MessageInput;
      const headers = Object.assign(Object.create(null) as Record<string, string>, last.headers ?? {}, {
        [KAFKA_PRODUCER_HEADER]: producerMarker(producer, immediate.length),
      });
      const input = [...immediate.slice(0, -1), { ...last, headers }];
      const chunks: MessageInput[][] = [];
      for (let i = 0; i < input.length; i += limits.maxBatchCount) chunks.push(input.slice(i, i + limits.maxBatchCount));
      // every chunk is checked before the first is appended: a batch past the limits writes nothing
      if (chunks.length > 1) for (const chunk of chunks) ingest.check(name, chunk);
      const appends = chunks.map((chunk) => ingest.produce(name, chunk, { partition: index }));
      const written = Promise.all(appends).then((results) => {
        const first = results[0] as ProduceResult;
        return first.delayed ? -1 : first.baseOffset;
      });
      state.begin(producer, written);
      return { log, baseOffset: written };
    });
    if (log === undefined || baseOffset === null) return failed(index, KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION);
    return { index, errorCode: KAFKA_ERROR.NONE, baseOffset: await baseOffset, logAppendTimeMs: -1, logStartOffset: log.startOffset };
  } catch (error) {
    return failed(index, kafkaErrorCode(error));
  }
}

interface DecodedPartition {
  immediate: MessageInput[];
  delayed: { dueAt: number; message: MessageInput }[];
  /** The producer and sequences of the batches when they have a producer id (one producer, in sequence). */
  producer: ProducerBatch | null;
}

/** The producer of the batches so far, extended by `batch`; throws when they do not go together. */
function producerOf(sofar: ProducerBatch | null, batch: RecordBatch, first: boolean): ProducerBatch | null {
  const idempotent = batch.producerId >= 0;
  if (!first && idempotent !== (sofar !== null)) {
    throw new KafkaCodecError('INVALID_RECORD', 'batches with and without a producer id in one partition of a produce');
  }
  if (!idempotent) return null;
  if (batch.producerEpoch < 0 || batch.baseSequence < 0 || batch.records.length === 0) {
    throw new KafkaCodecError(
      'INVALID_RECORD',
      `a batch of producer ${batch.producerId} with epoch ${batch.producerEpoch}, base sequence ${batch.baseSequence} and ${batch.records.length} records`,
    );
  }
  const lastSeq = lastSequence(batch.baseSequence, batch.records.length);
  if (sofar === null) return { producerId: batch.producerId, epoch: batch.producerEpoch, firstSeq: batch.baseSequence, lastSeq };
  if (sofar.producerId !== batch.producerId || sofar.epoch !== batch.producerEpoch) {
    throw new KafkaCodecError('INVALID_RECORD', 'batches of two producers (or epochs) in one partition of a produce');
  }
  if (!inSequence(sofar.lastSeq, batch.baseSequence)) {
    throw new KafkaCodecError('OUT_OF_ORDER_SEQUENCE_NUMBER', `batch at sequence ${batch.baseSequence} after sequence ${sofar.lastSeq}`);
  }
  return { ...sofar, lastSeq };
}

/**
 * The entry `[at, end)` of a RECORDS field: a RecordBatch v2, or under Produce v0–2 a legacy message (Kafka
 * takes either there; from v3 on only RecordBatch v2).
 */
function decodeEntry(records: Buffer, version: number, maxBatchBytes: number, at: number, end: number): RecordBatch {
  const magic = end - at > 16 ? (records[at + 16] as number) : -1;
  const limits = { maxRecords: MAX_BATCH_RECORDS, maxUncompressedBytes: maxBatchBytes, denseOffsets: true };
  if (magic === RECORD_BATCH_MAGIC) return decodeRecordBatch(records, limits, at, end);
  if (version >= 3) {
    throw new KafkaCodecError('INVALID_RECORD', `Produce v${version} takes RecordBatch v2 (magic 2) only, this entry has magic ${magic}`);
  }
  return decodeLegacyEntry(records, limits, at, end);
}

/** Every batch of a RECORDS field, decoded and translated; throws before anything is appended. */
function decodePartition(records: Buffer | null, version: number, maxBatchBytes: number, now: number): DecodedPartition {
  if (records === null || records.length === 0) throw new KafkaCodecError('CORRUPT_MESSAGE', 'a produce without records');
  const immediate: MessageInput[] = [];
  const delayed: { dueAt: number; message: MessageInput }[] = [];
  let producer: ProducerBatch | null = null;
  let first = true;
  for (const [at, end] of splitBatches(records)) {
    const batch = decodeEntry(records, version, maxBatchBytes, at, end);
    if (batch.transactional || batch.control) {
      throw new KafkaCodecError('INVALID_RECORD', 'transactional and control batches are not supported: evq has no transactions');
    }
    producer = producerOf(producer, batch, first);
    first = false;
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
  return { immediate, delayed, producer };
}
