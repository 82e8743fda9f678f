import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliEnv } from '../../../../src/cli/connection.js';
import { buildProgram, exitCodeFor } from '../../../../src/cli/main.js';
import { describeLines, runAlterTopic, runCreateTopic, runDeleteTopic, runTopics, topicsTable } from '../../../../src/cli/run-topics.js';
import type { EvqClient, TopicDescription, TopicInfo } from '../../../../src/client/types.js';
import { EvqError } from '../../../../src/errors.js';
import { captureOutput } from '../../../helpers/cli.js';

const TOPICS: TopicInfo[] = [
  {
    topic: 'payments',
    startOffset: 0,
    endOffset: 0,
    messageCount: 0,
    sizeBytes: 0,
    subscribers: 0,
    partitions: [{ partition: 0, startOffset: 0, endOffset: 0, messageCount: 0, sizeBytes: 0 }],
  },
  {
    topic: 'orders',
    startOffset: 10,
    endOffset: 1234,
    messageCount: 1224,
    sizeBytes: 1536 * 1024,
    subscribers: 3,
    partitions: [{ partition: 0, startOffset: 10, endOffset: 1234, messageCount: 1224, sizeBytes: 1536 * 1024 }],
  },
  {
    topic: 'clicks',
    startOffset: 0,
    endOffset: 6,
    messageCount: 6,
    sizeBytes: 600,
    subscribers: 1,
    partitions: [
      { partition: 0, startOffset: 0, endOffset: 4, messageCount: 4, sizeBytes: 400 },
      { partition: 1, startOffset: 0, endOffset: 0, messageCount: 0, sizeBytes: 0 },
      { partition: 2, startOffset: 0, endOffset: 2, messageCount: 2, sizeBytes: 200 },
    ],
  },
];

function env(isTTY: boolean, calls: string[]): CliEnv {
  const client = {
    url: 'http://fake',
    topics: async () => TOPICS.map((t) => ({ ...t })),
    deleteTopic: async (t: string) => {
      calls.push(`delete ${t}`);
      if (t === 'missing') throw new EvqError('EVQ_ERR_NOT_FOUND', 'no topic "missing"');
    },
    createTopic: async (t: string, settings?: { partitions?: number }) => {
      calls.push(`create ${t} ${settings?.partitions ?? '-'}`);
      return t !== 'orders';
    },
    alterTopic: async (t: string, settings: { partitions: number }) => {
      calls.push(`alter ${t} ${settings.partitions}`);
      if (settings.partitions < 3) throw new EvqError('EVQ_ERR_INVALID_ARGUMENT', `topic "${t}" has 3 partitions: a topic never shrinks`);
      return { topic: t, partitions: settings.partitions, previous: 3 };
    },
    close: async () => void calls.push('close'),
  } as unknown as EvqClient;
  return { connect: async () => client, stdin: process.stdin, stdout: { isTTY } as NodeJS.WriteStream };
}

describe('evq topics', () => {
  it('an aligned table on a terminal, sorted by name', async () => {
    const out = captureOutput();
    await runTopics({ url: 'http://x', token: undefined, timeoutMs: 10_000, json: false }, out, env(true, []));
    expect(out.datas).toEqual([
      'TOPIC     PARTITIONS  MESSAGES   SIZE  OFFSETS            SUBSCRIBERS',
      'clicks             3         6   600b  0:0..3 1:- 2:0..1            1',
      'orders             1      1224  1.5mb  10..1233                     3',
      'payments           1         0     0b  - (next 0)                   0',
    ]);
  });

  it('JSON in a pipe or with --json: one array of topics', async () => {
    for (const [isTTY, json] of [
      [false, false],
      [true, true],
    ] as const) {
      const out = captureOutput();
      await runTopics({ url: 'http://x', token: undefined, timeoutMs: 10_000, json }, out, env(isTTY, []));
      expect(out.datas).toHaveLength(1);
      expect(JSON.parse(out.datas[0]!).map((t: TopicInfo) => t.topic)).toEqual(['clicks', 'orders', 'payments']);
    }
  });

  it('topicsTable aligns numbers right', () => {
    const [header, payments, orders] = topicsTable(TOPICS);
    expect(orders!.indexOf('1224') + 4).toBe(header!.indexOf('MESSAGES') + 8);
    expect(payments!.indexOf(' 0 ') + 2).toBe(header!.indexOf('MESSAGES') + 8);
  });

  it('describe: the partitions as columns, then the groups', () => {
    const clicks: TopicDescription = { ...TOPICS[2]!, groups: [{ group: 'billing', committed: 3, lag: 3 }] };
    expect(describeLines(clicks)).toEqual([
      'topic clicks: 3 partitions, 6 messages, 600b, 1 subscriber',
      '',
      'PARTITION  MESSAGES  SIZE  START  END',
      '        0         4  400b      0    4',
      '        1         0    0b      0    0',
      '        2         2  200b      0    2',
      '',
      'GROUP    COMMITTED  LAG',
      'billing          3    3',
    ]);
  });

  it("create --partitions and alter say what they did; a shrink is the broker's one line", async () => {
    const calls: string[] = [];
    const conn = { url: 'http://x', token: undefined, timeoutMs: 10_000 };
    const out = captureOutput();
    await runCreateTopic({ ...conn, topic: 'clicks', settings: { partitions: 3 } }, out, env(false, calls));
    await runCreateTopic({ ...conn, topic: 'orders', settings: {} }, out, env(false, calls));
    await runAlterTopic({ ...conn, topic: 'clicks', partitions: 6 }, out, env(false, calls));
    expect(out.infos).toEqual([
      'created topic clicks (3 partitions)',
      'topic orders exists already: left as it is',
      'topic clicks grown from 3 to 6 partitions (keys may map to other partitions from now on)',
    ]);
    expect(calls.filter((c) => c !== 'close')).toEqual(['create clicks 3', 'create orders -', 'alter clicks 6']);
    const err = await runAlterTopic({ ...conn, topic: 'clicks', partitions: 2 }, out, env(false, calls)).catch((x: unknown) => x);
    expect(exitCodeFor(err, out)).toBe(2);
    expect((err as Error).message).toMatch(/never shrinks/);
  });

  it('delete: deletes and says so on stderr; a missing topic is exit 1', async () => {
    const calls: string[] = [];
    const out = captureOutput();
    await runDeleteTopic({ url: 'http://x', token: undefined, timeoutMs: 10_000, topic: 'orders' }, out, env(false, calls));
    expect(calls).toEqual(['delete orders', 'close']);
    expect(out.infos).toEqual(['deleted topic orders']);
    const err = await runDeleteTopic(
      { url: 'http://x', token: undefined, timeoutMs: 10_000, topic: 'missing' },
      out,
      env(false, calls),
    ).catch((x: unknown) => x);
    expect(exitCodeFor(err, out)).toBe(1);
  });
});

