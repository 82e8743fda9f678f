/**
 * Produce (key 0), versions 0–7 (0–2 carry legacy message sets of magic 0/1, message-set.ts; 3 is the
 * first with RecordBatch v2 records and a transactional id; 8 adds record errors; 9 is flexible). The
 * request layout changes only at 3; the response gains throttle_time_ms at 1, log_append_time_ms at 2 and
 * log_start_offset at 5; 6 and 7 only change meaning (throttling, zstd allowed).
 *
 * ```text
 * request:  transactional_id NULLABLE_STRING v3+, acks INT16, timeout_ms INT32,
 *           topic_data ARRAY(name STRING, partition_data ARRAY(index INT32, records NULLABLE_BYTES))
 * response: responses ARRAY(name STRING, partition_responses ARRAY(index INT32, error_code INT16,
 *             base_offset INT64, log_append_time_ms INT64 v2+, log_start_offset INT64 v5+)),
 *           throttle_time_ms INT32 v1+
 * ```
 *
 * A partition's records are returned as a view of the request's bytes: split them with `splitBatches`
 * and decode each with `decodeRecordBatch` (record-batch.ts) or, magic 0/1, `decodeLegacyEntry`
 * (message-set.ts), which check CRC and limits. Pure.
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

/** Reads a Produce request body of `version` (0–7). */
export function readProduceRequest(
  r: KafkaReader,
  version: number,
  limits: { maxTopics: number; maxPartitions: number } = PRODUCE_LIMITS,
): ProduceRequest {
  const transactionalId = version >= 3 ? r.nullableString() : null;
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

export function writeProduceRequest(w: KafkaWriter, version: number, request: ProduceRequest): void {
  if (version >= 3) w.nullableString(request.transactionalId);
  w.int16(request.acks).int32(request.timeoutMs);
  w.array(request.topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => y.int32(p.index).nullableBytes(p.records));
  });
}

/** Writes a Produce response body of `version` (0–7). */
export function writeProduceResponse(w: KafkaWriter, version: number, response: ProduceResponse): void {
  w.array(response.topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => {
      y.int32(p.index).int16(p.errorCode).int64(p.baseOffset);
      if (version >= 2) y.int64(p.logAppendTimeMs);
      if (version >= 5) y.int64(p.logStartOffset);
    });
  });
  if (version >= 1) w.int32(response.throttleTimeMs);
}

/** Reads a Produce response body of `version` (0–7). */
export function readProduceResponse(r: KafkaReader, version: number): ProduceResponse {
  const topics = r.array(
    (x): ProduceTopicResponse => ({
      name: x.string(),
      partitions: x.array(
        (y): ProducePartitionResponse => ({
          index: y.int32(),
          errorCode: y.int16(),
          baseOffset: y.int64Number(),
          logAppendTimeMs: version >= 2 ? y.int64Number() : -1,
          logStartOffset: version >= 5 ? y.int64Number() : -1,
        }),
        { max: PRODUCE_LIMITS.maxPartitions, minBytes: version >= 5 ? 30 : version >= 2 ? 22 : 14 },
      ),
    }),
    { max: PRODUCE_LIMITS.maxTopics, minBytes: 6 },
  );
  return { topics, throttleTimeMs: version >= 1 ? r.int32() : 0 };
}
