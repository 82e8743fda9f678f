import { classicMemberCount } from '../groups/classic-view.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIMITS } from '../../core/limits.js';
import { EvqError, EvqUsageError, topicNotFound } from '../../errors.js';
import { HEADERS, groupResetOf, type BodyRoute } from '../../protocol/http.js';
import type { GroupCommit, GroupInfo, GroupInfoPartition, GroupList } from '../../protocol/http.js';
import { validateGroupName, validateTopicName } from '../../protocol/validate.js';
import type { BrokerContext } from '../context.js';
import type { Log } from '../storage/log.js';
import type { GroupState } from '../groups/offset-store.js';
import { groupLag, groupMissed, partitionFigures } from '../groups/offset-store.js';
import { readBody } from './body.js';
import { checkContentType } from './content-type.js';
import { replyJson } from './replies.js';
import { closeSignal, replyRecords } from './topic-routes.js';
import { queryFilter, queryFlag, queryFrom, queryLimit, queryPartition, queryWait } from './request.js';

/**
 * The anonymous group routes under /topics/{topic}/groups/{group}: reads and commits of one partition (on a
 * topic of one partition, the only one; on a topic of more, the one named), without joining the group.
 */

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
  const partition = anonymousPartition(ctx, topic, group, queryPartition(url));
  const state = ctx.groups.get(topic, group, partition);
  const from = state !== undefined ? state.committed : queryFrom(url, 'earliest');
  // what retention removed between the committed offset and the log's start: the read skips it, and says so
  const missed = state === undefined ? 0 : groupMissed(ctx.store.get(topic)?.partition(partition), state.committed);
  const endRead = ctx.groups.beginRead(topic, group);
  let result;
  try {
    result = await ctx.reader.read(topic, partition, from, {
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
    committed = (await ctx.groups.commit(topic, group, result.nextOffset, ctx.clock.now(), false, partition)).committed;
  }
  const headers: Record<string, string> = {};
  if (committed !== null) headers[HEADERS.committedOffset] = String(committed);
  if (missed > 0) headers[HEADERS.groupMissed] = String(missed);
  replyRecords(res, result, headers);
}

/** POST /topics/{topic}/groups/{group}/commit with `{"offset": N}` (the next offset to read; `"partition": P` on a topic of more than one). */
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
  const partition = anonymousPartition(ctx, topic, group, bodyPartition(parsed));
  const log = ctx.store.get(topic)?.partition(partition);
  if (log !== undefined && offset > log.endOffset) {
    throw new EvqError(
      'EVQ_ERR_INVALID_OFFSET',
      `offset ${offset} is past the end of "${topic}"${where(ctx, topic, partition)} (${log.endOffset})`,
    );
  }
  const state = await ctx.groups.commit(topic, group, offset, ctx.clock.now(), reset, partition);
  const reply: GroupCommit = { topic, group, committed: state.committed, lag: groupLag(log, state.committed) };
  replyJson(res, 200, reply);
}

/** GET /topics/{topic}/groups/{group}: the committed offset and the lag. */
export function describeGroup(ctx: BrokerContext, topic: string, group: string, res: ServerResponse): void {
  validateTopicName(topic);
  validateGroupName(group);
  const entry = ctx.groups.groupsOf(topic).find((g) => g.group === group);
  if (entry === undefined) throw new EvqError('EVQ_ERR_NOT_FOUND', `group "${group}" has no committed offset on "${topic}"`);
  replyJson(res, 200, groupInfo(ctx, entry));
}

/** GET /groups: every group with its lag, its members (consumers reading now) and what retention removed. */
export function listGroups(ctx: BrokerContext, res: ServerResponse): void {
  const reply: GroupList = { groups: ctx.groups.groupsOf().map((g) => groupInfo(ctx, g)) };
  replyJson(res, 200, reply);
}

/**
 * A group on one topic as GET /groups and GET /topics/{t}/groups/{g} answer: on a topic of one partition, its
 * figures; on a topic of more, their sums (a partition without a commit counts from its log's start) and
 * `partitions`. `members`: its anonymous reads in flight and its joined members that subscribe to the topic.
 */
export function groupInfo(ctx: BrokerContext, entry: { topic: string; group: string; partitions: GroupState[] }): GroupInfo {
  const { topic, group } = entry;
  const t = ctx.store.get(topic);
  const members =
    ctx.groups.members(topic, group) + ctx.coordinator.memberCount(group, topic) + classicMemberCount(ctx.kafkaGroups, group, topic);
  const updatedAt = Math.max(...entry.partitions.map((p) => p.updatedAt));
  if (t === undefined || t.partitionCount === 1) {
    const state = entry.partitions.find((p) => p.partition === 0) ?? (entry.partitions[0] as GroupState);
    const log = t?.partition(0);
    return {
      topic,
      group,
      committed: state.committed,
      endOffset: log?.endOffset ?? state.committed,
      lag: groupLag(log, state.committed),
      missed: groupMissed(log, state.committed),
      members,
      updatedAt: state.updatedAt,
    };
  }
  const byPartition = new Map(entry.partitions.map((p) => [p.partition, p.committed]));
  const partitions: GroupInfoPartition[] = t.partitions.map((log) => {
    return { partition: log.partition, ...partitionFigures(log, byPartition.get(log.partition) ?? null) };
  });
  const sum = (f: (p: GroupInfoPartition, i: number) => number): number => partitions.reduce((n, p, i) => n + f(p, i), 0);
  return {
    topic,
    group,
    committed: sum((p, i) => p.committed ?? (t.partition(i) as Log).startOffset),
    endOffset: sum((p) => p.endOffset),
    lag: sum((p) => p.lag),
    missed: sum((p) => p.missed),
    members,
    updatedAt,
    partitions,
  };
}

