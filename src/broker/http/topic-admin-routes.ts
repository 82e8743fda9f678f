/** The routes that list, describe, create, grow and delete topics, and find offsets by time. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EvqError, EvqUsageError, topicNotFound } from '../../errors.js';
import type { TopicChange, TopicDescription, TopicList, TopicTimeOffsets } from '../../protocol/http.js';
import { validateTopicName } from '../../protocol/validate.js';
import type { BrokerContext } from '../context.js';
import { removeTopic } from '../topic-removal.js';
import { groupInfo } from './group-routes.js';
import { readBody } from './body.js';
import { checkContentType } from './content-type.js';
import { replyJson } from './replies.js';
import { parseTime, queryPartition } from './request.js';

/** GET /topics: every topic with counts, sizes, offsets, partitions and subscribers. */
export function listTopics(ctx: BrokerContext, res: ServerResponse): void {
  const reply: TopicList = { topics: ctx.store.list().map((info) => ({ ...info, subscribers: ctx.subscriberCount(info.topic) })) };
  replyJson(res, 200, reply);
}

/** GET /topics/{topic}. */
export function describeTopic(ctx: BrokerContext, topic: string, res: ServerResponse): void {
  validateTopicName(topic);
  const info = ctx.store.get(topic)?.info();
  if (info === undefined) throw topicNotFound(topic, 'missing');
  // per group, the figures of GET /topics/{topic}/groups/{group} (on a topic of more than one partition, sums)
  const groups = ctx.groups.groupsOf(topic).map((g) => {
    const { committed, lag } = groupInfo(ctx, g);
    return { group: g.group, committed, lag };
  });
  const reply: TopicDescription = { ...info, subscribers: ctx.subscriberCount(topic), groups };
  replyJson(res, 200, reply);
}

/**
 * PUT /topics/{topic}, optionally with `{"partitions": N}`: creates an empty topic (201), or answers 200 for one
 * that exists with that count (or when no count is asked for); 409 when it exists with another count.
 */
export async function createTopic(ctx: BrokerContext, topic: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  validateTopicName(topic);
  const asked = await readPartitionsBody(req, false);
  const existing = ctx.store.get(topic);
  if (existing !== undefined) {
    if (asked !== null && asked !== existing.partitionCount) {
      throw new EvqError(
        'EVQ_ERR_CONFLICT',
        `topic "${topic}" exists with ${existing.partitionCount} partition${existing.partitionCount === 1 ? '' : 's'}: ` +
          (asked > existing.partitionCount
            ? `grow it with PATCH (evq topics alter ${topic} --partitions ${asked})`
            : `a topic never has fewer partitions: delete it and create it again to have ${asked}`),
      );
    }
    const reply: TopicChange = { topic, partitions: existing.partitionCount, created: false };
    replyJson(res, 200, reply);
    return;
  }
  const created = await ctx.store.getOrCreate(topic, asked ?? undefined);
  const reply: TopicChange = { topic, partitions: created.partitionCount, created: true };
  replyJson(res, 201, reply);
}

/** PATCH /topics/{topic} with `{"partitions": N}`: grows the topic to N partitions (never fewer). */
export async function alterTopic(ctx: BrokerContext, topic: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  validateTopicName(topic);
  const asked = (await readPartitionsBody(req, true)) as number;
  const previous = ctx.store.get(topic)?.partitionCount;
  if (previous === undefined) throw topicNotFound(topic, 'missing');
  const grown = await ctx.store.grow(topic, asked);
  const reply: TopicChange = { topic, partitions: grown.partitionCount, previous };
  replyJson(res, 200, reply);
}

/** GET /topics/{topic}/offsets?time=T[&partition=N]: the first offset stamped at or after T in each partition. */
export async function offsetsForTime(ctx: BrokerContext, topic: string, res: ServerResponse, url: URL): Promise<void> {
  validateTopicName(topic);
  const text = url.searchParams.get('time');
  if (text === null)
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', 'give ?time=T: ISO 8601 (2026-12-01T09:00:00Z) or ms since the epoch');
  const time = parseTime(text);
  const t = ctx.store.get(topic);
  if (t === undefined) throw topicNotFound(topic, 'missing');
  const only = queryPartition(url);
  const logs = only === null ? t.partitions : [ctx.reader.partitionLog(topic, only)];
  const partitions: TopicTimeOffsets['partitions'] = [];
  for (const log of logs) {
    const offset = await log.offsetForTime(time);
    const [record] = offset < log.endOffset ? await log.read(offset, { maxRecords: 1 }) : [];
    partitions.push({ partition: log.partition, offset, timestamp: record?.offset === offset ? record.timestamp : null });
  }
  const reply: TopicTimeOffsets = { topic, time, partitions };
  replyJson(res, 200, reply);
}

/** DELETE /topics/{topic}: the log and its groups are removed. */
export async function deleteTopic(ctx: BrokerContext, topic: string, res: ServerResponse): Promise<void> {
  validateTopicName(topic);
  if (!(await removeTopic(ctx, topic))) throw topicNotFound(topic, 'missing');
  replyJson(res, 200, { topic, deleted: true });
}

/** `{"partitions": N}` of a PUT or PATCH (null when a PUT has no body); EVQ_ERR_MALFORMED with an example otherwise. */
async function readPartitionsBody(req: IncomingMessage, required: boolean): Promise<number | null> {
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!required && !chunked && (length === undefined || length === '0')) {
    req.resume();
    return null;
  }
  checkContentType(req, 'topic');
  const body = await readBody(req, 4096, () => new EvqError('EVQ_ERR_MALFORMED', 'the body is a small JSON object: {"partitions": N}'));
  if (!required && body.length === 0) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new EvqError('EVQ_ERR_MALFORMED', 'the body is not JSON: send {"partitions": N}');
  }
  const partitions = (parsed as { partitions?: unknown } | null)?.partitions;
  if (partitions === undefined && !required) return null;
  if (typeof partitions !== 'number' || !Number.isSafeInteger(partitions) || partitions < 1) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', 'the body needs {"partitions": N} with N a whole number >= 1');
  }
  return partitions;
}
