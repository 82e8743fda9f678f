/**
 * Kafka's classic consumer-group protocol, as a Kafka broker's group coordinator runs it: members join
 * (JoinGroup) and wait at a barrier until every known member has rejoined or the rebalance timeout has
 * passed; the generation then moves on, one protocol (assignor) common to every member is chosen, and the
 * leader — the first member — gets every member's metadata to compute the assignment on the client side;
 * SyncGroup hands each member its part. Heartbeats keep a member's session alive and tell it when the group
 * rebalances; a member silent past its session timeout is removed and the group rebalances. Assignments
 * and metadata are opaque bytes here (the consumer protocol is the clients' business).
 *
 * States, as Kafka names them: Empty → PreparingRebalance → CompletingRebalance → Stable, back to
 * PreparingRebalance at every join, leave or expiry. Committed offsets live in the OffsetStore, shared with
 * evq's own groups; a group name is used by one kind of member at a time (the caller checks).
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../../core/clock.js';

export type ClassicGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** The Kafka error names the coordinator answers with (the listener turns them into codes). */
export type ClassicGroupError =
  | 'NONE'
  | 'UNKNOWN_MEMBER_ID'
  | 'ILLEGAL_GENERATION'
  | 'REBALANCE_IN_PROGRESS'
  | 'INCONSISTENT_GROUP_PROTOCOL'
  | 'INVALID_SESSION_TIMEOUT'
  | 'GROUP_MAX_SIZE_REACHED'
  | 'COORDINATOR_NOT_AVAILABLE';

export interface ClassicProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinRequest {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: ClassicProtocol[];
}

export interface JoinResult {
  error: ClassicGroupError;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  /** Every member and its metadata for the chosen protocol: only the leader gets them. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  error: ClassicGroupError;
  assignment: Buffer;
}

export interface ClassicMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  joinedAt: number;
  lastSeenAt: number;
  sessionTimeoutMs: number;
  /** The member's metadata for the group's protocol. */
  metadata: Buffer;
  assignment: Buffer;
}

export interface ClassicGroupInfo {
  groupId: string;
  state: ClassicGroupState;
  protocolType: string;
  protocol: string;
  generationId: number;
  members: ClassicMemberInfo[];
}

export interface ClassicGroupLimits {
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxGroupMembers: number;
  maxGroups: number;
}

interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: ClassicProtocol[];
  assignment: Buffer;
  joinedAt: number;
  lastSeen: number;
  /** Set while the member waits at the join barrier. */
  awaitingJoin: ((result: JoinResult) => void) | null;
  awaitingSync: ((result: SyncResult) => void) | null;
}

interface Group {
  id: string;
  state: ClassicGroupState;
  protocolType: string;
  protocol: string;
  generationId: number;
  leader: string;
  members: Map<string, Member>;
  joinTimer: TimerHandle | null;
  sessionTimer: TimerHandle | null;
}

const EMPTY = Buffer.alloc(0);

