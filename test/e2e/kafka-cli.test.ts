/**
 * The command line over `--url kafka://…` as a user runs it (`bin/evq.js` from dist/: `npm run build` first),
 * against `evq serve --kafka-port 0`: every subcommand; a topic copied with `consume --format json | produce
 * --json` (keys, headers, partitions kept); kcat on the other side both ways; a group member SIGKILLed and
 * the group going on without a gap; a broker that is not there and one that never answers.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/bench/result.js';
import { partitionForKey } from '../../src/core/partitioner.js';
import { bootstrap, hasKcat, killKcat, runKcat } from '../helpers/kcat.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../helpers/spawn-broker.js';
import { killCli, lines, runCli, startCli } from '../helpers/spawn-cli.js';

let broker: SpawnedBroker;
let url: string;

beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--kafka-port', '0', '--memory'] });
  url = broker.kafkaUrl as string;
});
afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});
afterEach(async () => {
  await killCli();
  await killKcat();
});

interface JsonRecord {
  partition: number;
  offset: number;
  key: string | null;
  headers: Record<string, string> | null;
  value: string;
}

const parse = (out: string): JsonRecord[] => lines(out).map((l) => JSON.parse(l) as JsonRecord);

describe('evq over kafka://', () => {
  it('topics create / ls / describe / alter / delete', async () => {
    const create = await runCli(['topics', 'create', 'cli-adm', '--partitions', '2', '--retention-age', '1h'], { url });
    expect(create.code).toBe(0);
    expect(create.err).toContain('created topic cli-adm (2 partitions)');
    const ls = await runCli(['topics', 'ls', '--json'], { url });
    expect(ls.code).toBe(0);
    expect((JSON.parse(ls.out) as { topic: string }[]).map((t) => t.topic)).toContain('cli-adm');
    const alter = await runCli(['topics', 'alter', 'cli-adm', '--partitions', '3'], { url });
    expect(alter.err).toContain('grown from 2 to 3 partitions');
    const shrink = await runCli(['topics', 'alter', 'cli-adm', '--partitions', '1'], { url });
    expect(shrink.code).toBe(2);
    const described = await runCli(['topics', 'cli-adm', '--json'], { url });
    expect((JSON.parse(described.out) as { partitions: unknown[] }).partitions).toHaveLength(3);
    const del = await runCli(['topics', 'delete', 'cli-adm'], { url });
    expect(del.code).toBe(0);
    const again = await runCli(['topics', 'delete', 'cli-adm'], { url });
    expect(again.code).toBe(1);
    expect(lines(again.err)).toHaveLength(1);
  });

  it('produce (keys, headers) / consume / subscribe, and a copy with consume --format json | produce --json', async () => {
    await runCli(['topics', 'create', 'src', '--partitions', '3'], { url });
    await runCli(['topics', 'create', 'dst', '--partitions', '3'], { url });
    const input = Array.from({ length: 30 }, (_, i) => `k${i % 7},v${i}`).join('\n');
    const produced = await runCli(['produce', 'src', '-K', ',', '-H', 'origin=test', '--compression', 'snappy'], { url, stdin: input });
    expect(produced.code).toBe(0);
    expect(produced.err).toMatch(/produced 30 messages to src/);
    const read = parse((await runCli(['consume', 'src', '--format', 'json'], { url })).out);
    expect(read).toHaveLength(30);
    for (const r of read) {
      expect(r.partition).toBe(partitionForKey(r.key as string, 3));
      expect(r.headers).toEqual({ origin: 'test' });
    }
    const copied = await runCli(['produce', 'dst', '--json'], {
      url,
      stdin: lines((await runCli(['consume', 'src', '--format', 'json'], { url })).out).join('\n'),
    });
    expect(copied.code).toBe(0);
    const copy = parse((await runCli(['consume', 'dst', '--format', 'json'], { url })).out);
    const strip = (rs: JsonRecord[]): string[] => rs.map((r) => JSON.stringify([r.partition, r.offset, r.key, r.headers, r.value])).sort();
    expect(strip(copy)).toEqual(strip(read));
    const sub = await runCli(['subscribe', 'src', '--from', 'earliest', '--count', '3', '--filter', 'key == "k0"'], { url });
    expect(sub.code).toBe(0);
    expect(lines(sub.out).sort()).toEqual(['v0', 'v14', 'v7']);
  });

  it.skipIf(!hasKcat)('evq produce is read by kcat -C, kcat -P is read by evq consume', async () => {
    const b = bootstrap(url);
    await runCli(['produce', 'to-kcat', '--key', 'kk', '-H', 'h=1', 'one', 'two'], { url });
    const kc = await runKcat(b, ['-C', '-t', 'to-kcat', '-e', '-f', '%k:%h:%s\\n']);
    expect(lines(kc.out)).toEqual(['kk:h=1:one', 'kk:h=1:two']);
    const kp = await runKcat(b, ['-P', '-t', 'from-kcat', '-K', ':', '-H', 'x=y'], { stdin: 'a:1\nb:2\n' });
    expect(kp.code).toBe(0);
    const read = parse((await runCli(['consume', 'from-kcat', '--format', 'json'], { url })).out);
    expect(read.map((r) => [r.key, r.value, r.headers])).toEqual([
      ['a', '1', { x: 'y' }],
      ['b', '2', { x: 'y' }],
    ]);
  });

  it('consume --group: a member killed with SIGKILL, the next one goes on without a gap, and exits at lag 0', async () => {
    await runCli(['topics', 'create', 'killed', '--partitions', '2'], { url });
    const batch = (from: number): string => Array.from({ length: 1000 }, (_, i) => `k${from + i},m${from + i}`).join('\n');
    expect((await runCli(['produce', 'killed', '-K', ','], { url, stdin: batch(0) })).code).toBe(0);
    // the member follows the topic: it is killed while it is reading, with the stream going on after it
    const member = startCli(['consume', 'killed', '--group', 'g', '--follow', '--session-timeout', '1s'], { url });
    await member.waitForOut((out) => lines(out).length >= 1000, 20_000);
    member.kill('SIGKILL');
    await member.done;
    const printedBefore = new Set(lines(member.out()));
    expect(printedBefore.size).toBe(1000);
    expect((await runCli(['produce', 'killed', '-K', ','], { url, stdin: batch(1000) })).code).toBe(0);
    const next = await runCli(['consume', 'killed', '--group', 'g', '--session-timeout', '1s'], { url, timeoutMs: 40_000 });
    expect(next.code).toBe(0);
    const read = lines(next.out);
    // what was produced after the kill is all there; what the killed member printed may come again (at least once)
    for (let i = 1000; i < 2000; i++) expect(read).toContain(`m${i}`);
    expect(new Set([...printedBefore, ...read]).size).toBe(2000);
    const after = await runCli(['consume', 'killed', '--group', 'g', '--session-timeout', '1s'], { url, timeoutMs: 40_000 });
    expect(after.code).toBe(0);
    expect(lines(after.out)).toEqual([]);
  });

  it('bench --messages 20000 over kafka://, also with --partitions 4 --group --members 2: exit 0, every message once and in order; the report says kafka', async () => {
    for (const extra of [[], ['--partitions', '4', '--group', 'bench-g', '--members', '2']]) {
      const file = join(await makeTempDir(), 'result.json');
      const run = await runCli(['bench', '--url', url, '--messages', '20000', '--json', file, ...extra], { timeoutMs: 60_000 });
      expect(run.code, run.err).toBe(0);
      expect(run.out).toMatch(/20,000 messages of 100 B · kafka, batches of 1,000/);
      const result = JSON.parse(await readFile(file, 'utf8')) as BenchResult;
      expect(result.config).toMatchObject({ transport: 'kafka', partitions: extra.length === 0 ? null : 4 });
      expect(result.verification).toMatchObject({
        published: 20_000,
        expected: 20_000,
        delivered: 20_000,
        lost: 0,
        duplicated: 0,
        reordered: 0,
      });
    }
  }, 150_000);

  it('delayed produce is held by the client with the stderr note; acks 0 and --idempotent produce', async () => {
    const delayed = await runCli(['produce', 'later', '--delay', '300ms', 'x'], { url });
    expect(delayed.code).toBe(0);
    expect(delayed.err).toContain('this process holds the messages until');
    expect((await runCli(['produce', 'acks0', '--acks', '0', 'a', 'b'], { url })).code).toBe(0);
    expect((await runCli(['produce', 'idem', '--idempotent', 'a', 'b'], { url })).err).toMatch(/produced 2 messages/);
    const zstd = await runCli(['produce', 'z', '--compression', 'zstd', 'a'], { url });
    expect(zstd.code).toBe(2);
    expect(lines(zstd.err)).toHaveLength(1);
  });
});

describe('kafka:// failures', () => {
  let silent: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (silent === undefined ? resolve() : silent.close(() => resolve())));
    silent = undefined;
  });

  it('no broker there: exit 1, one line naming the URL', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const args of [['produce', 't', 'x'], ['consume', 't'], ['subscribe', 't'], ['topics']]) {
      const r = await runCli([...args, '--url', `kafka://127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(lines(r.err)).toHaveLength(1);
      expect(r.err).toContain(`no Kafka broker answers at kafka://127.0.0.1:${port}`);
    }
  });

  it('a server that accepts and never answers: exit 1 within --timeout', async () => {
    silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const r = await runCli(['produce', 't', 'x', '--url', `kafka://127.0.0.1:${port}`, '--timeout', '1s']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('did not answer within 1s');
    expect(r.ms).toBeLessThan(6000);
  });
});
