/**
 * `consume` without a group over a topic of several partitions, against a real broker: every partition in a
 * fair round robin (each in offset order), one with `partition`, offsets refused without one, the last N of
 * each, and reads by time (`{time: MS}`) with records stamped at known times.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../../src/client/connect.js';
import type { ConsumeOptions, EvqClient, EvqRecord } from '../../../src/client/types.js';
import { EvqError } from '../../../src/errors.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait.js';

let broker: TestBroker | undefined;
let client: EvqClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await broker?.close();
  broker = undefined;
});

const T0 = Date.UTC(2026, 11, 1, 9);

/** A topic of 3 partitions: partition p holds `p-0` … `p-(n-1)`, record i stamped T0 + i minutes. */
async function setup(perPartition: number): Promise<{ broker: TestBroker; client: EvqClient }> {
  broker = await startTestBroker({ fsync: 'never' });
  client = await connect(broker.url);
  const put = await fetch(`${broker.url}/topics/p3`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ partitions: 3 }),
  });
  expect(put.status).toBe(201);
  for (let p = 0; p < 3; p++) {
    const body = Array.from({ length: perPartition }, (_, i) => JSON.stringify({ value: `${p}-${i}`, timestamp: T0 + i * 60_000 })).join(
      '\n',
    );
    const res = await fetch(`${broker.url}/topics/p3/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'evq-partition': String(p) },
      body,
    });
    expect(res.status).toBe(201);
  }
  return { broker, client };
}

async function all(c: EvqClient, options: ConsumeOptions = {}): Promise<EvqRecord[]> {
  const records: EvqRecord[] = [];
  for await (const record of c.consume('p3', options)) records.push(record);
  return records;
}

const ids = (records: EvqRecord[]): string[] => records.map((r) => `${r.partition}:${r.offset}`);

describe('consume over every partition (no group)', () => {
  it('reads every record once, each partition in order, one page of each in turn, and ends at the end of all', async () => {
    const { client } = await setup(5);
    const records = await all(client, { pageSize: 2 });
    expect(records).toHaveLength(15);
    expect(new Set(ids(records)).size).toBe(15);
    for (let p = 0; p < 3; p++) {
      expect(records.filter((r) => r.partition === p).map((r) => r.value.toString())).toEqual([0, 1, 2, 3, 4].map((i) => `${p}-${i}`));
    }
    // round robin of pages: the first six records are two of each partition, not all of partition 0
    expect(records.slice(0, 6).map((r) => r.partition)).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('limit stops across partitions; partition N reads only that one', async () => {
    const { client } = await setup(4);
    expect(await all(client, { limit: 5, pageSize: 3 })).toHaveLength(5);
    expect(ids(await all(client, { partition: 2 }))).toEqual(['2:0', '2:1', '2:2', '2:3']);
    expect(ids(await all(client, { partition: 1, from: 2 }))).toEqual(['1:2', '1:3']);
  });

  it('an offset without a partition is a usage error that says what to do', async () => {
    const { client } = await setup(2);
    const err = await all(client, { from: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvqError);
    expect((err as EvqError).code).toBe('EVQ_ERR_INVALID_ARGUMENT');
    expect((err as EvqError).exitCode).toBe(2);
    expect((err as EvqError).message).toMatch(/topic "p3" has 3 partitions: .*--partition N/);
  });

  it('the last N of each partition; latest reads nothing and ends', async () => {
    const { client } = await setup(5);
    expect(ids(await all(client, { from: { last: 2 } })).sort()).toEqual(['0:3', '0:4', '1:3', '1:4', '2:3', '2:4']);
    expect(await all(client, { from: 'latest' })).toEqual([]);
  });

  it('{time: MS}: from the first record stamped at or after it in each partition; past the end nothing', async () => {
    const { client } = await setup(5);
    const from3 = await all(client, { from: { time: T0 + 3 * 60_000 } });
    expect(ids(from3).sort()).toEqual(['0:3', '0:4', '1:3', '1:4', '2:3', '2:4']);
    const between = await all(client, { from: { time: T0 + 3 * 60_000 - 1 }, partition: 1 });
    expect(ids(between)).toEqual(['1:3', '1:4']);
    expect(await all(client, { from: { time: T0 + 3_600_000 } })).toEqual([]);
    expect(await all(client, { from: { time: 0 } })).toHaveLength(15);
  });

  it('with follow, a record produced to any partition later arrives (long polls on every partition)', async () => {
    const { broker, client } = await setup(1);
    const abort = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const r of client.consume('p3', { follow: true, waitMs: 5000, signal: abort.signal })) {
        seen.push(r.value.toString());
        if (seen.length === 4) abort.abort();
      }
    })();
    // the three first are there; the fourth goes to partition 2 while the reader waits
    await waitFor(() => seen.length >= 3, { what: 'the three first records' });
    const res = await fetch(`${broker.url}/topics/p3/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'evq-partition': '2' },
      body: 'late',
    });
    expect(res.status).toBe(201);
    const started = Date.now();
    await reading;
    expect(seen.sort()).toEqual(['0-0', '1-0', '2-0', 'late']);
    expect(Date.now() - started).toBeLessThan(4000); // not after the long poll of another partition ran out
  });

  it('with follow, a topic that grows goes on: partition 0 after what was read, the new partitions from their start', async () => {
    broker = await startTestBroker({ fsync: 'never' });
    client = await connect(broker.url);
    const url = broker.url;
    const post = async (body: string, partition?: number): Promise<void> => {
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (partition !== undefined) headers['evq-partition'] = String(partition);
      expect((await fetch(`${url}/topics/grows/messages`, { method: 'POST', headers, body })).status).toBe(201);
    };
    await post('a');
    const abort = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const r of client!.consume('grows', { follow: true, waitMs: 300, signal: abort.signal })) {
        seen.push(`${r.partition}:${r.value.toString()}`);
        if (seen.length === 4) abort.abort();
      }
    })();
    await waitFor(() => seen.length >= 1, { what: 'the first record' });
    const grow = await fetch(`${url}/topics/grows`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ partitions: 3 }),
    });
    expect(grow.status).toBe(200);
    await post('b', 0);
    await post('c', 1);
    await post('d', 2);
    await reading;
    expect(seen.sort()).toEqual(['0:a', '0:b', '1:c', '2:d']); // nothing twice, nothing lost
  });
});
