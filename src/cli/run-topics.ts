import type { TopicDescription, TopicInfo } from '../client/types.js';
import { formatSize } from '../core/sizes.js';
import { EvqError } from '../errors.js';
import type { AlterTopicPlan, CreateTopicPlan, DeleteTopicPlan, DescribeTopicPlan, TopicsPlan } from './commands/topics.js';
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
  const count = plan.settings.partitions;
  const partitions = count === undefined ? '' : ` (${count} partition${count === 1 ? '' : 's'})`;
  output.info(created ? `created topic ${plan.topic}${partitions}` : `topic ${plan.topic} exists already${partitions}: left as it is`);
}

/** `evq topics alter <topic> --partitions N`: grows it; the broker's refusal (fewer, or no such topic) is its one line. */
export async function runAlterTopic(plan: AlterTopicPlan, output: Output, env: CliEnv = processEnv()): Promise<void> {
  const change = await withClient(plan, env, (client) => client.alterTopic(plan.topic, { partitions: plan.partitions }));
  const previous = change.previous ?? change.partitions;
  output.info(
    previous === change.partitions
      ? `topic ${plan.topic} has ${change.partitions} partition${change.partitions === 1 ? '' : 's'} already: left as it is`
      : `topic ${plan.topic} grown from ${previous} to ${change.partitions} partitions (keys may map to other partitions from now on)`,
  );
}

/** `evq topics <topic>` (or `describe`): a table per partition, and the groups, on a terminal; JSON otherwise. */
export async function runDescribeTopic(plan: DescribeTopicPlan, output: Output, env: CliEnv = processEnv()): Promise<void> {
  const info = await withClient(plan, env, (client) => client.describeTopic(plan.topic));
  if (info === null) {
    throw new EvqError('EVQ_ERR_NOT_FOUND', `topic ${plan.topic} does not exist at ${plan.url}: \`evq topics\` lists the topics there`);
  }
  if (plan.json || env.stdout.isTTY !== true) {
    output.data(JSON.stringify(info));
    return;
  }
  for (const line of describeLines(info)) output.data(line);
}

/** One topic on a terminal: a summary line, its partitions as columns, then its groups. */
export function describeLines(info: TopicDescription): string[] {
  const count = info.partitions.length;
  const lines = [
    `topic ${info.topic}: ${count} partition${count === 1 ? '' : 's'}, ${info.messageCount} message${info.messageCount === 1 ? '' : 's'}, ${formatSize(info.sizeBytes)}, ${info.subscribers} subscriber${info.subscribers === 1 ? '' : 's'}`,
    '',
    ...columns(
      ['PARTITION', 'MESSAGES', 'SIZE', 'START', 'END'],
      info.partitions.map((p) => [
        String(p.partition),
        String(p.messageCount),
        formatSize(p.sizeBytes),
        String(p.startOffset),
        String(p.endOffset),
      ]),
      [],
    ),
  ];
  if (info.groups.length > 0) {
    lines.push(
      '',
      ...columns(
        ['GROUP', 'COMMITTED', 'LAG'],
        info.groups.map((g) => [g.group, String(g.committed), String(g.lag)]),
        [0],
      ),
    );
  }
  return lines;
}

/** Rows as aligned columns: the columns in `left` (and text) left, the others (numbers) right. */
function columns(header: string[], rows: string[][], left: number[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (left.includes(i) ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `evq topics delete <topic>`. */
export async function runDeleteTopic(plan: DeleteTopicPlan, output: Output, env: CliEnv = processEnv()): Promise<void> {
  await withClient(plan, env, (client) => client.deleteTopic(plan.topic));
  output.info(`deleted topic ${plan.topic}`);
}

/** The topics as aligned columns: text left, numbers right. */
export function topicsTable(topics: readonly TopicInfo[]): string[] {
  const header = ['TOPIC', 'PARTITIONS', 'MESSAGES', 'SIZE', 'OFFSETS', 'SUBSCRIBERS'];
  const rows = topics.map((t) => [
    t.topic,
    String(t.partitions.length),
    String(t.messageCount),
    formatSize(t.sizeBytes),
    offsetsCell(t),
    String(t.subscribers),
  ]);
  return columns(header, rows, [0, 4]);
}

/** Partitions whose offsets the OFFSETS cell lists one by one; past that it points to `evq topics TOPIC`. */
const OFFSETS_LISTED = 4;

/** The OFFSETS cell: the range of a topic of one partition; `P:range` per partition of a few; else where to look. */
function offsetsCell(t: TopicInfo): string {
  const range = (start: number, end: number, empty: string): string => (end > start ? `${start}..${end - 1}` : empty);
  if (t.partitions.length <= 1) return range(t.startOffset, t.endOffset, `- (next ${t.endOffset})`);
  if (t.partitions.length > OFFSETS_LISTED) return `(per partition: evq topics ${t.topic})`;
  return t.partitions.map((p) => `${p.partition}:${range(p.startOffset, p.endOffset, '-')}`).join(' ');
}
