import type { IncomingMessage, ServerResponse } from 'node:http';
import { EvqError, EvqUsageError } from '../../errors.js';
import { LIMITS } from '../../core/limits.js';
import { CONTENT_TYPES, HEADERS, type ProduceReply, type StartPosition } from '../../protocol/http.js';
import { parseNdjsonBatch } from '../../protocol/ndjson.js';
import { validateTopicName } from '../../protocol/validate.js';
import type { BrokerContext } from '../context.js';
import type { ProduceResult } from '../ingest.js';
import type { ReadResult } from '../reader.js';
import { readBody } from './body.js';
import { checkContentType } from './content-type.js';
import { replyJson } from './replies.js';
import { recordJson } from '../../protocol/wire-record.js';
import {
  queryFilter,
  queryFrom,
  queryLimit,
  queryPartition,
  queryScan,
  requestPartition,
  queryWait,
  requestDueAt,
  requestIdempotencyKey,
  requestKey,
  requestMessageHeaders,
} from './request.js';

/** POST /topics/{topic}/messages and POST /produce/{topic} (`route` 'seedProduce'): the body is one message. */
export async function produceOne(
  ctx: BrokerContext,
  topic: string,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  route: 'message' | 'seedProduce' = 'message',
): Promise<void> {
  validateTopicName(topic);
  checkContentType(req, route);
  const now = ctx.clock.now();
  const dueAt = requestDueAt(req, url, now);
  const idempotencyKey = requestIdempotencyKey(req, LIMITS.maxIdempotencyKeyLength);
  const key = requestKey(req);
  const headers = requestMessageHeaders(req);
  const partition = requestPartition(req, url);
  const value = await readBody(req, ctx.limits.maxMessageBytes, () => tooLarge(ctx.limits.maxMessageBytes));
  const result = await ctx.ingest.produce(topic, [{ value, key, headers }], { dueAt, idempotencyKey, partition });
  replyProduced(res, result);
}

/** POST /topics/{topic}/batch: NDJSON, one message per line, appended whole or not at all. */
export async function produceBatch(ctx: BrokerContext, topic: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  validateTopicName(topic);
  checkContentType(req, 'batch');
  const now = ctx.clock.now();
  const dueAt = requestDueAt(req, url, now);
  const idempotencyKey = requestIdempotencyKey(req, LIMITS.maxIdempotencyKeyLength);
  const partition = requestPartition(req, url);
  const body = await readBody(
    req,
    ctx.limits.maxHttpBodyBytes,
    () => new EvqError('EVQ_ERR_BATCH_TOO_LARGE', `the batch is larger than ${ctx.limits.maxHttpBodyBytes} bytes`),
  );
  const messages = parseNdjsonBatch(body, ctx.limits.maxBatchCount);
  const result = await ctx.ingest.produce(topic, messages, { dueAt, idempotencyKey, partition });
  replyProduced(res, result);
}

function replyProduced(res: ServerResponse, result: ProduceResult): void {
  if (result.delayed) {
    replyJson(res, 202, { topic: result.topic, delayed: true, dueAt: result.dueAt, count: result.count });
    return;
  }
  replyJson(res, result.duplicate ? 200 : 201, producedReply(result));
}

/** The JSON of an acknowledged produce (see `ProduceReply`). */
function producedReply(result: Extract<ProduceResult, { delayed: false }>): ProduceReply {
  const { topic, partition, baseOffset, lastOffset, count, duplicate, parts, placement } = result;
  const reply: ProduceReply = { topic, partition, offset: baseOffset, baseOffset, lastOffset, count, duplicate, partitions: parts };
  if (placement !== null) reply.placement = placement;
  return reply;
}

function tooLarge(max: number): EvqError {
  return new EvqError('EVQ_ERR_MESSAGE_TOO_LARGE', `the message is larger than the broker's limit of ${max} bytes`);
}

/** GET /topics/{topic}/messages and GET /consume/{topic}: NDJSON records from a position. */
export async function readMessages(
  ctx: BrokerContext,
  topic: string,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  fallback: StartPosition,
): Promise<void> {
  validateTopicName(topic);
  const from = queryFrom(url, fallback);
  const limit = queryLimit(url, ctx.limits);
  const filter = queryFilter(url, ctx.limits);
  const waitMs = queryWait(url, ctx.limits);
  const maxScan = queryScan(url);
  const signal = closeSignal(req, res);
  const partition = readPartition(ctx, topic, url);
  const result = await ctx.reader.read(topic, partition, from, { limit, filter, waitMs, signal, maxScan });
  replyRecords(res, result);
}

/**
 * The partition a plain read is of: `?partition=N`; none is needed on a topic of one partition (a read of a
 * topic of more without one is `EVQ_ERR_INVALID_ARGUMENT`: say which, or read them all through a group).
 */
function readPartition(ctx: BrokerContext, topic: string, url: URL): number {
  const partition = queryPartition(url);
  if (partition !== null) return partition;
  const count = ctx.store.get(topic)?.partitionCount ?? 1;
  if (count > 1) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `topic "${topic}" has ${count} partitions: read one with ?partition=N (0 to ${count - 1}), or all of them through a group`,
    );
  }
  return 0;
}

/** Writes records as NDJSON with the next offset in a header. */
export function replyRecords(res: ServerResponse, result: ReadResult, extraHeaders: Record<string, string> = {}): void {
  let body = '';
  for (const record of result.records) body += `${recordJson(record)}\n`;
  res.writeHead(200, {
    'content-type': CONTENT_TYPES.ndjson,
    'content-length': Buffer.byteLength(body),
    [HEADERS.nextOffset]: String(result.nextOffset),
    [HEADERS.endOffset]: String(result.endOffset),
    [HEADERS.scanned]: String(result.scanned),
    [HEADERS.scannedBytes]: String(result.scannedBytes),
    ...extraHeaders,
  });
  res.end(body);
}

/** An AbortSignal that fires when the client goes away before the reply is complete. */
export function closeSignal(req: IncomingMessage, res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  req.once('aborted', () => controller.abort());
  return controller.signal;
}
