/**
 * A Fetch with nothing to return long-polls, and an append through either door ends the wait at once: a
 * raw Fetch of two partitions with max_wait_ms 20 s is answered as soon as the HTTP API appends to the
 * second, with that record; kcat -C following a topic prints a record produced over HTTP.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY } from '../../../src/protocol/kafka/api-keys.js';
import { KAFKA_ERROR } from '../../../src/protocol/kafka/error-codes.js';
import { readFetchResponse, writeFetchRequest } from '../../../src/protocol/kafka/fetch.js';
import { decodeRecordBatch, splitBatches } from '../../../src/protocol/kafka/record-batch.js';
import { createTopic, postMessage, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { bootstrap, hasKcat, killKcat, startKcat } from '../../helpers/kcat.js';
import { closePeers, connectPeer, requestFrame } from '../../helpers/kafka-peer.js';
import { expectQuietFor, waitFor } from '../../helpers/wait.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker({ memory: true, kafkaPort: 0 });
});
afterAll(async () => {
  await broker?.close();
});
afterEach(async () => {
  closePeers();
  await killKcat();
});

describe('Fetch long-polls until an append', () => {
  it('a Fetch of two empty partitions waiting 20 s is answered when the second gets a record over HTTP', async () => {
    const topic = 'wake-up';
    await createTopic(broker.url, topic, 2);
    const peer = await connectPeer(broker.kafkaPort as number);
    const partition = (p: number) => ({
      partition: p,
      currentLeaderEpoch: -1,
      fetchOffset: 0,
      logStartOffset: -1,
      partitionMaxBytes: 1 << 20,
    });
    const started = Date.now();
    const reply = peer.call(
      requestFrame(API_KEY.Fetch, 11, 1, (w) =>
        writeFetchRequest(w, 11, {
          replicaId: -1,
          maxWaitMs: 20_000,
          minBytes: 1,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic, partitions: [partition(0), partition(1)] }],
          forgottenTopics: [],
          rackId: '',
        }),
      ),
      1,
    );
    // with nothing to return, the broker waits: no answer
    await expectQuietFor(300, 'no answer to the Fetch', () => peer.frames.length > 0);
    const posting = Date.now();
    const posted = await postMessage(broker.url, topic, 'wake up', { 'evq-partition': '1', 'evq-key': 'k' });
    expect(posted.status).toBe(201);
    const r = await reply;
    // answered on the append, not at the end of the 20 s
    expect(Date.now() - posting).toBeLessThan(5_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    const answer = readFetchResponse(r, 11).responses[0]?.partitions ?? [];
    const one = answer.find((p) => p.partitionIndex === 1);
    expect(one).toMatchObject({ errorCode: KAFKA_ERROR.NONE, highWatermark: 1 });
    const records = one?.records ?? Buffer.alloc(0);
    const [[at, end]] = splitBatches(records) as [[number, number]];
    const batch = decodeRecordBatch(records, { maxRecords: 10, maxUncompressedBytes: 1 << 20 }, at, end);
    expect(batch.records.map((x) => [x.key?.toString(), x.value?.toString()])).toEqual([['k', 'wake up']]);
  });

  it.skipIf(!hasKcat)('kcat -C following a topic prints a record produced over HTTP', async () => {
    const topic = 'followed';
    await createTopic(broker.url, topic, 1);
    // -u: kcat's stdout is a pipe here, which stdio would buffer until exit
    const kcat = startKcat(bootstrap(broker.kafkaUrl), ['-C', '-u', '-t', topic, '-o', 'beginning', '-f', '%k:%s\n'], {
      timeoutMs: 20_000,
    });
    // kcat has reached the end of the empty partition (it says so on stderr) before the produce
    await kcat.waitForErr((err) => err.includes('Reached end of topic followed [0]'));
    expect((await postMessage(broker.url, topic, 'live', { 'evq-key': 'now' })).status).toBe(201);
    await waitFor(() => kcat.out() === 'now:live\n', { what: 'kcat to print the record', timeoutMs: 10_000 });
    kcat.kill('SIGTERM');
    await kcat.done;
  });
});
