// Random HTTP requests sent as raw bytes (methods, paths, query parameters, headers, bodies that no HTTP
// client library would send) and random filters against a running broker: every request is answered with
// a 2xx or a 4xx (never a 5xx, never silence), nothing is appended but what was acknowledged, and an honest
// client is served after.
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postBatch, postMessage, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { rawRequest } from '../abuse/raw-http.js';
import { fuzzSettings, fuzzTimeout, totalEnd } from './fuzz-kit.js';

const SETTINGS = fuzzSettings(300);

let broker: TestBroker;
let port: number;
beforeAll(async () => {
  broker = await startTestBroker({ fsync: 'never' });
  port = broker.port;
  const values = Array.from({ length: 50 }, (_, i) =>
    i % 5 === 4
      ? `plain text ${i}`
      : JSON.stringify({
          amount: i * 10,
          type: i % 2 === 0 ? 'deposit' : 'withdrawal',
          tags: ['red', `t${i}`],
          name: `ev${i}`,
          path: `orders/${i}`,
          nested: { a: { b: i } },
        }),
  );
  await postBatch(broker.url, 'fz', values, {});
  await postMessage(broker.url, 'fz', 'with headers', { 'evq-key': 'k1', 'evq-header-type': 'deposit' });
});
afterAll(async () => {
  await broker.close();
});

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
const segment = fc.oneof(
  fc.constantFrom(
    'topics',
    'messages',
    'batch',
    'groups',
    'g1',
    'commit',
    'produce',
    'consume',
    'healthz',
    'metrics',
    'subscribe',
    'ws',
    'fz',
    'fz2',
  ),
  fc.constantFrom('..', '.', '%', '%zz', '%2F', '%00', '%C0%AF', '__proto__', 'constructor', 'prototype', 'x'.repeat(300), '%E2%82', '~'),
  fc.stringMatching(/^[A-Za-z0-9._~%:@!$&'()*+,;=-]{0,16}$/),
);
const queryValue = fc.oneof(
  fc.constantFrom(
    '0',
    '1',
    '-1',
    'earliest',
    'latest',
    '1e3',
    '99999999999999999999',
    'NaN',
    '',
    '%',
    '%zz',
    '10001',
    '0x10',
    '5ms',
    'abc',
    '2026-01-01T00:00:00Z',
  ),
  fc.stringMatching(/^[A-Za-z0-9._~%+-]{0,12}$/),
);
// Delays are in the past (appended at once), an hour or more away, or invalid: none comes due during the
// test, so what is appended is exactly what was acknowledged with 201.
const delayValue = fc.constantFrom('1h', '24h', '720h', '9999h', 'x', '-1', '-5ms', '', '1e3', '99999999999999999999', '%zz');
const atValue = fc.constantFrom('2000-01-01T00:00:00Z', '0', '1', '2999-01-01T00:00:00Z', '99999999999999', 'x', '', '-1', 'NaN');
// `wait` only with values that end at once: a long poll of up to a minute is a feature, not a fault
const query = fc.array(
  fc.oneof(
    fc.tuple(fc.constantFrom('from', 'offset', 'limit', 'filter', 'format', 'token', 'x', 'count'), queryValue),
    fc.tuple(fc.constant('delay'), delayValue),
    fc.tuple(fc.constant('at'), atValue),
    fc.tuple(fc.constant('wait'), fc.constantFrom('0', '1ms', 'x', '-5', '')),
  ),
  { maxLength: 4 },
);
const headerLine = fc.oneof(
  fc.tuple(fc.constant('evq-delay'), delayValue),
  fc.tuple(fc.constant('evq-at'), atValue),
  fc.tuple(
    fc.constantFrom(
      'evq-key',
      'evq-header-type',
      'evq-header-__proto__',
      'evq-header-',
      'evq-idempotency-key',
      'authorization',
      'content-encoding',
      'content-type',
      'expect',
      'accept-encoding',
      'upgrade',
      'connection',
    ),
    fc.oneof(
      queryValue,
      fc.constantFrom('gzip', 'deflate', 'identity', 'Bearer x', '100-continue', 'close', 'keep-alive', 'websocket', 'application/json'),
    ),
  ),
  fc.tuple(token, fc.stringMatching(/^[ -~]{0,40}$/)),
);
const bodyBytes = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc
    .array(
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
        fc.constantFrom(
          '{"value":"ok"}',
          '{"value":1}',
          '{"value":"a","key":null,"headers":{"t":"x"}}',
          '{"value":"a","headers":{"__proto__":"x"}}',
          '',
          '{',
        ),
      ),
      { maxLength: 5 },
    )
    .map((lines) => Buffer.from(lines.join('\n'))),
  fc
    .array(fc.constantFrom('{"value":"ok"}', '{"value":"b","key":"k"}'), { minLength: 1, maxLength: 5 })
    .map((lines) => gzipSync(lines.join('\n'))),
  fc
    .array(fc.constantFrom('{"value":"ok"}', '{"value":"b","key":"k"}', '{"value":"c","headers":{"t":"x"}}'), {
      minLength: 1,
      maxLength: 5,
    })
    .map((lines) => Buffer.from(lines.join('\n'))),
);
const framing = fc.constantFrom('length', 'length', 'length', 'chunked', 'chunked-bad', 'short-length', 'none');

