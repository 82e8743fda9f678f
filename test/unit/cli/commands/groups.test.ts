import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { resetToOption } from '../../../../src/cli/commands/groups.js';
import type { CliEnv } from '../../../../src/cli/connection.js';
import { groupsTable, resetLine, runDescribeGroup, runGroups } from '../../../../src/cli/run-groups.js';
import type { EvqClient, GroupInfo } from '../../../../src/client/types.js';
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

function env(isTTY: boolean): CliEnv {
  const client = { groups: async () => GROUPS.map((g) => ({ ...g })), close: async () => undefined } as unknown as EvqClient;
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

  it('describe: a heading line and the table without the GROUP column; an unknown group is EVQ_ERR_NOT_FOUND', async () => {
    const out = captureOutput();
    await runDescribeGroup({ ...connection, group: 'billing', json: false }, out, env(true));
    expect(out.datas[0]).toBe('group billing: 1 topic, 24 records of lag');
    expect(out.datas[1]).toMatch(/^TOPIC/);
    const err = await runDescribeGroup({ ...connection, group: 'none', json: false }, out, env(true)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvqError);
    expect((err as EvqError).code).toBe('EVQ_ERR_NOT_FOUND');
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
