/**
 * Compression as librdkafka decides it, and the legacy message sets of Produce v0–2. librdkafka 2.0 (kcat
 * 1.7) compresses gzip and snappy only when the advertised Produce range holds v0, and otherwise sends every
 * batch uncompressed with "Broker does not support compression type": the listener advertises Produce 0–7,
 * so each codec really compresses. A client of Kafka 0.9 (kcat with `api.version.request=false` and
 * `broker.version.fallback=0.9.0`) sends Produce v1 with magic 0 message sets; kafkajs's Produce v2
 * encoder sends magic 1 ones with timestamps. Both are stored as evq records that every reader sees.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { COMPRESSION, compress } from '../../../src/protocol/kafka/compression.js';
import { KAFKA_ERROR } from '../../../src/protocol/kafka/error-codes.js';
import { encodeLegacySet, encodeLegacyWrapper } from '../../../src/protocol/kafka/message-set.js';
import { readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { RawClient } from '../../helpers/kafka-raw-client.js';
import { bootstrap, hasKcat, killKcat, runKcat } from '../../helpers/kcat.js';

let broker: TestBroker;
let kafka: string;
const clients: RawClient[] = [];

beforeAll(async () => {
  broker = await startTestBroker({ memory: true, kafkaPort: 0 });
  kafka = bootstrap(broker.kafkaUrl);
});
afterAll(async () => {
  await broker?.close();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await killKcat();
});

async function raw(): Promise<RawClient> {
  const client = await RawClient.open(broker.kafkaPort!);
  clients.push(client);
  return client;
}

async function stored(topic: string): Promise<{ key: string | null; value: string; timestamp: number }[]> {
  const { records } = await readAll(broker.url, topic, '?from=0&limit=1000');
  return records.map((r) => ({ key: r.key ?? null, value: r.value as string, timestamp: r.timestamp as number }));
}

const LINES = Array.from({ length: 50 }, (_, i) => `k${i % 3}:${'compressible '.repeat(10)}${i}`);

describe.skipIf(!hasKcat)('kcat -z CODEC really compresses (Produce v7, RecordBatch v2)', () => {
  it.each(['gzip', 'snappy', 'lz4', 'zstd'])('-z %s: librdkafka sends the batch compressed and it reads back', async (codec) => {
    const topic = `really-${codec}`;
    const res = await runKcat(kafka, ['-P', '-t', topic, '-K:', '-z', codec, '-d', 'msg'], { stdin: LINES.join('\n') + '\n' });
    expect(res.code).toBe(0);
    expect(res.err).not.toMatch(/not compressing batch/);
    expect(res.err).toMatch(new RegExp(`ApiVersion 7, MsgVersion 2, .*, ${codec}\\)`));
    expect((await stored(topic)).map((r) => `${r.key}:${r.value}`)).toEqual(LINES);
  });
});

describe.skipIf(!hasKcat)('kcat as a client of Kafka 0.9 (Produce v1, magic 0 message sets)', () => {
  it.each(['none', 'gzip', 'snappy'])(
    '-z %s: every line is stored with its key, stamped on arrival, and kcat reads it back',
    async (codec) => {
      const topic = `legacy-${codec}`;
      const before = Date.now();
      const res = await runKcat(
        kafka,
        ['-P', '-t', topic, '-K:', '-z', codec, '-d', 'msg', '-X', 'api.version.request=false', '-X', 'broker.version.fallback=0.9.0'],
        { stdin: LINES.join('\n') + '\n' },
      );
      expect(res.code).toBe(0);
      expect(res.err).toMatch(new RegExp(`ApiVersion 1, MsgVersion 0, .*, ${codec === 'none' ? 'uncompressed' : codec}\\)`));
      const records = await stored(topic);
      expect(records.map((r) => `${r.key}:${r.value}`)).toEqual(LINES);
      expect(records.every((r) => r.timestamp >= before && r.timestamp <= Date.now())).toBe(true);
      const back = await runKcat(kafka, ['-C', '-t', topic, '-e', '-q', '-f', '%k:%s\n']);
      expect(back.out).toBe(LINES.join('\n') + '\n');
    },
  );
});

describe('Produce v0–2 on the wire', () => {
  const T = Date.UTC(2026, 0, 1);
  const messages = [
    { key: Buffer.from('a'), value: Buffer.from('first'), timestamp: T },
    { key: null, value: Buffer.from('second'), timestamp: T + 7 },
  ];

  it('a magic 1 set in a gzip wrapper (Produce v2) keeps its producer timestamps; the answer has the base offset', async () => {
    const client = await raw();
    const set = encodeLegacyWrapper(1, COMPRESSION.gzip, compress(COMPRESSION.gzip, encodeLegacySet(1, messages)), 2, { timestamp: T + 7 });
    const first = await client.produce(client.produceRecordsFrame('legacy-v2', set, 2), 2);
    const second = await client.produce(client.produceRecordsFrame('legacy-v2', encodeLegacySet(1, messages), 2), 2);
    expect([first, second].map((p) => [p.errorCode, p.baseOffset, p.logAppendTimeMs])).toEqual([
      [KAFKA_ERROR.NONE, 0, -1],
      [KAFKA_ERROR.NONE, 2, -1],
    ]);
    expect(await stored('legacy-v2')).toEqual([
      { key: 'a', value: 'first', timestamp: T },
      { key: null, value: 'second', timestamp: T + 7 },
      { key: 'a', value: 'first', timestamp: T },
      { key: null, value: 'second', timestamp: T + 7 },
    ]);
  });

  it('a bad CRC-32 is CORRUPT_MESSAGE, and a message set under Produce v7 INVALID_RECORD: nothing is written', async () => {
    const client = await raw();
    const good = await client.produce(client.produceRecordsFrame('legacy-refused', encodeLegacySet(0, messages), 0), 0);
    expect(good.errorCode).toBe(KAFKA_ERROR.NONE);
    const corrupt = encodeLegacySet(0, messages);
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] as number) ^ 0xff;
    const answers = [
      await client.produce(client.produceRecordsFrame('legacy-refused', corrupt, 1), 1),
      await client.produce(client.produceRecordsFrame('legacy-refused', encodeLegacySet(1, messages), 7), 7),
    ];
    expect(answers.map((a) => [a.errorCode, a.baseOffset])).toEqual([
      [KAFKA_ERROR.CORRUPT_MESSAGE, -1],
      [KAFKA_ERROR.INVALID_RECORD, -1],
    ]);
    expect((await stored('legacy-refused')).map((r) => r.value)).toEqual(['first', 'second']);
  });
});
