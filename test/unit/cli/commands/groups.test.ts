import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { resetToOption } from '../../../../src/cli/commands/groups.js';
import type { CliEnv } from '../../../../src/cli/connection.js';
import { groupsTable, resetLine, runDescribeGroup, runGroups } from '../../../../src/cli/run-groups.js';
import type { EvqClient, GroupDescription, GroupInfo } from '../../../../src/client/types.js';
import { EvqError } from '../../../../src/errors.js';
import { captureOutput } from '../../../helpers/cli.js';

const GROUPS: GroupInfo[] = [
  {
    group: 'billing',
    topic: 'orders',
    committed: 1200,
    endOffset: 1224,
    lag: 24,
    missed: 0,
    members: 2,
    updatedAt: Date.UTC(2026, 11, 1, 9),
  },
  { group: 'audit', topic: 'orders', committed: 0, endOffset: 1224, lag: 1214, missed: 10, members: 0, updatedAt: 0 },
];

const DESCRIPTION: GroupDescription = {
  group: 'billing',
  generation: 3,
  state: 'stable',
  members: [
    {
      memberId: 'm-1',
      clientId: 'evq-consume',
      protocol: 'http',
      joinedAt: Date.UTC(2026, 11, 1, 9),
      lastSeenAt: Date.UTC(2026, 11, 1, 9, 0, 5),
      sessionTimeoutMs: 10_000,
      assignment: [
        { topic: 'orders', partition: 2 },
        { topic: 'orders', partition: 0 },
      ],
    },
    {
      memberId: 'm-22',
      clientId: 'evq-consume',
      protocol: 'http',
      joinedAt: Date.UTC(2026, 11, 1, 9),
      lastSeenAt: Date.UTC(2026, 11, 1, 9, 0, 6),
      sessionTimeoutMs: 1000,
      assignment: [{ topic: 'orders', partition: 1 }],
    },
  ],
  partitions: [
    { topic: 'orders', partition: 0, committed: 400, endOffset: 410, lag: 10, missed: 0, owner: 'm-1' },
    { topic: 'orders', partition: 1, committed: null, endOffset: 7, lag: 7, missed: 0, owner: 'm-22' },
    { topic: 'orders', partition: 2, committed: 12, endOffset: 12, lag: 0, missed: 0, owner: 'm-1' },
  ],
};

function env(isTTY: boolean): CliEnv {
  const client = {
    groups: async () => GROUPS.map((g) => ({ ...g })),
    describeGroup: async (group: string) => {
      if (group !== 'billing') throw new EvqError('EVQ_ERR_NOT_FOUND', `group "${group}" does not exist`);
      return DESCRIPTION;
    },
    close: async () => undefined,
  } as unknown as EvqClient;
  return { connect: async () => client, stdin: process.stdin, stdout: { isTTY } as NodeJS.WriteStream };
}

const connection = { url: 'http://x', token: undefined, timeoutMs: 10_000 };

describe('evq groups', () => {
  it('an aligned table on a terminal, sorted by group: names left, numbers right', async () => {
    const out = captureOutput();
    await runGroups({ ...connection, json: false }, out, env(true));
    expect(out.datas).toEqual([
      'GROUP    TOPIC   COMMITTED   END   LAG  MEMBERS  MISSED  UPDATED',
      'audit    orders          0  1224  1214        0      10  -',
      'billing  orders       1200  1224    24        2       0  2026-12-01T09:00:00Z',
    ]);
  });

  it('JSON in a pipe', async () => {
    const out = captureOutput();
    await runGroups({ ...connection, json: false }, out, env(false));
    expect(JSON.parse(out.datas[0]!).map((g: GroupInfo) => g.group)).toEqual(['audit', 'billing']);
  });

  it('describe: a heading, the members with their partitions, and per partition committed, end, lag, owner', async () => {
    const out = captureOutput();
    await runDescribeGroup({ ...connection, group: 'billing', json: false }, out, env(true));
    expect(out.datas).toEqual([
      'group billing: stable, generation 3, 2 members, 17 records of lag',
      '',
      'MEMBER  CLIENT       PROTOCOL  SESSION  LAST SEEN             PARTITIONS',
      'm-1     evq-consume  http          10s  2026-12-01T09:00:05Z  orders 0,2',
      'm-22    evq-consume  http           1s  2026-12-01T09:00:06Z  orders 1',
      '',
      'TOPIC   PARTITION  COMMITTED  END  LAG  MISSED  OWNER',
      'orders          0        400  410   10       0  m-1',
      'orders          1          -    7    7       0  m-22',
      'orders          2         12   12    0       0  m-1',
    ]);
  });

  it("describe: JSON in a pipe (the broker's description); an unknown group is EVQ_ERR_NOT_FOUND saying what lists them", async () => {
    const out = captureOutput();
    await runDescribeGroup({ ...connection, group: 'billing', json: false }, out, env(false));
    expect(JSON.parse(out.datas[0]!)).toEqual(DESCRIPTION);
    const err = await runDescribeGroup({ ...connection, group: 'none', json: false }, out, env(true)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvqError);
    expect((err as EvqError).code).toBe('EVQ_ERR_NOT_FOUND');
    expect((err as EvqError).message).toMatch(/^no consumer group "none" at http:\/\/x .*`evq groups` lists them$/);
  });

  it('groupsTable without groups is the header alone', () => {
    expect(groupsTable([], true)).toEqual(['GROUP  TOPIC  COMMITTED  END  LAG  MEMBERS  MISSED  UPDATED']);
  });
});

describe('evq groups reset --to', () => {
  it.each([
    ['earliest', 'earliest'],
    ['beginning', 'earliest'],
    ['latest', 'latest'],
    ['end', 'latest'],
    ['42', 42],
    ['2026-12-01T09:00:00Z', { time: Date.UTC(2026, 11, 1, 9) }],
  ])('reads %j', (text, to) => {
    expect(resetToOption(text)).toEqual(to);
  });

  it.each(['yesterday', '-1', '2026-12-01', ''])('refuses %j as a usage error', (text) => {
    expect(() => resetToOption(text)).toThrow(InvalidArgumentError);
  });

  it('says the old and new offset, and that a dry run changed nothing', () => {
    const line = resetLine({ topic: 'orders', group: 'billing', previous: 42, committed: 0, lag: 100, dryRun: true }, 'earliest');
    expect(line).toBe('group billing on orders would move from offset 42 to offset 0 (earliest), lag 100: dry run, nothing changed');
  });
});
