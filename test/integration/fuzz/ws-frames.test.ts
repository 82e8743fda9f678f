// Random and mutated binary produce frames (src/protocol/ws-frames.ts) and random JSON control messages
// against a running broker: every frame gets one reply (an ack or an error) or the connection a close code,
// nothing is appended but what was acknowledged (no delay generated
// comes due during the test, so the count is exact), and the connection and the broker keep serving.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { encodeBatch } from '../../../src/protocol/batch-encode.js';
import { encodeProduceFrame } from '../../../src/protocol/ws-frames.js';
import { postBatch, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { topicValues } from '../abuse/honest-client.js';
import { FuzzSocket, appendedBy, fuzzSettings, fuzzTimeout, totalEnd } from './fuzz-kit.js';

const SETTINGS = fuzzSettings(150);
/** Control messages take longer a case (subscriptions start and end): fewer in CI. */
const CONTROL_SETTINGS = fuzzSettings(100);

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ fsync: 'never' });
  await postBatch(broker.url, 'fz', ['{"amount": 5}', 'plain']);
});
afterAll(async () => {
  await broker.close();
});

interface FrameSpec {
  req: number;
  topic: string;
  gzip: boolean;
  dueAt: number;
  idempotencyKey: string | null;
  values: string[];
  key: string | null;
}

const frameSpec: fc.Arbitrary<FrameSpec> = fc.record({
  req: fc.nat({ max: 0xffffffff }),
  topic: fc.constantFrom('fz', 'fz2', 'a.b-c_d'),
  gzip: fc.boolean(),
  // now, the past (appended at once) or far away: no delayed message comes due during the test
  dueAt: fc.constantFrom(0, 0, 0, 1, 1e15),
  idempotencyKey: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
  values: fc.array(fc.string({ maxLength: 24 }), { minLength: 1, maxLength: 4 }),
  key: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
});

function encodeFrame(spec: FrameSpec): Buffer {
  const batch = encodeBatch(
    0,
    spec.values.map((value) => ({ value, key: spec.key, headers: null, timestamp: 0 })),
  );
  return encodeProduceFrame(spec, spec.gzip ? gzipSync(batch) : batch);
}

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'u16'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'append'; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  // huge and wrong lengths and counts: the topic and key lengths are u16s, the batch header's fields u32s
  fc.record({ kind: fc.constant('u16' as const), at: fc.constantFrom(5, 7, 9, 20, 30), value: fc.constantFrom(0, 1, 0x7fff, 0xffff) }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 2, 1000, 1001, 0x7fffffff, 0xffffffff) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
);

function mutate(frame: Buffer, mutations: Mutation[]): Buffer {
  let buf = Buffer.from(frame);
  for (const m of mutations) {
    if (buf.length === 0) break;
    switch (m.kind) {
      case 'flip':
        buf[m.at % buf.length] = m.byte;
        break;
      case 'truncate':
        buf = buf.subarray(0, m.at % buf.length);
        break;
      case 'u16':
        if (m.at + 2 <= buf.length) buf.writeUInt16BE(m.value, m.at);
        break;
      case 'u32': {
        const at = m.at % buf.length;
        if (at + 4 <= buf.length) buf.writeUInt32BE(m.value, at);
        break;
      }
      case 'insert': {
        const at = m.at % buf.length;
        buf = Buffer.concat([buf.subarray(0, at), m.bytes, buf.subarray(at)]);
        break;
      }
      case 'append':
        buf = Buffer.concat([buf, m.bytes]);
        break;
    }
  }
  return buf;
}

const binaryFrame: fc.Arbitrary<Buffer> = fc.oneof(
  {
    arbitrary: fc.tuple(frameSpec, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([spec, ms]) => mutate(encodeFrame(spec), ms)),
    weight: 6,
  },
  { arbitrary: fc.uint8Array({ maxLength: 128 }).map((b) => Buffer.from(b)), weight: 2 },
  // a gzip frame whose batch is not gzip, or gzip of junk
  {
    arbitrary: fc
      .tuple(frameSpec, fc.uint8Array({ maxLength: 64 }))
      .map(([spec, junk]) =>
        encodeProduceFrame({ ...spec, gzip: true }, Buffer.from(spec.values.length % 2 === 0 ? gzipSync(junk) : junk)),
      ),
    weight: 1,
  },
  { arbitrary: frameSpec.map(encodeFrame), weight: 1 },
);

