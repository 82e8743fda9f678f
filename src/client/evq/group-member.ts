/**
 * One member of a consumer group on evq's broker (docs/PROTOCOL.md, "Consumer groups"): it joins
 * (`POST /groups/{g}/members`), owns the partitions the broker assigns it in a generation, reads them
 * (`GET …/members/{id}/messages`, a heartbeat too), commits what was taken with the generation it was read in
 * (`POST …/commit`, refused with EVQ_ERR_REBALANCE once the partitions moved on), heartbeats on an unref'd
 * timer every sessionTimeout/3 while nothing else reached the broker (the caller is slow with a page), and
 * leaves (`DELETE`) at the end. Expired (EVQ_ERR_UNKNOWN_MEMBER) it joins again at the next read.
 */

import { EvqError } from '../../errors.js';
import { HEADERS, MEDIA_TYPES, PATHS } from '../../protocol/http.js';
import type { GroupMembership } from '../../protocol/http.js';
import { decodeGeneration, decodeGroupMembership, decodeMemberCommit, decodeNextOffsets } from '../../protocol/http-replies.js';
import type { PartitionNext } from '../../protocol/http-replies.js';
import type { EvqRecord } from '../../protocol/record.js';
import { readMemberSections, type MemberSection } from '../../protocol/member-batches.js';
import { parseRecordLines } from '../../protocol/wire-record.js';
import type { HttpApi, HttpRequest } from './http.js';

/** One page of a member read. */
export interface MemberPage {
  /** The records (an NDJSON body), or null: a binary body, its records in `sections`, decoded as they are handed out. */
  records: EvqRecord[] | null;
  /** A binary body's sections (empty for NDJSON): each a run of consecutive offsets of one partition. */
  sections: MemberSection[];
  /** Records in the page. */
  count: number;
  generation: number;
  /** Per partition read: the offset to commit once every record of the page was taken. */
  next: PartitionNext[];
  /** Records retention removed before the group read them, skipped by this read (`evq-group-missed`), else 0. */
  missed: number;
}

export interface MemberSettings {
  group: string;
  topics: string[];
  /** Asked of the broker at join; the broker's answer rules. */
  sessionTimeoutMs?: number | undefined;
  clientId: string;
}

/** What became of a commit: taken, or refused because the partitions moved on (the records are read again). */
export type CommitOutcome = 'committed' | 'rebalanced';

export class GroupMember {
  readonly #http: HttpApi;
  readonly #settings: MemberSettings;
  #membership: GroupMembership | null = null;
  /** When a request of this member last reached out to the broker (ms, monotonic enough: Date.now). */
  #lastContact = 0;
  #timer: NodeJS.Timeout | null = null;
  #heartbeating = false;
  /** Ends the heartbeats in flight at leave. */
  readonly #stop = new AbortController();

  constructor(http: HttpApi, settings: MemberSettings) {
    this.#http = http;
    this.#settings = settings;
  }

  /** The membership now (null before the first join and once expired). */
  get membership(): GroupMembership | null {
    return this.#membership;
  }

