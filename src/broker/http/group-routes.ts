import type { IncomingMessage, ServerResponse } from 'node:http';
import { EvqError, topicNotFound } from '../../errors.js';
import { HEADERS } from '../../protocol/http.js';
import type { GroupCommit, GroupInfo, GroupList, GroupReset } from '../../protocol/http.js';
import { validateGroupName, validateTopicName } from '../../protocol/validate.js';
import type { BrokerContext } from '../context.js';
import type { Log } from '../storage/log.js';
import type { GroupState } from '../consumer-groups.js';
import { groupLag, groupMissed } from '../consumer-groups.js';
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
  // what retention removed between the committed offset and the log's start: the read skips it, and says so
  const missed = state === undefined ? 0 : groupMissed(ctx.store.get(topic)?.partition(0), state.committed);
  const endRead = ctx.groups.beginRead(topic, group);
  let result;
  try {
    result = await ctx.reader.read(topic, 0, from, {
      limit: queryLimit(url, ctx.limits),
      filter: queryFilter(url, ctx.limits),
      waitMs: queryWait(url, ctx.limits),
      signal: closeSignal(req, res),
    });
  } finally {
    endRead();
  }
  let committed = state?.committed ?? null;
  if (queryFlag(url, 'autocommit') && (committed === null || result.nextOffset > committed)) {
    committed = (await ctx.groups.commit(topic, group, result.nextOffset, ctx.clock.now())).committed;
  }
  const headers: Record<string, string> = {};
  if (committed !== null) headers[HEADERS.committedOffset] = String(committed);
  if (missed > 0) headers[HEADERS.groupMissed] = String(missed);
  replyRecords(res, result, headers);
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
  const parsed = await readSmallJson(req, 'commit', '{"offset": N}');
  const offset = (parsed as { offset?: unknown } | null)?.offset;
  const reset = (parsed as { reset?: unknown } | null)?.reset === true;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new EvqError('EVQ_ERR_INVALID_OFFSET', 'the commit needs {"offset": N} with N a whole number >= 0');
  }
  const log = ctx.store.get(topic)?.partition(0);
  if (log !== undefined && offset > log.endOffset) {
    throw new EvqError('EVQ_ERR_INVALID_OFFSET', `offset ${offset} is past the end of "${topic}" (${log.endOffset})`);
  }
  const state = await ctx.groups.commit(topic, group, offset, ctx.clock.now(), reset);
  const reply: GroupCommit = { topic, group, committed: state.committed, lag: lagOf(ctx, topic, state.committed) };
  replyJson(res, 200, reply);
}

/** GET /topics/{topic}/groups/{group}: the committed offset and the lag. */
export function describeGroup(ctx: BrokerContext, topic: string, group: string, res: ServerResponse): void {
  validateTopicName(topic);
  validateGroupName(group);
  const state = ctx.groups.get(topic, group);
  if (state === undefined) throw new EvqError('EVQ_ERR_NOT_FOUND', `group "${group}" has no committed offset on "${topic}"`);
  replyJson(res, 200, groupInfo(ctx, state));
}

/** GET /groups: every group with its lag, its members (consumers reading now) and what retention removed. */
export function listGroups(ctx: BrokerContext, res: ServerResponse): void {
  const reply: GroupList = { groups: ctx.groups.list().map((g) => groupInfo(ctx, g)) };
  replyJson(res, 200, reply);
}

/** A group on one topic as GET /groups and GET /topics/{t}/groups/{g} answer. */
function groupInfo(ctx: BrokerContext, state: GroupState): GroupInfo {
  const log = ctx.store.get(state.topic)?.partition(0);
  return {
    topic: state.topic,
    group: state.group,
    committed: state.committed,
    endOffset: log?.endOffset ?? state.committed,
    lag: groupLag(log, state.committed),
    missed: groupMissed(log, state.committed),
    members: ctx.groups.members(state.topic, state.group),
    updatedAt: state.updatedAt,
  };
}

/**
 * POST /topics/{topic}/groups/{group}/reset with `{"to": "earliest" | "latest" | N | {"time": MS}, "dryRun": bool}`:
 * moves the group's committed offset, backwards too. `{"time": MS}` is the first record stamped at or after
 * MS (found by a scan of the timestamps), or the end. Refused (409) while consumers of the group read; a dry
 * run answers what it would do and changes nothing.
 */
export async function resetGroup(
  ctx: BrokerContext,
  topic: string,
  group: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  validateTopicName(topic);
  validateGroupName(group);
  const parsed = (await readSmallJson(req, 'reset', '{"to": "earliest"}')) as { to?: unknown; dryRun?: unknown } | null;
  const log = ctx.store.get(topic)?.partition(0);
  if (log === undefined) throw topicNotFound(topic, 'missing');
  const dryRun = parsed?.dryRun === true;
  const offset = await resetTarget(log, topic, parsed?.to);
  const previous = ctx.groups.get(topic, group)?.committed ?? null;
  const members = ctx.groups.members(topic, group);
  if (members > 0 && !dryRun) {
    throw new EvqError(
      'EVQ_ERR_CONFLICT',
      `group "${group}" has ${members} consumer${members === 1 ? '' : 's'} reading "${topic}" now: stop ${members === 1 ? 'it' : 'them'} first (their commits would undo the reset)`,
    );
  }
  const committed = dryRun ? offset : (await ctx.groups.commit(topic, group, offset, ctx.clock.now(), true)).committed;
  const reply: GroupReset = { topic, group, previous, committed, lag: groupLag(log, committed), dryRun };
  replyJson(res, 200, reply);
}

type ResetLog = Log;

/** The offset a reset target stands for in the log as it is now. */
async function resetTarget(log: ResetLog, topic: string, to: unknown): Promise<number> {
  if (to === 'earliest') return log.startOffset;
  if (to === 'latest') return log.endOffset;
  if (typeof to === 'number' && Number.isSafeInteger(to) && to >= 0) {
    if (to > log.endOffset) throw new EvqError('EVQ_ERR_INVALID_OFFSET', `offset ${to} is past the end of "${topic}" (${log.endOffset})`);
    if (to < log.startOffset) {
      throw new EvqError(
        'EVQ_ERR_INVALID_OFFSET',
        `offset ${to} is before the start of "${topic}" (${log.startOffset}; retention removed what came before): use earliest`,
      );
    }
    return to;
  }
  const time = (to as { time?: unknown } | null)?.time;
  if (typeof to === 'object' && to !== null && typeof time === 'number' && Number.isSafeInteger(time) && time >= 0) {
    return log.offsetForTime(time);
  }
  throw new EvqError('EVQ_ERR_MALFORMED', 'the reset needs {"to": "earliest"}, "latest", an offset N, or {"time": MS since the epoch}');
}

export function lagOf(ctx: BrokerContext, topic: string, committed: number): number {
  return groupLag(ctx.store.get(topic)?.partition(0), committed);
}

/** The small JSON body of a group request (at most 4 KiB); anything else is EVQ_ERR_MALFORMED with an example. */
async function readSmallJson(req: IncomingMessage, what: 'commit' | 'reset', example: string): Promise<unknown> {
  checkContentType(req, what);
  const body = await readBody(req, 4096, () => new EvqError('EVQ_ERR_MALFORMED', `a ${what} body is a small JSON object`));
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new EvqError('EVQ_ERR_MALFORMED', `the ${what} body is not JSON: send ${example}`);
  }
}
