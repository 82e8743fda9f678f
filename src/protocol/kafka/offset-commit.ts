/**
 * OffsetCommit (key 8), versions 2–5 (6 adds leader epochs, 8 is flexible), and OffsetFetch (key 9),
 * versions 1–4 (5 adds leader epochs, 6 is flexible).
 *
 * ```text
 * OffsetCommit request:  group_id STRING, generation_id INT32, member_id STRING, retention_time_ms INT64 v2–4,
 *                        topics ARRAY(name STRING, partitions ARRAY(partition_index INT32,
 *                          committed_offset INT64, committed_metadata NULLABLE_STRING))
 * OffsetCommit response: throttle_time_ms INT32 v3+,
 *                        topics ARRAY(name STRING, partitions ARRAY(partition_index INT32, error_code INT16))
 * OffsetFetch request:   group_id STRING, topics ARRAY(name STRING, partition_indexes ARRAY(INT32))
 *                        (NULLABLE from v2: null = every partition the group committed)
 * OffsetFetch response:  throttle_time_ms INT32 v3+,
 *                        topics ARRAY(name STRING, partitions ARRAY(partition_index INT32,
 *                          committed_offset INT64, metadata NULLABLE_STRING, error_code INT16)),
 *                        error_code INT16 v2+
 * ```
 * Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** v2–4; -1 (the broker's retention) at v5. */
  retentionTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: number; committedMetadata: string | null }[] }[];
}

export interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

export interface OffsetFetchRequest {
  groupId: string;
  /** null (v2+): every partition the group has a commit for. */
  topics: { name: string; partitionIndexes: number[] }[] | null;
}

export interface OffsetFetchPartition {
  partitionIndex: number;
  /** -1 without a commit. */
  committedOffset: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: OffsetFetchPartition[] }[];
  /** v2+. */
  errorCode: number;
}

export const OFFSET_LIMITS = { maxTopics: 10_000, maxPartitions: 100_000 } as const;

export function readOffsetCommitRequest(
  r: KafkaReader,
  version: number,
  limits: { maxTopics: number; maxPartitions: number } = OFFSET_LIMITS,
): OffsetCommitRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const retentionTimeMs = version <= 4 ? r.int64Number() : -1;
  const topics = r.array(
    (x) => ({
      name: x.string(),
      partitions: x.array((y) => ({ partitionIndex: y.int32(), committedOffset: y.int64Number(), committedMetadata: y.nullableString() }), {
        max: limits.maxPartitions,
        minBytes: 14,
      }),
    }),
    { max: limits.maxTopics, minBytes: 6 },
  );
  return { groupId, generationId, memberId, retentionTimeMs, topics };
}

export function writeOffsetCommitRequest(w: KafkaWriter, version: number, request: OffsetCommitRequest): void {
  w.string(request.groupId).int32(request.generationId).string(request.memberId);
  if (version <= 4) w.int64(request.retentionTimeMs);
  w.array(request.topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => y.int32(p.partitionIndex).int64(p.committedOffset).nullableString(p.committedMetadata));
  });
}

export function writeOffsetCommitResponse(w: KafkaWriter, version: number, response: OffsetCommitResponse): void {
  if (version >= 3) w.int32(response.throttleTimeMs);
  w.array(response.topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => y.int32(p.partitionIndex).int16(p.errorCode));
  });
}

export function readOffsetCommitResponse(r: KafkaReader, version: number): OffsetCommitResponse {
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const topics = r.array(
    (x) => ({
      name: x.string(),
      partitions: x.array((y) => ({ partitionIndex: y.int32(), errorCode: y.int16() }), { max: OFFSET_LIMITS.maxPartitions, minBytes: 6 }),
    }),
    { max: OFFSET_LIMITS.maxTopics, minBytes: 6 },
  );
  return { throttleTimeMs, topics };
}

export function readOffsetFetchRequest(
  r: KafkaReader,
  version: number,
  limits: { maxTopics: number; maxPartitions: number } = OFFSET_LIMITS,
): OffsetFetchRequest {
  const groupId = r.string();
  const topic = (x: KafkaReader): { name: string; partitionIndexes: number[] } => ({
    name: x.string(),
    partitionIndexes: x.array((y) => y.int32(), { max: limits.maxPartitions, minBytes: 4 }),
  });
  const options = { max: limits.maxTopics, minBytes: 6 };
  const topics = version >= 2 ? r.nullableArray(topic, options) : r.array(topic, options);
  return { groupId, topics };
}

export function writeOffsetFetchRequest(w: KafkaWriter, version: number, request: OffsetFetchRequest): void {
  w.string(request.groupId);
  const topic = (x: KafkaWriter, t: { name: string; partitionIndexes: number[] }): void => {
    x.string(t.name);
    x.array(t.partitionIndexes, (y, p) => y.int32(p));
  };
  if (version >= 2) w.nullableArray(request.topics, topic);
  else w.array(request.topics ?? [], topic);
}

export function writeOffsetFetchResponse(w: KafkaWriter, version: number, response: OffsetFetchResponse): void {
  if (version >= 3) w.int32(response.throttleTimeMs);
  w.array(response.topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => y.int32(p.partitionIndex).int64(p.committedOffset).nullableString(p.metadata).int16(p.errorCode));
  });
  if (version >= 2) w.int16(response.errorCode);
}

export function readOffsetFetchResponse(r: KafkaReader, version: number): OffsetFetchResponse {
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const topics = r.array(
    (x) => ({
      name: x.string(),
      partitions: x.array(
        (y): OffsetFetchPartition => ({
          partitionIndex: y.int32(),
          committedOffset: y.int64Number(),
          metadata: y.nullableString(),
          errorCode: y.int16(),
        }),
        { max: OFFSET_LIMITS.maxPartitions, minBytes: 16 },
      ),
    }),
    { max: OFFSET_LIMITS.maxTopics, minBytes: 6 },
  );
  const errorCode = version >= 2 ? r.int16() : 0;
  return { throttleTimeMs, topics, errorCode };
}