  /** Joins the group (again): a new member id, generation and assignment. */
  async join(signal?: AbortSignal): Promise<GroupMembership> {
    const { group, topics, sessionTimeoutMs, clientId } = this.#settings;
    const body: Record<string, unknown> = { topics, clientId };
    if (sessionTimeoutMs !== undefined) body.sessionTimeoutMs = sessionTimeoutMs;
    this.#lastContact = Date.now();
    const reply = await this.#http.json<unknown>({
      method: 'POST',
      path: PATHS.groupMembers(group),
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
      signal,
    });
    const membership = decodeGroupMembership(reply);
    this.#membership = membership;
    this.#startHeartbeats(membership.sessionTimeoutMs);
    return membership;
  }

  /** Reads a page of the member's partitions. Throws EVQ_ERR_UNKNOWN_MEMBER when expired (join again). */
  async read(query: NonNullable<HttpRequest['query']>, signal: AbortSignal | undefined, waitMs: number): Promise<MemberPage> {
    const membership = this.#required();
    this.#lastContact = Date.now();
    const reply = await this.#expiring(() =>
      this.#http.request({
        method: 'GET',
        path: PATHS.memberMessages(membership.group, membership.memberId),
        query,
        signal,
        waitMs,
        // the binary body (record batches): no JSON.parse and base64 per record
        headers: { accept: `${MEDIA_TYPES.batches}, ${MEDIA_TYPES.ndjson};q=0.5` },
      }),
    );
    const where = `GET /groups/${membership.group}/members/{member}/messages`;
    const generation = decodeGeneration(header(reply.headers, HEADERS.generation), where);
    const next = decodeNextOffsets(header(reply.headers, HEADERS.nextOffsets), where);
    const missed = Number(header(reply.headers, HEADERS.groupMissed) ?? 0);
    // a broker of before the binary body answers NDJSON whatever was asked
    const binary = header(reply.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase() === MEDIA_TYPES.batches;
    const records = binary ? null : parseRecordLines(reply.body, this.#settings.topics.join(','));
    const sections = binary ? readMemberSections(reply.body) : [];
    return {
      records,
      sections,
      count: records !== null ? records.length : sections.reduce((n, s) => n + s.count, 0),
      generation,
      next,
      missed: Number.isSafeInteger(missed) && missed > 0 ? missed : 0,
    };
  }

  /**
   * Commits `offsets` as read in `generation`: 'rebalanced' when the broker refuses them because the member no
   * longer owns them in it (EVQ_ERR_REBALANCE, nothing committed) or no longer is a member (it joins again at
   * the next read). Other failures throw.
   */
  async commit(generation: number, offsets: readonly PartitionNext[]): Promise<CommitOutcome> {
    const membership = this.#membership;
    if (membership === null) return 'rebalanced';
    if (offsets.length === 0) return 'committed';
    this.#lastContact = Date.now();
    try {
      const reply = await this.#expiring(() =>
        this.#http.json<unknown>({
          method: 'POST',
          path: PATHS.memberCommit(membership.group, membership.memberId),
          body: JSON.stringify({ generation, offsets }),
          headers: { 'content-type': 'application/json' },
        }),
      );
      decodeMemberCommit(reply);
      return 'committed';
    } catch (error) {
      if (isCode(error, 'EVQ_ERR_REBALANCE') || isCode(error, 'EVQ_ERR_UNKNOWN_MEMBER')) return 'rebalanced';
      throw error;
    }
  }

  /** Leaves the group (best effort: its partitions go to the others at once instead of after the session timeout). */
  async leave(): Promise<void> {
    this.#stopHeartbeats();
    this.#stop.abort();
    const membership = this.#membership;
    this.#membership = null;
    if (membership === null) return;
    await this.#http.request({ method: 'DELETE', path: PATHS.groupMember(membership.group, membership.memberId) }).then(
      () => undefined,
      () => undefined,
    );
  }

  /** A heartbeat now (the timer's, or a caller's): the membership it answers, or null once expired. */
  async heartbeat(): Promise<GroupMembership | null> {
    const membership = this.#membership;
    if (membership === null) return null;
    this.#lastContact = Date.now();
    try {
      const reply = await this.#http.json<unknown>({
        method: 'POST',
        path: PATHS.memberHeartbeat(membership.group, membership.memberId),
        signal: this.#stop.signal,
      });
      const now = decodeGroupMembership(reply, `POST /groups/${membership.group}/members/{member}/heartbeat`);
      if (this.#membership?.memberId === membership.memberId) this.#membership = now;
      return now;
    } catch (error) {
      if (isCode(error, 'EVQ_ERR_UNKNOWN_MEMBER')) {
        this.#expire(membership.memberId);
        return null;
      }
      throw error;
    }
  }

  #required(): GroupMembership {
    if (this.#membership === null) {
      throw new EvqError('EVQ_ERR_UNKNOWN_MEMBER', `not a member of group "${this.#settings.group}": join first`);
    }
    return this.#membership;
  }

  /** Runs a member request; EVQ_ERR_UNKNOWN_MEMBER forgets the membership (the next read joins again). */
  async #expiring<T>(send: () => Promise<T>): Promise<T> {
    const id = this.#membership?.memberId;
    try {
      return await send();
    } catch (error) {
      if (id !== undefined && isCode(error, 'EVQ_ERR_UNKNOWN_MEMBER')) this.#expire(id);
      throw error;
    }
  }

  #expire(memberId: string): void {
    if (this.#membership?.memberId !== memberId) return;
    this.#membership = null;
    this.#stopHeartbeats();
  }

  #startHeartbeats(sessionTimeoutMs: number): void {
    this.#stopHeartbeats();
    const every = Math.max(50, Math.floor(sessionTimeoutMs / 3));
    this.#timer = setInterval(() => {
      // a read, commit or heartbeat since the last tick is a heartbeat already
      if (this.#heartbeating || Date.now() - this.#lastContact < every * 0.9) return;
      this.#heartbeating = true;
      this.heartbeat()
        .catch(() => undefined) // unreachable now: the next tick tries again, the next read says why
        .finally(() => {
          this.#heartbeating = false;
        });
    }, every);
    this.#timer.unref();
  }

  #stopHeartbeats(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}

export function isCode(error: unknown, code: EvqError['code']): boolean {
  return error instanceof EvqError && error.code === code;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
