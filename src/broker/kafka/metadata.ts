/**
 * Metadata: the one broker (the advertised address, its node id as controller) and the topics asked for,
 * each partition led by it. A topic asked for that does not exist is created, as `evq serve` creates one at
 * a first produce, when the client allows it (v4+ `allow_auto_topic_creation`; always below v4); else it is
 * UNKNOWN_TOPIC_OR_PARTITION. A name Kafka forbids is INVALID_TOPIC_EXCEPTION.
 */
import { KAFKA_ERROR } from '../../protocol/kafka/error-codes.js';
import { readMetadataRequest, writeMetadataResponse, type MetadataTopic } from '../../protocol/kafka/metadata.js';
import { isValidTopicName } from '../../protocol/validate.js';
import type { KafkaContext } from './context.js';
import { kafkaErrorCode } from './errors.js';
import type { KafkaAnswer, KafkaRequest } from './request.js';

export async function handleMetadata(ctx: KafkaContext, { header, body }: KafkaRequest): Promise<KafkaAnswer> {
  const version = header.apiVersion;
  const request = readMetadataRequest(body, version);
  const { store } = ctx.broker;
  const { nodeId } = ctx.config;
  const names = request.topics ?? store.list().map((t) => t.topic);
  const topics: MetadataTopic[] = [];
  for (const name of names) topics.push(await describeTopic(ctx, name, request.allowAutoTopicCreation));
  return (w) =>
    writeMetadataResponse(w, version, {
      throttleTimeMs: 0,
      brokers: [{ nodeId, host: ctx.config.advertisedHost, port: ctx.config.advertisedPort, rack: null }],
      clusterId: ctx.config.clusterId,
      controllerId: nodeId,
      topics,
    });
}

async function describeTopic(ctx: KafkaContext, name: string, create: boolean): Promise<MetadataTopic> {
  const { store } = ctx.broker;
  const nodeId = ctx.config.nodeId;
  if (!isValidTopicName(name)) return { errorCode: KAFKA_ERROR.INVALID_TOPIC_EXCEPTION, name, isInternal: false, partitions: [] };
  let topic = store.get(name);
  if (topic === undefined && create) {
    try {
      topic = await store.getOrCreate(name);
    } catch (error) {
      return { errorCode: kafkaErrorCode(error), name, isInternal: false, partitions: [] };
    }
  }
  if (topic === undefined) return { errorCode: KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION, name, isInternal: false, partitions: [] };
  const partitions = [];
  for (let p = 0; p < topic.partitionCount; p++) {
    partitions.push({
      errorCode: KAFKA_ERROR.NONE,
      partitionIndex: p,
      leaderId: nodeId,
      replicaNodes: [nodeId],
      isrNodes: [nodeId],
      offlineReplicas: [],
    });
  }
  return { errorCode: KAFKA_ERROR.NONE, name, isInternal: false, partitions };
}
