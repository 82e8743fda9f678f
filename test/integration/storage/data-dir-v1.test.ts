/**
 * A data directory of on-disk format version 1, as evq 0.1 wrote it (test/fixtures/data-dir-v1/, made by
 * scripts/make-fixture-data-dir.js and checked in), opened by today's broker: every record, offset, group
 * offset and delayed message must come back exactly. The broker opens a copy; the fixture is never written.
 */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait.js';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { connect } from '../../../src/client/connect.js';
import type { EvqClient, EvqRecord } from '../../../src/client/types.js';
import { nodeFileIO } from '../../../src/broker/storage/file-io.js';
import { TopicLog } from '../../../src/broker/storage/topic-log.js';
import { decodeBatch, TRUSTED_CODEC_LIMITS } from '../../../src/protocol/record-codec.js';
import { getJson, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/data-dir-v1/', import.meta.url));
/** The broker's clock while the fixture was written (group commit and delay times follow it). */
const WRITTEN_AT = Date.UTC(2026, 0, 1);
const DUE_AT = WRITTEN_AT + 3_600_000;

interface Expected {
  offset: number;
  timestamp: number;
  key: string | null;
  headers: Record<string, string> | null;
  value: string | Buffer;
}

// the records as they were produced (the log stamped them with the wall clock of the run)
const ORDERS: Expected[] = [
  { offset: 0, timestamp: 1796179898601, key: 'alice', headers: null, value: 'order 0' },
  { offset: 1, timestamp: 1796179898601, key: 'bob', headers: { type: 'deposit', region: 'eu' }, value: 'order 1' },
  { offset: 2, timestamp: 1796179898601, key: null, headers: null, value: '{"amount":42,"currency":"EUR"}' },
  { offset: 3, timestamp: 1796179898601, key: 'binary', headers: null, value: Buffer.from([0x00, 0xff, 0xfe, 0x80]) },
  { offset: 4, timestamp: 1796179898613, key: 'carol', headers: { type: 'withdrawal' }, value: 'order 4' },
  { offset: 5, timestamp: 1796179898626, key: null, headers: null, value: '' },
  { offset: 6, timestamp: 1796179898626, key: null, headers: {}, value: 'ünïcödé ✓' },
  { offset: 7, timestamp: 1796179898626, key: 'long', headers: null, value: 'x'.repeat(300) },
  { offset: 8, timestamp: 1796179898626, key: 'long', headers: null, value: 'y'.repeat(300) },
  { offset: 9, timestamp: 1796179898626, key: 'long', headers: null, value: 'z'.repeat(300) },
  { offset: 10, timestamp: 1796179898642, key: null, headers: null, value: 'order 10' },
  { offset: 11, timestamp: 1796179898647, key: 'dave', headers: null, value: 'order 11' },
];
const AUDIT: Expected[] = [
  { offset: 0, timestamp: 1796179898666, key: 'k', headers: null, value: 'audit 0' },
  { offset: 1, timestamp: 1796179898666, key: null, headers: null, value: 'audit 1' },
];
const DELAYED = { key: 'later', headers: { kind: 'reminder', 'evq-produced-at': String(WRITTEN_AT) }, value: 'delayed audit' };

/** A record as an NDJSON read line gives it. */
function asWire(topic: string, r: Expected): Record<string, unknown> {
  const value = Buffer.isBuffer(r.value) ? { valueBase64: r.value.toString('base64') } : { value: r.value };
  return { topic, partition: 0, offset: r.offset, timestamp: r.timestamp, key: r.key, headers: r.headers, ...value };
}

/** A record as the client library gives it. */
function asRecord(topic: string, r: Expected): EvqRecord {
  return { topic, partition: 0, offset: r.offset, timestamp: r.timestamp, key: r.key, headers: r.headers, value: Buffer.from(r.value) };
}

/** A clock at a fixed time whose timers are real (the broker's own timers keep working). */
function clockAt(now: number): Clock {
  return { now: () => now, setTimer: (ms, fn) => systemClock.setTimer(ms, fn), clearTimer: (h) => systemClock.clearTimer(h) };
}

async function fingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else
        out[relative(dir, path)] = createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
    }
  };
  await walk(dir);
  return out;
}

let before: Record<string, string>;
let copy: string;
let broker: TestBroker | undefined;
let client: EvqClient | undefined;

beforeAll(async () => {
  before = await fingerprint(FIXTURE);
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  await broker?.close();
  broker = undefined;
  if (copy !== undefined) await rm(copy, { recursive: true, force: true });
});
afterAll(async () => {
  expect(await fingerprint(FIXTURE)).toEqual(before);
});

async function openCopy(now: number): Promise<TestBroker> {
  broker = await startTestBroker({ dataDir: copy, clock: clockAt(now) });
  return broker;
}

