/**
 * `evq produce` as a user runs it against `evq serve --port 0` in a temporary directory: stdin streamed
 * (100,000 lines read back byte for byte with `evq consume`), keys, headers, --file, --verbose, dead letters,
 * and the exit codes and one-line errors of an unreachable broker, a silent broker and a bad token.
 * Spawns `bin/evq.js` from `dist/` (`npm run build` first).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../helpers/spawn-broker.js';
import { killCli, lines, runCli } from '../helpers/spawn-cli.js';
import { readAll } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';

let broker: SpawnedBroker;

beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--fsync', 'interval', '--max-message-bytes', '1kb'] });
});

afterEach(killCli);

afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});

describe('evq produce', () => {
  it('100,000 lines from stdin come back byte for byte through evq consume', async () => {
    // varied lines: empty ones, multi-byte UTF-8, spaces, a \r kept as it is, a last line without \n
    const input: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      input.push(i % 997 === 0 ? '' : i % 501 === 0 ? `é€ ${i}\r` : `message ${i} ${'x'.repeat(i % 50)}`);
    }
    const text = `${input.join('\n')}`; // no trailing newline: the last line is a message too
    const produced = await runCli(['produce', 'big'], { url: broker.url, stdin: text, timeoutMs: 25_000 });
    expect(produced.err).toMatch(/^produced 100000 messages to big \(offsets 0\.\.99999\) in \S+, \d+ msg\/s\n$/);
    expect(produced.code).toBe(0);
    expect(produced.out).toBe('');

    const consumed = await runCli(['consume', 'big'], { url: broker.url, timeoutMs: 25_000 });
    expect(consumed.code).toBe(0);
    expect(consumed.err).toBe('');
    expect(consumed.stdout.equals(Buffer.from(`${text}\n`))).toBe(true);
  }, 40_000);

  it('arguments, --key, --header, -K and --verbose (offsets on stdout, in input order)', async () => {
    const a = await runCli(['produce', 'kv', 'one', 'two', '-k', 'k1', '-H', 'type=deposit', '-H', 'src=cli', '-v'], { url: broker.url });
    expect(a.code).toBe(0);
    expect(a.out).toBe('0\n1\n');
    const b = await runCli(['produce', 'kv', '-K', ':', '-v'], { url: broker.url, stdin: 'user-1:{"n":1}\nno key here\nuser-2:a:b\n' });
    expect(b.code).toBe(0);
    expect(b.out).toBe('2\n3\n4\n');
    const { records } = await readAll(broker.url, 'kv');
    expect(records.map((r) => [r.key, r.headers, r.value])).toEqual([
      ['k1', { type: 'deposit', src: 'cli' }, 'one'],
      ['k1', { type: 'deposit', src: 'cli' }, 'two'],
      ['user-1', null, '{"n":1}'],
      [null, null, 'no key here'],
      ['user-2', null, 'a:b'],
    ]);
  });

  it('--file reads the messages from a file; a missing file is a usage error', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'orders.txt');
    await writeFile(file, 'a\nb\nc\n');
    const ok = await runCli(['produce', 'fromfile', '--file', file], { url: broker.url });
    expect(ok.code).toBe(0);
    expect(ok.err).toMatch(/^produced 3 messages to fromfile \(offsets 0\.\.2\)/);
    const missing = await runCli(['produce', 'fromfile', '--file', join(dir, 'nope.txt')], { url: broker.url });
    expect(missing.code).toBe(2);
    expect(lines(missing.err)).toEqual([expect.stringMatching(/^error: cannot read --file .*nope\.txt: no such file$/)]);
  });

  it('--dead-letter: messages the broker refuses go to the file with the reason; exit 1 says how many', async () => {
    const dir = await makeTempDir();
    const dead = join(dir, 'dead.jsonl');
    const big = 'x'.repeat(2000); // the broker takes at most 1kb here
    const r = await runCli(['produce', 'dl', '--dead-letter', dead, '--max-message-bytes', '1kb'], {
      url: broker.url,
      stdin: `a\n${big}\nb\n`,
    });
    expect(r.code).toBe(1);
    const err = lines(r.err);
    expect(err[0]).toMatch(/^produced 2 messages to dl \(offsets 0\.\.1\) .*; 1 rejected, written to .*dead\.jsonl$/);
    expect(err[1]).toMatch(/^error: 1 of 3 messages were refused and written to .*dead\.jsonl \(first: .*\)/);
    expect(err).toHaveLength(2);
    const letters = (await readFile(dead, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(letters).toEqual([
      expect.objectContaining({ line: 2, code: 'EVQ_ERR_MESSAGE_TOO_LARGE', value: big, reason: expect.any(String) }),
    ]);
    expect((await readAll(broker.url, 'dl')).records.map((x) => x.value)).toEqual(['a', 'b']);
  });

  it('without --dead-letter a refused message fails the produce: exit 1, how many were acknowledged', async () => {
    const r = await runCli(['produce', 'refused', '--max-message-bytes', '1mb'], { url: broker.url, stdin: `a\n${'y'.repeat(2000)}\nb\n` });
    expect(r.code).toBe(1);
    expect(lines(r.err)).toEqual([expect.stringMatching(/^error: .*acknowledged before the failure: \d of \d messages read/)]);
  });

  it("a message over the client's own --max-message-bytes is said to be the client's limit, with how to raise it", async () => {
    const own = await runCli(['produce', 'own-limit', '--max-message-bytes', '512'], { url: broker.url, stdin: `a\n${'z'.repeat(600)}\n` });
    expect(own.code).toBe(1);
    const [line, ...rest] = lines(own.err);
    expect(rest).toEqual([]);
    expect(line).toMatch(
      /^error: line 2 was not sent: it is 600 bytes, larger than --max-message-bytes 512b, a limit of evq produce itself/,
    );
    expect(line).toMatch(/raise --max-message-bytes/);
    expect(line).not.toMatch(/no broker accepts|refused/);
    // the broker's own refusal (its --max-message-bytes is 1kb here) is still the broker's
    const broker1 = await runCli(['produce', 'own-limit', '--max-message-bytes', '1mb'], { url: broker.url, stdin: 'y'.repeat(2000) });
    expect(broker1.code).toBe(1);
    expect(broker1.err).not.toMatch(/a limit of evq produce itself/);
  });

  it('--dead-letter /nonexistent/x.jsonl is a usage error (exit 2) before anything is sent', async () => {
    const r = await runCli(['produce', 'never-made', '--dead-letter', '/nonexistent/x.jsonl'], { url: broker.url, stdin: 'a\n' });
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual(['error: cannot write the dead letters to --dead-letter /nonexistent/x.jsonl: no such directory']);
    expect((await fetch(`${broker.url}/topics/never-made`)).status).toBe(404);
  });

  it('no broker: exit 1 at once, one line naming the URL and suggesting evq serve', async () => {
    const r = await runCli(['produce', 't', 'x'], { url: 'http://127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(lines(r.err)).toEqual([expect.stringMatching(/^error: no evq broker answers at http:\/\/127\.0\.0\.1:1 .*`evq serve`/)]);
    expect(r.out).toBe('');
    expect(r.ms).toBeLessThan(5000);
  });

  it('a broker that never answers: exit 1 within about the 10 s default timeout', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const r = await runCli(['produce', 't', 'x'], { url: `http://127.0.0.1:${port}`, timeoutMs: 20_000 });
      expect(r.code).toBe(1);
      expect(lines(r.err)).toEqual([expect.stringMatching(new RegExp(`^error: .*127\\.0\\.0\\.1:${port}.*(10 ?s)`))]);
      expect(r.ms).toBeGreaterThan(9000);
      expect(r.ms).toBeLessThan(14_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  }, 25_000);

  it('a bad token: exit 1, one line saying a valid token is needed', async () => {
    const secured = await spawnBroker(await makeTempDir(), { args: ['--token', 's3cret', '--fsync', 'never'] });
    const bad = await runCli(['produce', 't', 'x', '--token', 'wrong'], { url: secured.url });
    expect(bad.code).toBe(1);
    expect(lines(bad.err)).toEqual([
      expect.stringMatching(/^error: the broker at .* refused the request: it needs a valid token \(--token or EVQ_TOKEN\)$/),
    ]);
    const good = await runCli(['produce', 't', 'x'], { url: secured.url, env: { EVQ_TOKEN: 's3cret' } });
    expect(good.code).toBe(0);
    secured.kill('SIGTERM');
    await secured.exited;
  });

  it('usage errors: exit 2, one line naming the flag, nothing on stdout', async () => {
    for (const args of [
      ['produce', 't', '--batch-size', '0'],
      ['produce', 't', '--lingr', '5ms'],
      ['produce', 't', '--compression', 'lz4'],
    ]) {
      const r = await runCli(args, { url: broker.url });
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(lines(r.err)).toHaveLength(args.includes('--lingr') ? 2 : 1); // unknown option + "(Did you mean --linger?)"
      expect(r.err).toMatch(/--batch-size|--lingr|--compression/);
    }
  });

  it('--delay: acknowledged at once as delayed, readable when due', async () => {
    const r = await runCli(['produce', 'later', 'soon', '--delay', '1s', '-v'], { url: broker.url });
    expect(r.code).toBe(0);
    expect(r.out).toBe('delayed\n');
    expect(r.err).toMatch(/^produced 1 message to later in .*; 1 delayed, due in 1s\n$/);
    let values: string[] = [];
    await waitFor(async () => (values = (await readAll(broker.url, 'later')).records.map((x) => x.value)).length > 0, {
      everyMs: 200,
      what: 'the delayed message to be due',
    });
    expect(values).toEqual(['soon']);
  });
});
