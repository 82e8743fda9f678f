/**
 * ListOffsets (key 2), versions 1–3 (1 is the first with timestamps, KIP-79; 4 adds leader epochs, 6 is
 * flexible).
 *
 * ```text
 * request:  replica_id INT32, isolation_level INT8 v2+,
 *           topics ARRAY(name STRING, partitions ARRAY(partition_index INT32, timestamp INT64))
 * response: throttle_time_ms INT32 v2+,
 *           topics ARRAY(name STRING, partitions ARRAY(partition_index INT32, error_code INT16,
 *             timestamp INT64, offset INT64))
 * ```
 *
 * A request timestamp of -1 asks for the latest offset (the next one to be written), -2 for the earliest;
 * any other for the first offset whose timestamp is at least it (-1 offset when there is none). Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export const LIST_OFFSETS_TIMESTAMP = { latest: -1, earliest: -2 } as const;

export interface ListOffsetsRequest {
  replicaId: number;
  /** v2+; 0 below. */
  isolationLevel: number;
  topics: { name: string; partitions: { partitionIndex: number; timestamp: number }[] }[];
}

export interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  timestamp: number;
  offset: number;
}

export interface ListOffsetsResponse {
  /** v2+. */
  throttleTimeMs: number;
  topics: { name: string; partitions: ListOffsetsPartitionResponse[] }[];
}

export const LIST_OFFSETS_LIMITS = { maxTopics: 10_000, maxPartitions: 100_000 } as const;

export function readListOffsetsRequest(
  r: KafkaReader,
  version: number,
  limits: { maxTopics: number; maxPartitions: number } = LIST_OFFSETS_LIMITS,
): ListOffsetsRequest {
  const replicaId = r.int32();
  const isolationLevel = version >= 2 ? r.int8() : 0;
  const topics = r.array(
    (x) => ({
      name: x.string(),
      partitions: x.array((y) => ({ partitionIndex: y.int32(), timestamp: y.int64Number() }), { max: limits.maxPartitions, minBytes: 12 }),
    }),
    { max: limits.maxTopics, minBytes: 6 },
  );
  return { replicaId, isolationLevel, topics };
}

export function writeListOffsetsRequest(w: KafkaWriter, version: number, request: ListOffsetsRequest): void {
  w.int32(request.replicaId);
  if (version >= 2) w.int8(request.isolationLevel);
  w.array(request.topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => y.int32(p.partitionIndex).int64(p.timestamp));
  });
}

export function writeListOffsetsResponse(w: KafkaWriter, version: number, response: ListOffsetsResponse): void {
  if (version >= 2) w.int32(response.throttleTimeMs);
  w.array(response.topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => y.int32(p.partitionIndex).int16(p.errorCode).int64(p.timestamp).int64(p.offset));
  });
}

export function readListOffsetsResponse(r: KafkaReader, version: number): ListOffsetsResponse {
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const topics = r.array(
    (x) => ({
      name: x.string(),
      partitions: x.array(
        (y): ListOffsetsPartitionResponse => ({
          partitionIndex: y.int32(),
          errorCode: y.int16(),
          timestamp: y.int64Number(),
          offset: y.int64Number(),
        }),
        { max: LIST_OFFSETS_LIMITS.maxPartitions, minBytes: 22 },
      ),
    }),
    { max: LIST_OFFSETS_LIMITS.maxTopics, minBytes: 6 },
  );
  return { throttleTimeMs, topics };
}
