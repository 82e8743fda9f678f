/**
 * The command line over NATS JetStream: the e2e scenarios of the evq broker (produce, subscribe, consume,
 * topics, bench) run as a user runs them, `bin/evq.js` from `dist/` (`npm run build` first) with
 * `--url nats://…` or EVQ_URL, against a real `nats-server -js` started for this file (see
 * test/helpers/nats-server.ts: missing, it fails under CI and is skipped elsewhere).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../src/bench/result.js';
import { connect } from '../../src/client/connect.js';
import type { EvqClient } from '../../src/client/types.js';
import { describeNats, startNatsServer, stopNatsServers, type NatsServer } from '../helpers/nats-server.js';
import { makeTempDir, removeTempDirs } from '../helpers/spawn-broker.js';
import { EVQ_BIN, killCli, lines, runCli, startCli } from '../helpers/spawn-cli.js';
import { waitFor } from '../helpers/wait.js';

const values = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

/** `evq ARGS` on a pseudo-terminal (util-linux `script`), for output that differs on a TTY. */
function runOnTty(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const command = [process.execPath, EVQ_BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out: out.replace(/\r\n/g, '\n') });
    }),
  );
}

describe('--help says where the filter runs over nats://', () => {
  it('subscribe and consume: over nats:// the filter runs in the client, so every message crosses the network', async () => {
    for (const command of ['subscribe', 'consume']) {
      const help = await runCli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.out.replace(/\s+/g, ' ')).toMatch(
        /--filter <expr> [^-]*over nats:\/\/ (and kafka:\/\/ )?it runs in the client, so every message crosses the network/,
      );
    }
  });
});

