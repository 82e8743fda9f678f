/**
 * Fetch (key 1), versions 4–11 (4 is the first that carries RecordBatch v2 with isolation levels; 12 is
 * flexible).
 *
 * ```text
 * request:  replica_id INT32, max_wait_ms INT32, min_bytes INT32, max_bytes INT32, isolation_level INT8,
 *           session_id INT32, session_epoch INT32                                     v7+
 *           topics ARRAY(topic STRING, partitions ARRAY(partition INT32,
 *             current_leader_epoch INT32 v9+, fetch_offset INT64, log_start_offset INT64 v5+,
 *             partition_max_bytes INT32))
 *           forgotten_topics_data ARRAY(topic STRING, partitions ARRAY(INT32))         v7+
 *           rack_id STRING                                                            v11+
 * response: throttle_time_ms INT32, error_code INT16 v7+, session_id INT32 v7+,
 *           responses ARRAY(topic STRING, partitions ARRAY(partition_index INT32, error_code INT16,
 *             high_watermark INT64, last_stable_offset INT64, log_start_offset INT64 v5+,
 *             aborted_transactions NULLABLE ARRAY(producer_id INT64, first_offset INT64),
 *             preferred_read_replica INT32 v11+, records NULLABLE_BYTES))
 * ```
 *
 * A response's records are the stored batches as they are (a fetch at an offset inside a batch returns
 * the whole batch; the client skips the earlier records), so the writer takes them as bytes. Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface FetchPartitionRequest {
  partition: number;
  /** v9+; -1 below. */
  currentLeaderEpoch: number;
  fetchOffset: number;
  /** v5+; -1 below. */
  logStartOffset: number;
  partitionMaxBytes: number;
}

export interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  /** 0 read uncommitted, 1 read committed. */
  isolationLevel: number;
  /** v7+ (fetch sessions, KIP-227); 0 and -1 below: no session. */
  sessionId: number;
  sessionEpoch: number;
  topics: { topic: string; partitions: FetchPartitionRequest[] }[];
  /** v7+. */
  forgottenTopics: { topic: string; partitions: number[] }[];
  /** v11+; '' below. */
  rackId: string;
}

export interface FetchPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  /** v5+. */
  logStartOffset: number;
  abortedTransactions: { producerId: number; firstOffset: number }[] | null;
  /** v11+; -1 below. */
  preferredReadReplica: number;
  /** Concatenated RecordBatch v2, possibly cut at the end (see splitBatches), or null. */
  records: Buffer | null;
}

export interface FetchResponse {
  throttleTimeMs: number;
  /** v7+. */
  errorCode: number;
  /** v7+. */
  sessionId: number;
  responses: { topic: string; partitions: FetchPartitionResponse[] }[];
}

export const FETCH_LIMITS = { maxTopics: 10_000, maxPartitions: 100_000 } as const;

/** Reads a Fetch request body of `version` (4–11). */
export function readFetchRequest(
  r: KafkaReader,
  version: number,
  limits: { maxTopics: number; maxPartitions: number } = FETCH_LIMITS,
): FetchRequest {
  const replicaId = r.int32();
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = r.int32();
  const isolationLevel = r.int8();
  const sessionId = version >= 7 ? r.int32() : 0;
  const sessionEpoch = version >= 7 ? r.int32() : -1;
  const partitionBytes = 16 + (version >= 5 ? 8 : 0) + (version >= 9 ? 4 : 0);
  const topics = r.array(
    (x) => ({
      topic: x.string(),
      partitions: x.array(
        (y): FetchPartitionRequest => ({
          partition: y.int32(),
          currentLeaderEpoch: version >= 9 ? y.int32() : -1,
          fetchOffset: y.int64Number(),
          logStartOffset: version >= 5 ? y.int64Number() : -1,
          partitionMaxBytes: y.int32(),
        }),
        { max: limits.maxPartitions, minBytes: partitionBytes },
      ),
    }),
    { max: limits.maxTopics, minBytes: 6 },
  );
  const forgottenTopics =
    version >= 7
      ? r.array((x) => ({ topic: x.string(), partitions: x.array((y) => y.int32(), { max: limits.maxPartitions, minBytes: 4 }) }), {
          max: limits.maxTopics,
          minBytes: 6,
        })
      : [];
  const rackId = version >= 11 ? r.string() : '';
  return { replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, sessionId, sessionEpoch, topics, forgottenTopics, rackId };
}

export function writeFetchRequest(w: KafkaWriter, version: number, request: FetchRequest): void {
  w.int32(request.replicaId).int32(request.maxWaitMs).int32(request.minBytes).int32(request.maxBytes).int8(request.isolationLevel);
  if (version >= 7) w.int32(request.sessionId).int32(request.sessionEpoch);
  w.array(request.topics, (x, t) => {
    x.string(t.topic);
    x.array(t.partitions, (y, p) => {
      y.int32(p.partition);
      if (version >= 9) y.int32(p.currentLeaderEpoch);
      y.int64(p.fetchOffset);
      if (version >= 5) y.int64(p.logStartOffset);
      y.int32(p.partitionMaxBytes);
    });
  });
  if (version >= 7) {
    w.array(request.forgottenTopics, (x, t) => {
      x.string(t.topic);
      x.array(t.partitions, (y, p) => y.int32(p));
    });
  }
  if (version >= 11) w.string(request.rackId);
}

/** Writes a Fetch response body of `version` (4–11). */
export function writeFetchResponse(w: KafkaWriter, version: number, response: FetchResponse): void {
  w.int32(response.throttleTimeMs);
  if (version >= 7) w.int16(response.errorCode).int32(response.sessionId);
  w.array(response.responses, (x, t) => {
    x.string(t.topic);
    x.array(t.partitions, (y, p) => {
      y.int32(p.partitionIndex).int16(p.errorCode).int64(p.highWatermark).int64(p.lastStableOffset);
      if (version >= 5) y.int64(p.logStartOffset);
      y.nullableArray(p.abortedTransactions, (z, a) => z.int64(a.producerId).int64(a.firstOffset));
      if (version >= 11) y.int32(p.preferredReadReplica);
      y.nullableBytes(p.records);
    });
  });
}

/** Reads a Fetch response body of `version` (4–11). */
export function readFetchResponse(
  r: KafkaReader,
  version: number,
  limits: { maxTopics: number; maxPartitions: number } = FETCH_LIMITS,
): FetchResponse {
  const throttleTimeMs = r.int32();
  const errorCode = version >= 7 ? r.int16() : 0;
  const sessionId = version >= 7 ? r.int32() : 0;
  const responses = r.array(
    (x) => ({
      topic: x.string(),
      partitions: x.array(
        (y): FetchPartitionResponse => ({
          partitionIndex: y.int32(),
          errorCode: y.int16(),
          highWatermark: y.int64Number(),
          lastStableOffset: y.int64Number(),
          logStartOffset: version >= 5 ? y.int64Number() : -1,
          abortedTransactions: y.nullableArray((z) => ({ producerId: z.int64Number(), firstOffset: z.int64Number() }), {
            max: limits.maxPartitions,
            minBytes: 16,
          }),
          preferredReadReplica: version >= 11 ? y.int32() : -1,
          records: y.nullableBytes(),
        }),
        { max: limits.maxPartitions, minBytes: 30 },
      ),
    }),
    { max: limits.maxTopics, minBytes: 6 },
  );
  return { throttleTimeMs, errorCode, sessionId, responses };
}
