/**
 * Produce (key 0), versions 3–7 (3 is the first with RecordBatch v2 records; 8 adds record errors; 9 is
 * flexible). Versions 3–7 share the request layout; 5 adds log_start_offset to the response, 6 and 7 only
 * change meaning (throttling, zstd allowed).
 *
 * ```text
 * request:  transactional_id NULLABLE_STRING, acks INT16, timeout_ms INT32,
 *           topic_data ARRAY(name STRING, partition_data ARRAY(index INT32, records NULLABLE_BYTES))
 * response: responses ARRAY(name STRING, partition_responses ARRAY(index INT32, error_code INT16,
 *             base_offset INT64, log_append_time_ms INT64, log_start_offset INT64 v5+)),
 *           throttle_time_ms INT32
 * ```
 *
 * A partition's records are returned as a view of the request's bytes: split them with `splitBatches`
 * and decode each with `decodeRecordBatch` (record-batch.ts), which check CRC and limits. Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface ProducePartitionData {
  index: number;
  /** The RECORDS field (one or more RecordBatch v2), or null. */
  records: Buffer | null;
}

export interface ProduceTopicData {
  name: string;
  partitions: ProducePartitionData[];
}

export interface ProduceRequest {
  transactionalId: string | null;
  /** 0 (no answer), 1 (leader) or -1 (all in-sync replicas). */
  acks: number;
  timeoutMs: number;
  topics: ProduceTopicData[];
}

export interface ProducePartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  /** -1 unless the topic uses LogAppendTime. */
  logAppendTimeMs: number;
  /** v5+. */
  logStartOffset: number;
}

export interface ProduceTopicResponse {
  name: string;
  partitions: ProducePartitionResponse[];
}

export interface ProduceResponse {
  topics: ProduceTopicResponse[];
  throttleTimeMs: number;
}

export const PRODUCE_LIMITS = { maxTopics: 10_000, maxPartitions: 100_000 } as const;

/** Reads a Produce request body of `version` (3–7). */
export function readProduceRequest(
  r: KafkaReader,
  _version: number,
  limits: { maxTopics: number; maxPartitions: number } = PRODUCE_LIMITS,
): ProduceRequest {
  const transactionalId = r.nullableString();
  const acks = r.int16();
  const timeoutMs = r.int32();
  const topics = r.array(
    (x): ProduceTopicData => ({
      name: x.string(),
      partitions: x.array((y): ProducePartitionData => ({ index: y.int32(), records: y.nullableBytes() }), {
        max: limits.maxPartitions,
        minBytes: 8,
      }),
    }),
    { max: limits.maxTopics, minBytes: 6 },
  );
  return { transactionalId, acks, timeoutMs, topics };
}

export function writeProduceRequest(w: KafkaWriter, _version: number, request: ProduceRequest): void {
  w.nullableString(request.transactionalId).int16(request.acks).int32(request.timeoutMs);
  w.array(request.topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => y.int32(p.index).nullableBytes(p.records));
  });
}

/** Writes a Produce response body of `version` (3–7). */
export function writeProduceResponse(w: KafkaWriter, version: number, response: ProduceResponse): void {
  w.array(response.topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => {
      y.int32(p.index).int16(p.errorCode).int64(p.baseOffset).int64(p.logAppendTimeMs);
      if (version >= 5) y.int64(p.logStartOffset);
    });
  });
  w.int32(response.throttleTimeMs);
}

/** Reads a Produce response body of `version` (3–7). */
export function readProduceResponse(r: KafkaReader, version: number): ProduceResponse {
  const topics = r.array(
    (x): ProduceTopicResponse => ({
      name: x.string(),
      partitions: x.array(
        (y): ProducePartitionResponse => ({
          index: y.int32(),
          errorCode: y.int16(),
          baseOffset: y.int64Number(),
          logAppendTimeMs: y.int64Number(),
          logStartOffset: version >= 5 ? y.int64Number() : -1,
        }),
        { max: PRODUCE_LIMITS.maxPartitions, minBytes: version >= 5 ? 30 : 22 },
      ),
    }),
    { max: PRODUCE_LIMITS.maxTopics, minBytes: 6 },
  );
  return { topics, throttleTimeMs: r.int32() };
}
