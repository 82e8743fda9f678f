/**
 * ListOffsets: per partition, the earliest offset (-2), the latest (-1: the next to be written), or the
 * first offset stamped at or after a time, through the partition's time index (-1 and no timestamp when
 * nothing is that late, as Kafka answers).
 */
import { KAFKA_ERROR } from '../../protocol/kafka/error-codes.js';
import {
  LIST_OFFSETS_TIMESTAMP,
  readListOffsetsRequest,
  writeListOffsetsResponse,
  type ListOffsetsPartitionResponse,
} from '../../protocol/kafka/list-offsets.js';
import type { Log } from '../storage/log.js';
import type { KafkaContext } from './context.js';
import { kafkaErrorCode } from './errors.js';
import type { KafkaAnswer, KafkaRequest } from './request.js';

export async function handleListOffsets(ctx: KafkaContext, { header, body }: KafkaRequest): Promise<KafkaAnswer> {
  const version = header.apiVersion;
  const request = readListOffsetsRequest(body, version);
  const topics: { name: string; partitions: ListOffsetsPartitionResponse[] }[] = [];
  for (const t of request.topics) {
    const topic = ctx.broker.store.get(t.name);
    const partitions: ListOffsetsPartitionResponse[] = [];
    for (const p of t.partitions) {
      const log = topic?.partition(p.partitionIndex);
      if (log === undefined) {
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1, offset: -1 });
        continue;
      }
      try {
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: KAFKA_ERROR.NONE, ...(await offsetFor(log, p.timestamp)) });
      } catch (error) {
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: kafkaErrorCode(error), timestamp: -1, offset: -1 });
      }
    }
    topics.push({ name: t.name, partitions });
  }
  return (w) => writeListOffsetsResponse(w, version, { throttleTimeMs: 0, topics });
}

async function offsetFor(log: Log, timestamp: number): Promise<{ timestamp: number; offset: number }> {
  if (timestamp === LIST_OFFSETS_TIMESTAMP.latest) return { timestamp: -1, offset: log.endOffset };
  if (timestamp === LIST_OFFSETS_TIMESTAMP.earliest) return { timestamp: -1, offset: log.startOffset };
  const offset = await log.offsetForTime(timestamp);
  if (offset >= log.endOffset) return { timestamp: -1, offset: -1 };
  const [record] = await log.read(offset, { maxRecords: 1 });
  return { timestamp: record?.timestamp ?? timestamp, offset };
}
