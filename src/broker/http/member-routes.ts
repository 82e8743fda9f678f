import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIMITS } from '../../core/limits.js';
import type { Filter } from '../../core/filter/index.js';
import { EvqError, EvqUsageError } from '../../errors.js';
import { CONTENT_TYPES, HEADERS, MEDIA_TYPES } from '../../protocol/http.js';
import type { GroupDescription, GroupPartition, GroupPartitionOffsets, MemberCommit, StartPosition } from '../../protocol/http.js';
import type { EvqRecord } from '../../protocol/record.js';
import { encodeMemberBatches, sectionHead } from '../../protocol/member-batches.js';
import { recordJson } from '../../protocol/wire-record.js';
import { validateGroupName, validateTopicName } from '../../protocol/validate.js';
import type { BrokerContext } from '../context.js';
import type { AppendEvent } from '../storage/log.js';
import { resolvePosition } from '../reader.js';
import { classicGroupView, classicMemberCount } from '../groups/classic-view.js';
import { groupMissed, partitionFigures } from '../groups/offset-store.js';
import { readSmallJson } from './group-routes.js';
import { readRawRun } from './member-raw-read.js';
import { replyJson } from './replies.js';
import { closeSignal } from './topic-routes.js';
import { queryFilter, queryFrom, queryLimit, queryWait } from './request.js';

/** The routes of group members under /groups/{group}: join, heartbeat, leave, read, commit, and the group as a whole. */

/** POST /groups/{group}/members with `{"topics": [...], "sessionTimeoutMs"?: N, "clientId"?: "…"}`: 201 GroupMembership. */
export async function joinGroup(ctx: BrokerContext, group: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  validateGroupName(group);
  const example = '{"topics": ["orders"], "sessionTimeoutMs": 10000}';
  const body = await readSmallJson(req, 'join', example);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed(`the join body is a JSON object: send ${example}`);
  const { topics, sessionTimeoutMs, clientId } = body as Record<string, unknown>;
  if (
    !Array.isArray(topics) ||
    topics.length === 0 ||
    topics.length > LIMITS.maxMemberTopics ||
    !topics.every((t) => typeof t === 'string')
  ) {
    throw malformed(`"topics" must be a list of 1 to ${LIMITS.maxMemberTopics} topic names: send ${example}`);
  }
  for (const topic of topics as string[]) validateTopicName(topic);
  if (sessionTimeoutMs !== undefined && (typeof sessionTimeoutMs !== 'number' || !Number.isSafeInteger(sessionTimeoutMs))) {
    throw malformed('"sessionTimeoutMs" must be a whole number of milliseconds');
  }
  if (clientId !== undefined && (typeof clientId !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(clientId))) {
    throw malformed('"clientId" must be 1 to 100 letters, digits, ".", "_" or "-"');
  }
  if (ctx.kafkaGroups.has(group)) {
    throw new EvqError(
      'EVQ_ERR_CONFLICT',
      `group "${group}" has members that came through the Kafka listener: a group is joined through one door at a time; pick another group name`,
    );
  }
  const membership = ctx.coordinator.join(group, {
    topics: topics as string[],
    sessionTimeoutMs: sessionTimeoutMs as number | undefined,
    clientId: clientId as string | undefined,
    protocol: 'http',
  });
  replyJson(res, 201, membership);
}

/** POST /groups/{group}/members/{member}/heartbeat: 200 GroupMembership. */
export function heartbeatMember(ctx: BrokerContext, group: string, member: string, req: IncomingMessage, res: ServerResponse): void {
  validateGroupName(group);
  req.resume();
  replyJson(res, 200, ctx.coordinator.heartbeat(group, member));
}

/** DELETE /groups/{group}/members/{member}: 204; its partitions go to the others at once. */
export function leaveGroup(ctx: BrokerContext, group: string, member: string, res: ServerResponse): void {
  validateGroupName(group);
  if (!ctx.coordinator.leave(group, member)) ctx.coordinator.heartbeat(group, member); // throws EVQ_ERR_UNKNOWN_MEMBER
  res.writeHead(204);
  res.end();
}

interface Page {
  records: EvqRecord[];
  /** An unfiltered binary read: the body's sections (heads and stored batches), `records` then empty. */
  raw: Buffer[] | null;
  /** Records in the page. */
  count: number;
  /** topic → partition → the next offset to commit once the page is taken. */
  next: Record<string, Record<string, number>>;
  /** Records retention removed between committed offsets and the logs' starts, skipped by this read. */
  missed: number;
}