interface Spec {
  method: string;
  path: string[];
  query: [string, string][];
  headers: [string, string][];
  body: Buffer;
  framing: string;
}
const chaotic: fc.Arbitrary<Spec> = fc.record({
  method: fc.oneof(fc.constantFrom('GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT', 'PATCH', 'OPTIONS', 'TRACE'), token),
  path: fc.array(segment, { maxLength: 6 }),
  query,
  headers: fc.array(headerLine, { maxLength: 6 }),
  body: bodyBytes,
  framing,
});
// requests shaped like the broker's routes, with random parts: they get past the HTTP parser to the handlers
const topicName = fc.oneof(
  fc.constantFrom('fz', 'fz2', 'fz2', 'a.b-c_d', '..', '%2e%2e', 'x'.repeat(250), '%00', ''),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,10}$/),
);
const routes: [string, (t: string, g: string) => string[]][] = [
  ['POST', (t) => ['topics', t, 'messages']],
  ['POST', (t) => ['topics', t, 'batch']],
  ['POST', (t) => ['produce', t]],
  ['GET', (t) => ['topics', t, 'messages']],
  ['GET', (t) => ['consume', t]],
  ['GET', (t) => ['topics', t]],
  ['GET', () => ['topics']],
  ['GET', (t, g) => ['topics', t, 'groups', g, 'messages']],
  ['GET', (t, g) => ['topics', t, 'groups', g]],
  ['POST', (t, g) => ['topics', t, 'groups', g, 'commit']],
  ['GET', () => ['groups']],
  ['GET', () => ['metrics']],
  ['GET', () => ['healthz']],
];
const evqHeader = fc.oneof(
  fc.tuple(fc.constant('evq-delay'), delayValue),
  fc.tuple(fc.constant('evq-at'), atValue),
  fc.tuple(
    fc.constantFrom(
      'evq-key',
      'evq-header-type',
      'evq-header-a',
      'evq-header-__proto__',
      'evq-header-',
      'evq-idempotency-key',
      'content-encoding',
      'content-type',
    ),
    fc.oneof(queryValue, fc.constantFrom('gzip', 'identity', 'deflate', '-1', '99999999999999999999', 'application/x-ndjson')),
  ),
);
const commitBody = fc
  .oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ offset: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 4 })) }))
  .map((v) => Buffer.from(JSON.stringify(v) ?? ''));
const shaped: fc.Arbitrary<Spec> = fc
  .record({
    route: fc.nat({ max: routes.length - 1 }),
    topic: topicName,
    group: fc.oneof(fc.constantFrom('g1', 'g2', '__proto__', ''), fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/)),
    query: fc.oneof(fc.constant([] as [string, string][]), query),
    headers: fc.oneof(fc.constant([] as [string, string][]), fc.array(evqHeader, { maxLength: 3 })),
    body: fc.oneof(bodyBytes, commitBody),
    framing: fc.constantFrom('length', 'length', 'length', 'length', 'chunked', 'short-length'),
  })
  .map(({ route, topic, group, query: q, headers, body, framing: f }) => {
    const [method, path] = routes[route] as [string, (t: string, g: string) => string[]];
    return { method, path: path(topic, group), query: q, headers, body, framing: f };
  });
const request: fc.Arbitrary<Spec> = fc.oneof({ arbitrary: shaped, weight: 3 }, { arbitrary: chaotic, weight: 1 });

