/**
 * CreateTopics (key 19), versions 0–3 (none flexible; v4 adds nothing on the wire, v5 is flexible).
 *
 * ```text
 * request:  topics ARRAY(name STRING, num_partitions INT32, replication_factor INT16,
 *             assignments ARRAY(partition_index INT32, broker_ids ARRAY(INT32)),
 *             configs ARRAY(name STRING, value NULLABLE_STRING)),
 *           timeout_ms INT32,
 *           validate_only BOOLEAN                                   v1+
 * response: throttle_time_ms INT32                                  v2+
 *           topics ARRAY(name STRING, error_code INT16, error_message NULLABLE_STRING v1+)
 * ```
 *
 * num_partitions and replication_factor are -1 when the request gives `assignments` instead (or wants the
 * broker's defaults). v3 answers quota violations before throttling (KIP-219): the same bytes. Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface CreateTopicsAssignment {
  partitionIndex: number;
  brokerIds: number[];
}

export interface CreateTopicsTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: CreateTopicsAssignment[];
  configs: { name: string; value: string | null }[];
}

export interface CreateTopicsRequest {
  topics: CreateTopicsTopic[];
  timeoutMs: number;
  /** v1+; false below. */
  validateOnly: boolean;
}

export interface CreateTopicsTopicResult {
  name: string;
  errorCode: number;
  /** v1+; null below. */
  errorMessage: string | null;
}

export interface CreateTopicsResponse {
  /** v2+; 0 below. */
  throttleTimeMs: number;
  topics: CreateTopicsTopicResult[];
}

export const CREATE_TOPICS_LIMITS = { maxTopics: 10_000, maxAssignments: 100_000, maxReplicas: 1000, maxConfigs: 1000 } as const;

export function readCreateTopicsRequest(
  r: KafkaReader,
  version: number,
  limits: { maxTopics: number; maxAssignments: number; maxReplicas: number; maxConfigs: number } = CREATE_TOPICS_LIMITS,
): CreateTopicsRequest {
  const topics = r.array(
    (x): CreateTopicsTopic => ({
      name: x.string(),
      numPartitions: x.int32(),
      replicationFactor: x.int16(),
      assignments: x.array(
        (y) => ({ partitionIndex: y.int32(), brokerIds: y.array((z) => z.int32(), { max: limits.maxReplicas, minBytes: 4 }) }),
        { max: limits.maxAssignments, minBytes: 8 },
      ),
      configs: x.array((y) => ({ name: y.string(), value: y.nullableString() }), { max: limits.maxConfigs, minBytes: 4 }),
    }),
    { max: limits.maxTopics, minBytes: 16 },
  );
  const timeoutMs = r.int32();
  const validateOnly = version >= 1 ? r.boolean() : false;
  return { topics, timeoutMs, validateOnly };
}

export function writeCreateTopicsRequest(w: KafkaWriter, version: number, request: CreateTopicsRequest): void {
  w.array(request.topics, (x, t) => {
    x.string(t.name).int32(t.numPartitions).int16(t.replicationFactor);
    x.array(t.assignments, (y, a) => y.int32(a.partitionIndex).array(a.brokerIds, (z, id) => z.int32(id)));
    x.array(t.configs, (y, c) => y.string(c.name).nullableString(c.value));
  });
  w.int32(request.timeoutMs);
  if (version >= 1) w.boolean(request.validateOnly);
}

export function writeCreateTopicsResponse(w: KafkaWriter, version: number, response: CreateTopicsResponse): void {
  if (version >= 2) w.int32(response.throttleTimeMs);
  w.array(response.topics, (x, t) => {
    x.string(t.name).int16(t.errorCode);
    if (version >= 1) x.nullableString(t.errorMessage);
  });
}

export function readCreateTopicsResponse(r: KafkaReader, version: number): CreateTopicsResponse {
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const topics = r.array(
    (x): CreateTopicsTopicResult => ({
      name: x.string(),
      errorCode: x.int16(),
      errorMessage: version >= 1 ? x.nullableString() : null,
    }),
    { max: CREATE_TOPICS_LIMITS.maxTopics, minBytes: version >= 1 ? 6 : 4 },
  );
  return { throttleTimeMs, topics };
}
