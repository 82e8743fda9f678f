/**
 * A Kafka group as evq's own API shows groups (`GET /groups/{g}`, `evq groups describe`): its members with the
 * partitions the leader's assignment gave them (read from the consumer protocol; a member whose assignment is
 * not the consumer protocol's owns nothing that evq can name), and who owns which partition.
 */
import { readConsumerAssignment, readConsumerSubscription } from '../../protocol/kafka/consumer-protocol.js';
import type { GroupMemberInfo, GroupPartition } from '../../protocol/http.js';
import type { ClassicGroups } from './classic-groups.js';

export interface LiveGroupView {
  generation: number;
  members: GroupMemberInfo[];
  topics: string[];
  owner(topic: string, partition: number): string | null;
}

function assigned(bytes: Buffer): GroupPartition[] {
  try {
    return readConsumerAssignment(bytes).assigned.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
  } catch {
    return [];
  }
}

function subscribed(bytes: Buffer): string[] {
  try {
    return readConsumerSubscription(bytes).topics;
  } catch {
    return [];
  }
}

/** The Kafka group's members and owners, or null when it has no Kafka members. */
export function classicGroupView(groups: ClassicGroups, groupId: string): LiveGroupView | null {
  const info = groups.describe(groupId);
  if (info === null || info.members.length === 0) return null;
  const owners = new Map<string, string>();
  const topics = new Set<string>();
  const members = info.members.map((m): GroupMemberInfo => {
    const assignment = assigned(m.assignment);
    for (const p of assignment) owners.set(`${p.topic}\u0000${p.partition}`, m.memberId);
    for (const t of info.protocolType === 'consumer' ? subscribed(m.metadata) : []) topics.add(t);
    return {
      memberId: m.memberId,
      clientId: m.clientId,
      protocol: 'kafka',
      joinedAt: m.joinedAt,
      lastSeenAt: m.lastSeenAt,
      sessionTimeoutMs: m.sessionTimeoutMs,
      assignment,
    };
  });
  return {
    generation: info.generationId,
    members,
    topics: [...topics].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    owner: (topic, partition) => owners.get(`${topic}\u0000${partition}`) ?? null,
  };
}

/** Kafka members of the group (those subscribed to `topic`, when given). */
export function classicMemberCount(groups: ClassicGroups, groupId: string, topic?: string): number {
  const view = classicGroupView(groups, groupId);
  if (view === null) return 0;
  if (topic === undefined) return view.members.length;
  return view.topics.includes(topic) ? view.members.length : 0;
}