describeNats('the command line over NATS JetStream', () => {
  let nats: NatsServer;
  let url: string;
  let client: EvqClient;

  beforeAll(async () => {
    nats = await startNatsServer();
    url = nats.url;
    client = await connect(url);
  });

  afterEach(killCli);

  afterAll(async () => {
    await client?.close();
    await stopNatsServers();
    await removeTempDirs();
  });

  /** Waits until `topic` has `n` JetStream consumers (a live `evq subscribe` is one). */
  async function consumersOn(topic: string, n: number): Promise<void> {
    let count = 0;
    await waitFor(async () => (count = (await client.topics()).find((t) => t.topic === topic)?.subscribers ?? 0) === n, {
      timeoutMs: 15_000,
      what: () => `${n} consumers on ${topic} (JetStream counts ${count})`,
    });
  }

  it('100,000 lines from stdin come back byte for byte through evq consume and evq subscribe', async () => {
    // varied lines: empty ones, multi-byte UTF-8, spaces, a \r kept as it is, a last line without \n
    const input: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      input.push(i % 997 === 0 ? '' : i % 501 === 0 ? `é€ ${i}\r` : `message ${i} ${'x'.repeat(i % 50)}`);
    }
    const text = input.join('\n');
    const produced = await runCli(['produce', 'big.lines'], { url, stdin: text, timeoutMs: 30_000 });
    expect(produced.err).toMatch(/^produced 100000 messages to big\.lines \(offsets 0\.\.99999\) in \S+, \d+ msg\/s\n$/);
    expect(produced.code).toBe(0);
    expect(produced.out).toBe('');

    const consumed = await runCli(['consume', 'big.lines'], { url, timeoutMs: 30_000 });
    expect(consumed.code, consumed.err).toBe(0);
    expect(consumed.err).toBe('');
    expect(consumed.stdout.equals(Buffer.from(`${text}\n`))).toBe(true);

    const subscribed = await runCli(['subscribe', 'big.lines', '--from', 'earliest', '--count', '100000', '--url', url], {
      timeoutMs: 30_000,
    });
    expect(subscribed.code, subscribed.err).toBe(0);
    expect(subscribed.stdout.equals(Buffer.from(`${text}\n`))).toBe(true);
  }, 90_000);

  it('subscribe --filter and --count while other processes produce: exactly the matches, in order, then exit 0', async () => {
    expect((await runCli(['produce', 'live', '{"amount": 1}'], { url })).code).toBe(0); // the stream exists; subscribe starts at latest
    const sub = startCli(['subscribe', 'live', '--filter', 'value.amount > 100 && headers.type == "deposit"', '--count', '5'], { url });
    await consumersOn('live', 1);
    const input = Array.from({ length: 400 }, (_, i) => `{"amount": ${i}}`);
    // every 50th message is a deposit; of those, amounts > 100 are 150, 200, 250, 300, 350
    const producers = await Promise.all([
      runCli(['produce', 'live', '-H', 'type=deposit'], { url, stdin: input.filter((_, i) => i % 50 === 0).join('\n') }),
      runCli(['produce', 'live', '-H', 'type=withdrawal'], { url, stdin: input.filter((_, i) => i % 50 !== 0).join('\n') }),
    ]);
    expect(producers.map((p) => p.code)).toEqual([0, 0]);
    const r = await sub.done;
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
    expect(lines(r.out)).toEqual([150, 200, 250, 300, 350].map((n) => `{"amount": ${n}}`));
  });

  it('--from -N gives the last N, --from OFFSET starts there (offsets from 0); --limit and --filter in consume', async () => {
    expect((await runCli(['produce', 'hist'], { url, stdin: values(0, 20).join('\n') })).code).toBe(0);
    const last = await runCli(['subscribe', 'hist', '--from', '-2', '--count', '2'], { url });
    expect(last.code).toBe(0);
    expect(last.out).toBe('m18\nm19\n');
    const at = await runCli(['subscribe', 'hist', '--from=1', '-n', '2', '--format', '{offset}\\t{value}'], { url });
    expect(at.out).toBe('1\tm1\n2\tm2\n');
    const json = await runCli(['subscribe', 'hist', '--from', '-1', '-n', '1', '--format', 'json'], { url });
    expect(JSON.parse(json.out)).toEqual({
      topic: 'hist',
      partition: 0,
      offset: 19,
      timestamp: expect.any(Number),
      key: null,
      headers: null,
      value: 'm19',
    });

    expect((await runCli(['consume', 'hist', '--from', '-3'], { url })).out).toBe('m17\nm18\nm19\n');
    expect((await runCli(['consume', 'hist', '--limit', '3'], { url })).out).toBe('m0\nm1\nm2\n');
    expect((await runCli(['consume', 'hist', '--from', '17', '--format', '{offset}={value}'], { url })).out).toBe(
      '17=m17\n18=m18\n19=m19\n',
    );
    const filtered = await runCli(['consume', 'hist', '--filter', 'value like "m1*" && offset >= 15'], { url });
    expect(lines(filtered.out)).toEqual(values(15, 20));
  });

  // This failed on 2 of ~6 runs (the restarted group began after the last line printed): the printer's flush
  // waited only for 'drain', but write() returns true while a slow pipe's bytes still sit in this process,
  // so an ack could go out before its lines reached the OS and a SIGKILL lost them. The flush now waits for
  // the write's callback (src/cli/line-printer.ts).
  it('consume --group killed (SIGKILL) mid-way resumes on restart: no gap, duplicates only within the last page', async () => {
    const n = 50_000;
    expect((await runCli(['produce', 'ledger'], { url, stdin: values(0, n).join('\n'), timeoutMs: 30_000 })).code).toBe(0);
    const first = startCli(['consume', 'ledger', '--group', 'billing'], { url, timeoutMs: 30_000 });
    // stop reading its stdout once 2,000 lines came: the pipe fills and it blocks, far from the end of the
    // log whatever the machine's speed; then kill it and read what it had written
    await first.waitForOut((out) => {
      const enough = out.split('\n').length > 2000;
      if (enough) first.child.stdout!.pause();
      return enough;
    }, 20_000);
    first.kill('SIGKILL');
    first.child.stdout!.resume();
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const printed = lines(killed.out.slice(0, killed.out.lastIndexOf('\n') + 1)); // whole lines only
    expect(printed).toEqual(values(0, printed.length));
    expect(printed.length).toBeLessThan(n); // killed mid-way

    const resumed = await runCli(['consume', 'ledger', '--group', 'billing'], { url, timeoutMs: 30_000 });
    expect(resumed.code, resumed.err).toBe(0);
    const rest = lines(resumed.out);
    expect(rest.length, `the restarted group read nothing of the ${n - printed.length} messages left`).toBeGreaterThan(0);
    const start = Number(rest[0]?.slice(1));
    // at least once: it starts at or before the first line not printed, and re-reads at most the page of
    // 1,000 that was being printed (and the record before it, committed when the page's first one is taken)
    expect(start).toBeLessThanOrEqual(printed.length);
    expect(start).toBeGreaterThanOrEqual(printed.length - 1001);
    expect(rest).toEqual(values(start, n));

    const again = await runCli(['consume', 'ledger', '--group', 'billing'], { url });
    expect(again.code).toBe(0);
    expect(again.out).toBe('');
  }, 90_000);

  it('--limit with a group commits only what was printed; --from only places a new group', async () => {
    expect((await runCli(['produce', 'paged'], { url, stdin: values(0, 10).join('\n') })).code).toBe(0);
    expect((await runCli(['consume', 'paged', '-g', 'g', '-l', '4'], { url })).out).toBe('m0\nm1\nm2\nm3\n');
    expect((await runCli(['consume', 'paged', '-g', 'g', '-l', '4'], { url })).out).toBe('m4\nm5\nm6\nm7\n');
    expect((await runCli(['consume', 'paged', '-g', 'g'], { url })).out).toBe('m8\nm9\n');
    expect((await runCli(['consume', 'paged', '-g', 'g'], { url })).out).toBe('');
    expect((await runCli(['consume', 'paged', '--group', 'audit', '--from', '-3'], { url })).out).toBe('m7\nm8\nm9\n');
    expect((await runCli(['consume', 'paged', '--group', 'audit', '--from', 'earliest'], { url })).out).toBe('');
  });

  it('consume --format json | produce --json copies a topic exactly: keys, headers, values (bytes too), timestamps', async () => {
    expect(
      (await runCli(['produce', 'source', 'plain', '{"amount": 5}', '-k', 'k1', '-H', 'type=deposit', '-H', 'src=a'], { url })).code,
    ).toBe(0);
    expect((await runCli(['produce', 'source', '-K', ':'], { url, stdin: 'k2:with key\nno key\n\n  spaced  \n' })).code).toBe(0);
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x41]);
    await client.produce('source', [{ value: binary, key: 'bin' }]);

    const consume = startCli(['consume', 'source', '--format', 'json'], { url });
    const produce = startCli(['produce', 'copy', '--json'], { url, stdin: consume.child.stdout! });
    const [c, p] = await Promise.all([consume.done, produce.done]);
    expect(c.code, c.err).toBe(0);
    expect(p.code, p.err).toBe(0);
    expect(p.err).toMatch(/^produced 7 messages to copy \(offsets 0\.\.6\)/);

    const read = async (topic: string): Promise<Record<string, unknown>[]> => {
      const r = await runCli(['consume', topic, '--format', 'json'], { url });
      expect(r.code).toBe(0);
      return lines(r.out).map((l) => {
        const { topic: _topic, partition: _partition, offset: _offset, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return rest;
      });
    };
    const source = await read('source');
    expect(source).toHaveLength(7);
    expect(await read('copy')).toEqual(source);
    expect(source[0]).toEqual({ key: 'k1', headers: { type: 'deposit', src: 'a' }, value: 'plain', timestamp: expect.any(Number) });
    expect(source[6]).toEqual({ key: 'bin', headers: null, valueBase64: binary.toString('base64'), timestamp: expect.any(Number) });
  });

  it('topics lists the streams with counts and bytes (table on a terminal, --json), and topics delete removes one', async () => {
    expect((await runCli(['produce', 'orders.eu_west'], { url, stdin: 'a\nb\nc' })).code).toBe(0);
    expect((await runCli(['produce', 'alpha', 'x'.repeat(100)], { url })).code).toBe(0);
    const json = await runCli(['topics', '--json', '--url', url]);
    expect(json.code, json.err).toBe(0);
    expect(lines(json.out)).toHaveLength(1);
    const topics = JSON.parse(json.out) as Array<{ topic: string; messageCount: number; sizeBytes: number }>;
    const names = topics.map((t) => t.topic);
    expect(names).toEqual([...names].sort());
    expect(topics.find((t) => t.topic === 'orders.eu_west')).toMatchObject({ startOffset: 0, endOffset: 3, messageCount: 3 });
    expect(topics.find((t) => t.topic === 'alpha')).toMatchObject({ messageCount: 1, endOffset: 1 });
    expect(topics.find((t) => t.topic === 'alpha')!.sizeBytes).toBeGreaterThan(100);

    const table = await runOnTty(['topics'], { EVQ_URL: url });
    expect(table.code).toBe(0);
    const rows = lines(table.out);
    expect(rows[0]).toMatch(/^TOPIC +PARTITIONS +MESSAGES +SIZE +OFFSETS +SUBSCRIBERS$/);
    expect(rows).toContainEqual(expect.stringMatching(/^orders\.eu_west +1 +3 +\d+b +0\.\.2 +\d+$/));

    const del = await runCli(['topics', 'delete', 'orders.eu_west'], { url });
    expect(del.code, del.err).toBe(0);
    expect(del.err).toBe('deleted topic orders.eu_west\n');
    const after = JSON.parse((await runCli(['topics'], { url })).out) as Array<{ topic: string }>;
    expect(after.map((t) => t.topic)).not.toContain('orders.eu_west');
    const again = await runCli(['topics', 'delete', 'orders.eu_west'], { url });
    expect(again.code).toBe(1);
    expect(lines(again.err)).toEqual([expect.stringMatching(/^error: .*orders\.eu_west.*does not exist/)]);
  });

  it('produce --delay: the process holds the message until due, says so, and exits 0 once it is stored', async () => {
    const started = Date.now();
    const r = await runCli(['produce', 'later', 'soon', '--delay', '1s', '-v'], { url });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('delayed\n');
    expect(r.err).toMatch(/this process holds the messages until \S+ and exits once they are acknowledged/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    // stored when due: readable at once, stamped no earlier than the delay
    const read = await runCli(['consume', 'later', '--format', 'json'], { url });
    const [record] = lines(read.out).map((l) => JSON.parse(l) as { value: string; timestamp: number });
    expect(record?.value).toBe('soon');
    expect(record!.timestamp).toBeGreaterThanOrEqual(started + 1000);
  });

  it('consume of a topic that does not exist is exit 1 with one line, as on evq serve, and creates nothing; --allow-missing waits for it', async () => {
    for (const args of [[], ['--follow']]) {
      const r = await runCli(['consume', 'never.made', ...args], { url });
      expect(r.code, r.err).toBe(1);
      expect(r.out).toBe('');
      expect(lines(r.err)).toEqual([expect.stringMatching(/^error: topic "never.made" does not exist at nats:.*--allow-missing/)]);
    }
    const topics = JSON.parse((await runCli(['topics'], { url })).out) as Array<{ topic: string }>;
    expect(topics.map((t) => t.topic)).not.toContain('never.made');
    const waiting = startCli(['consume', 'made.later', '--allow-missing', '--follow', '--limit', '1'], { url });
    await waiting.waitForErr(/waiting for topic made.later to be created\n/);
    expect((await runCli(['produce', 'made.later', 'hello'], { url })).code).toBe(0);
    const r = await waiting.done;
    expect([r.code, r.out, lines(r.err)]).toEqual([0, 'hello\n', ['waiting for topic made.later to be created']]);
  });

  it('no NATS server at the URL: exit 1 at once, one line naming the URL, for every subcommand', async () => {
    const dead = 'nats://127.0.0.1:1';
    for (const args of [['produce', 't', 'x'], ['subscribe', 't'], ['consume', 't'], ['topics'], ['topics', 'delete', 't']]) {
      const r = await runCli(args, { url: dead });
      expect(r.code, args.join(' ')).toBe(1);
      expect(lines(r.err), args.join(' ')).toEqual([expect.stringMatching(/^error: .*nats:\/\/127\.0\.0\.1:1\b/)]);
      expect(r.out).toBe('');
      expect(r.ms).toBeLessThan(8000);
    }
  }, 60_000);

  it('a server that accepts but never answers: exit 1 soon after --timeout, one line naming the URL', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s)); // accepts, never sends INFO
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const r = await runCli(['produce', 't', 'x', '--timeout', '2s', '--url', `nats://127.0.0.1:${port}`], { timeoutMs: 15_000 });
      expect(r.timedOut, `still running after 15 s; stderr: ${r.err}`).toBe(false);
      expect(r.code).toBe(1);
      expect(lines(r.err)).toEqual([expect.stringMatching(new RegExp(`^error: .*nats://127\\.0\\.0\\.1:${port}`))]);
      expect(r.ms).toBeGreaterThan(1500);
      expect(r.ms).toBeLessThan(8000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  }, 25_000);

  it('bench --messages 20000 --json FILE: exit 0, 0 lost, 0 duplicated, 0 reordered; the report says nats', async () => {
    const file = join(await makeTempDir(), 'result.json');
    const run = await runCli(['bench', '--url', url, '--messages', '20000', '--json', file], { timeoutMs: 45_000 });
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/^evq bench · 1 producer → 1 subscriber · 20,000 messages of 100 B · nats, batches of 1,000/);
    expect(run.out).toMatch(new RegExp(`broker ${url.replace(/[.]/g, '\\.')} `));
    const result = JSON.parse(await readFile(file, 'utf8')) as BenchResult;
    expect(result.ok).toBe(true);
    expect(result.config.transport).toBe('nats');
    expect(result.verification).toMatchObject({
      published: 20_000,
      expected: 20_000,
      delivered: 20_000,
      lost: 0,
      duplicated: 0,
      reordered: 0,
    });
  }, 60_000);

  it('bench --transport http needs an evq broker: over nats:// it is a usage error (exit 2, one line)', async () => {
    const r = await runCli(['bench', '--url', url, '--transport', 'http', '--messages', '100']);
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual([expect.stringMatching(/^error: .*--transport http.*nats:\/\//)]);
  });

  it('produce --compression gzip over nats:// is a usage error: exit 2, the reason in one line, nothing stored', async () => {
    const r = await runCli(['produce', 'zipped', 'x', '--compression', 'gzip', '--url', url]);
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual([
      'error: compression is not available over nats:// (JetStream stores what it is sent; compress the values yourself)',
    ]);
    const topics = JSON.parse((await runCli(['topics', '--url', url])).out) as Array<{ topic: string }>;
    expect(topics.map((t) => t.topic)).not.toContain('zipped');
  });
});
