/**
 * Web pages of other sites cannot reach the broker: the Host allowlist (DNS rebinding), the
 * Origin check (cross-site WebSocket hijacking, CSRF), Fetch Metadata, CORS preflights and the content
 * types of the routes that change something. Requests are made with node:http and `ws` with the headers a
 * browser would send, crafted by hand, against a real broker, with and without a token.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { buildProgram, exitCodeFor } from '../../../src/cli/main.js';
import { parseAllowedHost, parseAllowedOrigin } from '../../../src/broker/request-guard.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { captureOutput } from '../../helpers/cli.js';

const EVIL = 'http://evil.example';
let broker: TestBroker | undefined;

afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: any;
}

/** One request with exactly these headers (Host included when given; none added but Content-Length). */
function send(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, method, path, headers, setHost: headers.host === undefined, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let json: any = null;
          try {
            json = JSON.parse(text);
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The message count of a topic as the broker lists it (0 when the topic does not exist). */
async function countOf(b: TestBroker, topic: string, token?: string): Promise<number> {
  const reply = await send(b.url, 'GET', '/topics', auth(token));
  expect(reply.status).toBe(200);
  const info = (reply.json.topics as { topic: string; messageCount: number }[]).find((t) => t.topic === topic);
  return info?.messageCount ?? 0;
}

function auth(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/**
 * What the broker answered to one request written as it is on a raw socket: the reply's head and the bytes
 * after its body (WebSocket frames). A refusal closes the connection; a `101` is ended by the test at once.
 */
function exchangeRaw(b: TestBroker, lines: string[]): Promise<{ head: string; frames: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(b.port, '127.0.0.1');
    let data = Buffer.alloc(0);
    const result = (): { head: string; frames: number } => {
      const text = data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = end < 0 ? text : text.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      // bytes past the HTTP reply's own body would be WebSocket frames
      return { head, frames: end < 0 ? 0 : data.length - (end + 4) - length };
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      // let in: the socket would stay open; what came so far is the answer
      if (/^HTTP\/1\.1 101 [^]*\r\n\r\n/.test(data.toString('latin1'))) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(result()));
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

const UPGRADE_LINES = [
  'Connection: Upgrade',
  'Upgrade: websocket',
  'Sec-WebSocket-Version: 13',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
];

/** What a WebSocket handshake got: the status and the first bytes after it (none when refused before the upgrade). */
function upgradeRaw(b: TestBroker, path: string, headers: Record<string, string>): Promise<{ head: string; frames: number }> {
  return exchangeRaw(b, [
    `GET ${path} HTTP/1.1`,
    `Host: ${headers.host ?? `127.0.0.1:${b.port}`}`,
    ...UPGRADE_LINES,
    ...Object.entries(headers)
      .filter(([name]) => name !== 'host')
      .map(([name, value]) => `${name}: ${value}`),
  ]);
}

/**
 * A `ws` client with an Origin: resolves with the refusal status, or, when let in, the open socket and the
 * messages it gets (collected from the start: records may arrive in the same read as the 101).
 */
function wsAttempt(
  url: string,
  origin: string | undefined,
  token?: string,
): Promise<{ status: number | null; opened: boolean; ws?: WebSocket; messages?: any[]; next?: () => Promise<any> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ...(origin === undefined ? {} : { origin }), headers: auth(token) });
    const messages: any[] = [];
    let wake: (() => void) | null = null;
    ws.on('message', (data: Buffer) => {
      messages.push(JSON.parse(data.toString('utf8')));
      wake?.();
    });
    const next = async (): Promise<any> => {
      while (messages.length === 0) await new Promise<void>((done) => (wake = done));
      return messages.shift();
    };
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      ws.terminate();
      resolve({ status: res.statusCode ?? null, opened: false });
    });
    ws.once('open', () => resolve({ status: 101, opened: true, ws, messages, next }));
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

for (const token of [undefined, 's3cret']) {
  describe(token === undefined ? 'without a token' : 'with --token', () => {
    const start = async (extra: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> =>
      (broker = await startTestBroker({ memory: true, token, ...extra }));
    const json = { 'content-type': 'application/json', ...auth(token) };

    it('refuses a foreign Host (DNS rebinding) with 421 on every route, the WebSocket and /metrics, and appends nothing', async () => {
      const b = await start();
      const host = `evil.example:${b.port}`;
      for (const path of ['/topics', '/metrics', '/healthz', '/topics/t/messages', '/nope']) {
        const reply = await send(b.url, 'GET', path, { host, ...auth(token) });
        expect(reply.status, path).toBe(421);
        expect(reply.json.error.code).toBe('EVQ_ERR_FORBIDDEN_HOST');
        expect(reply.json.error.message).toMatch(/--allow-host evil\.example/);
      }
      const post = await send(b.url, 'POST', '/topics/t/messages', { host, ...json }, '{"a":1}');
      expect(post.status).toBe(421);
      const put = await send(b.url, 'PUT', '/topics/made', { host, ...auth(token) });
      expect(put.status).toBe(421);
      const ws = await upgradeRaw(b, '/subscribe/t', { host, ...auth(token) });
      expect(ws.head).toMatch(/^HTTP\/1\.1 421 /);
      expect(ws.frames).toBe(0);
      expect(await countOf(b, 't', token)).toBe(0);
      const listed = await send(b.url, 'GET', '/topics', auth(token));
      expect(listed.json.topics).toEqual([]);
      expect(b.stats().connections).toBe(0);
    });

    it('refuses a request or WebSocket upgrade with no Host header with 421 (Node lets an upgrade without Host through)', async () => {
      const b = await start();
      expect((await send(b.url, 'POST', '/topics/t/messages', json, 'secret')).status).toBe(201);
      const credentials = token === undefined ? [] : [`Authorization: Bearer ${token}`];
      for (const path of ['/subscribe/t?from=earliest', '/ws']) {
        const raw = await exchangeRaw(b, [`GET ${path} HTTP/1.1`, ...UPGRADE_LINES, ...credentials]);
        expect(raw.head, path).toMatch(/^HTTP\/1\.1 421 /);
        expect(raw.head).not.toMatch(/sec-websocket-accept/i);
        expect(raw.frames).toBe(0);
      }
      // HTTP/1.0 needs no Host: Node serves it unless the broker refuses it
      const old = await exchangeRaw(b, ['GET /topics/t/messages?from=earliest HTTP/1.0', ...credentials]);
      expect(old.head).toMatch(/^HTTP\/1\.1 421 /);
      expect(old.head).not.toContain('secret');
      expect(b.stats()).toMatchObject({ connections: 0, subscriptions: 0 });
    });

    it('answers to its address, localhost, 127.0.0.1 and [::1] with any port, and to --allow-host names', async () => {
      const b = await start({ allowHosts: ['evq.internal', 'Proxy.Example'] });
      for (const host of [
        `127.0.0.1:${b.port}`,
        `localhost:${b.port}`,
        `[::1]:${b.port}`,
        'localhost',
        'LOCALHOST:8080',
        'evq.internal',
        'proxy.example:443',
      ]) {
        const reply = await send(b.url, 'GET', '/topics', { host, ...auth(token) });
        expect(reply.status, host).toBe(200);
      }
      const named = await send(b.url, 'POST', '/topics/t/messages', { host: 'evq.internal:8443', ...json }, '{"a":1}');
      expect(named.status).toBe(201);
      expect(await countOf(b, 't', token)).toBe(1);
      expect((await send(b.url, 'GET', '/topics', { host: 'other.internal', ...auth(token) })).status).toBe(421);
      // the names it already answered are remembered (up to 64): more than that, asked twice, and look-alikes after them
      const many = Array.from({ length: 70 }, (_, i) => (i % 2 === 0 ? `localhost:${i + 1}` : `127.0.0.1:${i + 1}`));
      for (const host of [...many, ...many])
        expect((await send(b.url, 'GET', '/healthz', { host, ...auth(token) })).status, host).toBe(200);
      for (const host of [
        'localhost.',
        `localhost.:${b.port}`,
        `[::ffff:127.0.0.1]:${b.port}`,
        `127.0.0.1.evil.example:${b.port}`,
        `localhost:${b.port}:${b.port}`,
        `evq.internal.:8443`,
        'user@localhost',
        '',
      ]) {
        const reply = await send(b.url, 'GET', '/topics', { host, ...auth(token) });
        expect(reply.status, host).toBe(421);
        expect(reply.json.error.code).toBe('EVQ_ERR_FORBIDDEN_HOST');
      }
      const ws = await wsAttempt(`ws://127.0.0.1:${b.port}/subscribe/t`, undefined, token);
      expect(ws.opened).toBe(true);
      ws.ws?.close();
    });

    it('refuses every request of a foreign Origin with 403 EVQ_ERR_FORBIDDEN_ORIGIN, and nothing changes', async () => {
      const b = await start();
      expect((await send(b.url, 'POST', '/topics/t/messages', json, 'kept')).status).toBe(201);
      expect((await send(b.url, 'POST', '/topics/t/groups/g/commit', json, '{"offset":0}')).status).toBe(200);
      const attempts: [string, string, string | undefined, Record<string, string>][] = [
        ['POST', '/topics/t/messages', '{"evil":1}', { 'content-type': 'application/json' }],
        ['POST', '/topics/t/messages', 'evil', { 'content-type': 'text/plain' }],
        ['POST', '/produce/t', 'evil=1', { 'content-type': 'application/x-www-form-urlencoded' }],
        ['POST', '/topics/t/batch', '{"value":"evil"}', { 'content-type': 'application/x-ndjson' }],
        ['POST', '/topics/t/groups/g/commit', '{"offset":1}', { 'content-type': 'application/json' }],
        ['PUT', '/topics/made', undefined, {}],
        ['DELETE', '/topics/t', undefined, {}],
        ['GET', '/topics', undefined, {}],
        ['OPTIONS', '/topics/t/messages', undefined, { 'access-control-request-method': 'POST' }],
      ];
      for (const origin of [EVIL, 'null', `http://127.0.0.1:${b.port + 1}`, `https://127.0.0.1:${b.port}`]) {
        for (const [method, path, body, headers] of attempts) {
          const reply = await send(b.url, method, path, { origin, ...auth(token), ...headers }, body);
          expect(reply.status, `${method} ${path} from ${origin}`).toBe(403);
          expect(reply.json.error.code).toBe('EVQ_ERR_FORBIDDEN_ORIGIN');
          expect(reply.headers['access-control-allow-origin']).toBeUndefined();
        }
      }
      expect(await countOf(b, 't', token)).toBe(1);
      const group = await send(b.url, 'GET', '/topics/t/groups/g', auth(token));
      expect(group.json.committed).toBe(0);
      expect((await send(b.url, 'GET', '/topics/made', auth(token))).status).toBe(404);
    });

    it('refuses a WebSocket upgrade of a foreign Origin before the upgrade: no 101, no frame, no subscription', async () => {
      const b = await start();
      expect((await send(b.url, 'POST', '/topics/t/messages', json, 'secret')).status).toBe(201);
      for (const path of ['/subscribe/t?from=earliest', '/ws']) {
        const raw = await upgradeRaw(b, path, { origin: EVIL, ...auth(token) });
        expect(raw.head).toMatch(/^HTTP\/1\.1 403 /);
        expect(raw.head).not.toMatch(/sec-websocket-accept/i);
        expect(raw.frames).toBe(0);
        const attempt = await wsAttempt(`ws://127.0.0.1:${b.port}${path}`, EVIL, token);
        expect(attempt).toMatchObject({ status: 403, opened: false });
      }
      expect(b.stats()).toMatchObject({ connections: 0, subscriptions: 0 });
    });

    it('lets in its own origin, --allow-origin origins (with CORS headers) and requests without Origin', async () => {
      const app = 'http://app.example:5173';
      const b = await start({ allowOrigins: [`${app}/`, 'https://console.example'] });
      const own = `http://127.0.0.1:${b.port}`;
      expect((await send(b.url, 'POST', '/topics/t/messages', { origin: own, ...json }, '1')).status).toBe(201);
      const byName = await send(
        b.url,
        'POST',
        '/topics/t/messages',
        { host: `localhost:${b.port}`, origin: `http://localhost:${b.port}`, ...json },
        '2',
      );
      expect(byName.status).toBe(201);
      expect(byName.headers['access-control-allow-origin']).toBeUndefined();
      const allowed = await send(b.url, 'POST', '/topics/t/messages', { origin: app, ...json }, '3');
      expect(allowed.status).toBe(201);
      expect(allowed.headers['access-control-allow-origin']).toBe(app);
      expect(allowed.headers.vary).toMatch(/Origin/);
      const read = await send(b.url, 'GET', '/topics/t/messages', { origin: 'https://console.example', ...auth(token) });
      expect(read.status).toBe(200);
      expect(read.headers['access-control-expose-headers']).toMatch(/evq-next-offset/);
      const preflight = await send(b.url, 'OPTIONS', '/topics/t/messages', {
        origin: app,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(app);
      expect(preflight.headers['access-control-allow-methods']).toMatch(/POST/);
      expect(preflight.headers['access-control-allow-headers']).toBe('authorization, content-type');
      // curl, evq's client, kcat: no Origin, no Content-Type needed
      expect((await send(b.url, 'POST', '/topics/t/messages', auth(token), '4')).status).toBe(201);
      expect(await countOf(b, 't', token)).toBe(4);

      const ws = await wsAttempt(`ws://127.0.0.1:${b.port}/subscribe/t?from=earliest`, app, token);
      expect(ws.opened).toBe(true);
      expect(ws.next).toBeDefined();
      expect(await ws.next!()).toMatchObject({ op: 'subscribed', topic: 't' });
      expect((await ws.next!()).value).toBe('1');
      ws.ws?.close();
      const ownWs = await wsAttempt(`ws://127.0.0.1:${b.port}/ws`, own, token);
      expect(ownWs.opened).toBe(true);
      ownWs.ws?.close();
    });

    it('refuses what a page sends without Origin (an <img>, a <script>) by Sec-Fetch-Site, but not a navigation that only reads', async () => {
      const b = await start();
      expect((await send(b.url, 'POST', '/topics/t/messages', json, 'x')).status).toBe(201);
      const image = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image', ...auth(token) };
      const commit = await send(b.url, 'GET', '/topics/t/groups/g/messages?autocommit=true', image);
      expect(commit.status).toBe(403);
      expect(commit.json.error.code).toBe('EVQ_ERR_FORBIDDEN_ORIGIN');
      const sameSite = await send(b.url, 'GET', '/topics', { ...image, 'sec-fetch-site': 'same-site' });
      expect(sameSite.status).toBe(403);
      const link = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', ...auth(token) };
      expect((await send(b.url, 'GET', '/topics', link)).status).toBe(200);
      expect((await send(b.url, 'GET', '/topics/t/groups/g/messages?autocommit=true', link)).status).toBe(403);
      expect((await send(b.url, 'GET', '/topics/t/groups/g', auth(token))).status).toBe(404); // never committed
      expect((await send(b.url, 'GET', '/topics', { 'sec-fetch-site': 'same-origin', ...auth(token) })).status).toBe(200);
      // a POST without Origin: cross-site is refused (a navigation too: it changes something), none (typed by the user) is not
      for (const mode of ['no-cors', 'navigate']) {
        const post = await send(
          b.url,
          'POST',
          '/topics/t/messages',
          { ...json, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': mode },
          '"evil"',
        );
        expect(post.status, mode).toBe(403);
        expect(post.json.error.code).toBe('EVQ_ERR_FORBIDDEN_ORIGIN');
      }
      const typed = await send(
        b.url,
        'POST',
        '/topics/t/messages',
        { ...json, 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' },
        '"y"',
      );
      expect(typed.status).toBe(201);
      expect(await countOf(b, 't', token)).toBe(2);
    });

    it('takes only the documented content types on the routes that change something (415 otherwise, nothing appended)', async () => {
      const b = await start();
      const own = `http://127.0.0.1:${b.port}`;
      const cases: [string, string, Record<string, string>, number][] = [
        // [path, body, headers, status]
        ['/topics/t/messages', 'x', { 'content-type': 'text/plain' }, 415],
        ['/topics/t/messages', 'x', { 'content-type': 'text/plain;charset=UTF-8', origin: own }, 415],
        ['/topics/t/messages', 'x=1', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
        ['/topics/t/messages', '--b\r\n\r\nx\r\n--b--', { 'content-type': 'multipart/form-data; boundary=b' }, 415],
        ['/topics/t/messages', 'x', { origin: own }, 415],
        ['/produce/t', 'x=1', { 'content-type': 'application/x-www-form-urlencoded', origin: own }, 415],
        ['/produce/t', 'x', { 'content-type': 'text/plain' }, 415],
        ['/topics/t/batch', '{"value":"x"}', { 'content-type': 'application/json' }, 415],
        ['/topics/t/batch', '{"value":"x"}', { 'content-type': 'text/plain' }, 415],
        ['/topics/t/groups/g/commit', '{"offset":0}', { 'content-type': 'text/plain' }, 415],
        // accepted
        ['/topics/t/messages', 'a', { 'content-type': 'application/octet-stream' }, 201],
        ['/topics/t/messages', '{"n":1}', { 'content-type': 'application/json; charset=utf-8', origin: own }, 201],
        ['/topics/t/messages', 'b', {}, 201],
        ['/produce/t', 'c', { 'content-type': 'application/x-www-form-urlencoded' }, 201],
        ['/produce/t', 'd', { 'content-type': 'Application/Octet-Stream', origin: own }, 201],
        ['/topics/t/batch', '{"value":"e"}\n{"value":"f"}', { 'content-type': 'application/x-ndjson', origin: own }, 201],
        ['/topics/t/batch', '{"value":"g"}', {}, 201],
      ];
      for (const [path, body, headers, status] of cases) {
        const reply = await send(b.url, 'POST', path, { ...auth(token), ...headers }, body);
        expect(reply.status, `${path} ${JSON.stringify(headers)}`).toBe(status);
        if (status === 415) {
          expect(reply.json.error.code).toBe('EVQ_ERR_UNSUPPORTED_MEDIA_TYPE');
          expect(reply.json.error.message).toMatch(/send Content-Type application\//);
        }
      }
      expect(await countOf(b, 't', token)).toBe(8);
      const commit = await send(
        b.url,
        'POST',
        '/topics/t/groups/g/commit',
        { 'content-type': 'application/json', ...auth(token) },
        '{"offset":2}',
      );
      expect(commit.status).toBe(200);
    });

    if (token !== undefined) {
      it('a page that holds the token is refused all the same; its own origin still needs the token', async () => {
        const b = await start();
        const evil = await send(b.url, 'POST', '/topics/t/messages', { origin: EVIL, ...json }, 'x');
        expect(evil.status).toBe(403);
        const ws = await wsAttempt(`ws://127.0.0.1:${b.port}/subscribe/t?token=${token}`, EVIL);
        expect(ws.status).toBe(403);
        const own = `http://127.0.0.1:${b.port}`;
        const noToken = await send(b.url, 'POST', '/topics/t/messages', { origin: own, 'content-type': 'application/json' }, 'x');
        expect(noToken.status).toBe(401);
        expect(await countOf(b, 't', token)).toBe(0);
      });
    }
  });
}

describe('bound to every interface (0.0.0.0, with its token)', () => {
  it("answers to the machine's addresses and host name, and to nothing else", async () => {
    const b = (broker = await startTestBroker({ memory: true, host: '0.0.0.0', token: 't0k' }));
    const addresses = Object.values(networkInterfaces())
      .flatMap((list) => list ?? [])
      .filter((info) => info.family === 'IPv4')
      .map((info) => info.address);
    for (const host of [...addresses, 'localhost', hostname()]) {
      const reply = await send(`http://127.0.0.1:${b.port}`, 'GET', '/topics', { host: `${host}:${b.port}`, ...auth('t0k') });
      expect(reply.status, host).toBe(200);
    }
    const evil = await send(`http://127.0.0.1:${b.port}`, 'GET', '/topics', { host: `evil.example:${b.port}`, ...auth('t0k') });
    expect(evil.status).toBe(421);
  });
});

describe('evq serve --allow-host / --allow-origin', () => {
  async function parse(args: string[]): Promise<{ err: unknown; errOut: string }> {
    const program = buildProgram();
    let errOut = '';
    const capture = (cmd: typeof program): void => {
      cmd.configureOutput({ writeOut: () => undefined, writeErr: (s) => void (errOut += s) });
      cmd.commands.forEach(capture);
    };
    capture(program);
    try {
      await program.parseAsync(['node', 'evq', ...args]);
      return { err: undefined, errOut };
    } catch (err) {
      return { err, errOut };
    }
  }

  it.each([
    ['--allow-origin', 'evil.example'],
    ['--allow-origin', 'ftp://evil.example'],
    ['--allow-origin', 'http://evil.example/path'],
    ['--allow-origin', 'http://user:pw@evil.example'],
    ['--allow-origin', '*'],
    ['--allow-host', 'http://evq.internal'],
    ['--allow-host', 'evq.internal:8080'],
    ['--allow-host', 'evq.internal/x'],
  ])('%s %s is a usage error (exit 2) that says what to give', async (flag, value) => {
    const { err, errOut } = await parse(['serve', flag, value]);
    expect(err).toBeInstanceOf(CommanderError);
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut).toMatch(new RegExp(`invalid ${flag}`));
  });

  it('normalizes what it accepts', () => {
    expect(parseAllowedOrigin('https://Console.Example:443/')).toBe('https://console.example');
    expect(parseAllowedOrigin('http://localhost:5173')).toBe('http://localhost:5173');
    expect(parseAllowedHost('EVQ.Internal')).toBe('evq.internal');
    expect(parseAllowedHost('::1')).toBe('[::1]');
  });

  it('shows both flags in --help with examples', async () => {
    const program = buildProgram();
    const serve = program.commands.find((c) => c.name() === 'serve');
    let out = '';
    serve?.configureOutput({ writeOut: (s) => void (out += s) });
    serve?.outputHelp();
    expect(out).toMatch(/--allow-host <name>/);
    expect(out).toMatch(/--allow-origin <url>/);
    expect(out).toMatch(/\$ evq serve --allow-host evq\.internal --allow-origin https:\/\/evq\.internal/);
  });
});
