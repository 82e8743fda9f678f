/**
 * `evq groups` over kafka://, through kafkajs's admin: ListGroups, DescribeGroups (members and the partitions
 * their leader assigned them, read from the consumer protocol with evq's own codec), OffsetFetch and
 * ListOffsets for committed offsets and lag, OffsetCommit (admin.setOffsets) for a reset. The answers have the
 * shapes evq's broker gives (src/protocol/http.ts), so the CLI prints them the same way. Kafka keeps no time
 * of the last commit here: `updatedAt` is 0.
 */
import type { Admin } from 'kafkajs';
import { EvqError } from '../../errors.js';
import {
  groupResetOf,
  type GroupDescription,
  type GroupInfo,
  type GroupMemberInfo,
  type GroupReset,
  type GroupResetTo,
} from '../../protocol/http.js';
import { readConsumerAssignment } from '../../protocol/kafka/consumer-protocol.js';
import { topicOffsets, type PartitionOffsets } from './partition-reader.js';

interface Committed {
  topic: string;
  /** Partition → the next offset the group reads (absent: nothing committed). */
  offsets: Map<number, number>;
}

/** What the group committed, per topic (Kafka answers -1 for a partition without a commit). */
async function committedOffsets(admin: Admin, group: string, topics?: string[]): Promise<Committed[]> {
  const fetched = await admin.fetchOffsets(topics === undefined ? { groupId: group } : { groupId: group, topics });
  return fetched.map((t) => ({
    topic: t.topic,
    offsets: new Map(t.partitions.filter((p) => Number(p.offset) >= 0).map((p) => [p.partition, Number(p.offset)])),
  }));
}

function lagOf(o: PartitionOffsets, committed: number | undefined): { lag: number; missed: number } {
  const from = committed === undefined ? o.low : Math.max(committed, o.low);
  return { lag: Math.max(0, o.high - from), missed: committed === undefined ? 0 : Math.max(0, o.low - committed) };
}

/** A group member's assignment, decoded; an assignment that is not the consumer protocol's counts as none. */
function assignmentOf(bytes: Buffer): { topic: string; partition: number }[] {
  if (bytes.length === 0) return [];
  try {
    return readConsumerAssignment(bytes).assigned.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
  } catch {
    return [];
  }
}

/** Every group with a commit, one row per group and topic, as `GET /groups` lists them. */
export async function listKafkaGroups(admin: Admin): Promise<GroupInfo[]> {
  const { groups } = await admin.listGroups();
  const ids = groups.filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => g.groupId);
  if (ids.length === 0) return [];
  const described = new Map((await admin.describeGroups(ids)).groups.map((g) => [g.groupId, g.members.length]));
  const rows: GroupInfo[] = [];
  for (const group of ids.sort()) {
    for (const c of await committedOffsets(admin, group)) {
      if (c.offsets.size === 0) continue;
      const offsets = await topicOffsets(admin, c.topic);
      const partitions = offsets.map((o) => ({
        partition: o.partition,
        committed: c.offsets.get(o.partition) ?? null,
        endOffset: o.high,
        ...lagOf(o, c.offsets.get(o.partition)),
      }));
      const sum = (f: (p: (typeof partitions)[number]) => number): number => partitions.reduce((n, p) => n + f(p), 0);
      rows.push({
        group,
        topic: c.topic,
        committed: sum((p) => p.committed ?? 0),
        endOffset: sum((p) => p.endOffset),
        lag: sum((p) => p.lag),
        missed: sum((p) => p.missed),
        members: described.get(group) ?? 0,
        updatedAt: 0,
        ...(partitions.length > 1 ? { partitions } : {}),
      });
    }
  }
  return rows;
}

