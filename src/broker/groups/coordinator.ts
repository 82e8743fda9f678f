import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { LIMITS } from '../../core/limits.js';
import { EvqError, EvqUsageError, topicNotFound } from '../../errors.js';
import type { GroupMemberInfo, GroupMembership, GroupPartition } from '../../protocol/http.js';
import { validateGroupName, validateTopicName } from '../../protocol/validate.js';
import { ListenerSet } from '../storage/listener-set.js';
import type { TopicStore } from '../storage/topic-store.js';
import { roundRobin, type AssignmentStrategy } from './assignment.js';

/** What a member asks for when it joins. */
export interface JoinOptions {
  topics: readonly string[];
  sessionTimeoutMs?: number | undefined;
  clientId?: string | undefined;
  /** The door it came through: `http` (evq's API) or `kafka`. */
  protocol: string;
}

interface Member {
  memberId: string;
  clientId: string;
  protocol: string;
  topics: string[];
  sessionTimeoutMs: number;
  joinedAt: number;
  lastSeenAt: number;
  /** Member reads in flight: a member that is reading (a long poll) is alive whatever its session timeout. */
  reading: number;
  /** Where the next read starts among its partitions (fair across partitions). */
  turn: number;
}

interface Group {
  name: string;
  generation: number;
  members: Map<string, Member>;
  assignment: Map<string, GroupPartition[]>;
  /** `topic\0partition` → the member that owns it in this generation. */
  owners: Map<string, string>;
  timer: TimerHandle | null;
  changed: ListenerSet<number>;
}

export interface CoordinatorLimits {
  maxGroups: number;
  maxGroupMembers: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  defaultSessionTimeoutMs: number;
}