export class ClassicGroups {
  readonly #groups = new Map<string, Group>();
  #closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly limits: ClassicGroupLimits,
    /** Told when a group's generation or assignment changes (for describe and metrics). */
    private readonly onChange: (groupId: string) => void = () => undefined,
  ) {}

  /** Whether the group has Kafka members now. */
  has(groupId: string): boolean {
    return (this.#groups.get(groupId)?.members.size ?? 0) > 0;
  }

  /** Group ids with members. */
  groupIds(): string[] {
    return [...this.#groups.keys()];
  }

  describe(groupId: string): ClassicGroupInfo | null {
    const group = this.#groups.get(groupId);
    if (group === undefined) return null;
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType,
      protocol: group.state === 'Stable' || group.state === 'CompletingRebalance' ? group.protocol : '',
      generationId: group.generationId,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        joinedAt: m.joinedAt,
        lastSeenAt: m.lastSeen,
        sessionTimeoutMs: m.sessionTimeoutMs,
        metadata: m.protocols.find((p) => p.name === group.protocol)?.metadata ?? EMPTY,
        assignment: m.assignment,
      })),
    };
  }

  /** A JoinGroup: resolves when the join phase completes (or at once with an error). */
  join(groupId: string, request: JoinRequest): Promise<JoinResult> {
    const fail = (error: ClassicGroupError): Promise<JoinResult> =>
      Promise.resolve({ error, generationId: -1, protocolName: '', leader: '', memberId: request.memberId, members: [] });
    if (this.#closed) return fail('COORDINATOR_NOT_AVAILABLE');
    const { minSessionTimeoutMs: min, maxSessionTimeoutMs: max } = this.limits;
    if (request.sessionTimeoutMs < min || request.sessionTimeoutMs > max) return fail('INVALID_SESSION_TIMEOUT');
    if (request.protocols.length === 0 || request.protocolType === '') return fail('INCONSISTENT_GROUP_PROTOCOL');
    let group = this.#groups.get(groupId);
    if (group === undefined) {
      if (request.memberId !== '') return fail('UNKNOWN_MEMBER_ID');
      if (this.#groups.size >= this.limits.maxGroups) return fail('GROUP_MAX_SIZE_REACHED');
      group = {
        id: groupId,
        state: 'Empty',
        protocolType: request.protocolType,
        protocol: '',
        generationId: 0,
        leader: '',
        members: new Map(),
        joinTimer: null,
        sessionTimer: null,
      };
      this.#groups.set(groupId, group);
    }
    if (group.members.size > 0 && (group.protocolType !== request.protocolType || !this.#supportsCommon(group, request.protocols))) {
      return fail('INCONSISTENT_GROUP_PROTOCOL');
    }
    let member: Member | undefined;
    if (request.memberId === '') {
      if (group.members.size >= this.limits.maxGroupMembers) return fail('GROUP_MAX_SIZE_REACHED');
      member = {
        memberId: `${request.clientId || 'member'}-${randomUUID()}`,
        groupInstanceId: request.groupInstanceId,
        clientId: request.clientId,
        clientHost: request.clientHost,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        protocols: request.protocols,
        assignment: EMPTY,
        joinedAt: this.clock.now(),
        lastSeen: this.clock.now(),
        awaitingJoin: null,
        awaitingSync: null,
      };
      group.members.set(member.memberId, member);
      group.protocolType = request.protocolType;
    } else {
      member = group.members.get(request.memberId);
      if (member === undefined) return fail('UNKNOWN_MEMBER_ID');
      member.protocols = request.protocols;
      member.sessionTimeoutMs = request.sessionTimeoutMs;
      member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
      member.lastSeen = this.clock.now();
      // a rejoin of a member whose metadata did not change, while the group is stable and it is not the
      // leader, still starts a rebalance (as Kafka: the client rejoins because it wants one)
    }
    const joined = member;
    const result = new Promise<JoinResult>((resolve) => {
      joined.awaitingJoin?.({ ...this.#joinFailure(joined.memberId), error: 'UNKNOWN_MEMBER_ID' });
      joined.awaitingJoin = resolve;
    });
    this.#prepareRebalance(group);
    this.#maybeCompleteJoin(group);
    return result;
  }

  /** A SyncGroup: the leader's assignments are installed; every member gets its part once they are. */
  sync(groupId: string, memberId: string, generationId: number, assignments: ReadonlyMap<string, Buffer>): Promise<SyncResult> {
    const fail = (error: ClassicGroupError): Promise<SyncResult> => Promise.resolve({ error, assignment: EMPTY });
    const group = this.#groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return fail('UNKNOWN_MEMBER_ID');
    if (generationId !== group.generationId) return fail('ILLEGAL_GENERATION');
    member.lastSeen = this.clock.now();
    this.#scheduleSessions(group);
    if (group.state === 'PreparingRebalance') return fail('REBALANCE_IN_PROGRESS');
    if (group.state === 'Stable') return Promise.resolve({ error: 'NONE', assignment: member.assignment });
    const result = new Promise<SyncResult>((resolve) => {
      member.awaitingSync?.({ error: 'REBALANCE_IN_PROGRESS', assignment: EMPTY });
      member.awaitingSync = resolve;
    });
    if (memberId === group.leader) {
      for (const m of group.members.values()) m.assignment = assignments.get(m.memberId) ?? EMPTY;
      group.state = 'Stable';
      for (const m of group.members.values()) {
        const waiting = m.awaitingSync;
        m.awaitingSync = null;
        waiting?.({ error: 'NONE', assignment: m.assignment });
      }
      this.onChange(group.id);
    }
    return result;
  }

  /** A Heartbeat: NONE while the generation is stable, REBALANCE_IN_PROGRESS when the member must rejoin. */
  heartbeat(groupId: string, memberId: string, generationId: number): ClassicGroupError {
    const group = this.#groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return 'UNKNOWN_MEMBER_ID';
    member.lastSeen = this.clock.now();
    this.#scheduleSessions(group);
    if (group.state === 'PreparingRebalance') return 'REBALANCE_IN_PROGRESS';
    if (generationId !== group.generationId) return 'ILLEGAL_GENERATION';
    if (group.state === 'CompletingRebalance') return 'REBALANCE_IN_PROGRESS';
    return 'NONE';
  }

  /** A LeaveGroup: the member goes and the others rebalance. */
  leave(groupId: string, memberId: string): ClassicGroupError {
    const group = this.#groups.get(groupId);
    if (group === undefined || !group.members.has(memberId)) return 'UNKNOWN_MEMBER_ID';
    this.#remove(group, memberId);
    return 'NONE';
  }

  /**
   * Whether a commit of `memberId` in `generationId` may be taken: NONE, or the error to answer. A commit
   * with generation -1 and no member id (a consumer outside group management) is taken when the group has no
   * members. Commits are taken while the group prepares a rebalance (members commit before they rejoin),
   * not while the leader's assignment is awaited.
   */
  checkCommit(groupId: string, memberId: string, generationId: number): ClassicGroupError {
    const group = this.#groups.get(groupId);
    if (generationId < 0 && memberId === '') return group === undefined || group.members.size === 0 ? 'NONE' : 'UNKNOWN_MEMBER_ID';
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return 'UNKNOWN_MEMBER_ID';
    if (generationId !== group.generationId) return 'ILLEGAL_GENERATION';
    if (group.state === 'CompletingRebalance') return 'REBALANCE_IN_PROGRESS';
    member.lastSeen = this.clock.now();
    this.#scheduleSessions(group);
    return 'NONE';
  }

  close(): void {
    this.#closed = true;
    for (const group of this.#groups.values()) {
      this.#disarm(group);
      for (const m of group.members.values()) {
        m.awaitingJoin?.({ ...this.#joinFailure(m.memberId), error: 'COORDINATOR_NOT_AVAILABLE' });
        m.awaitingSync?.({ error: 'COORDINATOR_NOT_AVAILABLE', assignment: EMPTY });
      }
    }
    this.#groups.clear();
  }

  #joinFailure(memberId: string): JoinResult {
    return { error: 'NONE', generationId: -1, protocolName: '', leader: '', memberId, members: [] };
  }

  #supportsCommon(group: Group, protocols: readonly ClassicProtocol[]): boolean {
    const names = new Set(protocols.map((p) => p.name));
    for (const m of group.members.values()) {
      for (const name of [...names]) if (!m.protocols.some((p) => p.name === name)) names.delete(name);
    }
    return names.size > 0;
  }

  #prepareRebalance(group: Group): void {
    if (group.state === 'CompletingRebalance') {
      // the leader's assignment for this generation will not be used: members waiting for it rejoin
      for (const m of group.members.values()) {
        const waiting = m.awaitingSync;
        m.awaitingSync = null;
        waiting?.({ error: 'REBALANCE_IN_PROGRESS', assignment: EMPTY });
      }
    }
    if (group.state !== 'PreparingRebalance') {
      group.state = 'PreparingRebalance';
      let timeout = 0;
      for (const m of group.members.values()) timeout = Math.max(timeout, m.rebalanceTimeoutMs);
      this.#armJoinTimer(group, timeout);
    }
  }

  #armJoinTimer(group: Group, ms: number): void {
    if (group.joinTimer !== null) this.clock.clearTimer(group.joinTimer);
    group.joinTimer = this.clock.setTimer(Math.max(0, ms), () => {
      group.joinTimer = null;
      this.#completeJoin(group);
    });
  }

  /** Completes the join phase once every member has rejoined. */
  #maybeCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    for (const m of group.members.values()) if (m.awaitingJoin === null) return;
    this.#completeJoin(group);
  }

  /** Ends the join phase: members that did not rejoin go, the generation moves on, the joined get their answers. */
  #completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance' || this.#groups.get(group.id) !== group) return;
    if (group.joinTimer !== null) this.clock.clearTimer(group.joinTimer);
    group.joinTimer = null;
    for (const [id, m] of group.members) if (m.awaitingJoin === null) group.members.delete(id);
    group.generationId++;
    if (group.members.size === 0) {
      group.state = 'Empty';
      this.#forget(group);
      return;
    }
    group.protocol = this.#chooseProtocol(group);
    if (!group.members.has(group.leader)) group.leader = group.members.keys().next().value as string;
    group.state = 'CompletingRebalance';
    for (const m of group.members.values()) m.assignment = EMPTY;
    const all = [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.protocols.find((p) => p.name === group.protocol)?.metadata ?? EMPTY,
    }));
    for (const m of group.members.values()) {
      const waiting = m.awaitingJoin;
      m.awaitingJoin = null;
      m.lastSeen = this.clock.now();
      waiting?.({
        error: 'NONE',
        generationId: group.generationId,
        protocolName: group.protocol,
        leader: group.leader,
        memberId: m.memberId,
        members: m.memberId === group.leader ? all : [],
      });
    }
    this.#scheduleSessions(group);
    this.onChange(group.id);
  }

  /** The protocol every member supports that most members prefer (each votes for its first such one). */
  #chooseProtocol(group: Group): string {
    const members = [...group.members.values()];
    const common = new Set((members[0] as Member).protocols.map((p) => p.name));
    for (const m of members) for (const name of [...common]) if (!m.protocols.some((p) => p.name === name)) common.delete(name);
    const votes = new Map<string, number>();
    for (const m of members) {
      const vote = m.protocols.find((p) => common.has(p.name))?.name;
      if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    let best = '';
    let most = -1;
    for (const [name, n] of votes) if (n > most) [best, most] = [name, n];
    return best;
  }

  #remove(group: Group, memberId: string): void {
    const member = group.members.get(memberId);
    if (member === undefined) return;
    group.members.delete(memberId);
    member.awaitingJoin?.({ ...this.#joinFailure(memberId), error: 'UNKNOWN_MEMBER_ID' });
    member.awaitingSync?.({ error: 'UNKNOWN_MEMBER_ID', assignment: EMPTY });
    if (group.members.size === 0 && group.state !== 'PreparingRebalance') {
      group.generationId++;
      group.state = 'Empty';
      this.#forget(group);
      return;
    }
    this.#prepareRebalance(group);
    this.#maybeCompleteJoin(group);
    this.onChange(group.id);
  }

  /** Arms the group's timer for the first member whose session ends (members at the join barrier excepted). */
  #scheduleSessions(group: Group): void {
    if (group.sessionTimer !== null) this.clock.clearTimer(group.sessionTimer);
    group.sessionTimer = null;
    if (this.#closed) return;
    let first = Infinity;
    for (const m of group.members.values()) if (m.awaitingJoin === null) first = Math.min(first, m.lastSeen + m.sessionTimeoutMs);
    if (first === Infinity) return;
    group.sessionTimer = this.clock.setTimer(Math.max(0, first - this.clock.now()), () => {
      group.sessionTimer = null;
      const now = this.clock.now();
      const expired = [...group.members.values()].filter((m) => m.awaitingJoin === null && now >= m.lastSeen + m.sessionTimeoutMs);
      for (const m of expired) this.#remove(group, m.memberId);
      if (this.#groups.get(group.id) === group) this.#scheduleSessions(group);
    });
  }

  #disarm(group: Group): void {
    if (group.joinTimer !== null) this.clock.clearTimer(group.joinTimer);
    if (group.sessionTimer !== null) this.clock.clearTimer(group.sessionTimer);
    group.joinTimer = null;
    group.sessionTimer = null;
  }

  #forget(group: Group): void {
    this.#disarm(group);
    this.#groups.delete(group.id);
    this.onChange(group.id);
  }
}
