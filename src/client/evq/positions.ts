/**
 * Where a read or a subscription starts. `earliest`, `latest` and offsets go to the broker as they are;
 * `{ last: N }` is resolved here: the topic's end offset minus N, not below its first retained offset (a topic
 * that does not exist yet starts at 0).
 */

import { EvqError } from '../../errors.js';
import { PATHS } from '../../protocol/http.js';
import { decodeTopicDescription } from '../../protocol/http-replies.js';
import type { StartPosition } from '../../protocol/http.js';
import type { From, TopicDescription } from '../types.js';
import type { HttpApi } from './http.js';
import { checkFrom } from '../options.js';

/** Offsets of a topic: `GET /topics/{topic}`; null when the topic does not exist (yet). */
export async function topicInfo(http: HttpApi, topic: string, signal?: AbortSignal): Promise<TopicDescription | null> {
  try {
    return decodeTopicDescription(await http.json<unknown>({ method: 'GET', path: PATHS.topic(topic), signal }));
  } catch (error) {
    if (error instanceof EvqError && error.code === 'EVQ_ERR_NOT_FOUND') return null;
    throw error;
  }
}

/** Resolves `{ last: N }` to an offset; other positions are returned as they are. */
export async function resolveFrom(http: HttpApi, topic: string, from: From, signal?: AbortSignal): Promise<StartPosition> {
  checkFrom(from);
  if (typeof from !== 'object' || 'time' in from) return from;
  const info = await topicInfo(http, topic, signal);
  if (info === null) return 0;
  return Math.max(info.startOffset, info.endOffset - from.last);
}

/** The query parameters of a read that starts at `from` (`from`, or `time`, or `last`: the broker resolves each per partition). */
export function startQuery(from: StartPosition): { from: string } | { time: number } | { last: number } {
  if (typeof from !== 'object') return { from: String(from) };
  return 'time' in from ? { time: from.time } : { last: from.last };
}