/**
 * GET /groups/{group}/members/{member}/messages?limit=N&wait=DUR&filter=EXPR&from=POS|time=MS: NDJSON records of
 * the member's partitions, each from the group's committed offset (a partition without one from `from`, default
 * earliest), in order within each partition, at most `limit` in all, the first partition read turning from one
 * read to the next. With `wait`, waits for a record on any of its partitions, or a rebalance. Commits nothing:
 * the member commits `evq-next-offsets` once it has taken the page (at least once). A heartbeat too.
 */
export async function readMember(
  ctx: BrokerContext,
  group: string,
  member: string,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  validateGroupName(group);
  const limit = queryLimit(url, ctx.limits);
  const filter = queryFilter(url, ctx.limits);
  const waitMs = queryWait(url, ctx.limits);
  const from = queryFrom(url, 'earliest');
  const signal = closeSignal(req, res);
  const binary = wantsBatches(req);
  const read = ctx.coordinator.beginRead(group, member);
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = read.current();
      if (now === null) ctx.coordinator.heartbeat(group, member); // gone while it waited: throws EVQ_ERR_UNKNOWN_MEMBER
      const { generation, assignment, turn } = now as NonNullable<typeof now>;
      const page = await readPage(ctx, group, assignment, turn, from, limit, filter, signal, binary && filter === null);
      if (page.count > 0 || Date.now() >= deadline || signal.aborted) {
        replyPage(res, page, generation, binary);
        return;
      }
      const woke = await waitForChange(ctx, assignment, page, read.onChange, deadline - Date.now(), signal);
      if (woke === 'timeout') {
        replyPage(res, page, generation, binary);
        return;
      }
      if (woke === 'rebalance') {
        // the partitions moved: an empty page in the new generation (the member learns its partitions from it)
        const after = read.current();
        if (after === null) ctx.coordinator.heartbeat(group, member);
        replyPage(res, { records: [], raw: null, count: 0, next: {}, missed: 0 }, (after as NonNullable<typeof after>).generation, binary);
        return;
      }
    }
  } finally {
    read.end();
  }
}

async function readPage(
  ctx: BrokerContext,
  group: string,
  assignment: readonly GroupPartition[],
  turn: number,
  from: StartPosition,
  limit: number,
  filter: Filter | null,
  signal: AbortSignal,
  raw: boolean,
): Promise<Page> {
  const page: Page = { records: [], raw: raw ? [] : null, count: 0, next: Object.create(null) as Page['next'], missed: 0 };
  const n = assignment.length;
  for (let i = 0; i < n; i++) {
    const { topic, partition } = assignment[(turn + i) % n] as GroupPartition;
    const committed = ctx.groups.get(topic, group, partition)?.committed;
    const log = ctx.store.get(topic)?.partition(partition);
    if (page.count >= limit) {
      // the page is full: a partition not read still says where it stands (every owned partition is listed)
      if (log === undefined) continue;
      setNext(page, topic, partition, committed ?? (await resolvePosition(log, from)));
      continue;
    }
    if (committed !== undefined) page.missed += groupMissed(log, committed);
    if (page.raw !== null) {
      if (log === undefined) continue; // deleted (or changed) under the read: the rebalance gives the new partitions
      const run = await readRawRun(log, committed ?? (await resolvePosition(log, from)), limit - page.count);
      for (const batch of run.batches) page.raw.push(sectionHead(topic, partition, batch.length), batch);
      page.count += run.count;
      if (run.count > 0) {
        ctx.metrics.messagesOut.add({ topic }, run.count);
        ctx.metrics.bytesOut.add({ topic }, run.bytes);
      }
      setNext(page, topic, partition, run.nextOffset);
      continue;
    }
    let result;
    try {
      result = await ctx.reader.read(topic, partition, committed ?? from, { limit: limit - page.count, filter, waitMs: 0, signal });
    } catch (err) {
      // a topic deleted (or changed) under the read: the rebalance it starts gives the member its new partitions
      if (err instanceof EvqError && (err.code === 'EVQ_ERR_NOT_FOUND' || err.code === 'EVQ_ERR_INVALID_ARGUMENT')) continue;
      throw err;
    }
    for (const record of result.records) page.records.push(record);
    page.count += result.records.length;
    setNext(page, topic, partition, result.nextOffset);
  }
  return page;
}

/** Where the page leaves a partition: the offset to commit once it is taken (and where an append is new). */
function setNext(page: Page, topic: string, partition: number, next: number): void {
  (page.next[topic] ??= Object.create(null) as Record<string, number>)[String(partition)] = next;
}

