/**
 * kcat (librdkafka 2.0) against the broker's Kafka listener: `-L` lists the broker and the topics, 100,000
 * keyed lines produced with `-P -K:` come back with `-C -e` each exactly once, in the partition their key
 * hashes to and in produced order per key; `-o -10` gives a partition's last 10; `-o s@MS` starts at the
 * first record at or after a time; `-z gzip` and headers round-trip; a key that is not UTF-8 is refused.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../../src/core/partitioner.js';
import { createTopic, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { bootstrap, hasKcat, killKcat, runKcat } from '../../helpers/kcat.js';
import { waitFor } from '../../helpers/wait.js';

let broker: TestBroker;
let kafka: string;

beforeAll(async () => {
  broker = await startTestBroker({ memory: true, kafkaPort: 0 });
  kafka = bootstrap(broker.kafkaUrl);
});
afterAll(async () => {
  await broker?.close();
});
afterEach(killKcat);

/** Lines of text output, without the empty string after the last newline. */
function lines(text: string): string[] {
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
}

async function produce(topic: string, input: string, extra: string[] = []): Promise<void> {
  const res = await runKcat(kafka, ['-P', '-t', topic, '-K:', '-X', 'acks=all', ...extra], { stdin: input, timeoutMs: 30_000 });
  expect(res.err).not.toMatch(/ERROR/);
  expect(res.code).toBe(0);
}

async function consume(topic: string, args: string[]): Promise<string[]> {
  const res = await runKcat(kafka, ['-C', '-t', topic, '-e', '-q', ...args], { timeoutMs: 30_000 });
  expect(res.err).toBe('');
  expect(res.code).toBe(0);
  return lines(res.out);
}

describe.skipIf(!hasKcat)('kcat against the Kafka listener', () => {
  it('-L names the one broker as controller at its advertised address, and every topic with its partitions', async () => {
    await createTopic(broker.url, 'listed', 4);
    const res = await runKcat(kafka, ['-L']);
    expect(res.code).toBe(0);
    expect(res.out).toContain(`broker 1 at 127.0.0.1:${broker.kafkaPort} (controller)`);
    expect(res.out).toContain('topic "listed" with 4 partitions:');
    for (let p = 0; p < 4; p++) expect(res.out).toContain(`partition ${p}, leader 1, replicas: 1, isrs: 1`);
  });

  it('100,000 keyed lines come back each exactly once, in the partition murmur2 gives their key, in produced order per key', async () => {
    const topic = 'lines';
    await createTopic(broker.url, topic, 4);
    const produced: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const key = i % 7 === 0 ? `clé-${i % 101}-ü` : `k${(i * 7919) % 1009}`;
      produced.push(`${key}:value ${i} — naïve café ✓ ${'x'.repeat(i % 50)}`);
    }
    // librdkafka's default partitioner is consistent_random (CRC-32); murmur2_random is the Java client's, evq's
    await produce(topic, produced.join('\n') + '\n', ['-X', 'topic.partitioner=murmur2_random']);

    const got = await consume(topic, ['-o', 'beginning', '-f', '%p\t%k:%s\n']);
    expect(got.length).toBe(produced.length);
    const perKey = new Map<string, string[]>();
    for (const line of got) {
      const tab = line.indexOf('\t');
      const partition = Number(line.slice(0, tab));
      const record = line.slice(tab + 1);
      const key = record.slice(0, record.indexOf(':'));
      expect(partition).toBe(partitionForKey(key, 4));
      const list = perKey.get(key) ?? [];
      list.push(record);
      perKey.set(key, list);
    }
    const expected = new Map<string, string[]>();
    for (const record of produced) {
      const key = record.slice(0, record.indexOf(':'));
      const list = expected.get(key) ?? [];
      list.push(record);
      expected.set(key, list);
    }
    expect(perKey.size).toBe(expected.size);
    for (const [key, list] of expected) expect(perKey.get(key), key).toEqual(list);

    // `-o -10`: the last 10 of one partition, in order
    const partition0 = produced.filter((r) => partitionForKey(r.slice(0, r.indexOf(':')), 4) === 0);
    expect(await consume(topic, ['-p', '0', '-o', '-10', '-f', '%k:%s\n'])).toEqual(partition0.slice(-10));
  }, 60_000);

  it('-o s@MS starts each partition at the first record stamped at or after MS', async () => {
    const topic = 'by-time';
    await createTopic(broker.url, topic, 2);
    const wave = (n: number): string => Array.from({ length: 50 }, (_, i) => `key-${i % 5}:wave ${n} #${i}`).join('\n') + '\n';
    await produce(topic, wave(1));
    // a time after every record of the first wave and before every record of the second
    const between = Date.now() + 1;
    await waitFor(() => Date.now() > between, { what: 'the clock to pass the time between the waves' });
    await produce(topic, wave(2));
    const got = await consume(topic, ['-o', `s@${between}`, '-f', '%k:%s %T\n']);
    expect(got.length).toBe(50);
    for (const line of got) {
      expect(line).toMatch(/:wave 2 #/);
      expect(Number(line.split(' ').at(-1))).toBeGreaterThanOrEqual(between);
    }
  });

  it('-z gzip: what is produced comes back as it was', async () => {
    const topic = 'gzipped';
    const input = Array.from({ length: 2000 }, (_, i) => `g${i % 3}:compressible ${'abc'.repeat(20)} ${i}`);
    await produce(topic, input.join('\n') + '\n', ['-z', 'gzip']);
    expect(await consume(topic, ['-o', 'beginning', '-f', '%k:%s\n'])).toEqual(input);
  });

  it('headers given with -H come back byte for byte with %h', async () => {
    const topic = 'with-headers';
    await produce(topic, 'hk:one\nhk:two\n', ['-H', 'trace=abc-123', '-H', 'ünï=çødé', '-H', 'empty=']);
    expect(await consume(topic, ['-o', 'beginning', '-f', '%k:%s [%h]\n'])).toEqual([
      'hk:one [trace=abc-123,ünï=çødé,empty=]',
      'hk:two [trace=abc-123,ünï=çødé,empty=]',
    ]);
  });

  it('a record evq cannot keep as it came (a key that is not UTF-8) is refused as INVALID_RECORD and nothing is written', async () => {
    const topic = 'not-utf8';
    await createTopic(broker.url, topic, 1);
    const res = await runKcat(kafka, ['-P', '-t', topic, '-K:'], { stdin: Buffer.from([0xff, 0xfe, 0x3a, 0x76, 0x0a]) });
    expect(res.err).toContain('Delivery failed for message: Broker: Broker failed to validate record');
    expect(res.code).toBe(1);
    const info = (await (await fetch(`${broker.url}/topics/${topic}`)).json()) as { endOffset: number };
    expect(info.endOffset).toBe(0);
  });
});