const honestFrame = (req: number): Buffer =>
  encodeFrame({ req, topic: 'honest', gzip: false, dueAt: 0, idempotencyKey: null, values: [`h${req}`], key: null });

describe('fuzzing the WebSocket protocol', () => {
  it(
    'answers every random or mutated binary produce frame with an ack or an error, and appends only what it acknowledged',
    async () => {
      let honestSent = 0;
      const tally = { frames: 0, acks: 0, errors: 0, closes: 0 };
      await fc.assert(
        fc.asyncProperty(fc.array(binaryFrame, { minLength: 1, maxLength: 8 }), async (frames) => {
          const before = await totalEnd(broker.url);
          const socket = await FuzzSocket.open(broker.url);
          for (const frame of frames) socket.ws.send(frame, { binary: true });
          await socket.replied(frames.length);
          tally.frames += frames.length;
          tally.acks += socket.replies.filter((r) => r.op === 'ack').length;
          tally.errors += socket.replies.filter((r) => r.op === 'error').length;
          if (socket.closeCode !== null) tally.closes++;
          // a protocol violation may close the connection, always with a close code that says so
          if (socket.closeCode !== null) expect([1002, 1003, 1007, 1008, 1009]).toContain(socket.closeCode);
          else {
            expect(socket.replies).toHaveLength(frames.length);
            for (const reply of socket.replies) expect(['ack', 'error']).toContain(reply.op);
            for (const reply of socket.replies.filter((r) => r.op === 'error'))
              expect(reply.code).toMatch(/^EVQ_ERR_(MALFORMED|INVALID_|MESSAGE_TOO_LARGE|BATCH_TOO_LARGE|LIMIT_EXCEEDED|INVALID_ARGUMENT)/);
            // and the same connection still works for an honest frame
            const req = 0x7ffffff0 - honestSent++;
            socket.ws.send(honestFrame(req), { binary: true });
            await socket.replied(frames.length + 1);
            expect(socket.replies[frames.length]).toMatchObject({ op: 'ack', req });
          }
          const acked = socket.replies.reduce((sum: number, r) => sum + appendedBy(r), 0);
          await socket.close();
          expect(await totalEnd(broker.url)).toBe(before + acked);
        }),
        SETTINGS,
      );
      console.log(
        `WS frame fuzz: ${SETTINGS.numRuns} connections, ${tally.frames} frames: ${tally.acks} acked, ${tally.errors} errors, ${tally.closes} connections closed`,
      );
      // every honest frame acknowledged is in the log (read page by page: long runs send more than one read holds)
      expect((await topicValues(broker.url, 'honest', honestSent + 1)).length).toBe(honestSent);
    },
    fuzzTimeout(SETTINGS.numRuns, 150),
  );

  it(
    'answers every random JSON control message (subscribe with random filters and positions, produce, unknown ops) and keeps serving',
    async () => {
      const filterish = fc.oneof(
        fc.string({ maxLength: 40 }),
        fc
          .array(
            fc.constantFrom(
              'value',
              '.',
              'amount',
              '>',
              '<',
              '==',
              '100',
              '"x"',
              '&&',
              '||',
              'not',
              '(',
              ')',
              '[',
              ']',
              'in',
              'contains',
              'like',
              '"a*"',
              'startsWith',
              'headers',
              'key',
              '__proto__',
              'constructor',
              ',',
              ' ',
            ),
            { maxLength: 20 },
          )
          .map((t) => t.join(' ')),
        fc.constant('('.repeat(200) + 'offset > 1' + ')'.repeat(200)),
        fc.constant('value.a '.repeat(300)),
      );
      const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(null, -1, 1.5, 2 ** 53, '', 'latest', 'earliest', '-5', []));
      // mostly well-formed messages with one odd part, so that the broker's handlers (not only its first
      // check) meet the random values
      const subId = fc.oneof({ arbitrary: fc.nat({ max: 1000 }), weight: 4 }, { arbitrary: anyJson, weight: 1 });
      const from = fc.oneof(
        { arbitrary: fc.constantFrom('earliest', 'latest', 0, 1, 40, 1e9, undefined), weight: 3 },
        { arbitrary: anyJson, weight: 1 },
      );
      const topic = fc.oneof(
        { arbitrary: fc.constantFrom('fz', 'fz', 'fz2'), weight: 3 },
        { arbitrary: fc.oneof(fc.constantFrom('', '..', 'a/b', 'x'.repeat(300)), fc.string({ maxLength: 10 })), weight: 1 },
      );
      const message = fc.oneof(
        { arbitrary: fc.record({ value: fc.string({ maxLength: 20 }) }), weight: 3 },
        {
          arbitrary: fc.record(
            {
              value: anyJson,
              key: anyJson,
              headers: fc.oneof(anyJson, fc.dictionary(fc.string({ maxLength: 6 }), anyJson, { maxKeys: 3 })),
            },
            { requiredKeys: [] },
          ),
          weight: 1,
        },
      );
      const control = fc.oneof(
        {
          arbitrary: fc.record(
            { op: fc.constant('subscribe'), sub: subId, topic, from, filter: fc.oneof(fc.constant(undefined), filterish, anyJson) },
            { requiredKeys: ['op', 'sub', 'topic'] },
          ),
          weight: 4,
        },
        { arbitrary: fc.record({ op: fc.constant('unsubscribe'), sub: subId }, { requiredKeys: ['op'] }), weight: 1 },
        {
          arbitrary: fc.record(
            {
              op: fc.constant('produce'),
              req: fc.oneof({ arbitrary: fc.nat(), weight: 4 }, { arbitrary: anyJson, weight: 1 }),
              topic,
              messages: fc.oneof(
                { arbitrary: fc.array(message, { minLength: 1, maxLength: 3 }), weight: 4 },
                { arbitrary: anyJson, weight: 1 },
              ),
              // delays none of which comes due during the test: invalid, in the past, or an hour or more away
              delayMs: fc.constantFrom(undefined, undefined, undefined, -1, 0, 3_600_000, 2 ** 53, 'x', null, [], 1e308),
              dueAt: fc.constantFrom(undefined, undefined, undefined, undefined, 1, -5, 1e15, 2 ** 53, 'x', null, {}, Number.MAX_VALUE),
              idempotencyKey: fc.oneof(fc.constantFrom('k1', 'k2', ''), anyJson),
            },
            { requiredKeys: ['op', 'req', 'topic', 'messages'] },
          ),
          weight: 3,
        },
        { arbitrary: fc.record({ op: anyJson }), weight: 1 },
        { arbitrary: anyJson, weight: 1 },
      );
      const ops = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(fc.array(control, { minLength: 1, maxLength: 6 }), fc.boolean(), async (messages, binary) => {
          const before = await totalEnd(broker.url);
          const socket = await FuzzSocket.open(broker.url, binary);
          for (const message of messages) socket.ws.send(JSON.stringify(message));
          // one reply per message (a subscription also sends its records, which are not replies)
          const replies = (): any[] => socket.replies.filter((r) => r.op !== undefined && r.op !== 'closed');
          await socket.until(
            () => replies().length >= messages.length || socket.closeCode !== null,
            `a reply to each of ${messages.length} messages`,
          );
          expect(socket.closeCode).toBe(null);
          expect(replies().length).toBe(messages.length);
          for (const reply of replies()) expect(['ack', 'error', 'subscribed', 'unsubscribed']).toContain(reply.op);
          for (const reply of replies())
            ops.set(
              reply.op === 'error' ? `error ${reply.code}` : reply.op,
              (ops.get(reply.op === 'error' ? `error ${reply.code}` : reply.op) ?? 0) + 1,
            );
          for (const reply of replies().filter((r) => r.op === 'error')) expect(reply.code).not.toMatch(/INTERNAL|STORAGE|CORRUPT/);
          const acked = replies().reduce((sum: number, r) => sum + appendedBy(r), 0);
          // the connection still takes an honest subscription
          socket.ws.send(JSON.stringify({ op: 'subscribe', sub: 0x7ffffffe, topic: 'fz', from: 'earliest' }));
          const n = replies().length;
          await socket.until(() => replies().length > n, 'the reply to an honest subscribe');
          expect(replies()[n]).toMatchObject({ op: 'subscribed', sub: 0x7ffffffe });
          await socket.close();
          expect(await totalEnd(broker.url)).toBe(before + acked);
        }),
        CONTROL_SETTINGS,
      );
      console.log(`WS control fuzz: ${CONTROL_SETTINGS.numRuns} connections, replies ${JSON.stringify(Object.fromEntries(ops))}`);
      expect(broker.stats().subscriptions).toBe(0);
    },
    fuzzTimeout(CONTROL_SETTINGS.numRuns, 150),
  );
});
