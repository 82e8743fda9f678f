/**
 * The spellings a kcat or nats user guesses, run as they would type them against `evq serve --port 0`:
 * `evq pub`/`evq sub`, `-o beginning`, `-c N`, `-e`, `-J`, `-q`, `--url host:port`, and the answer to a
 * flag evq spells differently.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

describe('kcat and nats spellings', () => {
  it('evq pub, then evq sub -o beginning -c 2 and evq consume -e -c 1 -J', async () => {
    const pub = await runCli(['pub', 'spell', 'a', 'b', 'c'], { url: broker.url });
    expect(pub.code).toBe(0);
    const sub = await runCli(['sub', 'spell', '-o', 'beginning', '-c', '2'], { url: broker.url });
    expect(sub.code).toBe(0);
    expect(sub.out).toBe('a\nb\n');
    const consume = await runCli(['consume', 'spell', '-e', '-o', '1', '-c', '1', '-J'], { url: broker.url });
    expect(consume.code).toBe(0);
    expect(JSON.parse(consume.out)).toMatchObject({ topic: 'spell', offset: 1, value: 'b' });
    const limit = await runCli(['subscribe', 'spell', '--from', 'beginning', '--limit', '3'], { url: broker.url });
    expect(limit.out).toBe('a\nb\nc\n');
  });

  it('-q keeps stderr quiet (data only), wherever it is on the line', async () => {
    const loud = await runCli(['produce', 'quiet', 'x'], { url: broker.url });
    expect(loud.err).toMatch(/produced 1 message/);
    for (const args of [
      ['produce', 'quiet', 'y', '-q'],
      ['-q', 'produce', 'quiet', 'z'],
      ['produce', 'quiet', '--quiet', 'w'],
    ]) {
      const r = await runCli(args, { url: broker.url });
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
    }
    const read = await runCli(['consume', 'quiet', '-q'], { url: broker.url });
    expect(read.out).toBe('x\ny\nz\nw\n');
    // errors are still said
    const missing = await runCli(['topics', 'delete', 'no-such-topic', '-q'], { url: broker.url });
    expect(missing.code).toBe(1);
    expect(lines(missing.err)).toHaveLength(1);
  });

  it('evq topics ls (and list) is evq topics', async () => {
    const plain = await runCli(['topics', '--json'], { url: broker.url });
    for (const name of ['ls', 'list']) {
      const r = await runCli(['topics', name, '--json'], { url: broker.url });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).map((t: { topic: string }) => t.topic)).toEqual(
        JSON.parse(plain.out).map((t: { topic: string }) => t.topic),
      );
    }
  });

  it('--url host:port is http://host:port', async () => {
    const hostPort = broker.url.replace(/^http:\/\//, '');
    const r = await runCli(['topics', '--url', hostPort, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(expect.arrayContaining([expect.objectContaining({ topic: 'spell' })]));
  });

  it.each([
    [['consume', 'spell', '--offset', '3'], "error: unknown option '--offset': did you mean --from (earliest, latest, an offset or -N)?"],
    [
      ['consume', 'spell', '-b', 'localhost:9092'],
      "error: unknown option '-b': did you mean --url (http://HOST:PORT, or nats://HOST:4222; env EVQ_URL)?",
    ],
    [['produce', 'spell', '--topic', 'spell'], "error: unknown option '--topic': the topic is an argument: evq produce TOPIC"],
  ])('evq %j: exit 2 with the evq flag', async (args, line) => {
    const r = await runCli(args, { url: broker.url });
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual([line]);
  });
});