/** Waits for an append to one of `assignment`'s partitions past what the page read, a rebalance, the deadline or an abort. */
async function waitForChange(
  ctx: BrokerContext,
  assignment: readonly GroupPartition[],
  page: Page,
  onChange: (listener: () => void) => () => void,
  ms: number,
  signal: AbortSignal,
): Promise<'append' | 'rebalance' | 'timeout'> {
  if (ms <= 0 || signal.aborted) return 'timeout';
  const owned = new Set(assignment.map((p) => `${p.topic}\u0000${p.partition}`));
  const uncount = ctx.reader.countLongPoll();
  return new Promise((resolve) => {
    let done = false;
    const finish = (why: 'append' | 'rebalance' | 'timeout'): void => {
      if (done) return;
      done = true;
      uncount();
      clearTimeout(timer);
      ctx.ingest.off('append', onAppend);
      stopChange();
      signal.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onAppend = (event: AppendEvent): void => {
      if (owned.has(`${event.topic}\u0000${event.partition}`)) finish('append');
    };
    const onAbort = (): void => finish('timeout');
    const timer = setTimeout(() => finish('timeout'), ms);
    ctx.ingest.on('append', onAppend);
    const stopChange = onChange(() => finish('rebalance'));
    signal.addEventListener('abort', onAbort);
    // an append between the read and now: look again at once
    for (const { topic, partition } of assignment) {
      const log = ctx.store.get(topic)?.partition(partition);
      const read = page.next[topic]?.[String(partition)];
      if (log !== undefined && read !== undefined && log.endOffset > read) finish('append');
    }
  });
}

/** Whether the request's Accept names the binary body of member reads (else NDJSON, as curl gets it). */
function wantsBatches(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (accept === undefined) return false;
  return accept.split(',').some((part) => part.split(';')[0]?.trim().toLowerCase() === MEDIA_TYPES.batches);
}

function replyPage(res: ServerResponse, page: Page, generation: number, binary: boolean): void {
  let body: string | Buffer;
  if (page.raw !== null) body = Buffer.concat(page.raw);
  else if (binary) body = encodeMemberBatches(page.records);
  else {
    body = '';
    for (const record of page.records) body += `${recordJson(record)}\n`;
  }
  const headers: Record<string, string | number> = {
    'content-type': binary ? CONTENT_TYPES.batches : CONTENT_TYPES.ndjson,
    'content-length': Buffer.byteLength(body),
    [HEADERS.generation]: String(generation),
    [HEADERS.nextOffsets]: JSON.stringify(page.next),
  };
  if (page.missed > 0) headers[HEADERS.groupMissed] = String(page.missed);
  res.writeHead(200, headers);
  res.end(body);
}

/**
 * POST /groups/{group}/members/{member}/commit with `{"generation": G, "offsets": [{topic, partition, offset}]}`:
 * durable before the reply; 409 EVQ_ERR_REBALANCE (nothing committed) unless the member owns every partition
 * listed in generation G, the group's current one.
 */
export async function commitMember(
  ctx: BrokerContext,
  group: string,
  member: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  validateGroupName(group);
  const example = '{"generation": 3, "offsets": [{"topic": "orders", "partition": 0, "offset": 42}]}';
  const body = await readSmallJson(req, 'memberCommit', example, LIMITS.maxMemberCommitBytes);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw malformed(`the commit body is a JSON object: send ${example}`);
  const { generation, offsets } = body as Record<string, unknown>;
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 0) {
    throw malformed(`"generation" must be the generation the records were read in (the evq-generation header): send ${example}`);
  }
  if (!Array.isArray(offsets) || offsets.length === 0 || offsets.length > LIMITS.maxPartitions * LIMITS.maxMemberTopics) {
    throw malformed(`"offsets" must be a non-empty list of {"topic", "partition", "offset"}: send ${example}`);
  }
  const seen = new Set<string>();
  const parsed = offsets.map((o: unknown) => {
    const { topic, partition, offset } = (typeof o === 'object' && o !== null ? o : {}) as Record<string, unknown>;
    if (typeof topic !== 'string' || !isCount(partition) || !isCount(offset)) {
      throw malformed(`each offset is {"topic": name, "partition": N, "offset": N} with whole numbers >= 0: send ${example}`);
    }
    validateTopicName(topic);
    const key = `${topic}\u0000${partition}`;
    if (seen.has(key)) throw malformed(`${topic}/${partition} is listed twice: give each partition once`);
    seen.add(key);
    return { topic, partition, offset };
  });
  ctx.coordinator.checkCommit(group, member, generation, parsed);
  for (const { topic, partition, offset } of parsed) {
    const log = ctx.reader.partitionLog(topic, partition);
    if (offset > log.endOffset) {
      throw new EvqUsageError(
        'EVQ_ERR_INVALID_OFFSET',
        `offset ${offset} is past the end of ${topic}/${partition} (${log.endOffset}): nothing was committed`,
      );
    }
  }
  const states = await ctx.groups.commitMany(group, parsed, ctx.clock.now());
  const reply: MemberCommit = { group, committed: states.map((s) => ({ topic: s.topic, partition: s.partition, committed: s.committed })) };
  replyJson(res, 200, reply);
}

