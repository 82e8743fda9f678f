/**
 * Checkers for the JSON bodies of the topic and group routes (their shapes are in http.ts): the client reads a
 * reply through one of these instead of casting it, so a broker that answers something else is an
 * `EVQ_ERR_MALFORMED` that names the field, not an `undefined` further on.
 */

import { EvqError } from '../errors.js';
import { HEADERS } from './http.js';
import type {
  GroupDescription,
  GroupInfo,
  GroupMemberInfo,
  GroupMembership,
  GroupPartition,
  GroupPartitionOffsets,
  GroupReset,
  MemberCommit,
  PartitionOffsets,
  TopicChange,
  TopicDescription,
  TopicInfo,
} from './http.js';

type Fields = Record<string, unknown>;

function malformed(where: string, what: string): EvqError {
  return new EvqError('EVQ_ERR_MALFORMED', `the reply to ${where} is not what evq sends: ${what}`);
}

function object(value: unknown, where: string, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(where, `${what} is not an object`);
  return value as Fields;
}

function array(body: Fields, field: string, where: string): unknown[] {
  const value = body[field];
  if (!Array.isArray(value)) throw malformed(where, `"${field}" is not a list`);
  return value;
}

function text(body: Fields, field: string, where: string): string {
  const value = body[field];
  if (typeof value !== 'string') throw malformed(where, `"${field}" is not a string`);
  return value;
}