/** A group's members, their partitions and the offsets of every partition of its topics; EVQ_ERR_NOT_FOUND when Kafka knows nothing of it. */
export async function describeKafkaGroup(admin: Admin, group: string): Promise<GroupDescription> {
  const [description] = (await admin.describeGroups([group])).groups;
  const members: GroupMemberInfo[] = (description?.members ?? []).map((m) => ({
    memberId: m.memberId,
    clientId: m.clientId,
    protocol: 'kafka',
    joinedAt: 0,
    lastSeenAt: 0,
    sessionTimeoutMs: 0,
    assignment: assignmentOf(m.memberAssignment),
  }));
  const committed = await committedOffsets(admin, group);
  const topics = new Set([
    ...committed.filter((c) => c.offsets.size > 0).map((c) => c.topic),
    ...members.flatMap((m) => m.assignment.map((a) => a.topic)),
  ]);
  if (members.length === 0 && topics.size === 0) {
    throw new EvqError('EVQ_ERR_NOT_FOUND', `group "${group}" has no members and no commits on this cluster`);
  }
  const owner = new Map(members.flatMap((m) => m.assignment.map((a) => [`${a.topic}\0${a.partition}`, m.memberId] as const)));
  const partitions: GroupDescription['partitions'] = [];
  for (const topic of [...topics].sort()) {
    const offsets = committed.find((c) => c.topic === topic)?.offsets ?? new Map<number, number>();
    for (const o of await topicOffsets(admin, topic)) {
      const at = offsets.get(o.partition);
      partitions.push({
        topic,
        partition: o.partition,
        committed: at ?? null,
        endOffset: o.high,
        ...lagOf(o, at),
        owner: owner.get(`${topic}\0${o.partition}`) ?? null,
      });
    }
  }
  return { group, generation: 0, state: members.length > 0 ? 'stable' : 'empty', members, partitions };
}

/** Moves the group's offsets on `topic` (every partition; each to its own offset for a time), as POST …/reset does. */
export async function resetKafkaGroup(admin: Admin, topic: string, group: string, to: GroupResetTo, dryRun: boolean): Promise<GroupReset> {
  const offsets = await topicOffsets(admin, topic);
  if (offsets.length === 0) throw new EvqError('EVQ_ERR_NOT_FOUND', `topic "${topic}" does not exist`);
  const byTime =
    typeof to === 'object'
      ? new Map((await admin.fetchTopicOffsetsByTimestamp(topic, to.time)).map((f) => [f.partition, Number(f.offset)]))
      : null;
  const many = offsets.length > 1;
  const targets = offsets.map((o) => {
    if (to === 'earliest') return o.low;
    if (to === 'latest') return o.high;
    if (byTime !== null) {
      const at = byTime.get(o.partition) ?? -1;
      return at < 0 ? o.high : Math.min(Math.max(at, o.low), o.high);
    }
    if (typeof to !== 'number') throw new EvqError('EVQ_ERR_MALFORMED', 'a reset goes to earliest, latest, an offset or a time');
    const where = many ? ` partition ${o.partition}` : '';
    if (to > o.high) throw new EvqError('EVQ_ERR_INVALID_OFFSET', `offset ${to} is past the end of "${topic}"${where} (${o.high})`);
    if (to < o.low)
      throw new EvqError('EVQ_ERR_INVALID_OFFSET', `offset ${to} is before the start of "${topic}"${where} (${o.low}): use earliest`);
    return to;
  });
  const [description] = (await admin.describeGroups([group])).groups;
  const active = description?.members.length ?? 0;
  if (active > 0 && !dryRun) {
    throw new EvqError(
      'EVQ_ERR_CONFLICT',
      `group "${group}" has ${active} member${active === 1 ? '' : 's'}: stop ${active === 1 ? 'it' : 'them'} first (their commits would undo the reset)`,
    );
  }
  const before = (await committedOffsets(admin, group, [topic]))[0]?.offsets ?? new Map<number, number>();
  if (!dryRun)
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: offsets.map((o, i) => ({ partition: o.partition, offset: String(targets[i]) })),
    });
  const parts = offsets.map((o, i) => ({
    partition: o.partition,
    previous: before.get(o.partition) ?? null,
    committed: targets[i] as number,
    lag: o.high - (targets[i] as number),
  }));
  return groupResetOf(topic, group, parts, dryRun, many);
}
