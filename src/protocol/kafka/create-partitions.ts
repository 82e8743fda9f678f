/**
 * CreatePartitions (key 37), versions 0–1 (none flexible; v2 is flexible).
 *
 * ```text
 * request:  topics ARRAY(name STRING, count INT32,
 *             assignments NULLABLE ARRAY(broker_ids ARRAY(INT32))),
 *           timeout_ms INT32, validate_only BOOLEAN
 * response: throttle_time_ms INT32,
 *           results ARRAY(name STRING, error_code INT16, error_message NULLABLE_STRING)
 * ```
 *
 * `count` is the partition count wanted in all (not the number added); `assignments`, when given, names the
 * replicas of each new partition (null: the broker places them; kafkajs sends null for none). v1 answers
 * quota violations before throttling (KIP-219): the same bytes. Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface CreatePartitionsTopic {
  name: string;
  count: number;
  /** One broker-id list per new partition; null: the broker chooses. */
  assignments: number[][] | null;
}

export interface CreatePartitionsRequest {
  topics: CreatePartitionsTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatePartitionsResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface CreatePartitionsResponse {
  throttleTimeMs: number;
  results: CreatePartitionsResult[];
}

export const CREATE_PARTITIONS_LIMITS = { maxTopics: 10_000, maxAssignments: 100_000, maxReplicas: 1000 } as const;

export function readCreatePartitionsRequest(
  r: KafkaReader,
  _version: number,
  limits: { maxTopics: number; maxAssignments: number; maxReplicas: number } = CREATE_PARTITIONS_LIMITS,
): CreatePartitionsRequest {
  const topics = r.array(
    (x): CreatePartitionsTopic => ({
      name: x.string(),
      count: x.int32(),
      assignments: x.nullableArray((y) => y.array((z) => z.int32(), { max: limits.maxReplicas, minBytes: 4 }), {
        max: limits.maxAssignments,
        minBytes: 4,
      }),
    }),
    { max: limits.maxTopics, minBytes: 10 },
  );
  const timeoutMs = r.int32();
  const validateOnly = r.boolean();
  return { topics, timeoutMs, validateOnly };
}

export function writeCreatePartitionsRequest(w: KafkaWriter, _version: number, request: CreatePartitionsRequest): void {
  w.array(request.topics, (x, t) => {
    x.string(t.name).int32(t.count);
    x.nullableArray(t.assignments, (y, ids) => y.array(ids, (z, id) => z.int32(id)));
  });
  w.int32(request.timeoutMs).boolean(request.validateOnly);
}

export function writeCreatePartitionsResponse(w: KafkaWriter, _version: number, response: CreatePartitionsResponse): void {
  w.int32(response.throttleTimeMs);
  w.array(response.results, (x, t) => x.string(t.name).int16(t.errorCode).nullableString(t.errorMessage));
}

export function readCreatePartitionsResponse(r: KafkaReader, _version: number): CreatePartitionsResponse {
  const throttleTimeMs = r.int32();
  const results = r.array((x): CreatePartitionsResult => ({ name: x.string(), errorCode: x.int16(), errorMessage: x.nullableString() }), {
    max: CREATE_PARTITIONS_LIMITS.maxTopics,
    minBytes: 6,
  });
  return { throttleTimeMs, results };
}
