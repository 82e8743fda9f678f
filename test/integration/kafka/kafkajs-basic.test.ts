/**
 * kafkajs 2.2.4's producer against the Kafka listener, at acks -1, 1 and 0 (and gzip): keyed messages with headers and
 * their own timestamps land in the partition kafkajs's DefaultPartitioner (murmur2) picks, and read back
 * through evq's HTTP API and through kcat with key, headers, value and CreateTime as sent. A kafkajs
 * consumer needs a group (not this file's), so reading is evq's and kcat's. The admin's
 * fetchTopicOffsetsByTimestamp (ListOffsets by time) finds the first offset at or after a time.
 */
import { createRequire } from 'node:module';
import type { Admin, Kafka as KafkaClient, Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../../src/core/partitioner.js';
import { createTopic, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { bootstrap, hasKcat, killKcat, runKcat } from '../../helpers/kcat.js';
import { waitFor } from '../../helpers/wait.js';

const require = createRequire(import.meta.url);
const { CompressionTypes, Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

let broker: TestBroker;
let kafka: KafkaClient;
let producer: Producer;
let admin: Admin | null = null;

beforeAll(async () => {
  broker = await startTestBroker({ memory: true, kafkaPort: 0 });
  kafka = new Kafka({ clientId: 'evq-test', brokers: [bootstrap(broker.kafkaUrl)], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
});
afterAll(async () => {
  await producer?.disconnect();
  await broker?.close();
});
afterEach(async () => {
  await killKcat();
  await admin?.disconnect();
  admin = null;
});

async function endOffset(topic: string): Promise<number> {
  const info = (await (await fetch(`${broker.url}/topics/${topic}`)).json()) as { endOffset: number };
  return info.endOffset;
}

const T0 = 1_700_000_000_000;

/** Ten keyed messages, each with its own headers and timestamp. */
function messages(tag: string): { key: string; value: string; timestamp: string; headers: Record<string, string> }[] {
  return Array.from({ length: 10 }, (_, i) => ({
    key: `${tag}-key-${i % 4}`,
    value: `${tag} value ${i} — ✓ ünïcødé`,
    timestamp: String(T0 + i * 1000),
    headers: { 'trace-id': `${tag}-${i}`, 'content-type': 'text/plain; charset=utf-8', 'ü-name': 'ü-value' },
  }));
}

describe('kafkajs producer against the Kafka listener', () => {
  for (const acks of [-1, 1, 0] as const) {
    it(`acks ${acks}: keyed messages with headers land in murmur2's partition with key, headers, value and CreateTime`, async () => {
      const topic = `kafkajs-acks-${acks === -1 ? 'all' : acks}`;
      await createTopic(broker.url, topic, 3);
      const sent = messages(`a${acks}`);
      const answer = await producer.send({ topic, acks, messages: sent });
      if (acks !== 0) {
        expect(answer.every((r) => r.errorCode === 0)).toBe(true);
        expect(answer.map((r) => r.partition).sort()).toEqual([...new Set(sent.map((m) => partitionForKey(m.key, 3)))].sort());
      }
      // acks 0 is answered by nothing: the records are there once the broker has appended them
      await waitFor(async () => (await endOffset(topic)) === sent.length, { what: `${sent.length} records in ${topic}` });
      const got = [];
      for (let p = 0; p < 3; p++) got.push(...(await readAll(broker.url, topic, `?partition=${p}`)).records);
      expect(got.length).toBe(sent.length);
      for (const m of sent) {
        const r = got.find((x) => x.value === m.value);
        expect(r, m.value).toBeDefined();
        expect(r.partition).toBe(partitionForKey(m.key, 3));
        expect(r.key).toBe(m.key);
        expect(r.headers).toEqual(m.headers);
        expect(r.timestamp).toBe(Number(m.timestamp));
      }
      // per partition, in the order sent
      for (let p = 0; p < 3; p++) {
        const expected = sent.filter((m) => partitionForKey(m.key, 3) === p).map((m) => m.value);
        expect(got.filter((r) => r.partition === p).map((r) => r.value)).toEqual(expected);
      }
    });
  }

  it.skipIf(!hasKcat)('kcat reads what kafkajs sent: key, headers byte for byte, value, CreateTime', async () => {
    const topic = 'kafkajs-to-kcat';
    const sent = messages('kc');
    await producer.send({ topic, acks: -1, messages: sent });
    const res = await runKcat(bootstrap(broker.kafkaUrl), ['-C', '-t', topic, '-e', '-q', '-o', 'beginning', '-f', '%k\t%s\t%T\t%h\n']);
    expect(res.code).toBe(0);
    // kcat prints the bytes of every header as they are: compare with the UTF-8 bytes kafkajs sent
    const expected = sent.map(
      (m) =>
        `${m.key}\t${m.value}\t${m.timestamp}\t${Object.entries(m.headers)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}\n`,
    );
    expect(res.stdout.equals(Buffer.from(expected.join(''), 'utf8'))).toBe(true);
  });

  it('gzip batches (kafkajs compresses them itself) are read back as sent', async () => {
    const topic = 'kafkajs-gzip';
    const sent = Array.from({ length: 500 }, (_, i) => ({
      key: 'gz',
      value: `${'compressible '.repeat(10)}${i}`,
      headers: { i: String(i) },
    }));
    await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: sent });
    const { records } = await readAll(broker.url, topic, '?limit=1000');
    expect(records.map((r) => [r.key, r.value, r.headers])).toEqual(sent.map((m) => [m.key, m.value, m.headers]));
  });

  it('a message sent to a topic that does not exist creates it (Metadata allows auto-creation), one partition', async () => {
    await producer.send({ topic: 'kafkajs-auto-created', acks: -1, messages: [{ key: 'k', value: 'v' }] });
    const { records } = await readAll(broker.url, 'kafkajs-auto-created');
    expect(records.map((r) => [r.partition, r.offset, r.key, r.value])).toEqual([[0, 0, 'k', 'v']]);
  });

  it('admin.fetchTopicOffsetsByTimestamp gives, per partition, the first offset stamped at or after the time', async () => {
    const topic = 'kafkajs-by-time';
    await createTopic(broker.url, topic, 2);
    const sent = Array.from({ length: 20 }, (_, i) => ({ key: `t${i % 2}`, value: `v${i}`, timestamp: String(T0 + i * 1000) }));
    await producer.send({ topic, acks: -1, messages: sent });
    admin = kafka.admin();
    await admin.connect();
    const at = T0 + 10_500;
    const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, at);
    for (let p = 0; p < 2; p++) {
      const inP = sent.filter((m) => partitionForKey(m.key, 2) === p);
      const first = inP.findIndex((m) => Number(m.timestamp) >= at);
      expect(offsets.find((o) => o.partition === p)?.offset).toBe(String(first === -1 ? inP.length : first));
    }
    // past every record: the end offset of each partition
    const late = await admin.fetchTopicOffsetsByTimestamp(topic, T0 + 100_000);
    for (let p = 0; p < 2; p++) {
      expect(late.find((o) => o.partition === p)?.offset).toBe(String(sent.filter((m) => partitionForKey(m.key, 2) === p).length));
    }
  });
});
