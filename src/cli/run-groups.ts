import type { GroupDescription, GroupInfo, GroupReset, GroupResetTo } from '../client/types.js';
import { formatDuration } from '../core/durations.js';
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

/**
 * `evq groups describe G`: the group's members (what each owns) and every partition's committed offset, end,
 * lag and owner (`GET /groups/{group}`); JSON (the broker's GroupDescription) in a pipe or with --json.
 */
export async function runDescribeGroup(plan: DescribeGroupPlan, output: Output, env: CliEnv = processEnv()): Promise<void> {
  let described: GroupDescription;
  try {
    described = await withClient(plan, env, (client) => client.describeGroup(plan.group));
  } catch (error) {
    if (error instanceof EvqError && error.code === 'EVQ_ERR_NOT_FOUND') {
      throw new EvqError(
        'EVQ_ERR_NOT_FOUND',
        `no consumer group "${plan.group}" at ${plan.url} (no member and no commit yet): \`evq groups\` lists them`,
        { cause: error },
      );
    }
    throw error;
  }
  if (plan.json || env.stdout.isTTY !== true) {
    output.data(JSON.stringify(described));
    return;
  }
  for (const line of describeLines(described)) output.data(line);
}

/** The heading, the members' table and the partitions' table of `evq groups describe` on a terminal. */
export function describeLines(d: GroupDescription): string[] {
  const lag = d.partitions.reduce((sum, p) => sum + p.lag, 0);
  const n = d.members.length;
  const lines = [`group ${d.group}: ${d.state}, generation ${d.generation}, ${n} member${n === 1 ? '' : 's'}, ${lag} records of lag`];
  const shortId = (id: string | null): string => id ?? '-';
  if (n > 0) {
    lines.push(
      '',
      ...table(
        ['MEMBER', 'CLIENT', 'PROTOCOL', 'SESSION', 'LAST SEEN', 'PARTITIONS'],
        d.members.map((m) => [
          shortId(m.memberId),
          m.clientId,
          m.protocol,
          formatDuration(m.sessionTimeoutMs),
          isoSeconds(m.lastSeenAt),
          m.assignment.length === 0 ? '-' : assignmentText(m.assignment),
        ]),
        new Set([3]),
      ),
    );
  }
  lines.push(
    '',
    ...table(
      ['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'MISSED', 'OWNER'],
      d.partitions.map((p) => [
        p.topic,
        String(p.partition),
        p.committed === null ? '-' : String(p.committed),
        String(p.endOffset),
        String(p.lag),
        String(p.missed),
        shortId(p.owner),
      ]),
      new Set([1, 2, 3, 4, 5]),
    ),
  );
  return lines;
}

/** `orders 0,2 · payments 1`: a member's partitions, per topic. */
function assignmentText(assignment: GroupDescription['members'][number]['assignment']): string {
  const byTopic = new Map<string, number[]>();
  for (const a of assignment) byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a.partition]);
  return [...byTopic].map(([topic, ps]) => `${topic} ${ps.sort((a, b) => a - b).join(',')}`).join(' · ');
}

function isoSeconds(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

/** Aligned columns: the `right` ones padded on the left (numbers), the others on the right; the last unpadded. */
function table(header: string[], rows: string[][], right: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (right.has(i) ? cell.padStart(widths[i] ?? 0) : i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
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