async function parse(args: string[]): Promise<{ err?: unknown; errOut: string; out: string; ran: string[] }> {
  const program = buildProgram(captureOutput());
  let errOut = '';
  let out = '';
  const ran: string[] = [];
  const quiet = (cmd: Command): void => {
    cmd.configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (errOut += s) });
    cmd.commands.forEach(quiet);
  };
  quiet(program);
  const topics = program.commands.find((c) => c.name() === 'topics')!;
  topics.action(
    (topic: string | undefined, flags: { json?: boolean; url: string }) =>
      void ran.push(topic === undefined ? `list json=${flags.json === true} url=${flags.url}` : `describe ${topic}`),
  );
  topics.commands
    .find((c) => c.name() === 'create')!
    .action((t: string, flags: { partitions?: number }) => void ran.push(`create ${t} ${flags.partitions}`));
  topics.commands
    .find((c) => c.name() === 'alter')!
    .action((t: string, flags: { partitions?: number }) => void ran.push(`alter ${t} ${flags.partitions}`));
  topics.commands.find((c) => c.name() === 'delete')!.action((t: string) => void ran.push(`delete ${t}`));
  try {
    await program.parseAsync(['node', 'evq', 'topics', ...args]);
    return { errOut, out, ran };
  } catch (err) {
    return { err, errOut, out, ran };
  }
}

describe('evq topics: parsing', () => {
  it('lists, or deletes with the subcommand', async () => {
    expect((await parse([])).ran).toEqual(['list json=false url=http://127.0.0.1:7070']);
    expect((await parse(['--json', '--url', 'http://h:1'])).ran).toEqual(['list json=true url=http://h:1']);
    expect((await parse(['delete', 'orders'])).ran).toEqual(['delete orders']);
    expect((await parse(['orders'])).ran).toEqual(['describe orders']);
    expect((await parse(['create', 'orders', '--partitions', '6'])).ran).toEqual(['create orders 6']);
    expect((await parse(['alter', 'orders', '--partitions', '12'])).ran).toEqual(['alter orders 12']);
  });

  it('alter needs --partitions, a whole number from 1', async () => {
    const none = await parse(['alter', 'orders']);
    expect(exitCodeFor(none.err, captureOutput())).toBe(2);
    expect(none.errOut).toMatch(/required option '--partitions <n>' not specified/);
    const zero = await parse(['create', 'orders', '--partitions', '0']);
    expect(exitCodeFor(zero.err, captureOutput())).toBe(2);
    expect(zero.errOut).toMatch(/--partitions.*from 1/);
  });

  it('delete needs a topic; unknown flags are usage errors', async () => {
    const missing = await parse(['delete']);
    expect(exitCodeFor(missing.err, captureOutput())).toBe(2);
    expect(missing.errOut).toMatch(/missing required argument 'topic'/);
    const flag = await parse(['--tabel']);
    expect(exitCodeFor(flag.err, captureOutput())).toBe(2);
    expect(flag.errOut).toMatch(/unknown option '--tabel'/);
  });

  it('delete --help shows examples', async () => {
    const { out } = await parse(['delete', '--help']);
    expect(out).toMatch(/Examples:\n {2}\$ evq topics delete/);
  });
});
