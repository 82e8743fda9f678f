import type { GroupPartition } from '../../protocol/http.js';

/** A member as an assignment strategy sees it. */
export interface AssignableMember {
  memberId: string;
  topics: readonly string[];
}

/**
 * Who owns which partition in a generation: every partition of the subscribed topics goes to exactly one
 * member that subscribes to its topic. The broker computes it for evq's HTTP members; a Kafka group's leader
 * client computes its own (SyncGroup) and the coordinator takes it as it is.
 */
export interface AssignmentStrategy {
  readonly name: string;
  /**
   * `members` in any order, `partitions` the partition count of each subscribed topic. Returns each member's
   * partitions (every member has an entry, maybe empty), in topic then partition order. Deterministic: the same
   * input gives the same answer.
   */
  assign(members: readonly AssignableMember[], partitions: ReadonlyMap<string, number>): Map<string, GroupPartition[]>;
}

/**
 * Kafka's round-robin assignor: every partition of every subscribed topic, in topic then partition order, dealt
 * in turn to the members sorted by id, skipping members that do not subscribe to the partition's topic. Members
 * with the same topics end up with counts that differ by at most one.
 */
export const roundRobin: AssignmentStrategy = {
  name: 'roundrobin',
  assign(members, partitions) {
    const sorted = [...members].sort((a, b) => compare(a.memberId, b.memberId));
    const out = new Map<string, GroupPartition[]>(sorted.map((m) => [m.memberId, []]));
    if (sorted.length === 0) return out;
    const subscribed = new Map(sorted.map((m) => [m.memberId, new Set(m.topics)]));
    let turn = 0;
    for (const topic of [...partitions.keys()].sort(compare)) {
      const count = partitions.get(topic) ?? 0;
      for (let partition = 0; partition < count; partition++) {
        for (let tried = 0; tried < sorted.length; tried++) {
          const member = sorted[turn % sorted.length] as AssignableMember;
          turn++;
          if (subscribed.get(member.memberId)?.has(topic) === true) {
            out.get(member.memberId)?.push({ topic, partition });
            break;
          }
        }
      }
    }
    return out;
  },
};

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
