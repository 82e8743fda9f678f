/**
 * kafkajs 2.2.4, the Kafka client library under the `kafka://` transport: loaded only when a `kafka://` URL is
 * used (connect.ts imports this folder dynamically), made quiet (its logger prints nothing: evq's errors say
 * what went wrong, in one line), and given evq's own codecs for snappy, lz4 and zstd — kafkajs ships gzip
 * only, and its gzip inflates without a bound — so that a batch the cluster sends compressed is inflated to at
 * most `LIMITS.kafkaMaxInflatedBytes`.
 *
 * kafkajs has no consumer without a group, so subscriptions and group-less reads use its `Cluster` (metadata,
 * leaders, connections, SASL, retries) and `Broker.fetch` directly: no consumer group is ever created for them.
 * Those are not in kafkajs's typings; the few members used are typed here (kafkajs is pinned to 2.2.4 and no
 * longer changes), and a missing one fails loudly at connect.
 */

import kafkajs from 'kafkajs';
import type { Admin, Kafka as KafkaClient, KafkaConfig } from 'kafkajs';
import { LIMITS } from '../../core/limits.js';
import { EvqError } from '../../errors.js';
import { COMPRESSION, compress, decompress } from '../../protocol/kafka/compression.js';

export const { Kafka, CompressionCodecs, CompressionTypes, Partitioners, logLevel } = kafkajs;
export type { Admin, KafkaClient, KafkaConfig };

/** A record as kafkajs's fetch decodes it. */
export interface FetchedMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
  isControlRecord?: boolean;
}

export interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  messages: FetchedMessage[];
}

export interface FetchResponse {
  responses: { topicName: string; partitions: FetchedPartition[] }[];
}

/** kafkajs's Broker (one connection to one node), the part used here. */
export interface InternalBroker {
  fetch(request: {
    replicaId?: number;
    isolationLevel?: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<FetchResponse>;
}

export interface PartitionMetadata {
  partitionId: number;
  leader: number;
}

/** kafkajs's Cluster (metadata, leaders, the connection pool), the part used here. */
export interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(query: { nodeId: string | number }): Promise<InternalBroker>;
}

/**
 * A kafkajs Cluster made by `kafka` (with its brokers, SASL, timeouts, retries and quiet logger) for reading
 * without a consumer group. kafkajs keeps its factory under a private symbol of the client.
 */
export function createCluster(kafka: KafkaClient): InternalCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const factory = symbol === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[symbol];
  if (typeof factory !== 'function') {
    throw new EvqError('EVQ_ERR_INTERNAL', 'this kafkajs has no cluster factory: evq needs kafkajs 2.2.4 (npm ci restores it)');
  }
  return (factory as (options: object) => InternalCluster)({ allowAutoTopicCreation: false, metadataMaxAge: 60_000 });
}

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

function evqCodec(id: number, encodes: boolean): () => Codec {
  const codec: Codec = {
    compress: async (encoder) => {
      if (!encodes) throw new EvqError('EVQ_ERR_INVALID_ARGUMENT', 'zstd compression is not available in evq (it decodes zstd only)');
      return compress(id, encoder.buffer);
    },
    decompress: async (buffer) => decompress(id, buffer, LIMITS.kafkaMaxInflatedBytes),
  };
  return () => codec;
}

let registered = false;

/** Gives kafkajs evq's codecs (once per process). */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  const codecs = CompressionCodecs as unknown as Record<number, () => Codec>;
  codecs[COMPRESSION.gzip] = evqCodec(COMPRESSION.gzip, true);
  codecs[COMPRESSION.snappy] = evqCodec(COMPRESSION.snappy, true);
  codecs[COMPRESSION.lz4] = evqCodec(COMPRESSION.lz4, true);
  codecs[COMPRESSION.zstd] = evqCodec(COMPRESSION.zstd, false);
}