function count(body: Fields, field: string, where: string): number {
  const value = body[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw malformed(where, `"${field}" is not a whole number >= 0`);
  return value;
}

/** A count a broker of an older release may leave out: `fallback` then. */
function countOr(body: Fields, field: string, where: string, fallback: number): number {
  return body[field] === undefined ? fallback : count(body, field, where);
}

function topicInfo(value: unknown, where: string): TopicInfo {
  const t = object(value, where, 'a topic');
  const offsets = {
    startOffset: count(t, 'startOffset', where),
    endOffset: count(t, 'endOffset', where),
    messageCount: count(t, 'messageCount', where),
    sizeBytes: count(t, 'sizeBytes', where),
  };
  // a broker of an older release has no partitions: its topics are one partition each
  const partitions =
    t.partitions === undefined ? [{ partition: 0, ...offsets }] : array(t, 'partitions', where).map((p) => partitionOffsets(p, where));
  return { topic: text(t, 'topic', where), ...offsets, subscribers: count(t, 'subscribers', where), partitions };
}

function partitionOffsets(value: unknown, where: string): PartitionOffsets {
  const p = object(value, where, 'a partition');
  return {
    partition: count(p, 'partition', where),
    startOffset: count(p, 'startOffset', where),
    endOffset: count(p, 'endOffset', where),
    messageCount: count(p, 'messageCount', where),
    sizeBytes: count(p, 'sizeBytes', where),
  };
}

/** The body of `GET /topics` (`where`: the route, for the message): its topics. */
export function decodeTopicList(body: unknown, where = 'GET /topics'): TopicInfo[] {
  return array(object(body, where, 'the body'), 'topics', where).map((t) => topicInfo(t, where));
}

/** The body of `GET /topics/{topic}`. */
export function decodeTopicDescription(body: unknown, where = 'GET /topics/{topic}'): TopicDescription {
  const info = topicInfo(body, where);
  const groups = array(object(body, where, 'the body'), 'groups', where).map((value) => {
    const g = object(value, where, 'a group');
    return { group: text(g, 'group', where), committed: count(g, 'committed', where), lag: count(g, 'lag', where) };
  });
  return { ...info, groups };
}

/** The body of `PUT /topics/{topic}` and `PATCH /topics/{topic}`: the partition count now (and before, for PATCH). */
export function decodeTopicChange(body: unknown, where = 'PATCH /topics/{topic}'): TopicChange {
  const c = object(body, where, 'the body');
  const change: TopicChange = { topic: text(c, 'topic', where), partitions: count(c, 'partitions', where) };
  if (typeof c.created === 'boolean') change.created = c.created;
  if (c.previous !== undefined) change.previous = count(c, 'previous', where);
  return change;
}

/**
 * The body of `GET /groups`: its groups. `endOffset`, `missed`, `members` and `updatedAt` came in later
 * releases: when a broker leaves one out it reads as the end the lag implies, 0, 0 and 0.
 */
export function decodeGroupList(body: unknown, where = 'GET /groups'): GroupInfo[] {
  return array(object(body, where, 'the body'), 'groups', where).map((value) => {
    const g = object(value, where, 'a group');
    const committed = count(g, 'committed', where);
    const lag = count(g, 'lag', where);
    return {
      group: text(g, 'group', where),
      topic: text(g, 'topic', where),
      committed,
      endOffset: countOr(g, 'endOffset', where, committed + lag),
      lag,
      missed: countOr(g, 'missed', where, 0),
      members: countOr(g, 'members', where, 0),
      updatedAt: countOr(g, 'updatedAt', where, 0),
    };
  });
}

/** The body of `POST /topics/{topic}/groups/{group}/reset`. */
export function decodeGroupReset(body: unknown, where = 'POST /topics/{topic}/groups/{group}/reset'): GroupReset {
  const r = object(body, where, 'the body');
  if (typeof r.dryRun !== 'boolean') throw malformed(where, '"dryRun" is not true or false');
  return {
    topic: text(r, 'topic', where),
    group: text(r, 'group', where),
    previous: r.previous === null ? null : count(r, 'previous', where),
    committed: count(r, 'committed', where),
    lag: count(r, 'lag', where),
    dryRun: r.dryRun,
  };
}

function groupPartition(value: unknown, where: string): GroupPartition {
  const p = object(value, where, 'a partition');
  return { topic: text(p, 'topic', where), partition: count(p, 'partition', where) };
}

function nullableCount(body: Fields, field: string, where: string): number | null {
  return body[field] === null ? null : count(body, field, where);
}

function nullableText(body: Fields, field: string, where: string): string | null {
  return body[field] === null ? null : text(body, field, where);
}

/** The body of `POST /groups/{group}/members` (201) and of a heartbeat (200). */
export function decodeGroupMembership(body: unknown, where = 'POST /groups/{group}/members'): GroupMembership {
  const m = object(body, where, 'the body');
  return {
    group: text(m, 'group', where),
    memberId: text(m, 'memberId', where),
    generation: count(m, 'generation', where),
    sessionTimeoutMs: count(m, 'sessionTimeoutMs', where),
    assignment: array(m, 'assignment', where).map((p) => groupPartition(p, where)),
  };
}

/** The body of `POST /groups/{group}/members/{member}/commit`. */
export function decodeMemberCommit(body: unknown, where = 'POST /groups/{group}/members/{member}/commit'): MemberCommit {
  const c = object(body, where, 'the body');
  return {
    group: text(c, 'group', where),
    committed: array(c, 'committed', where).map((value) => {
      const p = object(value, where, 'a partition');
      return { ...groupPartition(p, where), committed: count(p, 'committed', where) };
    }),
  };
}

/** The body of `GET /groups/{group}`: members, their assignments, and every partition's offsets and lag. */
export function decodeGroupDescription(body: unknown, where = 'GET /groups/{group}'): GroupDescription {
  const d = object(body, where, 'the body');
  const state = d.state;
  if (state !== 'stable' && state !== 'empty') throw malformed(where, '"state" is not "stable" or "empty"');
  return {
    group: text(d, 'group', where),
    generation: count(d, 'generation', where),
    state,
    members: array(d, 'members', where).map((value): GroupMemberInfo => {
      const m = object(value, where, 'a member');
      return {
        memberId: text(m, 'memberId', where),
        clientId: text(m, 'clientId', where),
        protocol: text(m, 'protocol', where),
        joinedAt: count(m, 'joinedAt', where),
        lastSeenAt: count(m, 'lastSeenAt', where),
        sessionTimeoutMs: count(m, 'sessionTimeoutMs', where),
        assignment: array(m, 'assignment', where).map((p) => groupPartition(p, where)),
      };
    }),
    partitions: array(d, 'partitions', where).map((value): GroupPartitionOffsets => {
      const p = object(value, where, 'a partition');
      return {
        ...groupPartition(p, where),
        committed: nullableCount(p, 'committed', where),
        endOffset: count(p, 'endOffset', where),
        lag: count(p, 'lag', where),
        missed: countOr(p, 'missed', where, 0),
        owner: nullableText(p, 'owner', where),
      };
    }),
  };
}

/** A partition of a member read and the offset to commit for it once the page was taken. */
export interface PartitionNext extends GroupPartition {
  offset: number;
}

/**
 * The header `evq-next-offsets` of a member read: JSON `{"<topic>": {"<partition>": next}}`, as a list in topic
 * then partition order. Absent or not that shape is EVQ_ERR_MALFORMED (the client would not know what to commit).
 */
export function decodeNextOffsets(value: string | undefined, where = 'GET /groups/{group}/members/{member}/messages'): PartitionNext[] {
  if (value === undefined) throw malformed(where, `it has no ${HEADERS.nextOffsets} header`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw malformed(where, `${HEADERS.nextOffsets} is not JSON`);
  }
  const what = `${HEADERS.nextOffsets}`;
  const topics = object(parsed, where, what);
  const out: PartitionNext[] = [];
  for (const topic of Object.keys(topics).sort()) {
    const partitions = object(topics[topic], where, `${what} of "${topic}"`);
    for (const key of Object.keys(partitions)) {
      if (!/^(0|[1-9]\d{0,9})$/.test(key)) throw malformed(where, `${what} names partition "${key}" of "${topic}"`);
      out.push({ topic, partition: Number(key), offset: count(partitions, key, where) });
    }
  }
  return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

/** The header `evq-generation` of a member read: a whole number >= 0. */
export function decodeGeneration(value: string | undefined, where = 'GET /groups/{group}/members/{member}/messages'): number {
  if (value === undefined || !/^(0|[1-9]\d{0,15})$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw malformed(where, `${HEADERS.generation} is ${value === undefined ? 'missing' : `"${value}", not a whole number >= 0`}`);
  }
  return Number(value);
}