/** GET /groups/{group}: members, assignments and, per partition, the committed offset, lag and owner. 404 without members or commits. */
export async function describeWholeGroup(ctx: BrokerContext, group: string, res: ServerResponse): Promise<void> {
  validateGroupName(group);
  const live = ctx.coordinator.describe(group) ?? classicGroupView(ctx.kafkaGroups, group);
  const commits = ctx.groups.ofGroup(group);
  if (live === null && commits.length === 0) {
    throw new EvqError(
      'EVQ_ERR_NOT_FOUND',
      `group "${group}" has no members and no committed offsets: join it with POST /groups/${encodeURIComponent(group)}/members`,
    );
  }
  const topics = [...new Set([...(live?.topics ?? []), ...commits.map((c) => c.topic)])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const partitions: GroupPartitionOffsets[] = [];
  for (const topic of topics) {
    const t = ctx.store.get(topic);
    const numbers = new Set<number>(commits.filter((c) => c.topic === topic).map((c) => c.partition));
    for (let p = 0; p < (t?.partitionCount ?? 0); p++) numbers.add(p);
    for (const partition of [...numbers].sort((a, b) => a - b)) {
      const committed = ctx.groups.get(topic, group, partition)?.committed ?? null;
      partitions.push({
        topic,
        partition,
        ...partitionFigures(t?.partition(partition), committed),
        owner: live?.owner(topic, partition) ?? null,
        oldestUnreadAt: null,
      });
    }
  }
  await stampOldestUnread(ctx, partitions);
  const reply: GroupDescription = {
    group,
    generation: live?.generation ?? 0,
    state: live === null || live.members.length === 0 ? 'empty' : 'stable',
    members: live?.members ?? [],
    partitions,
  };
  replyJson(res, 200, reply);
}

/**
 * The lag in time: for each partition with lag (the first LIMITS.maxGroupAgeReads of them), the timestamp of
 * the oldest record the group has not read — the one at its committed offset, or the log's start when it has
 * none or retention removed it. One record read from the log each, not counted as delivered; a damaged range
 * leaves it null.
 */
async function stampOldestUnread(ctx: BrokerContext, partitions: GroupPartitionOffsets[]): Promise<void> {
  const behind = partitions.filter((p) => p.lag > 0).slice(0, LIMITS.maxGroupAgeReads);
  await Promise.all(
    behind.map(async (p) => {
      const log = ctx.store.get(p.topic)?.partition(p.partition);
      if (log === undefined) return;
      const from = Math.min(Math.max(p.committed ?? log.startOffset, log.startOffset), log.endOffset);
      try {
        const [first] = await log.read(from, { maxRecords: 1, maxBytes: 1 });
        p.oldestUnreadAt = first?.timestamp ?? null;
      } catch {
        p.oldestUnreadAt = null;
      }
    }),
  );
}

/** DELETE /groups/{group}: forgets the committed offsets of a group without members; 409 while it has some. */
export async function deleteWholeGroup(ctx: BrokerContext, group: string, res: ServerResponse): Promise<void> {
  validateGroupName(group);
  const members = ctx.coordinator.memberCount(group) + classicMemberCount(ctx.kafkaGroups, group);
  if (members > 0) {
    throw new EvqError(
      'EVQ_ERR_CONFLICT',
      `group "${group}" has ${members} member${members === 1 ? '' : 's'}: stop ${members === 1 ? 'it' : 'them'} first`,
    );
  }
  if (!(await ctx.groups.forgetGroup(group))) throw new EvqError('EVQ_ERR_NOT_FOUND', `group "${group}" has no committed offsets`);
  res.writeHead(204);
  res.end();
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function malformed(message: string): EvqError {
  return new EvqError('EVQ_ERR_MALFORMED', message);
}
