/**
 * The client commands on a topic of several partitions, as a user runs them against `evq serve --port 0`:
 * `evq topics create --partitions`, `evq produce --key --verbose` (partition:offset), `--partition`,
 * `evq subscribe --from -N` of every partition, `{partition}` in a template, `--from TIME`, `--since`, the
 * one-line refusal of `--from OFFSET` without `--partition`, and `evq topics alter` growing the topic.
 * Spawns `bin/evq.js` from `dist/` (`npm run build` first).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/core/partitioner.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../helpers/spawn-broker.js';
import { killCli, lines, runCli } from '../helpers/spawn-cli.js';

let broker: SpawnedBroker;

beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--fsync', 'never'] });
});

afterEach(killCli);

afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});

const sorted = (text: string): string[] => lines(text).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

describe('a topic of 3 partitions from the command line', () => {
  it('topics create --partitions 3; produce --key k --verbose prints partition:offset; subscribe --from -2 prints 2 of each', async () => {
    const created = await runCli(['topics', 'create', 'p3', '--partitions', '3'], { url: broker.url });
    expect(created.code).toBe(0);
    expect(created.err).toBe('created topic p3 (3 partitions)\n');

    const p = partitionForKey('k', 3);
    const keyed = await runCli(['produce', 'p3', '--key', 'k', '--verbose', 'a', 'b'], { url: broker.url });
    expect(keyed.code).toBe(0);
    expect(keyed.out).toBe(`${p}:0\n${p}:1\n`);
    expect(keyed.err).toMatch(new RegExp(`^produced 2 messages to p3 \\(partition ${p}, offsets 0\\.\\.1\\) in \\S+, \\d+ msg/s\\n$`));

    // the other two partitions get two each, named explicitly
    for (const other of [0, 1, 2].filter((n) => n !== p)) {
      const explicit = await runCli(['produce', 'p3', '--partition', String(other), '-v', `x${other}`, `y${other}`], { url: broker.url });
      expect(explicit.code).toBe(0);
      expect(explicit.out).toBe(`${other}:0\n${other}:1\n`);
    }
    // keys spread over partitions in one batch: the summary names each partition
    const spread = await runCli(['produce', 'p3', '--json'], {
      url: broker.url,
      stdin: ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((key) => JSON.stringify({ key, value: key })).join('\n'),
    });
    expect(spread.code).toBe(0);
    expect(spread.err).toMatch(/^produced 6 messages to p3 \(partitions (\d+:\d+(\.\.\d+)? ?){2,3}\) in /);

    const last = await runCli(['subscribe', 'p3', '--from', '-2', '--count', '6', '--format', '{partition}:{offset} {key}'], {
      url: broker.url,
    });
    expect(last.code).toBe(0);
    expect(lines(last.out)).toHaveLength(6);
    // the last two of each partition, whatever order the partitions come in
    const ends = new Map<number, number>();
    for (const line of lines((await runCli(['topics', 'p3', '--json'], { url: broker.url })).out)) {
      for (const part of JSON.parse(line).partitions as Array<{ partition: number; endOffset: number }>)
        ends.set(part.partition, part.endOffset);
    }
    expect(sorted(last.out).map((l) => l.split(' ')[0])).toEqual(
      [0, 1, 2].flatMap((n) => [`${n}:${(ends.get(n) ?? 0) - 2}`, `${n}:${(ends.get(n) ?? 0) - 1}`]),
    );
    const json = await runCli(['subscribe', 'p3', '--from', 'earliest', '--count', '1', '--partition', String(p), '--format', 'json'], {
      url: broker.url,
    });
    expect(JSON.parse(json.out)).toMatchObject({ topic: 'p3', partition: p, offset: 0, key: 'k', value: 'a' });
  });

  it('--from OFFSET needs --partition on a topic of several: one usage line; with it, that partition from there', async () => {
    await runCli(['topics', 'create', 'q3', '--partitions', '3'], { url: broker.url });
    await runCli(['produce', 'q3', '--partition', '2', 'a', 'b', 'c'], { url: broker.url });
    const noSuch = await runCli(['produce', 'q3', '--partition', '5', 'x'], { url: broker.url });
    expect(noSuch.code).toBe(2);
    expect(lines(noSuch.err)).toEqual([expect.stringMatching(/^error: .*has 3 partitions \(0 to 2\): there is no partition 5/)]);
    const refused = await runCli(['subscribe', 'q3', '--from', '1', '--count', '1'], { url: broker.url });
    expect(refused.code).toBe(2);
    expect(lines(refused.err)).toEqual([expect.stringMatching(/^error: --from 1 needs --partition N: topic q3 has 3 partitions/)]);
    const one = await runCli(
      ['subscribe', 'q3', '--partition', '2', '--from', '1', '--count', '2', '--format', '{partition}:{offset} {value}'],
      {
        url: broker.url,
      },
    );
    expect(one.code).toBe(0);
    expect(one.out).toBe('2:1 b\n2:2 c\n');
  });

  it('--from a time and --since read each partition from there; --since with --from is a usage error', async () => {
    await runCli(['topics', 'create', 't3', '--partitions', '3'], { url: broker.url });
    const old = Date.UTC(2026, 0, 1, 9);
    const stamped = [0, 1, 2].flatMap((n) => [
      JSON.stringify({ key: `old${n}`, value: `old${n}`, timestamp: old }),
      JSON.stringify({ key: `new${n}`, value: `new${n}`, timestamp: old + 3_600_000 }),
    ]);
    for (let n = 0; n < 3; n++) {
      const input = stamped.filter((_, i) => Math.floor(i / 2) === n).join('\n');
      expect((await runCli(['produce', 't3', '--json', '--partition', String(n)], { url: broker.url, stdin: input })).code).toBe(0);
    }
    const iso = await runCli(['subscribe', 't3', '--from', '2026-01-01T09:30:00Z', '--count', '3', '--format', '{partition} {value}'], {
      url: broker.url,
    });
    expect(iso.code).toBe(0);
    expect(sorted(iso.out)).toEqual(['0 new0', '1 new1', '2 new2']);
    const ms = await runCli(['subscribe', 't3', '--from', `@${old}`, '--count', '6', '--format', '{value}'], { url: broker.url });
    expect(sorted(ms.out)).toEqual(['new0', 'new1', 'new2', 'old0', 'old1', 'old2']);
    // stamped long ago: --since 1m finds none of them, and waits live for what comes
    const since = await runCli(['subscribe', 't3', '--since', '1m', '--timeout', '500ms'], { url: broker.url });
    expect(since.code).toBe(0);
    expect(since.out).toBe('');
    const both = await runCli(['subscribe', 't3', '--since', '1m', '--from', 'earliest'], { url: broker.url });
    expect(both.code).toBe(2);
    expect(lines(both.err)).toHaveLength(1);
  });

  it('topics alter grows the topic; fewer is one line; evq topics shows the partitions', async () => {
    await runCli(['topics', 'create', 'g', '--partitions', '2'], { url: broker.url });
    const grown = await runCli(['topics', 'alter', 'g', '--partitions', '4'], { url: broker.url });
    expect(grown.code).toBe(0);
    expect(grown.err).toBe('topic g grown from 2 to 4 partitions (keys may map to other partitions from now on)\n');
    const shrink = await runCli(['topics', 'alter', 'g', '--partitions', '3'], { url: broker.url });
    expect(shrink.code).toBe(2);
    expect(lines(shrink.err)).toEqual([expect.stringMatching(/^error: .*/)]);
    const conflict = await runCli(['topics', 'create', 'g', '--partitions', '2'], { url: broker.url });
    expect(conflict.code).toBe(1);
    expect(lines(conflict.err)).toEqual([expect.stringMatching(/^error: .*4 partitions: a topic never has fewer partitions/)]);
    const list = JSON.parse((await runCli(['topics'], { url: broker.url })).out) as Array<{ topic: string; partitions: unknown[] }>;
    expect(list.find((t) => t.topic === 'g')?.partitions).toHaveLength(4);
    const described = await runCli(['topics', 'describe', 'g'], { url: broker.url });
    expect(JSON.parse(described.out)).toMatchObject({
      topic: 'g',
      partitions: [{ partition: 0 }, { partition: 1 }, { partition: 2 }, { partition: 3 }],
    });
    const missing = await runCli(['topics', 'nope'], { url: broker.url });
    expect(missing.code).toBe(1);
    expect(lines(missing.err)).toEqual([expect.stringMatching(/^error: topic nope does not exist/)]);
    // a topic of one partition prints as before partitions
    const single = await runCli(['produce', 'one', '-v', 'a', 'b'], { url: broker.url });
    expect(single.out).toBe('0\n1\n');
    expect(single.err).toMatch(/^produced 2 messages to one \(offsets 0\.\.1\) in /);
  });
});
