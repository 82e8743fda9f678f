/**
 * Every command that connects takes `--timeout`, and the error that says "raise --timeout" is then true: a
 * broker that accepts connections and never answers (a real socket that stays silent) makes each command
 * give up after the --timeout it was given, exit 1, with one line that names it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killCli, lines, runCli } from '../helpers/spawn-cli.js';

let server: Server;
let url: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  url = `http://127.0.0.1:${address.port}`;
});

afterEach(killCli);

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('--timeout on every command that connects', () => {
  it.each([
    [['consume', 'orders']],
    [['consume', 'orders', '--group', 'billing']],
    [['topics']],
    [['topics', 'ls']],
    [['topics', 'create', 'orders']],
    [['topics', 'delete', 'orders']],
    [['groups']],
    [['groups', 'describe', 'billing']],
    [['groups', 'reset', 'billing', '--topic', 'orders', '--to', 'earliest']],
  ])('evq %j --timeout 300ms gives up after 300ms: exit 1, one line that names the timeout', async (args) => {
    const r = await runCli([...args, '--timeout', '300ms'], { url, timeoutMs: 15_000 });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(1);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(/did not answer within 300ms.*--timeout/);
  });

  it('--help of consume and topics lists --timeout with its default', async () => {
    for (const command of ['consume', 'topics', 'groups']) {
      const r = await runCli([command, '--help']);
      expect(r.out.replace(/\s+/g, ' ')).toContain(
        '--timeout <duration> give up when the broker does not answer for this long (default: 10s)',
      );
    }
  });
});
