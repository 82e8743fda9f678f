import type { GroupInfo, GroupReset, GroupResetTo } from '../client/types.js';
import { EvqError } from '../errors.js';
import type { DescribeGroupPlan, GroupsPlan, ResetGroupPlan } from './commands/groups.js';
import { processEnv, withClient, type CliEnv } from './connection.js';
import type { Output } from './output.js';

function sorted(groups: GroupInfo[]): GroupInfo[] {
  const key = (g: GroupInfo): string => `${g.group}\u0000${g.topic}`;
  return groups.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** `evq groups`: every group per topic, a table on a terminal, a JSON array otherwise or with --json. */
export async function runGroups(plan: GroupsPlan, output: Output, env: CliEnv = processEnv()): Promise<void> {
  const groups = sorted(await withClient(plan, env, (client) => client.groups()));
  if (plan.json || env.stdout.isTTY !== true) {
    output.data(JSON.stringify(groups));
    return;
  }
  if (groups.length === 0) {
    output.info(`no consumer groups yet at ${plan.url}: \`evq consume <topic> --group <group>\` makes one`);
    return;
  }
  for (const line of groupsTable(groups, true)) output.data(line);
}

/** `evq groups describe G`: the group on every topic it reads. */
export async function runDescribeGroup(plan: DescribeGroupPlan, output: Output, env: CliEnv = processEnv()): Promise<void> {
  const all = await withClient(plan, env, (client) => client.groups());
  const topics = sorted(all.filter((g) => g.group === plan.group));
  if (topics.length === 0) {
    throw new EvqError(
      'EVQ_ERR_NOT_FOUND',
      `no consumer group "${plan.group}" at ${plan.url} (it has committed nothing yet): \`evq groups\` lists them`,
    );
  }
  if (plan.json || env.stdout.isTTY !== true) {
    output.data(JSON.stringify({ group: plan.group, topics }));
    return;
  }
  output.data(`group ${plan.group}: ${topics.length} topic${topics.length === 1 ? '' : 's'}, ${totalOf(topics, 'lag')} records of lag`);
  for (const line of groupsTable(topics, false)) output.data(line);
}

/** `evq groups reset G --topic T --to X [--dry-run]`: the old and new offset, on stderr (stdout with --json). */
export async function runResetGroup(plan: ResetGroupPlan, output: Output, env: CliEnv = processEnv()): Promise<GroupReset> {
  const result = await withClient(plan, env, (client) => client.resetGroup(plan.topic, plan.group, plan.to, { dryRun: plan.dryRun }));
  if (plan.json) output.data(JSON.stringify(result));
  output.info(resetLine(result, plan.to));
  return result;
}

/** `group billing on orders: offset 42 -> 0 (earliest), lag 100` (+ that a dry run changed nothing). */
export function resetLine(result: GroupReset, to: GroupResetTo): string {
  const target = typeof to === 'object' ? `first record at or after ${new Date(to.time).toISOString()}` : String(to);
  const before = result.previous === null ? 'no offset' : `offset ${result.previous}`;
  const what = result.dryRun ? 'would move' : 'moved';
  const tail = result.dryRun ? ': dry run, nothing changed' : '';
  return `group ${result.group} on ${result.topic} ${what} from ${before} to offset ${result.committed} (${target}), lag ${result.lag}${tail}`;
}

function totalOf(groups: readonly GroupInfo[], field: 'lag' | 'missed'): number {
  return groups.reduce((sum, g) => sum + g[field], 0);
}

/** Groups as aligned columns: names left, numbers right; the GROUP column only when several groups are listed. */
export function groupsTable(groups: readonly GroupInfo[], withGroup: boolean): string[] {
  const header = [...(withGroup ? ['GROUP'] : []), 'TOPIC', 'COMMITTED', 'END', 'LAG', 'MEMBERS', 'MISSED', 'UPDATED'];
  const rows = groups.map((g) => [
    ...(withGroup ? [g.group] : []),
    g.topic,
    String(g.committed),
    String(g.endOffset),
    String(g.lag),
    String(g.members),
    String(g.missed),
    g.updatedAt > 0 ? new Date(g.updatedAt).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-',
  ]);
  const left = withGroup ? 2 : 1;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i < left || i === cells.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
