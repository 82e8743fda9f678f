/**
 * `produce` over JetStream: messages go through the core `Batcher`; each batch is published as plain
 * publishes with a shared reply subject (AckPublisher), without awaiting each acknowledgement, and
 * the Batcher's window bounds the batches awaiting their acknowledgements, so at most
 * `batchSize × maxInFlight` publish acks are pending at once. Acknowledgements reach `onAck` in input order;
 * the offset is the stream sequence minus one (a JetStream sequence starts at 1). With `idempotent`, each
 * message carries `Nats-Msg-Id` (`<run id>-<index>`), so a resent message is not stored twice (within the
 * stream's duplicate window).
 */

import { randomUUID } from 'node:crypto';
import { Batcher } from '../../core/batcher.js';
import { EvqError } from '../../errors.js';
import type { ProduceMessage, ProduceOptions, ProduceResult } from '../types.js';
import type { AckPublisher } from './ack-publisher.js';
import { encodeHeaders, encodeValue } from './message.js';

const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

interface Item {
  index: number;
  subject: string;
  data: Uint8Array;
  headers: ReturnType<typeof encodeHeaders>;
  bytes: number;
}

export async function produceJetStream(
  publisher: AckPublisher,
  subject: string,
  messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage>,
  options: ProduceOptions,
  timeoutMs: number,
): Promise<ProduceResult> {
  if (options.delayMs !== undefined || options.at !== undefined) {
    throw new EvqError('EVQ_ERR_NOT_IMPLEMENTED', 'delayed produce over nats:// is not yet available');
  }
  const started = performance.now();
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const runId = options.idempotent === true ? randomUUID() : undefined;
  let maxInFlightSeen = 0;
  const batcher = new Batcher<Item, number>({
    maxCount: Math.min(options.batchSize ?? 1000, 1000),
    ...(options.batchBytes !== undefined ? { maxBytes: options.batchBytes } : {}),
    ...(options.lingerMs !== undefined ? { lingerMs: options.lingerMs } : {}),
    ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
    sizeOf: (item) => item.bytes,
    flush: async (items) => {
      maxInFlightSeen = Math.max(maxInFlightSeen, batcher.stats().inFlight);
      const seqs = await publisher.publishBatch(items, timeoutMs);
      return seqs.map((seq) => seq - 1);
    },
  });

  let acknowledged = 0;
  let rejected = 0;
  let firstOffset: number | null = null;
  let lastOffset: number | null = null;
  let wireBytes = 0;
  let failure: unknown;
  let last: Promise<unknown> = Promise.resolve();
  let index = 0;

  try {
    for await (const message of messages) {
      if (options.signal?.aborted === true || failure !== undefined) break;
      const i = index++;
      const data = encodeValue(message);
      if (data.byteLength > maxMessageBytes) {
        const reason = `message ${i} is ${data.byteLength} bytes; the limit is ${maxMessageBytes}`;
        if (options.onReject === undefined) throw new EvqError('EVQ_ERR_MESSAGE_TOO_LARGE', reason);
        rejected++;
        options.onReject({ index: i, message, code: 'EVQ_ERR_MESSAGE_TOO_LARGE', reason });
        continue;
      }
      const headers = encodeHeaders(message, runId !== undefined ? `${runId}-${i}` : undefined);
      const bytes = data.byteLength + (headers !== undefined ? headers.toString().length : 0);
      if (!batcher.canAccept) await batcher.ready;
      const item: Item = { index: i, subject, data, headers, bytes };
      last = batcher.add(item).then(
        (offset) => {
          acknowledged++;
          wireBytes += bytes;
          firstOffset ??= offset;
          lastOffset = offset;
          options.onAck?.({ index: i, offset, delayed: false });
        },
        (error: unknown) => {
          failure ??= error;
        },
      );
    }
  } finally {
    await batcher.close().catch((error: unknown) => {
      failure ??= error;
    });
    await last;
  }
  if (failure !== undefined) throw failure instanceof Error ? failure : new EvqError('EVQ_ERR_INTERNAL', String(failure));
  const stats = batcher.stats();
  return {
    acknowledged,
    rejected,
    firstOffset,
    lastOffset,
    elapsedMs: performance.now() - started,
    wireBytes,
    delayed: 0,
    batches: stats.batches,
    maxInFlight: Math.max(1, Math.min(maxInFlightSeen, stats.batches)),
  };
}
