/**
 * `evq serve` as a user runs it: the ready line with the URL on stdout, a clean shutdown on SIGTERM and
 * SIGINT (exit 0, WebSocket subscribers closed with 1001, acknowledged data kept), and one clear line with
 * the right exit code for what cannot start. Spawns `bin/evq.js` from `dist/` (`npm run build` first).
 */
import { chmod, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getJson, postBatch, readAll } from '../helpers/broker.js';
import { killSpawned, makeTempDir, removeTempDirs, runEvq, spawnBroker } from '../helpers/spawn-broker.js';
import { WsTestClient } from '../helpers/ws-client.js';

const clients: WsTestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await killSpawned();
  await removeTempDirs();
});

describe('evq serve as a user runs it', () => {
  it('prints one ready line with the URL it got for --port 0, on stdout only', async () => {
    const dir = await makeTempDir();
    const broker = await spawnBroker(dir, { args: ['--fsync', 'interval'] });
    expect(broker.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.stdout()).toBe(`evq broker listening on ${broker.url} (data in ${dir}, fsync interval)\n`);
    expect(await getJson(`${broker.url}/healthz`)).toEqual({ status: 'ok' });
    broker.kill('SIGTERM');
    expect((await broker.exited).code).toBe(0);
    expect(broker.stdout().trim().split('\n')).toHaveLength(1); // nothing but the ready line on stdout
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} shuts it down cleanly: exit 0, subscribers closed with 1001, acknowledged data kept`, async () => {
      const dir = await makeTempDir();
      const broker = await spawnBroker(dir);
      const values = Array.from({ length: 50 }, (_, i) => `${signal}-${i}`);
      expect((await postBatch(broker.url, 'orders', values)).status).toBe(201);

      const client = await WsTestClient.connect(broker.url);
      clients.push(client);
      client.subscribe(1, 'orders', { from: 'earliest' });
      await client.until(() => client.received(1).length === 50, 10_000, 'the replay of 50 records');

      broker.kill(signal);
      const exit = await broker.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      await client.until(() => client.closeCode !== null, 10_000, 'the close frame');
      expect(client.closeCode).toBe(1001);
      expect(broker.stderr()).toContain(`${signal}: shutting down`);
      expect(broker.stderr()).toContain('evq broker stopped');

      // a clean stop leaves nothing to repair: the restart reports no recovery and every record is there
      const again = await spawnBroker(dir);
      const read = await readAll(again.url, 'orders', '?from=0&limit=100');
      expect(read.records.map((r) => r.value)).toEqual(values);
      expect(again.stderr()).not.toMatch(/recovery|damaged/);
      again.kill('SIGTERM');
      expect((await again.exited).code).toBe(0);
    });
  }

  it('--max-connections: past it a request gets 503 with Retry-After; --headers-timeout: a slow client gets 408', async () => {
    const broker = await spawnBroker(await makeTempDir(), { args: ['--max-connections', '2', '--headers-timeout', '1s'] });
    const { port } = new URL(broker.url);
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => resolve(socket));
        socket.once('error', reject);
      });
    const answer = (socket: Socket): Promise<string> =>
      new Promise((resolve) => {
        let text = '';
        socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
        socket.once('close', () => resolve(text));
      });
    const held = [await open(), await open()];
    try {
      const third = await open();
      const refused = answer(third);
      third.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      const reply = await refused;
      expect(reply).toMatch(/^HTTP\/1\.1 503 /);
      expect(reply).toMatch(/\r\nretry-after: 1\r\n/i);
      // a held connection that never finishes its headers is told 408 after about --headers-timeout
      const slow = held[0] as Socket;
      const slowAnswer = answer(slow);
      slow.write('GET /healthz HTTP/1.1\r\n');
      const started = Date.now();
      expect(await slowAnswer).toMatch(/^HTTP\/1\.1 408 /);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const socket of held) socket.destroy();
    }
  });

  it('a bad flag exits 2 with one line on stderr and nothing on stdout', async () => {
    const dir = await makeTempDir();
    for (const args of [
      ['serve', '--data-dir', dir, '--bogus'],
      ['serve', '--data-dir', dir, '--fsync', 'sometimes'],
      ['serve', '--data-dir', dir, '--port', 'seventy'],
    ]) {
      const run = await runEvq(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('--host 0.0.0.0 without a token refuses to start with a clear line', async () => {
    const dir = await makeTempDir();
    const run = await runEvq(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', dir]);
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/0\.0\.0\.0/);
    expect(lines[0]).toMatch(/token/);
  });

  it('a port in use exits 1 with a clear line', async () => {
    const first = await spawnBroker(await makeTempDir());
    const run = await runEvq(['serve', '--port', String(first.port), '--data-dir', await makeTempDir()]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`port ${first.port}\\b.*already in use`));
    expect(run.stderr).not.toMatch(/\n\s+at /);
    // the first broker is untouched
    expect(await getJson(`${first.url}/healthz`)).toEqual({ status: 'ok' });
  });

  it('a --data-dir that is a file, or under one, is one line (exit 2) saying so', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    for (const dataDir of [file, join(file, 'sub')]) {
      const run = await runEvq(['serve', '--port', '0', '--data-dir', dataDir]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n'), run.stderr).toEqual([
        `error: --data-dir ${dataDir} is not a directory: ${file} is a file; point --data-dir at a directory`,
      ]);
    }
  });

  it.skipIf(process.getuid?.() === 0)('a --data-dir this user cannot write is one line (exit 1) saying so', async () => {
    const dir = await makeTempDir();
    await chmod(dir, 0o555);
    const run = await runEvq(['serve', '--port', '0', '--data-dir', join(dir, 'data')]);
    await chmod(dir, 0o755);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: cannot write in --data-dir .*: permission denied/)]);
  });

  it('--url https:// against a plain broker is one line saying it does not speak TLS there', async () => {
    const broker = await spawnBroker(await makeTempDir());
    const https = broker.url.replace('http://', 'https://');
    for (const args of [['topics'], ['produce', 't', 'x'], ['consume', 't'], ['subscribe', 't']]) {
      const run = await runEvq([...args, '--url', https]);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr.trim().split('\n'), run.stderr).toEqual([
        expect.stringMatching(new RegExp(`^error: .*${https.replace(/[.:/]/g, '\\$&')} does not speak TLS.*http://`)),
      ]);
      expect(run.stderr).not.toMatch(/SSL routines|start one with/);
    }
  });
});