describe('a data directory of on-disk format v1', () => {
  beforeAll(() => {
    expect(Object.keys(before).sort()).toEqual([
      'delayed/gen-0/00000000000000000000.index',
      'delayed/gen-0/00000000000000000000.log',
      'groups.json',
      'topics/audit/00000000000000000000.index',
      'topics/audit/00000000000000000000.log',
      'topics/orders/00000000000000000000.index',
      'topics/orders/00000000000000000000.log',
      'topics/orders/00000000000000000005.index',
      'topics/orders/00000000000000000005.log',
      'topics/orders/00000000000000000010.index',
      'topics/orders/00000000000000000010.log',
    ]);
  });

  it('opens without repairs and lists both topics with their offsets', async () => {
    copy = await mkdtemp(join(tmpdir(), 'evq-v1-'));
    await cp(FIXTURE, copy, { recursive: true });
    const b = await openCopy(WRITTEN_AT + 1000);
    for (const report of b.recovery) {
      expect(report).toMatchObject({ truncations: [], corruptions: [], rebuiltIndexes: [], removedFiles: [] });
    }
    const { topics } = await getJson(`${b.url}/topics`);
    expect(topics.map((t: Record<string, unknown>) => [t.topic, t.startOffset, t.endOffset, t.messageCount])).toEqual([
      ['audit', 0, 2, 2],
      ['orders', 0, 12, 12],
    ]);
  });

  it('reads every record over HTTP (NDJSON), from the client library, and over a WebSocket subscription', async () => {
    copy = await mkdtemp(join(tmpdir(), 'evq-v1-'));
    await cp(FIXTURE, copy, { recursive: true });
    const b = await openCopy(WRITTEN_AT + 1000);
    const orders = await readAll(b.url, 'orders', '?from=earliest&limit=100');
    expect(orders.records).toEqual(ORDERS.map((r) => asWire('orders', r)));
    expect(orders.next).toBe(12);
    expect((await readAll(b.url, 'audit', '?from=earliest&limit=100')).records).toEqual(AUDIT.map((r) => asWire('audit', r)));
    // from the middle of a segment and of a batch
    expect((await readAll(b.url, 'orders', '?from=7&limit=2')).records).toEqual(ORDERS.slice(7, 9).map((r) => asWire('orders', r)));

    client = await connect(b.url);
    const consumed: EvqRecord[] = [];
    for await (const record of client.consume('orders', { from: 'earliest' })) consumed.push(record);
    expect(consumed).toEqual(ORDERS.map((r) => asRecord('orders', r)));

    // stored batches sent as they are on disk (binary deliver frames), from an offset inside the first batch
    const subscription = client.subscribe('orders', { from: 2 });
    const streamed: EvqRecord[] = [];
    for await (const record of subscription) {
      streamed.push({ ...record, value: Buffer.from(record.value) });
      if (streamed.length === ORDERS.length - 2) break;
    }
    expect(streamed).toEqual(ORDERS.slice(2).map((r) => asRecord('orders', r)));
  });

  it('keeps the group offset and the pending delayed message, and delivers it once it is due', async () => {
    copy = await mkdtemp(join(tmpdir(), 'evq-v1-'));
    await cp(FIXTURE, copy, { recursive: true });
    let b = await openCopy(WRITTEN_AT + 1000);
    expect(await getJson(`${b.url}/topics/orders/groups/billing`)).toEqual({
      topic: 'orders',
      group: 'billing',
      committed: 5,
      endOffset: 12,
      lag: 7,
      missed: 0,
      members: 0,
      updatedAt: WRITTEN_AT,
    });
    expect(b.stats().delayedPending).toBe(1);
    expect((await readAll(b.url, 'audit', '?from=earliest&limit=100')).records).toHaveLength(2);
    await b.close();

    const reopened = Date.now();
    b = await openCopy(DUE_AT + 1);
    await waitFor(async () => (await readAll(b.url, 'audit', '?from=earliest&limit=100')).records.length === 3, {
      timeoutMs: 10_000,
      what: 'the delayed message',
    });
    const [delivered] = (await readAll(b.url, 'audit', '?from=2')).records;
    expect(delivered).toMatchObject({ topic: 'audit', offset: 2, ...DELAYED });
    expect(delivered.timestamp).toBeGreaterThanOrEqual(reopened);
    expect(b.stats().delayedPending).toBe(0);
  });

  it('has the delayed message as one journal entry with its due time, topic and messages', async () => {
    copy = await mkdtemp(join(tmpdir(), 'evq-v1-'));
    await cp(FIXTURE, copy, { recursive: true });
    const journal = await TopicLog.open(nodeFileIO, join(copy, 'delayed', 'gen-0'), 'delayed');
    try {
      const entries = await journal.read(0);
      expect(entries).toHaveLength(1);
      const [entry] = entries as [EvqRecord];
      expect(entry).toMatchObject({ offset: 0, timestamp: WRITTEN_AT, key: null });
      expect({ ...entry.headers }).toEqual({
        'evq-delay-op': 'add',
        'evq-delay-id': 'mjuohs00-0-vuao6z',
        'evq-delay-topic': 'audit',
        'evq-delay-due': String(DUE_AT),
      });
      const messages = decodeBatch(entry.value, 'audit', TRUSTED_CODEC_LIMITS);
      expect(messages.map((m) => ({ timestamp: m.timestamp, key: m.key, headers: m.headers, value: m.value.toString() }))).toEqual([
        { timestamp: 0, ...DELAYED },
      ]);
    } finally {
      await journal.close();
    }
  });
});