/**
 * POST /topics/{topic}/groups/{group}/reset with `{"to": "earliest" | "latest" | N | {"time": MS}, "dryRun": bool}`:
 * moves the group's committed offset, backwards too. `{"time": MS}` is the first record stamped at or after
 * MS (by the time index), or the end. On a topic of more than one partition every partition moves (each to its
 * own offset for a time), or only `"partition": N`. Refused (409) while consumers of the group read or the group
 * has members; a dry run answers what it would do and changes nothing.
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
  const t = ctx.store.get(topic);
  if (t === undefined) throw topicNotFound(topic, 'missing');
  const dryRun = parsed?.dryRun === true;
  const named = bodyPartition(parsed);
  if (named !== null && t.partition(named) === undefined) ctx.reader.partitionLog(topic, named);
  const logs = named === null ? [...t.partitions] : [t.partition(named) as Log];
  const targets: number[] = [];
  for (const log of logs) targets.push(await resetTarget(log, topic, parsed?.to, t.partitionCount > 1));
  const readers = ctx.groups.members(topic, group);
  const joined = ctx.coordinator.memberCount(group) + classicMemberCount(ctx.kafkaGroups, group);
  if (readers + joined > 0 && !dryRun) {
    const [n, what] =
      readers > 0 ? [readers, `consumer${readers === 1 ? '' : 's'} reading "${topic}" now`] : [joined, `member${joined === 1 ? '' : 's'}`];
    throw new EvqError(
      'EVQ_ERR_CONFLICT',
      `group "${group}" has ${n} ${what}: stop ${n === 1 ? 'it' : 'them'} first (their commits would undo the reset)`,
    );
  }
  const previous = logs.map((log) => ctx.groups.get(topic, group, log.partition)?.committed ?? null);
  const committed = dryRun
    ? targets
    : (
        await ctx.groups.commitMany(
          group,
          logs.map((log, i) => ({ topic, partition: log.partition, offset: targets[i] as number })),
          ctx.clock.now(),
          true,
        )
      ).map((s) => s.committed);
  const parts = logs.map((log, i) => ({
    partition: log.partition,
    previous: previous[i] ?? null,
    committed: committed[i] as number,
    lag: groupLag(log, committed[i] as number),
  }));
  replyJson(res, 200, groupResetOf(topic, group, parts, dryRun, t.partitionCount > 1));
}

/** The offset a reset target stands for in the log as it is now. */
async function resetTarget(log: Log, topic: string, to: unknown, many: boolean): Promise<number> {
  if (to === 'earliest') return log.startOffset;
  if (to === 'latest') return log.endOffset;
  const at = many ? ` partition ${log.partition}` : '';
  if (typeof to === 'number' && Number.isSafeInteger(to) && to >= 0) {
    if (to > log.endOffset)
      throw new EvqError('EVQ_ERR_INVALID_OFFSET', `offset ${to} is past the end of "${topic}"${at} (${log.endOffset})`);
    if (to < log.startOffset) {
      throw new EvqError(
        'EVQ_ERR_INVALID_OFFSET',
        `offset ${to} is before the start of "${topic}"${at} (${log.startOffset}; retention removed what came before): use earliest`,
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

/**
 * The partition an anonymous group request is of: the one named; none is needed on a topic of one partition
 * (nor on a missing topic: the read answers 404). A topic of more without one is a 400 that says what to do.
 */
function anonymousPartition(ctx: BrokerContext, topic: string, group: string, named: number | null): number {
  const count = ctx.store.get(topic)?.partitionCount ?? 1;
  if (named !== null) {
    if (named >= count && ctx.store.get(topic) !== undefined) ctx.reader.partitionLog(topic, named);
    return named;
  }
  if (count > 1) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `topic "${topic}" has ${count} partitions: join the group to read them all (POST /groups/${encodeURIComponent(group)}/members, or evq consume --group), or name one with partition=N (0 to ${count - 1})`,
    );
  }
  return 0;
}

/** `"partition": N` of a commit or reset body, or null when it has none. */
function bodyPartition(parsed: unknown): number | null {
  const partition = (parsed as { partition?: unknown } | null)?.partition;
  if (partition === undefined || partition === null) return null;
  if (typeof partition !== 'number' || !Number.isSafeInteger(partition) || partition < 0) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', '"partition" must be a whole number >= 0');
  }
  return partition;
}

function where(ctx: BrokerContext, topic: string, partition: number): string {
  return (ctx.store.get(topic)?.partitionCount ?? 1) > 1 ? ` partition ${partition}` : '';
}

/** A small JSON body of a group request (at most `limit` bytes); anything else is EVQ_ERR_MALFORMED with an example. */
export async function readSmallJson(
  req: IncomingMessage,
  what: BodyRoute,
  example: string,
  limit: number = LIMITS.maxGroupBodyBytes,
): Promise<unknown> {
  checkContentType(req, what);
  const body = await readBody(
    req,
    limit,
    () => new EvqError('EVQ_ERR_MALFORMED', `a ${what} body is a small JSON object (at most ${limit} bytes)`),
  );
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new EvqError('EVQ_ERR_MALFORMED', `the ${what} body is not JSON: send ${example}`);
  }
}
