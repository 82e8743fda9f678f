/**
 * `evq consume` as a user runs it: the end of the log ends it (also with a group), a consumer group resumes
 * where it stopped after being killed, --from -N, --limit, --filter, and `consume --format json | produce
 * --json` copies a topic exactly. Spawns `bin/evq.js` from `dist/` against `evq serve --port 0`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postBatch, readAll } from '../helpers/broker.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../helpers/spawn-broker.js';
import { killCli, lines, runCli, startCli } from '../helpers/spawn-cli.js';
import { waitFor } from '../helpers/wait.js';

let broker: SpawnedBroker;

beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--fsync', 'interval'] });
});

afterEach(killCli);

afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});

const values = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

describe('evq consume', () => {
  it('reads from earliest to the end of the log and exits 0; --limit, --from -N, --from OFFSET, --filter', async () => {
    await postBatch(broker.url, 'log', values(0, 20));
    const all = await runCli(['consume', 'log'], { url: broker.url });
    expect(all.code).toBe(0);
    expect(lines(all.out)).toEqual(values(0, 20));
    expect((await runCli(['consume', 'log', '--limit', '3'], { url: broker.url })).out).toBe('m0\nm1\nm2\n');
    expect((await runCli(['consume', 'log', '--from', '-2'], { url: broker.url })).out).toBe('m18\nm19\n');
    expect((await runCli(['consume', 'log', '--from', '17', '--format', '{offset}={value}'], { url: broker.url })).out).toBe(
      '17=m17\n18=m18\n19=m19\n',
    );
    const filtered = await runCli(['consume', 'log', '--filter', 'value like "m1*" && offset >= 15'], { url: broker.url });
    expect(lines(filtered.out)).toEqual(values(15, 20));
  });

  it('a consumer group resumes where it stopped after being killed, and ends at the end of the log', async () => {
    await postBatch(broker.url, 'ledger', values(0, 50));
    // a follower that has read everything there is, then is killed (SIGKILL: nothing runs on the way out)
    const follower = startCli(['consume', 'ledger', '--group', 'billing', '--follow', '--session-timeout', '1s'], { url: broker.url });
    await follower.waitForOut((out) => out.endsWith('m49\n'));
    // the broker has its commit of the last page (the group's next offset is past m49)
    await waitFor(async () => (await getJson(`${broker.url}/topics/ledger/groups/billing`)).committed === 50, {
      what: "the follower's commit of offset 50",
    });
    follower.kill('SIGKILL');
    await follower.done;
    // a killed member owns its partition until its session timeout: then the group has no member
    await waitFor(async () => (await getJson(`${broker.url}/groups/billing`)).members.length === 0, {
      what: 'the killed member to expire after its 1 s session timeout',
    });
    await postBatch(broker.url, 'ledger', values(50, 60));
    const resumed = await runCli(['consume', 'ledger', '--group', 'billing'], { url: broker.url });
    expect(resumed.code).toBe(0);
    expect(lines(resumed.out)).toEqual(values(50, 60));
    // nothing new: the group is at the end; it still exits 0 at once
    const again = await runCli(['consume', 'ledger', '--group', 'billing'], { url: broker.url });
    expect(again.code).toBe(0);
    expect(again.out).toBe('');
    // --from only places a group that has none yet
    const placed = await runCli(['consume', 'ledger', '--group', 'audit', '--from', '-3'], { url: broker.url });
    expect(lines(placed.out)).toEqual(values(57, 60));
    const ignored = await runCli(['consume', 'ledger', '--group', 'audit', '--from', 'earliest'], { url: broker.url });
    expect(ignored.out).toBe('');
  });

  it('--limit with a group commits only what was printed', async () => {
    await postBatch(broker.url, 'paged', values(0, 10));
    expect((await runCli(['consume', 'paged', '-g', 'g', '-l', '4'], { url: broker.url })).out).toBe('m0\nm1\nm2\nm3\n');
    expect((await runCli(['consume', 'paged', '-g', 'g', '-l', '4'], { url: broker.url })).out).toBe('m4\nm5\nm6\nm7\n');
    expect((await runCli(['consume', 'paged', '-g', 'g'], { url: broker.url })).out).toBe('m8\nm9\n');
  });

  it('consume --format json | produce --json copies a topic exactly: keys, headers, values (bytes too), timestamps', async () => {
    await runCli(['produce', 'source', 'plain', '{"amount": 5}', '-k', 'k1', '-H', 'type=deposit', '-H', 'src=a'], { url: broker.url });
    await runCli(['produce', 'source', '-K', ':'], { url: broker.url, stdin: 'k2:with key\nno key\n\n  spaced  \n' });
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x41]);
    const res = await fetch(`${broker.url}/topics/source/messages`, { method: 'POST', body: binary, headers: { 'evq-key': 'bin' } });
    expect(res.status).toBe(201);

    const consume = startCli(['consume', 'source', '--format', 'json'], { url: broker.url });
    const produce = startCli(['produce', 'copy', '--json'], { url: broker.url, stdin: consume.child.stdout! });
    const [c, p] = await Promise.all([consume.done, produce.done]);
    expect(c.code).toBe(0);
    expect(p.code).toBe(0);
    expect(p.err).toMatch(/^produced 7 messages to copy \(offsets 0\.\.6\)/);

    const strip = (r: { key: unknown; headers: unknown; value?: unknown; valueBase64?: unknown; timestamp: unknown }) => ({
      key: r.key,
      headers: r.headers,
      value: r.value,
      valueBase64: r.valueBase64,
      timestamp: r.timestamp,
    });
    const source = (await readAll(broker.url, 'source')).records.map(strip);
    const copy = (await readAll(broker.url, 'copy')).records.map(strip);
    expect(source).toHaveLength(7);
    expect(copy).toEqual(source);
    expect(source[6]).toEqual({
      key: 'bin',
      headers: null,
      value: undefined,
      valueBase64: binary.toString('base64'),
      timestamp: expect.any(Number),
    });
  });

  it('--follow prints new records as they come; Ctrl-C exits 0', async () => {
    await postBatch(broker.url, 'tail', ['old']);
    const follow = startCli(['consume', 'tail', '--follow'], { url: broker.url });
    await follow.waitForOut(/old\n/);
    await postBatch(broker.url, 'tail', ['new']);
    await follow.waitForOut(/old\nnew\n/);
    follow.kill('SIGINT');
    const r = await follow.done;
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
  });

  it('exit codes: no broker 1, bad filter 2, unknown flag 2, bad --from 2 — each one line', async () => {
    const none = await runCli(['consume', 't'], { url: 'http://127.0.0.1:1' });
    expect(none.code).toBe(1);
    expect(lines(none.err)).toEqual([expect.stringMatching(/^error: no evq broker answers at http:\/\/127\.0\.0\.1:1.*evq serve/)]);
    const filter = await runCli(['consume', 't', '--filter', 'value =! 3'], { url: broker.url });
    expect(filter.code).toBe(2);
    expect(lines(filter.err)).toEqual([expect.stringMatching(/^error: invalid filter at column \d+: .*, in --filter "value =! 3"$/)]);
    const flag = await runCli(['consume', 't', '--limt', '3'], { url: broker.url });
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/^error: unknown option '--limt'/);
    const from = await runCli(['consume', 't', '--from', 'yesterday'], { url: broker.url });
    expect(from.code).toBe(2);
    expect(lines(from.err)).toEqual([expect.stringMatching(/--from.*expected earliest, latest, an offset, -N/)]);
  });
});

describe('evq consume: a topic that is missing or deleted', () => {
  it('a topic that does not exist is exit 1 with one line; --allow-missing waits for it', async () => {
    const missing = await runCli(['consume', 'no-such-topic'], { url: broker.url });
    expect(missing.code).toBe(1);
    expect(lines(missing.err)).toEqual([expect.stringMatching(/topic "no-such-topic" does not exist.*--allow-missing/)]);
    const waiting = startCli(['consume', 'later', '--allow-missing', '--follow', '--limit', '2'], { url: broker.url });
    // the topic is created only once the consumer has found it missing and said that it waits
    await waiting.waitForErr(/waiting for topic later to be created\n/);
    await postBatch(broker.url, 'later', ['x', 'y']);
    const r = await waiting.done;
    expect(r.code).toBe(0);
    expect(r.out).toBe('x\ny\n');
    expect(lines(r.err)).toEqual(['waiting for topic later to be created']);
    // a topic that is there: nothing is said
    const present = await runCli(['consume', 'later', '--allow-missing', '--limit', '1'], { url: broker.url });
    expect([present.code, present.out, present.err]).toEqual([0, 'x\n', '']);
  });

  it('--follow: a topic deleted and produced to again is reported (exit 1), its new records never skipped silently', async () => {
    await postBatch(broker.url, 'reborn', values(0, 5));
    const follow = startCli(['consume', 'reborn', '--follow'], { url: broker.url });
    await follow.waitForOut((out) => out.endsWith('m4\n'));
    expect((await fetch(`${broker.url}/topics/reborn`, { method: 'DELETE' })).status).toBe(200);
    await postBatch(broker.url, 'reborn', ['new-0', 'new-1']);
    const r = await follow.done;
    expect(r.code).toBe(1);
    expect(lines(r.out)).toEqual(values(0, 5));
    expect(lines(r.err)).toEqual([expect.stringMatching(/topic "reborn" was deleted/)]);
  });
});
