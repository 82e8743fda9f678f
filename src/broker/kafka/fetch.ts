/**
 * Fetch: per partition, the stored batches from the offset asked for, each as one RecordBatch v2 with its
 * own base offset (a fetch at an offset inside a batch returns that whole batch: the client skips the
 * earlier records, as with Kafka), bounded by the partition's and the request's max bytes, except that the
 * first partition with records returns at least one batch whatever its size (KIP-74). With fewer than
 * `min_bytes` ready it long-polls: it waits up to `max_wait_ms` (cut to the listener's limit) for an append
 * to any partition it asked for, or for the connection to close. There are no fetch sessions (KIP-227):
 * every answer has session id 0, so clients send full requests. No transactions: the last stable offset is
 * the high watermark and no transaction is ever aborted.
 */
import { once } from 'node:events';
import { KAFKA_ERROR } from '../../protocol/kafka/error-codes.js';
import { readFetchRequest, writeFetchResponse, type FetchPartitionResponse, type FetchRequest } from '../../protocol/kafka/fetch.js';
import { evqBatchToKafka } from '../../protocol/kafka/record-translation.js';
import { readBatchHeader } from '../../protocol/record-codec.js';
import type { AppendEvent } from '../storage/log.js';
import type { KafkaContext } from './context.js';
import { kafkaErrorCode } from './errors.js';
import type { KafkaAnswer, KafkaRequest } from './request.js';

/** librdkafka reads a null RECORDS as a protocol error: an empty one says "nothing yet". */
const EMPTY = Buffer.alloc(0);

export async function handleFetch(ctx: KafkaContext, { header, body, signal }: KafkaRequest): Promise<KafkaAnswer> {
  const version = header.apiVersion;
  const request = readFetchRequest(body, version);
  const waitMs = Math.max(0, Math.min(request.maxWaitMs, ctx.config.maxFetchWaitMs));
  const deadline = Date.now() + waitMs;
  let answer = await readOnce(ctx, request);
  while (answer.bytes < Math.max(1, request.minBytes) && !answer.failed && Date.now() < deadline && !signal.aborted) {
    if (!(await waitForAppend(ctx, answer.ends, deadline - Date.now(), signal))) break;
    answer = await readOnce(ctx, request);
  }
  const responses = answer.responses;
  return (w) => writeFetchResponse(w, version, { throttleTimeMs: 0, errorCode: KAFKA_ERROR.NONE, sessionId: 0, responses });
}

interface ReadAnswer {
  responses: { topic: string; partitions: FetchPartitionResponse[] }[];
  bytes: number;
  /** Some partition answered an error: the client must hear it now, not after the wait. */
  failed: boolean;
  /** The end offset of each partition asked for (`topic\0partition`) before it was read: a wait ends when one grows. */
  ends: Map<string, number>;
}

async function readOnce(ctx: KafkaContext, request: FetchRequest): Promise<ReadAnswer> {
  let budget = Math.max(1, Math.min(request.maxBytes > 0 ? request.maxBytes : Infinity, ctx.config.maxFetchBytes));
  let bytes = 0;
  let failed = false;
  const ends = new Map<string, number>();
  const responses = [];
  for (const t of request.topics) {
    const topic = ctx.broker.store.get(t.topic);
    const partitions: FetchPartitionResponse[] = [];
    for (const p of t.partitions) {
      const log = topic?.partition(p.partition);
      const part: FetchPartitionResponse = {
        partitionIndex: p.partition,
        errorCode: KAFKA_ERROR.NONE,
        highWatermark: log?.endOffset ?? -1,
        lastStableOffset: log?.endOffset ?? -1,
        logStartOffset: log?.startOffset ?? -1,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: EMPTY,
      };
      partitions.push(part);
      ends.set(`${t.topic}\u0000${p.partition}`, log?.endOffset ?? -1);
      if (log === undefined) {
        part.errorCode = KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION;
        failed = true;
        continue;
      }
      if (p.fetchOffset < log.startOffset || p.fetchOffset > log.endOffset) {
        part.errorCode = KAFKA_ERROR.OFFSET_OUT_OF_RANGE;
        failed = true;
        continue;
      }
      if (p.fetchOffset === log.endOffset || budget <= 0) continue;
      try {
        // the first partition with records gets at least one batch; later ones only what fits
        const limit = Math.max(1, Math.min(p.partitionMaxBytes, budget));
        const { batches } = await log.readBatches(p.fetchOffset, limit);
        const out: Buffer[] = [];
        let size = 0;
        let records = 0;
        for (const stored of batches) {
          const converted = evqBatchToKafka(stored, t.topic, { partition: p.partition });
          if (out.length > 0 && size + converted.length > limit) break;
          out.push(converted);
          size += converted.length;
          const { baseOffset, count } = readBatchHeader(stored);
          records += baseOffset + count - Math.max(baseOffset, p.fetchOffset);
        }
        // past the request's budget only the first partition with records may go (KIP-74)
        if (out.length > 0 && (bytes === 0 || size <= budget)) {
          part.records = out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out, size);
          bytes += size;
          budget -= size;
          ctx.broker.metrics.messagesOut.add({ topic: t.topic }, records);
        }
      } catch (error) {
        part.errorCode = kafkaErrorCode(error);
        failed = true;
      }
    }
    responses.push({ topic: t.topic, partitions });
  }
  return { responses, bytes, failed, ends };
}

/** True when a partition of the request got an append, false at the deadline or when the connection closed. */
async function waitForAppend(ctx: KafkaContext, ends: ReadonlyMap<string, number>, ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms <= 0) return false;
  // an append while the read ran
  for (const [key, end] of ends) {
    const [topic, partition] = key.split('\u0000') as [string, string];
    if ((ctx.broker.store.get(topic)?.partition(Number(partition))?.endOffset ?? -1) > end) return true;
  }
  const combined = AbortSignal.any([signal, AbortSignal.timeout(ms)]);
  const done = ctx.broker.reader.countLongPoll();
  try {
    for (;;) {
      const [event] = await once(ctx.broker.ingest, 'append', { signal: combined });
      const appended = event as AppendEvent;
      if (ends.has(`${appended.topic}\u0000${appended.partition}`)) return true;
    }
  } catch {
    return false;
  } finally {
    done();
  }
}