/** A member read while it runs: the assignment to read now, and `end()` when the reply is sent. */
export interface MemberRead {
  /** The generation and the member's partitions now (they change when the group rebalances while the read waits); null once the member is gone. */
  current(): { generation: number; assignment: GroupPartition[]; turn: number } | null;
  /** Calls `listener` at each rebalance of the group (and when it empties); returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
  end(): void;
}

/**
 * The members of consumer groups, whichever door they use: who is in each group, the generation, and which
 * partitions each member owns in it. A join, a leave, a member's expiry (no heartbeat or read for its session
 * timeout) and a change of a subscribed topic's partitions start a new generation with a new assignment,
 * computed by the strategy (round-robin by default): in one generation no partition has two owners, and while a
 * member lives every partition of the subscribed topics has one. Committed offsets are kept apart (OffsetStore),
 * per (group, topic, partition); commits are fenced here by generation and ownership.
 */
export class GroupCoordinator {
  readonly #groups = new Map<string, Group>();
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(
    private readonly store: TopicStore,
    private readonly clock: Clock,
    private readonly limits: CoordinatorLimits = LIMITS_DEFAULT,
    private readonly strategy: AssignmentStrategy = roundRobin,
  ) {
    this.#unsubscribe = store.onTopic((event) => {
      for (const group of this.#groups.values()) {
        if ([...group.members.values()].some((m) => m.topics.includes(event.topic))) this.#rebalance(group);
      }
    });
  }

  /** Adds a member (limits checked first) and rebalances; answers its id, the new generation and its partitions. */
  join(groupName: string, options: JoinOptions): GroupMembership {
    validateGroupName(groupName);
    this.#checkOpen();
    const topics = [...new Set(options.topics)];
    for (const topic of topics) {
      validateTopicName(topic);
      if (this.store.get(topic) === undefined) throw topicNotFound(topic, 'missing');
    }
    const sessionTimeoutMs = options.sessionTimeoutMs ?? this.limits.defaultSessionTimeoutMs;
    const { minSessionTimeoutMs: min, maxSessionTimeoutMs: max } = this.limits;
    if (!Number.isSafeInteger(sessionTimeoutMs) || sessionTimeoutMs < min || sessionTimeoutMs > max) {
      throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `invalid session timeout ${sessionTimeoutMs} ms: expected ${min} to ${max} ms`);
    }
    let group = this.#groups.get(groupName);
    if (group === undefined && this.#groups.size >= this.limits.maxGroups) {
      throw new EvqError(
        'EVQ_ERR_LIMIT_EXCEEDED',
        `the broker has ${this.limits.maxGroups} groups with members, its limit: stop members of other groups first`,
      );
    }
    if (group !== undefined && group.members.size >= this.limits.maxGroupMembers) {
      throw new EvqError(
        'EVQ_ERR_LIMIT_EXCEEDED',
        `group "${groupName}" has ${this.limits.maxGroupMembers} members, the most one group may have: stop one before another joins`,
      );
    }
    if (group === undefined) {
      group = {
        name: groupName,
        generation: 0,
        members: new Map(),
        assignment: new Map(),
        owners: new Map(),
        timer: null,
        changed: new ListenerSet(),
      };
      this.#groups.set(groupName, group);
    }
    const clientId = options.clientId ?? 'evq';
    const now = this.clock.now();
    const member: Member = {
      memberId: `${clientId}-${randomUUID()}`,
      clientId,
      protocol: options.protocol,
      topics,
      sessionTimeoutMs,
      joinedAt: now,
      lastSeenAt: now,
      reading: 0,
      turn: 0,
    };
    group.members.set(member.memberId, member);
    this.#rebalance(group);
    return membership(group, member);
  }

  /** A heartbeat: the member is alive; answers the generation and its partitions now. */
  heartbeat(groupName: string, memberId: string): GroupMembership {
    const { group, member } = this.#member(groupName, memberId);
    member.lastSeenAt = this.clock.now();
    this.#schedule(group);
    return membership(group, member);
  }

  /** Removes a member and rebalances at once; false when it was not a member. */
  leave(groupName: string, memberId: string): boolean {
    const group = this.#groups.get(groupName);
    if (group === undefined || !group.members.delete(memberId)) return false;
    this.#rebalance(group);
    return true;
  }

  /** Starts a member read (a heartbeat too); rejects with EVQ_ERR_UNKNOWN_MEMBER. */
  beginRead(groupName: string, memberId: string): MemberRead {
    const { group, member } = this.#member(groupName, memberId);
    member.lastSeenAt = this.clock.now();
    member.reading++;
    this.#schedule(group);
    let ended = false;
    return {
      current: () => {
        if (this.#groups.get(groupName) !== group || group.members.get(memberId) !== member) return null;
        return { generation: group.generation, assignment: group.assignment.get(memberId) ?? [], turn: member.turn++ };
      },
      onChange: (listener) => group.changed.add(listener),
      end: () => {
        if (ended) return;
        ended = true;
        member.reading--;
        member.lastSeenAt = this.clock.now();
        if (group.members.get(memberId) === member) this.#schedule(group);
      },
    };
  }

  /**
   * Refuses a member's commit unless, in `generation` (the group's current one), the member owns every listed
   * partition: EVQ_ERR_UNKNOWN_MEMBER for a member the broker does not know, EVQ_ERR_REBALANCE otherwise. A
   * commit accepted is a heartbeat.
   */
  checkCommit(groupName: string, memberId: string, generation: number, partitions: readonly GroupPartition[]): void {
    const { group, member } = this.#member(groupName, memberId);
    if (generation !== group.generation) {
      throw new EvqError(
        'EVQ_ERR_REBALANCE',
        `group "${groupName}" is in generation ${group.generation}, not ${generation}: the partitions moved, nothing was committed; heartbeat for the new assignment and read again`,
      );
    }
    for (const { topic, partition } of partitions) {
      if (group.owners.get(ownerKey(topic, partition)) !== memberId) {
        throw new EvqError(
          'EVQ_ERR_REBALANCE',
          `member "${memberId}" does not own ${topic}/${partition} in generation ${generation}: nothing was committed; heartbeat for its assignment`,
        );
      }
    }
    member.lastSeenAt = this.clock.now();
    this.#schedule(group);
  }

  /**
   * Installs an assignment computed elsewhere for the current generation (a Kafka group's leader client sends
   * one in SyncGroup): each member listed must be a member, each partition one of a topic it subscribes to,
   * and no partition may have two owners. Members not listed own nothing. EVQ_ERR_REBALANCE for another
   * generation, EVQ_ERR_INVALID_ARGUMENT for an assignment that breaks those rules (nothing changes then).
   */
  install(groupName: string, generation: number, assignment: ReadonlyMap<string, readonly GroupPartition[]>): void {
    const group = this.#groups.get(groupName);
    if (group === undefined || generation !== group.generation) {
      throw new EvqError(
        'EVQ_ERR_REBALANCE',
        `group "${groupName}" is not in generation ${generation}: the assignment is for a generation that is over`,
      );
    }
    const owners = new Map<string, string>();
    for (const [memberId, owned] of assignment) {
      const member = group.members.get(memberId);
      if (member === undefined)
        throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `the assignment names "${memberId}", not a member of group "${groupName}"`);
      for (const { topic, partition } of owned) {
        const count = this.store.get(topic)?.partitionCount ?? 0;
        if (!member.topics.includes(topic) || !Number.isSafeInteger(partition) || partition < 0 || partition >= count) {
          throw new EvqUsageError(
            'EVQ_ERR_INVALID_ARGUMENT',
            `the assignment gives ${topic}/${partition} to "${memberId}", which does not subscribe to it or it does not exist`,
          );
        }
        const key = ownerKey(topic, partition);
        if (owners.has(key))
          throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `the assignment gives ${topic}/${partition} to two members`);
        owners.set(key, memberId);
      }
    }
    group.assignment = new Map([...group.members.keys()].map((id) => [id, [...(assignment.get(id) ?? [])]]));
    group.owners = owners;
    group.changed.emit(group.generation);
  }

  /** The names of the groups that have members now. */
  groupNames(): string[] {
    return [...this.#groups.keys()].filter((name) => (this.#groups.get(name)?.members.size ?? 0) > 0);
  }

  /** Members of a group now (those subscribed to `topic`, when given). */
  memberCount(groupName: string, topic?: string): number {
    const group = this.#groups.get(groupName);
    if (group === undefined) return 0;
    if (topic === undefined) return group.members.size;
    let n = 0;
    for (const m of group.members.values()) if (m.topics.includes(topic)) n++;
    return n;
  }

  /** The group's generation, members (with their partitions) and owners; null when it has no members. */
  describe(
    groupName: string,
  ): { generation: number; members: GroupMemberInfo[]; topics: string[]; owner(topic: string, partition: number): string | null } | null {
    const group = this.#groups.get(groupName);
    if (group === undefined) return null;
    const members = [...group.members.values()]
      .sort((a, b) => a.joinedAt - b.joinedAt || (a.memberId < b.memberId ? -1 : 1))
      .map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        protocol: m.protocol,
        joinedAt: m.joinedAt,
        lastSeenAt: m.lastSeenAt,
        sessionTimeoutMs: m.sessionTimeoutMs,
        assignment: group.assignment.get(m.memberId) ?? [],
      }));
    return {
      generation: group.generation,
      members,
      topics: subscribedTopics(group),
      owner: (topic, partition) => group.owners.get(ownerKey(topic, partition)) ?? null,
    };
  }

  /** Stops the expiry timers (the broker is stopping). */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    for (const group of this.#groups.values()) this.#disarm(group);
  }

  #member(groupName: string, memberId: string): { group: Group; member: Member } {
    const group = this.#groups.get(groupName);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) {
      throw new EvqError(
        'EVQ_ERR_UNKNOWN_MEMBER',
        `group "${groupName}" has no member "${memberId.slice(0, 300)}" (it left, or missed its session timeout): join again (POST /groups/${encodeURIComponent(groupName)}/members)`,
      );
    }
    return { group, member };
  }

  /** A new generation: the assignment of the members now (a group left without members is forgotten). */
  #rebalance(group: Group): void {
    group.generation++;
    const partitions = new Map<string, number>();
    for (const topic of subscribedTopics(group)) partitions.set(topic, this.store.get(topic)?.partitionCount ?? 0);
    group.assignment = this.strategy.assign([...group.members.values()], partitions);
    group.owners = new Map();
    for (const [memberId, owned] of group.assignment) {
      for (const { topic, partition } of owned) group.owners.set(ownerKey(topic, partition), memberId);
    }
    if (group.members.size === 0) {
      this.#disarm(group);
      this.#groups.delete(group.name);
    } else {
      this.#schedule(group);
    }
    group.changed.emit(group.generation);
  }

  /** Arms the group's timer for the first member to expire (members reading now do not). */
  #schedule(group: Group): void {
    this.#disarm(group);
    if (this.#closed) return;
    let first = Infinity;
    for (const m of group.members.values()) if (m.reading === 0) first = Math.min(first, m.lastSeenAt + m.sessionTimeoutMs);
    if (first === Infinity) return;
    group.timer = this.clock.setTimer(Math.max(0, first - this.clock.now()), () => {
      group.timer = null;
      this.#expire(group);
    });
  }

  #expire(group: Group): void {
    if (this.#groups.get(group.name) !== group) return;
    const now = this.clock.now();
    let expired = false;
    for (const [id, m] of group.members) {
      if (m.reading === 0 && now >= m.lastSeenAt + m.sessionTimeoutMs) {
        group.members.delete(id);
        expired = true;
      }
    }
    if (expired) this.#rebalance(group);
    else this.#schedule(group);
  }

  #disarm(group: Group): void {
    if (group.timer !== null) this.clock.clearTimer(group.timer);
    group.timer = null;
  }

  #checkOpen(): void {
    if (this.#closed) throw new EvqError('EVQ_ERR_UNAVAILABLE', 'the broker is stopping: no group can be joined');
  }
}

const LIMITS_DEFAULT: CoordinatorLimits = {
  maxGroups: LIMITS.maxGroups,
  maxGroupMembers: LIMITS.maxGroupMembers,
  minSessionTimeoutMs: LIMITS.minSessionTimeoutMs,
  maxSessionTimeoutMs: LIMITS.maxSessionTimeoutMs,
  defaultSessionTimeoutMs: LIMITS.defaultSessionTimeoutMs,
};

function membership(group: Group, member: Member): GroupMembership {
  return {
    group: group.name,
    memberId: member.memberId,
    generation: group.generation,
    sessionTimeoutMs: member.sessionTimeoutMs,
    assignment: group.assignment.get(member.memberId) ?? [],
  };
}

function subscribedTopics(group: Group): string[] {
  const topics = new Set<string>();
  for (const m of group.members.values()) for (const t of m.topics) topics.add(t);
  return [...topics].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function ownerKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
