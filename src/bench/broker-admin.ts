/**
 * What the bench asks an evq broker over plain HTTP before it measures: the topic, created with the
 * partitions asked for (`PUT /topics/{topic}`) or as it is, and its partition count; and, for `--group`,
 * that every member has joined the group and every partition has an owner (`GET /groups/{group}`) before the
 * producers start — a rebalance after the first messages would read some of them twice.
 */

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { EvqError, errorFromWire } from '../errors.js';
import { PATHS, type GroupDescription } from '../protocol/http.js';
import type { Scenario } from './scenario.js';

/** Longest answer read (a group description of many members is a few KiB). */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

interface Reply {
  status: number;
  body: unknown;
}

function request(scenario: Scenario, method: 'GET' | 'PUT', path: string, body?: unknown): Promise<Reply> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (scenario.token !== undefined) headers.authorization = `Bearer ${scenario.token}`;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const base = new URL(scenario.url);
  const url = new URL(`${base.pathname.replace(/\/+$/, '')}${path}`, base);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers, timeout: scenario.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_REPLY_BYTES) chunks.push(chunk);
        else
          res.destroy(
            new EvqError('EVQ_ERR_MALFORMED', `the broker's answer to ${method} ${path} is larger than ${MAX_REPLY_BYTES} bytes`),
          );
      });
      res.on('error', reject);
      res.on('end', () => {
        let parsed: unknown = null;
        try {
          parsed = chunks.length === 0 ? null : JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          parsed = null;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new EvqError('EVQ_ERR_TIMEOUT', `no answer to ${method} ${path}`)));
    // the CLI words a connection failure (its code is in the cause) as for every command
    req.on('error', (error) =>
      reject(
        error instanceof EvqError
          ? error
          : new EvqError('EVQ_ERR_UNREACHABLE', `${method} ${path} failed (${(error as { code?: string }).code ?? error.message})`, {
              cause: error,
            }),
      ),
    );
    req.end(payload);
  });
}

function wireError(reply: Reply): EvqError {
  const e = (reply.body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return errorFromWire(e?.code ?? 'EVQ_ERR_INTERNAL', e?.message ?? `the broker answered ${reply.status}`);
}

/**
 * Makes sure the topic exists (with `scenario.partitions` when given) and answers its partition count. A topic
 * that exists with another count is not grown: the run stops with one line (grow it with `evq topics alter`).
 * Over nats:// nothing is asked: a stream is one partition.
 */
export async function prepareTopic(scenario: Scenario): Promise<number> {
  if (/^nats:/i.test(scenario.url)) return 1;
  const path = PATHS.topic(scenario.topic);
  const put = await request(scenario, 'PUT', path, scenario.partitions === null ? undefined : { partitions: scenario.partitions });
  if (put.status === 409) {
    const has = await partitionsOf(scenario, path).catch(() => null);
    throw new EvqError(
      'EVQ_ERR_CONFLICT',
      `topic "${scenario.topic}" exists with ${has ?? 'another number of'} partitions, not ${scenario.partitions}: ` +
        'give another --topic, leave --partitions out to use it as it is, or grow it first (evq topics alter)',
    );
  }
  if (put.status !== 200 && put.status !== 201) throw wireError(put);
  const count = (put.body as { partitions?: unknown } | null)?.partitions;
  if (typeof count === 'number' && Number.isSafeInteger(count) && count >= 1) return count;
  return partitionsOf(scenario, path);
}

async function partitionsOf(scenario: Scenario, path: string): Promise<number> {
  const reply = await request(scenario, 'GET', path);
  if (reply.status !== 200) throw wireError(reply);
  const partitions = (reply.body as { partitions?: unknown } | null)?.partitions;
  return Array.isArray(partitions) && partitions.length > 0 ? partitions.length : 1;
}

/** How a group looks to the bench while its members join. */
export interface GroupView {
  members: number;
  /** Partitions of the topic with an owner. */
  owned: number;
}

/**
 * Waits until `members` members of the group have joined and own all `partitions` partitions of the topic
 * (bounded by the scenario's timeout, polled every 50 ms). A broker that does not serve `GET /groups/{group}`
 * (before groups had members) has one anonymous reader per group: enough for `--members 1` on a topic of one
 * partition, a clear error otherwise. `stopped` ends the wait early (a member failed).
 */
export async function waitForGroup(scenario: Scenario, partitions: number, stopped: () => Error | null): Promise<void> {
  const group = scenario.group as string;
  const members = scenario.subscribers;
  const deadline = Date.now() + scenario.timeoutMs;
  let view: GroupView = { members: 0, owned: 0 };
  for (;;) {
    const failed = stopped();
    if (failed !== null) throw failed;
    const reply = await request(scenario, 'GET', PATHS.groupDescription(group));
    if (reply.status === 404 && /^no route/.test(wireError(reply).message)) {
      if (members === 1 && partitions === 1) return;
      throw new EvqError(
        'EVQ_ERR_NOT_IMPLEMENTED',
        `evq bench --group: this broker does not share partitions among group members (it has no GET /groups/{group}): ` +
          `--members ${members} on ${partitions} partition${partitions === 1 ? '' : 's'} needs a broker with consumer-group members; use --members 1 on a 1-partition topic`,
      );
    }
    if (reply.status === 200) {
      view = groupView(reply.body as GroupDescription, scenario.topic);
      if (view.members >= members && view.owned >= partitions) return;
    } else if (reply.status !== 404) throw wireError(reply);
    if (Date.now() >= deadline) {
      throw new EvqError(
        'EVQ_ERR_TIMEOUT',
        `evq bench --group: ${view.members} of ${members} members joined group "${group}", owning ${view.owned} of ${partitions} partitions, ` +
          `within ${scenario.timeoutMs} ms (is the client's consume a group member? see GET /groups/${group})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Members and owned partitions of `topic` in a group description. */
export function groupView(description: GroupDescription, topic: string): GroupView {
  const members = Array.isArray(description.members) ? description.members.length : 0;
  const parts = Array.isArray(description.partitions) ? description.partitions : [];
  const owned = parts.filter((p) => p.topic === topic && p.owner !== null && p.owner !== undefined).length;
  return { members, owned };
}
