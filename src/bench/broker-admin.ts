/**
 * What the bench asks an evq broker before it measures, through the client library: the topic, created with
 * the partitions asked for or used as it is, and its partition count; and, for `--group`, that every member
 * has joined the group and every partition has an owner (`GET /groups/{group}`) before the producers start —
 * a rebalance after the first messages would read some of them twice.
 */

import { connect } from '../client/connect.js';
import type { EvqClient, GroupDescription } from '../client/types.js';
import { EvqError } from '../errors.js';
import { brokerKind, type Scenario } from './scenario.js';

/**
 * Makes sure the topic exists (with `scenario.partitions` when given) and answers its partition count. A topic
 * that exists with another count is not grown: the run stops with one line (grow it with `evq topics alter`).
 * Over nats:// nothing is asked: a stream is one partition.
 */
export async function prepareTopic(scenario: Scenario): Promise<number> {
  if (brokerKind(scenario.url) === 'nats') return 1;
  const client = await connect(scenario.url, { token: scenario.token, timeoutMs: scenario.timeoutMs });
  try {
    try {
      await client.createTopic(scenario.topic, scenario.partitions === null ? {} : { partitions: scenario.partitions });
    } catch (error) {
      if (!(error instanceof EvqError) || error.code !== 'EVQ_ERR_CONFLICT') throw error;
      const has = (await client.describeTopic(scenario.topic).catch(() => null))?.partitions.length;
      throw new EvqError(
        'EVQ_ERR_CONFLICT',
        `topic "${scenario.topic}" exists with ${has ?? 'another number of'} partitions, not ${scenario.partitions}: ` +
          'give another --topic, leave --partitions out to use it as it is, or grow it first (evq topics alter)',
        { cause: error },
      );
    }
    const described = await client.describeTopic(scenario.topic);
    return Math.max(1, described?.partitions.length ?? 1);
  } finally {
    await client.close();
  }
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
export async function waitForGroup(client: EvqClient, scenario: Scenario, partitions: number, stopped: () => Error | null): Promise<void> {
  const group = scenario.group as string;
  const members = scenario.subscribers;
  const deadline = Date.now() + scenario.timeoutMs;
  let view: GroupView = { members: 0, owned: 0 };
  for (;;) {
    const failed = stopped();
    if (failed !== null) throw failed;
    try {
      view = groupView(await client.describeGroup(group), scenario.topic);
      if (view.members >= members && view.owned >= partitions) return;
    } catch (error) {
      // no member has joined yet
      if (!(error instanceof EvqError) || error.code !== 'EVQ_ERR_NOT_FOUND') throw error;
    }
    if (Date.now() >= deadline) {
      throw new EvqError(
        'EVQ_ERR_TIMEOUT',
        `evq bench --group: ${view.members} of ${members} members joined group "${group}", owning ${view.owned} of ${partitions} partitions, ` +
          `within ${scenario.timeoutMs} ms (see GET /groups/${group})`,
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
