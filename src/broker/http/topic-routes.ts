import type { IncomingMessage, ServerResponse } from 'node:http';
import { EvqError, topicNotFound } from '../../errors.js';
import { LIMITS } from '../../core/limits.js';
import { CONTENT_TYPES, HEADERS, type StartPosition, type TopicDescription, type TopicList } from '../../protocol/http.js';
import { parseNdjsonBatch } from '../../protocol/ndjson.js';
import { validateTopicName } from '../../protocol/validate.js';
import type { BrokerContext } from '../context.js';
import { groupLag } from '../consumer-groups.js';
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
  const value = await readBody(req, ctx.limits.maxMessageBytes, () => tooLarge(ctx.limits.maxMessageBytes));
  const result = await ctx.ingest.produce(topic, [{ value, key, headers }], { dueAt, idempotencyKey });
  replyProduced(res, result);
}

/** POST /topics/{topic}/batch: NDJSON, one message per line, appended whole or not at all. */
export async function produceBatch(ctx: BrokerContext, topic: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  validateTopicName(topic);
  checkContentType(req, 'batch');
  const now = ctx.clock.now();
  const dueAt = requestDueAt(req, url, now);
  const idempotencyKey = requestIdempotencyKey(req, LIMITS.maxIdempotencyKeyLength);
  const body = await readBody(
    req,
    ctx.limits.maxHttpBodyBytes,
    () => new EvqError('EVQ_ERR_BATCH_TOO_LARGE', `the batch is larger than ${ctx.limits.maxHttpBodyBytes} bytes`),
  );
  const messages = parseNdjsonBatch(body, ctx.limits.maxBatchCount);
  const result = await ctx.ingest.produce(topic, messages, { dueAt, idempotencyKey });
  replyProduced(res, result);
}

function replyProduced(res: ServerResponse, result: ProduceResult): void {
  if (result.delayed) {
    replyJson(res, 202, { topic: result.topic, delayed: true, dueAt: result.dueAt, count: result.count });
    return;
  }
  const { topic, baseOffset, lastOffset, count, duplicate } = result;
  replyJson(res, duplicate ? 200 : 201, { topic, offset: baseOffset, baseOffset, lastOffset, count, duplicate });
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
  const signal = closeSignal(req, res);
  const result = await ctx.reader.read(topic, from, { limit, filter, waitMs, signal });
  replyRecords(res, result);
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

/** GET /topics: every topic with counts, sizes, offsets and subscribers. */
export function listTopics(ctx: BrokerContext, res: ServerResponse): void {
  const reply: TopicList = { topics: ctx.store.list().map((info) => ({ ...info, subscribers: ctx.subscriberCount(info.topic) })) };
  replyJson(res, 200, reply);
}

/** GET /topics/{topic}. */
export function describeTopic(ctx: BrokerContext, topic: string, res: ServerResponse): void {
  validateTopicName(topic);
  const info = ctx.store.list().find((t) => t.topic === topic);
  if (info === undefined) throw topicNotFound(topic, 'missing');
  const groups = ctx.groups
    .list()
    .filter((g) => g.topic === topic)
    .map((g) => ({
      group: g.group,
      committed: g.committed,
      lag: groupLag(info, g.committed),
    }));
  const reply: TopicDescription = { ...info, subscribers: ctx.subscriberCount(topic), groups };
  replyJson(res, 200, reply);
}

/** PUT /topics/{topic}: creates an empty topic (201), or leaves an existing one as it is (200). */
export async function createTopic(ctx: BrokerContext, topic: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  validateTopicName(topic);
  req.resume(); // no body is read
  const existed = ctx.store.has(topic);
  if (!existed) await ctx.store.getOrCreate(topic);
  replyJson(res, existed ? 200 : 201, { topic, created: !existed });
}

/** DELETE /topics/{topic}: the log and its groups are removed. */
export async function deleteTopic(ctx: BrokerContext, topic: string, res: ServerResponse): Promise<void> {
  validateTopicName(topic);
  const deleted = await ctx.store.delete(topic);
  if (!deleted) throw topicNotFound(topic, 'missing');
  await ctx.groups.forgetTopic(topic);
  ctx.metrics.forgetTopic(topic);
  ctx.topicDeleted(topic);
  replyJson(res, 200, { topic, deleted: true });
}