function render(spec: Spec): Buffer {
  const search = spec.query.length === 0 ? '' : `?${spec.query.map(([k, v]) => `${k}=${v}`).join('&')}`;
  let head = `${spec.method} /${spec.path.join('/')}${search} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
  for (const [name, value] of spec.headers) head += `${name}: ${value}\r\n`;
  let body = spec.body;
  switch (spec.framing) {
    case 'length':
      head += `Content-Length: ${body.length}\r\n`;
      break;
    case 'short-length':
      // the rest of the body is read as the next request: garbage
      head += `Content-Length: ${Math.floor(body.length / 2)}\r\n`;
      break;
    case 'chunked':
      head += 'Transfer-Encoding: chunked\r\n';
      body = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from(body.length > 0 ? '\r\n0\r\n\r\n' : '\r\n')]);
      break;
    case 'chunked-bad':
      head += 'Transfer-Encoding: chunked\r\n';
      body = Buffer.concat([Buffer.from('zz\r\n'), body, Buffer.from('\r\n0\r\n\r\n')]);
      break;
    default:
      break;
  }
  return Buffer.concat([Buffer.from(`${head}Connection: close\r\n\r\n`, 'latin1'), body]);
}

/** The messages a produce reply says it appended now. */
function appendedByReply(text: string, status: number | null): number {
  if (status !== 201) return 0;
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  try {
    const json = JSON.parse(body) as { count?: number; duplicate?: boolean };
    return json.duplicate === true ? 0 : (json.count ?? 0);
  } catch {
    return 0;
  }
}

describe('fuzzing the HTTP side', () => {
  it(
    'answers every random request with a 2xx or a 4xx and appends only what it acknowledged with 201',
    async () => {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(request, async (spec) => {
          const before = await totalEnd(broker.url);
          const reply = await rawRequest(port, render(spec), 10_000);
          expect(reply.closedByBroker).toBe(true);
          expect(reply.status).not.toBe(null);
          expect(reply.status as number).toBeGreaterThanOrEqual(200);
          expect(reply.status as number).toBeLessThan(500);
          statuses.set(reply.status as number, (statuses.get(reply.status as number) ?? 0) + 1);
          // appended: exactly what the reply acknowledged (no delay generated here comes due during the test)
          expect(await totalEnd(broker.url)).toBe(before + appendedByReply(reply.text, reply.status));
        }),
        SETTINGS,
      );
      console.log(
        `HTTP fuzz: ${SETTINGS.numRuns} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
      );
      // an honest client is served after
      const posted = await postMessage(broker.url, 'honest', 'after the fuzz');
      expect(posted.status).toBe(201);
      expect((await readAll(broker.url, 'honest')).records.map((r) => r.value)).toEqual(['after the fuzz']);
    },
    fuzzTimeout(SETTINGS.numRuns, 100),
  );

  it(
    'answers every random filter with 200 and matching records or 400 EVQ_ERR_INVALID_FILTER, in bounded time (431 when the URL is too long)',
    async () => {
      const all = (await readAll(broker.url, 'fz', '?from=0&limit=10000')).records;
      const filter = fc.oneof(
        fc.string({ maxLength: 60 }),
        fc.string({ maxLength: 60, unit: 'binary' }),
        fc
          .array(
            fc.constantFrom(
              'value',
              'value.amount',
              'value.tags',
              'value.name',
              'value.path',
              'value.nested.a.b',
              'headers.type',
              'key',
              'offset',
              'timestamp',
              'topic',
              '>',
              '<',
              '>=',
              '==',
              '!=',
              '&&',
              '||',
              'not',
              '(',
              ')',
              '[',
              ']',
              ',',
              'in',
              'contains',
              'like',
              'startsWith',
              '100',
              '-1',
              '1e308',
              '"deposit"',
              '"orders/*"',
              '"ev"',
              '"red"',
              'true',
              'null',
              'value.__proto__',
              'value.constructor',
              'value.prototype',
              '"*********************a"',
            ),
            { maxLength: 24 },
          )
          .map((t) => t.join(' ')),
        fc.integer({ min: 1, max: 400 }).map((n) => `${'('.repeat(n)}offset > 1${')'.repeat(n)}`),
        fc.integer({ min: 1, max: 600 }).map((n) => Array.from({ length: n }, (_, i) => `offset != ${i}`).join(' && ')),
        fc.integer({ min: 1, max: 2000 }).map((n) => `value.path like "${'*a'.repeat(n)}"`),
      );
      const outcomes = { matched: 0, refused: 0, tooLong: 0, slowestMs: 0 };
      await fc.assert(
        fc.asyncProperty(filter, async (text) => {
          const started = performance.now();
          const res = await fetch(`${broker.url}/topics/fz/messages?from=0&limit=10000&filter=${encodeURIComponent(text)}`);
          const body = await res.text();
          const ms = performance.now() - started;
          outcomes.slowestMs = Math.max(outcomes.slowestMs, ms);
          expect(ms).toBeLessThan(5000);
          // a filter too long for the URL (16 KiB) is refused before it is read: 431
          expect([200, 400, 431]).toContain(res.status);
          if (res.status === 431) {
            outcomes.tooLong++;
            return;
          }
          if (res.status === 400) {
            outcomes.refused++;
            expect(JSON.parse(body).error.code).toMatch(/^EVQ_ERR_(INVALID_FILTER|MALFORMED|INVALID_ARGUMENT)$/);
            return;
          }
          // the records returned are records of the topic, in order, each as stored
          outcomes.matched++;
          const got = body
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l));
          const byOffset = new Map(all.map((r) => [r.offset, r]));
          for (const r of got) expect(r).toEqual(byOffset.get(r.offset));
          expect(got.map((r) => r.offset)).toEqual([...got.map((r) => r.offset)].sort((a, b) => a - b));
        }),
        SETTINGS,
      );
      console.log(
        `filter fuzz (HTTP): ${SETTINGS.numRuns} filters: ${outcomes.matched} ran, ${outcomes.refused} refused with 400, ${outcomes.tooLong} too long for the URL; slowest answer ${outcomes.slowestMs.toFixed(0)} ms`,
      );
    },
    fuzzTimeout(SETTINGS.numRuns, 100),
  );
});
