/**
 * Metadata (key 3), versions 0–6 (none flexible; v7 adds leader epochs, which make librdkafka send
 * OffsetForLeaderEpoch, so evq stops at 6).
 *
 * ```text
 * request:  topics ARRAY(name STRING)         v0: empty = every topic; v1+: NULLABLE, null = every topic, empty = none
 *           allow_auto_topic_creation BOOLEAN  v4+ (before v4 a broker creates as configured)
 * response: throttle_time_ms INT32                                             v3+
 *           brokers ARRAY(node_id INT32, host STRING, port INT32, rack NULLABLE_STRING v1+)
 *           cluster_id NULLABLE_STRING                                         v2+
 *           controller_id INT32                                                v1+
 *           topics ARRAY(error_code INT16, name STRING, is_internal BOOLEAN v1+,
 *             partitions ARRAY(error_code INT16, partition_index INT32, leader_id INT32,
 *               replica_nodes ARRAY(INT32), isr_nodes ARRAY(INT32), offline_replicas ARRAY(INT32) v5+))
 * ```
 * Pure.
 */
import type { ArrayOptions, KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface MetadataRequest {
  /** null: every topic (v0 sends that as an empty array). */
  topics: string[] | null;
  /** v4+; true below (the broker's own setting decides, and evq's is to create). */
  allowAutoTopicCreation: boolean;
}

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface MetadataPartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

export interface MetadataTopic {
  errorCode: number;
  name: string;
  isInternal: boolean;
  partitions: MetadataPartition[];
}

export interface MetadataResponse {
  throttleTimeMs: number;
  brokers: MetadataBroker[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataTopic[];
}

/** Array limits of a Metadata request (topic names) and response. */
export const METADATA_LIMITS = { maxTopics: 100_000, maxPartitions: 1_000_000, maxBrokers: 1000, maxReplicas: 1000 } as const;

/** Reads a Metadata request body of `version` (0–6). */
export function readMetadataRequest(r: KafkaReader, version: number, maxTopics: number = METADATA_LIMITS.maxTopics): MetadataRequest {
  const options: ArrayOptions = { max: maxTopics, minBytes: 2 };
  let topics: string[] | null;
  if (version === 0) {
    const names = r.array((x) => x.string(), options);
    topics = names.length === 0 ? null : names;
  } else {
    topics = r.nullableArray((x) => x.string(), options);
  }
  const allowAutoTopicCreation = version >= 4 ? r.boolean() : true;
  return { topics, allowAutoTopicCreation };
}

export function writeMetadataRequest(w: KafkaWriter, version: number, request: MetadataRequest): void {
  if (version === 0) w.array(request.topics ?? [], (x, t) => x.string(t));
  else w.nullableArray(request.topics, (x, t) => x.string(t));
  if (version >= 4) w.boolean(request.allowAutoTopicCreation);
}

function writeInt32s(w: KafkaWriter, ids: readonly number[]): void {
  w.array(ids, (x, id) => x.int32(id));
}

/** Writes a Metadata response body of `version` (0–6). */
export function writeMetadataResponse(w: KafkaWriter, version: number, response: MetadataResponse): void {
  if (version >= 3) w.int32(response.throttleTimeMs);
  w.array(response.brokers, (x, b) => {
    x.int32(b.nodeId).string(b.host).int32(b.port);
    if (version >= 1) x.nullableString(b.rack);
  });
  if (version >= 2) w.nullableString(response.clusterId);
  if (version >= 1) w.int32(response.controllerId);
  w.array(response.topics, (x, t) => {
    x.int16(t.errorCode).string(t.name);
    if (version >= 1) x.boolean(t.isInternal);
    x.array(t.partitions, (y, p) => {
      y.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId);
      writeInt32s(y, p.replicaNodes);
      writeInt32s(y, p.isrNodes);
      if (version >= 5) writeInt32s(y, p.offlineReplicas);
    });
  });
}

/** Reads a Metadata response body of `version` (0–6). */
export function readMetadataResponse(r: KafkaReader, version: number): MetadataResponse {
  const int32s = (x: KafkaReader): number[] => x.array((y) => y.int32(), { max: METADATA_LIMITS.maxReplicas, minBytes: 4 });
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const brokers = r.array(
    (x): MetadataBroker => ({ nodeId: x.int32(), host: x.string(), port: x.int32(), rack: version >= 1 ? x.nullableString() : null }),
    { max: METADATA_LIMITS.maxBrokers, minBytes: 10 },
  );
  const clusterId = version >= 2 ? r.nullableString() : null;
  const controllerId = version >= 1 ? r.int32() : -1;
  const topics = r.array(
    (x): MetadataTopic => ({
      errorCode: x.int16(),
      name: x.string(),
      isInternal: version >= 1 ? x.boolean() : false,
      partitions: x.array(
        (y): MetadataPartition => ({
          errorCode: y.int16(),
          partitionIndex: y.int32(),
          leaderId: y.int32(),
          replicaNodes: int32s(y),
          isrNodes: int32s(y),
          offlineReplicas: version >= 5 ? int32s(y) : [],
        }),
        { max: METADATA_LIMITS.maxPartitions, minBytes: 18 },
      ),
    }),
    { max: METADATA_LIMITS.maxTopics, minBytes: 8 },
  );
  return { throttleTimeMs, brokers, clusterId, controllerId, topics };
}
