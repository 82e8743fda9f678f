import type { IncomingMessage, ServerResponse } from 'node:http';
import { EvqError } from '../../errors.js';
import { HEADERS } from '../../protocol/http.js';
import { validateGroupName, validateTopicName } from '../../protocol/validate.js';
import type { BrokerContext } from '../context.js';
import { groupLag } from '../consumer-groups.js';
import { readBody } from './body.js';
import { checkContentType } from './content-type.js';
import { replyJson } from './replies.js';
import { closeSignal, replyRecords } from './topic-routes.js';
import { queryFilter, queryFlag, queryFrom, queryLimit, queryWait } from './request.js';

/**
 * GET /topics/{topic}/groups/{group}/messages: records from the group's committed offset (or, for a group
 * that has none yet, from `from`, default earliest). With `autocommit=true` the offset after the last
 * record returned is committed (durably) before the reply is sent.
 */
export async function readGroup(
  ctx: BrokerContext,
  topic: string,
  group: string,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  validateTopicName(topic);
  validateGroupName(group);
  const state = ctx.groups.get(topic, group);
  const from = state !== undefined ? state.committed : queryFrom(url, 'earliest');
  const result = await ctx.reader.read(topic, from, {
    limit: queryLimit(url, ctx.limits),
    filter: queryFilter(url, ctx.limits),
    waitMs: queryWait(url, ctx.limits),
    signal: closeSignal(req, res),
  });
  let committed = state?.committed ?? null;
  if (queryFlag(url, 'autocommit') && (committed === null || result.nextOffset > committed)) {
    committed = (await ctx.groups.commit(topic, group, result.nextOffset, ctx.clock.now())).committed;
  }
  replyRecords(res, result, committed === null ? {} : { [HEADERS.committedOffset]: String(committed) });
}

/** POST /topics/{topic}/groups/{group}/commit with `{"offset": N}` (the next offset to read). */
export async function commitGroup(
  ctx: BrokerContext,
  topic: string,
  group: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  validateTopicName(topic);
  validateGroupName(group);
  checkContentType(req, 'commit');
  const body = await readBody(req, 4096, () => new EvqError('EVQ_ERR_MALFORMED', 'a commit body is a small JSON object'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new EvqError('EVQ_ERR_MALFORMED', 'the commit body is not JSON: send {"offset": N}');
  }
  const offset = (parsed as { offset?: unknown } | null)?.offset;
  const reset = (parsed as { reset?: unknown } | null)?.reset === true;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new EvqError('EVQ_ERR_INVALID_OFFSET', 'the commit needs {"offset": N} with N a whole number >= 0');
  }
  const log = ctx.store.get(topic);
  if (log !== undefined && offset > log.endOffset) {
    throw new EvqError('EVQ_ERR_INVALID_OFFSET', `offset ${offset} is past the end of "${topic}" (${log.endOffset})`);
  }
  const state = await ctx.groups.commit(topic, group, offset, ctx.clock.now(), reset);
  replyJson(res, 200, { topic, group, committed: state.committed, lag: lagOf(ctx, topic, state.committed) });
}

/** GET /topics/{topic}/groups/{group}: the committed offset and the lag. */
export function describeGroup(ctx: BrokerContext, topic: string, group: string, res: ServerResponse): void {
  validateTopicName(topic);
  validateGroupName(group);
  const state = ctx.groups.get(topic, group);
  if (state === undefined) throw new EvqError('EVQ_ERR_NOT_FOUND', `group "${group}" has no committed offset on "${topic}"`);
  replyJson(res, 200, { topic, group, committed: state.committed, lag: lagOf(ctx, topic, state.committed), updatedAt: state.updatedAt });
}

/** GET /groups: every group with its lag. */
export function listGroups(ctx: BrokerContext, res: ServerResponse): void {
  const groups = ctx.groups
    .list()
    .map((g) => ({ topic: g.topic, group: g.group, committed: g.committed, lag: lagOf(ctx, g.topic, g.committed) }));
  replyJson(res, 200, { groups });
}

export function lagOf(ctx: BrokerContext, topic: string, committed: number): number {
  return groupLag(ctx.store.get(topic), committed);
}
