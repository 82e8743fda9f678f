/**
 * `evq subscribe` as a user runs it: a filter and --count while another evq process produces, --from -N,
 * templates, --timeout, Ctrl-C, a topic that does not exist yet, and the exit code of a bad filter.
 * Spawns `bin/evq.js` from `dist/` (`npm run build` first) against `evq serve --port 0`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postBatch } from '../helpers/broker.js';
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

/** The broker's count of subscribers on `topic` (its /metrics gauge: also for a topic that has no log yet). */
async function subscribers(topic: string): Promise<number> {
  const metrics = await (await fetch(`${broker.url}/metrics`)).text();
  const line = metrics.split('\n').find((l) => l.startsWith(`evq_subscribers{topic="${topic}"} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

/** Waits until the broker counts `n` subscribers on `topic` (subscriptions are live, or gone). */
async function subscribersOn(topic: string, n: number): Promise<void> {
  let count = 0;
  await waitFor(async () => (count = await subscribers(topic)) === n, {
    timeoutMs: 15_000,
    what: () => `${n} subscribers on ${topic} (the broker counts ${count})`,
  });
}

describe('evq subscribe', () => {
  it('a filter and --count while another process produces: exactly the matches, in order, then exit 0', async () => {
    await postBatch(broker.url, 'live', ['{"amount": 1}']); // the topic exists; subscribe starts at latest
    const sub = startCli(['subscribe', 'live', '--filter', 'value.amount > 100 && headers.type == "deposit"', '--count', '5'], {
      url: broker.url,
    });
    await subscribersOn('live', 1);
    const input: string[] = [];
    for (let i = 0; i < 400; i++) input.push(`{"amount": ${i}}`);
    // every 50th message is a deposit; of those, amounts > 100 are 150, 200, 250, 300, 350
    const producer = await Promise.all([
      runCli(['produce', 'live', '-H', 'type=deposit'], { url: broker.url, stdin: input.filter((_, i) => i % 50 === 0).join('\n') }),
      runCli(['produce', 'live', '-H', 'type=withdrawal'], { url: broker.url, stdin: input.filter((_, i) => i % 50 !== 0).join('\n') }),
    ]);
    expect(producer.map((p) => p.code)).toEqual([0, 0]);
    const r = await sub.done;
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(lines(r.out)).toEqual([150, 200, 250, 300, 350].map((n) => `{"amount": ${n}}`));
  });

  it('--from -N prints the last N; --from OFFSET and earliest replay; a template formats each record', async () => {
    await postBatch(broker.url, 'hist', ['a', 'b', 'c', 'd', 'e']);
    const last = await runCli(['subscribe', 'hist', '--from', '-2', '--count', '2'], { url: broker.url });
    expect(last.code).toBe(0);
    expect(last.out).toBe('d\ne\n');
    const at = await runCli(['subscribe', 'hist', '--from=1', '-n', '2', '--format', '{offset}\\t{value}'], { url: broker.url });
    expect(at.out).toBe('1\tb\n2\tc\n');
    const tpl = await runCli(
      ['subscribe', 'hist', '--from', 'earliest', '-n', '1', '--format', '{topic}|{offset}|{key}|{headers}|{time}|{timestamp}'],
      {
        url: broker.url,
      },
    );
    const [topic, offset, key, headers, time, timestamp] = tpl.out.trim().split('|');
    expect([topic, offset, key, headers]).toEqual(['hist', '0', '', '{}']);
    expect(time).toBe(new Date(Number(timestamp)).toISOString());
    const json = await runCli(['subscribe', 'hist', '--from', '-1', '-n', '1', '--format', 'json'], { url: broker.url });
    expect(JSON.parse(json.out)).toEqual({
      topic: 'hist',
      partition: 0,
      offset: 4,
      timestamp: expect.any(Number),
      key: null,
      headers: null,
      value: 'e',
    });
  });

  it('--timeout: exit 0 when nothing arrives for that long; exit 1 when --count was not reached', async () => {
    await postBatch(broker.url, 'quiet', ['only']);
    const idle = await runCli(['subscribe', 'quiet', '--from', 'earliest', '--timeout', '500ms'], { url: broker.url });
    expect(idle.code).toBe(0);
    expect(idle.out).toBe('only\n');
    expect(lines(idle.err)).toEqual(['no message for 500ms: 1 received, stopping']);
    const short = await runCli(['subscribe', 'quiet', '--from', 'earliest', '--timeout', '500ms', '--count', '3'], { url: broker.url });
    expect(short.code).toBe(1);
    expect(lines(short.err)).toEqual(['error: no message for 500ms: 1 of the 3 messages asked for arrived']);
  });

  it('Ctrl-C (SIGINT) ends it cleanly with exit 0; the broker drops the subscription', async () => {
    await postBatch(broker.url, 'ctrlc', ['before']); // the topic exists: /topics can count its subscribers
    const sub = startCli(['subscribe', 'ctrlc'], { url: broker.url });
    await subscribersOn('ctrlc', 1);
    await postBatch(broker.url, 'ctrlc', ['hello']);
    await sub.waitForOut(/hello\n/);
    sub.kill('SIGINT');
    const r = await sub.done;
    expect(r.code).toBe(0);
    expect(r.out).toBe('hello\n');
    expect(r.err).toBe('');
    await subscribersOn('ctrlc', 0);
  });

  it('a topic that does not exist yet: it waits for it', async () => {
    const sub = startCli(['subscribe', 'not-yet', '--count', '1'], { url: broker.url });
    // from `latest`: a record produced before the subscription is live would be missed
    await subscribersOn('not-yet', 1);
    expect((await runCli(['produce', 'not-yet', 'first'], { url: broker.url })).code).toBe(0);
    const r = await sub.done;
    expect(r.code).toBe(0);
    expect(r.out).toBe('first\n');
  });

  it('| head: the reader going away ends it quietly with exit 0', async () => {
    await postBatch(
      broker.url,
      'piped',
      Array.from({ length: 1000 }, (_, i) => `line ${i}`),
    );
    const sub = startCli(['subscribe', 'piped', '--from', 'earliest'], { url: broker.url });
    await sub.waitForOut(/line 9\n/);
    sub.child.stdout!.destroy(); // as `head` exiting closes the pipe
    await postBatch(broker.url, 'piped', ['one more']);
    const r = await sub.done;
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
  });

  it('a bad filter is exit 2 naming the column; no broker is exit 1 naming the URL', async () => {
    const bad = await runCli(['subscribe', 't', '--filter', 'value.amount >> 1'], { url: broker.url });
    expect(bad.code).toBe(2);
    expect(lines(bad.err)).toEqual([expect.stringMatching(/^error: invalid filter at column 15: .*, in --filter "value\.amount >> 1"$/)]);
    const none = await runCli(['subscribe', 't'], { url: 'http://127.0.0.1:1' });
    expect(none.code).toBe(1);
    expect(lines(none.err)).toEqual([expect.stringMatching(/^error: no evq broker answers at http:\/\/127\.0\.0\.1:1 .*`evq serve`/)]);
    const tpl = await runCli(['subscribe', 't', '--format', '{offset} {nope}'], { url: broker.url });
    expect(tpl.code).toBe(2);
    expect(tpl.err).toMatch(/unknown placeholder \{nope\}/);
  });
});
