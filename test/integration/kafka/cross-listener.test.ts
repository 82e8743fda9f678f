/**
 * One set of records behind both doors: what `evq produce` and the HTTP API write, kcat reads with its keys,
 * headers, partitions and offsets; what kcat writes, `evq consume --format json` prints with its partition,
 * offset, key, headers and value (a value that is not UTF-8 as valueBase64). A Kafka record with the header
 * `evq-delay` waits in the delay queue, as evq's own delayed messages do, and appears when it falls due.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../../src/core/partitioner.js';
import { createTopic, readAll, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { bootstrap, hasKcat, killKcat, runKcat } from '../../helpers/kcat.js';
import { killCli, lines, runCli } from '../../helpers/spawn-cli.js';
import { expectQuietFor, waitFor } from '../../helpers/wait.js';

let broker: TestBroker;
let kafka: string;

beforeAll(async () => {
  broker = await startTestBroker({ memory: true, kafkaPort: 0 });
  kafka = bootstrap(broker.kafkaUrl);
});
afterAll(async () => {
  await broker?.close();
});
afterEach(async () => {
  await killKcat();
  await killCli();
});

async function endOffset(topic: string): Promise<number> {
  return ((await (await fetch(`${broker.url}/topics/${topic}`)).json()) as { endOffset: number }).endOffset;
}

/** kcat's reading of a topic from the beginning: partition, offset, key, headers, value per record. */
async function kcatRead(topic: string): Promise<string[]> {
  const res = await runKcat(kafka, ['-C', '-t', topic, '-e', '-q', '-o', 'beginning', '-f', '%p\t%o\t%k\t%h\t%s\n']);
  expect(res.err).toBe('');
  expect(res.code).toBe(0);
  return lines(res.out).sort();
}

describe.skipIf(!hasKcat)('across the HTTP and Kafka listeners', () => {
  it('evq produce and the HTTP batch API → kcat -C: keys, headers, partitions and offsets preserved', async () => {
    const topic = 'evq-to-kcat';
    await createTopic(broker.url, topic, 3);
    const cli = await runCli(['produce', topic, '--key', 'clé-1', '--header', 'source=cli', '--header', 'ü=ö', 'one', 'two'], {
      url: broker.url,
    });
    expect(cli.code).toBe(0);
    expect(cli.err).toMatch(/produced 2 messages/);
    const batch = ['alice', 'bob', 'carol', 'dave'].map((key, i) => JSON.stringify({ key, value: `v${i} ✓`, headers: { n: String(i) } }));
    const res = await fetch(`${broker.url}/topics/${topic}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: batch.join('\n'),
    });
    expect(res.status).toBe(201);

    // what evq itself reads, partition by partition, is what kcat must print
    const expected: string[] = [];
    for (let p = 0; p < 3; p++) {
      for (const r of (await readAll(broker.url, topic, `?partition=${p}`)).records) {
        const headers = Object.entries(r.headers ?? {})
          .map(([k, v]) => `${k}=${v as string}`)
          .join(',');
        expected.push(`${r.partition}\t${r.offset}\t${r.key}\t${headers}\t${r.value}`);
      }
    }
    expect(expected.length).toBe(6);
    expect(await kcatRead(topic)).toEqual(expected.sort());
    // and the keys are where Kafka's partitioner puts them
    for (const key of ['clé-1', 'alice', 'bob', 'carol', 'dave']) {
      expect(expected.some((l) => l.startsWith(`${partitionForKey(key, 3)}\t`) && l.split('\t')[2] === key)).toBe(true);
    }
  });

  it('kcat -P → evq consume --format json: partition, offset, key, headers and value as kcat produced them', async () => {
    const topic = 'kcat-to-evq';
    await createTopic(broker.url, topic, 3);
    const input = Buffer.concat([
      Buffer.from('k1:first ✓\nk2:second\nk3:third\nk1:fourth\n', 'utf8'),
      Buffer.from('k2:'),
      Buffer.from([0xff, 0x00, 0xfe]),
      Buffer.from('\n'),
    ]);
    const produced = await runKcat(kafka, ['-P', '-t', topic, '-K:', '-H', 'trace=t-1', '-H', 'ünï=çødé'], { stdin: input });
    expect(produced.code).toBe(0);
    const kcatSays = lines((await runKcat(kafka, ['-C', '-t', topic, '-e', '-q', '-o', 'beginning', '-f', '%p\t%o\t%k\n'])).out).sort();

    const consumed = await runCli(['consume', topic, '--format', 'json'], { url: broker.url });
    expect(consumed.code).toBe(0);
    const records = lines(consumed.out).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.length).toBe(5);
    expect(records.map((r) => `${r.partition as number}\t${r.offset as number}\t${r.key as string}`).sort()).toEqual(kcatSays);
    for (const r of records) expect(r.headers).toEqual({ trace: 't-1', ünï: 'çødé' });
    const byValue = records.map((r) => [r.key, r.value ?? `base64:${r.valueBase64 as string}`]).sort();
    expect(byValue).toEqual(
      [
        ['k1', 'first ✓'],
        ['k1', 'fourth'],
        ['k2', 'base64:' + Buffer.from([0xff, 0x00, 0xfe]).toString('base64')],
        ['k2', 'second'],
        ['k3', 'third'],
      ].sort(),
    );
    // per key, in produced order
    const k1 = records.filter((r) => r.key === 'k1');
    expect(k1.map((r) => r.value)).toEqual(['first ✓', 'fourth']);
  });

  it('kcat -P -H evq-delay=2s: the record is not there at once, and is there after the delay', async () => {
    const topic = 'kcat-delayed';
    await createTopic(broker.url, topic, 1);
    const before = Date.now();
    const produced = await runKcat(kafka, ['-P', '-t', topic, '-K:', '-H', 'evq-delay=2s'], { stdin: 'later:hello from the past\n' });
    expect(produced.code).toBe(0);
    // acknowledged (kcat exited 0 after its delivery report), yet not readable before the delay is over
    await expectQuietFor(
      Math.max(0, before + 1500 - Date.now()),
      'the delayed record to stay out of the log',
      async () => (await endOffset(topic)) > 0,
    );
    await waitFor(async () => (await endOffset(topic)) === 1, {
      what: 'the delayed record to be appended',
      timeoutMs: 10_000,
      everyMs: 50,
    });
    expect(Date.now() - before).toBeGreaterThanOrEqual(2000);
    const { records } = await readAll(broker.url, topic);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ key: 'later', value: 'hello from the past' });
    const viaKcat = await runKcat(kafka, ['-C', '-t', topic, '-e', '-q', '-o', 'beginning', '-f', '%k:%s\n']);
    expect(viaKcat.out).toBe('later:hello from the past\n');
  });
});
