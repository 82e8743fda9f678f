import type { TopicInfo } from '../client/types.js';
import { formatSize } from '../core/sizes.js';
import type { CreateTopicPlan, DeleteTopicPlan, TopicsPlan } from './commands/topics.js';
import { processEnv, withClient, type CliEnv } from './connection.js';
import type { Output } from './output.js';

/** `evq topics`: an aligned table on a terminal, JSON (an array of topics) otherwise or with --json. */
export async function runTopics(plan: TopicsPlan, output: Output, env: CliEnv = processEnv()): Promise<void> {
  const topics: TopicInfo[] = await withClient(plan, env, (client) => client.topics());
  topics.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  if (plan.json || env.stdout.isTTY !== true) {
    output.data(JSON.stringify(topics));
    return;
  }
  if (topics.length === 0) {
    output.info(`no topics yet at ${plan.url}: \`evq produce <topic> <message>\` creates one`);
    return;
  }
  for (const line of topicsTable(topics)) output.data(line);
}

/** `evq topics create <topic>`. */
export async function runCreateTopic(plan: CreateTopicPlan, output: Output, env: CliEnv = processEnv()): Promise<void> {
  const created = await withClient(plan, env, (client) => client.createTopic(plan.topic, plan.settings));
  output.info(created ? `created topic ${plan.topic}` : `topic ${plan.topic} exists already: left as it is`);
}

/** `evq topics delete <topic>`. */
export async function runDeleteTopic(plan: DeleteTopicPlan, output: Output, env: CliEnv = processEnv()): Promise<void> {
  await withClient(plan, env, (client) => client.deleteTopic(plan.topic));
  output.info(`deleted topic ${plan.topic}`);
}

/** The topics as aligned columns: text left, numbers right. */
export function topicsTable(topics: readonly TopicInfo[]): string[] {
  const header = ['TOPIC', 'MESSAGES', 'SIZE', 'OFFSETS', 'SUBSCRIBERS'];
  const rows = topics.map((t) => [
    t.topic,
    String(t.messageCount),
    formatSize(t.sizeBytes),
    t.endOffset > t.startOffset ? `${t.startOffset}..${t.endOffset - 1}` : `- (next ${t.endOffset})`,
    String(t.subscribers),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === 0 || i === 3 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
