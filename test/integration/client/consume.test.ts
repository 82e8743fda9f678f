import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../../src/client/connect.js';
import { TopicGoneError } from '../../../src/client/errors.js';
import type { ConsumeOptions, EvqClient, EvqRecord } from '../../../src/client/types.js';
import { getJson, postBatch, startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait.js';

let broker: TestBroker | undefined;
let client: EvqClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await broker?.close();
  broker = undefined;
});

async function setup(): Promise<{ broker: TestBroker; client: EvqClient }> {
  broker = await startTestBroker({ fsync: 'never' });
  client = await connect(broker.url);
  return { broker, client };
}

async function all(client: EvqClient, topic: string, options: ConsumeOptions = {}): Promise<EvqRecord[]> {
  const records: EvqRecord[] = [];
  for await (const record of client.consume(topic, options)) records.push(record);
  return records;
}

const values = (records: EvqRecord[]): string[] => records.map((r) => r.value.toString());
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('consume', () => {
  it('reads from earliest by default, page after page, and ends at the end of the log', async () => {
    const { client } = await setup();
    await client.produce(
      'c',
      range(0, 2500).map((i) => ({ value: `m${i}`, key: `k${i % 3}`, headers: { i: String(i) } })),
    );
    const records = await all(client, 'c', { pageSize: 700 });
    expect(records.map((r) => r.offset)).toEqual(range(0, 2500));
    expect(values(records)).toEqual(range(0, 2500).map((i) => `m${i}`));
    expect(records[4]).toMatchObject({ topic: 'c', key: 'k1', headers: { i: '4' } });
    expect(typeof records[4]!.timestamp).toBe('number');
  });

  it('keeps binary values', async () => {
    const { client } = await setup();
    await client.produce('bin', [{ value: Buffer.from([0xff, 0x00, 0xfe]) }]);
    const [record] = await all(client, 'bin');
    expect(record!.value.equals(Buffer.from([0xff, 0x00, 0xfe]))).toBe(true);
  });

  it('takes limit, from (offset, latest, { last: N }) and a filter', async () => {
    const { broker, client } = await setup();
    await postBatch(
      broker.url,
      'q',
      range(0, 300).map((n) => JSON.stringify({ n })),
    );
    expect((await all(client, 'q', { limit: 5 })).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
    expect((await all(client, 'q', { from: 295 })).map((r) => r.offset)).toEqual([295, 296, 297, 298, 299]);
    expect(await all(client, 'q', { from: 'latest' })).toEqual([]);
    expect((await all(client, 'q', { from: { last: 3 } })).map((r) => r.offset)).toEqual([297, 298, 299]);
    const filtered = await all(client, 'q', { filter: 'value.n >= 100 && value.n < 105', pageSize: 2 });
    expect(filtered.map((r) => r.offset)).toEqual([100, 101, 102, 103, 104]);
    expect(await all(client, 'q', { limit: 0 })).toEqual([]);
  });

  it('a topic that does not exist fails at once with EVQ_ERR_NOT_FOUND; allowMissing waits for it', async () => {
    const { broker, client } = await setup();
    for (const options of [{}, { group: 'g' }, { follow: true }]) {
      const err = await all(client, 'nothing-here', options).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TopicGoneError);
      expect(err).toMatchObject({ code: 'EVQ_ERR_NOT_FOUND', deleted: false, message: 'topic "nothing-here" does not exist' });
    }
    const told: string[] = [];
    const waiting = all(client, 'soon-here', { allowMissing: true, follow: true, limit: 1, onWaiting: (topic) => told.push(topic) });
    // the topic is created only once the read has found it missing
    const ended = waiting.then((records) => {
      if (told.length === 0) throw new Error(`the read ended without waiting, with ${records.length} records`);
    });
    await Promise.race([waitFor(() => told.length > 0, { what: 'the read to wait for the missing topic' }), ended]);
    await postBatch(broker.url, 'soon-here', ['first']);
    expect((await waiting).map((r) => r.value.toString())).toEqual(['first']);
    expect(told).toEqual(['soon-here']); // told once
    const present: string[] = [];
    expect(values(await all(client, 'soon-here', { allowMissing: true, onWaiting: (topic) => present.push(topic) }))).toEqual(['first']);
    expect(present).toEqual([]); // a topic that is there: no wait
  });

  it('a read whose topic went back (a --memory broker restarted between two pages) stops and says why, skipping nothing silently', async () => {
    broker = await startTestBroker({ memory: true });
    const port = broker.port;
    await postBatch(broker.url, 'volatile', ['a', 'b', 'c', 'd']);
    client = await connect(broker.url);
    const read = client.consume('volatile', { pageSize: 2 })[Symbol.asyncIterator]();
    expect([(await read.next()).value?.offset, (await read.next()).value?.offset]).toEqual([0, 1]); // the first page
    await broker.close();
    // the same address, nothing kept: its new topic of the same name is shorter than what the read saw
    broker = await startTestBroker({ memory: true, port });
    await postBatch(broker.url, 'volatile', ['new-0']);
    await expect(read.next()).rejects.toMatchObject({
      code: 'EVQ_ERR_NOT_FOUND',
      message:
        'topic "volatile" went back from end offset 4 to 1 (the topic was deleted, or the broker lost its unsynced tail): the read stops there, its records from then on were not read',
    });
  });

  it('with a group, a second run resumes where the first stopped; from only places a new group', async () => {
    const { broker, client } = await setup();
    await postBatch(
      broker.url,
      'g',
      range(0, 100).map((i) => `m${i}`),
    );
    expect((await all(client, 'g', { group: 'billing', limit: 30 })).map((r) => r.offset)).toEqual(range(0, 30));
    expect(await getJson(`${broker.url}/topics/g/groups/billing`)).toMatchObject({ committed: 30 });
    // the second run: no limit, ends at the end of the log
    expect((await all(client, 'g', { group: 'billing', pageSize: 25 })).map((r) => r.offset)).toEqual(range(30, 100));
    expect(await all(client, 'g', { group: 'billing', from: 'earliest' })).toEqual([]); // the committed offset wins
    await postBatch(broker.url, 'g', ['m100']);
    expect(values(await all(client, 'g', { group: 'billing' }))).toEqual(['m100']);
    // a new group is placed by from
    expect((await all(client, 'g', { group: 'audit', from: { last: 3 } })).map((r) => r.offset)).toEqual([98, 99, 100]);
    expect(await getJson(`${broker.url}/topics/g/groups/audit`)).toMatchObject({ committed: 101 });
  });

  it('with a group, a page is committed only once all of it was taken: at least once, never skipped', async () => {
    const { broker, client } = await setup();
    await postBatch(
      broker.url,
      'al',
      range(0, 10).map((i) => `m${i}`),
    );
    // a consumer that takes 3 records of a 5-record page and then dies (its iterator is never closed) and is
    // forgotten by the broker, as it is after the session timeout of a killed member
    const dying = client.consume('al', { group: 'g', pageSize: 5 })[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) await dying.next();
    const [member] = (await getJson(`${broker.url}/groups/g`)).members as Array<{ memberId: string }>;
    expect((await fetch(`${broker.url}/groups/g/members/${member?.memberId ?? ''}`, { method: 'DELETE' })).status).toBe(204);
    // nothing of that page was committed: the next consumer sees it again
    const resumed: number[] = [];
    const it = client.consume('al', { group: 'g', pageSize: 5 })[Symbol.asyncIterator]();
    for (let i = 0; i < 7; i++) resumed.push(((await it.next()).value as EvqRecord).offset);
    expect(resumed).toEqual(range(0, 7));
    // the first page was taken whole when record 5 was asked for: committed; a caller that stops (return)
    // has its taken records committed too
    await it.return?.(undefined);
    expect(await getJson(`${broker.url}/topics/al/groups/g`)).toMatchObject({ committed: 7 });
    expect((await all(client, 'al', { group: 'g' })).map((r) => r.offset)).toEqual(range(7, 10));
  });

  it('with commit: false, a group is read but its offset does not move', async () => {
    const { broker, client } = await setup();
    await postBatch(
      broker.url,
      'nc',
      range(0, 50).map((i) => `m${i}`),
    );
    expect((await all(client, 'nc', { group: 'peek', commit: false, pageSize: 20 })).length).toBe(50);
    expect((await fetch(`${broker.url}/topics/nc/groups/peek`)).status).toBe(404);
    expect((await all(client, 'nc', { group: 'peek', limit: 10 })).length).toBe(10);
    expect((await all(client, 'nc', { group: 'peek', commit: false })).map((r) => r.offset)).toEqual(range(10, 50));
    expect(await getJson(`${broker.url}/topics/nc/groups/peek`)).toMatchObject({ committed: 10 });
  });

  it('with follow, waits for new records (long poll) until aborted', async () => {
    const { broker, client } = await setup();
    await client.produce('live', [{ value: 'before' }]);
    const controller = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const record of client.consume('live', { follow: true, signal: controller.signal, waitMs: 5000 })) {
        seen.push(record.value.toString());
        if (seen.length === 3) controller.abort();
      }
    })();
    // past the record there was, the consumer's next read waits on the broker for more
    await waitFor(() => seen.length === 1 && broker.stats().longPolls === 1, {
      what: "the first record, then the consumer's read held in a long poll",
    });
    await client.produce('live', [{ value: 'after1' }]);
    await client.produce('live', [{ value: 'after2' }]);
    await reading; // ends cleanly on abort
    expect(seen).toEqual(['before', 'after1', 'after2']);
  });

  it('refuses bad options at once, as usage errors', async () => {
    const { client } = await setup();
    expect(() => client.consume('bad topic')).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_TOPIC' }));
    expect(() => client.consume('t', { group: 'no/slash' })).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_ARGUMENT' }));
    expect(() => client.consume('t', { limit: -1 })).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_ARGUMENT' }));
    expect(() => client.consume('t', { from: 1.5 })).toThrow(expect.objectContaining({ code: 'EVQ_ERR_INVALID_OFFSET' }));
    await expect(all(client, 't', { filter: 'value >' })).rejects.toMatchObject({ code: 'EVQ_ERR_INVALID_FILTER' });
  });
});
