/**
 * Checkers for the JSON bodies of the topic and group routes (their shapes are in http.ts): the client reads a
 * reply through one of these instead of casting it, so a broker that answers something else is an
 * `EVQ_ERR_MALFORMED` that names the field, not an `undefined` further on.
 */

import { EvqError } from '../errors.js';
import type { GroupInfo, GroupReset, PartitionOffsets, TopicChange, TopicDescription, TopicInfo } from './http.js';

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
