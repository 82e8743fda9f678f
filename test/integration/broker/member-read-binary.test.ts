/**
 * The binary body of a member read (`Accept: application/vnd.evq.batches`) against the NDJSON one of the same
 * read: a real broker on port 0, a 3-partition topic, records with and without keys and headers, UTF-8 and
 * binary values, and a filter that leaves gaps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MEDIA_TYPES } from '../../../src/protocol/http.js';
import type { GroupMembership } from '../../../src/protocol/http.js';
import { decodeMemberBatches } from '../../../src/protocol/member-batches.js';
import type { EvqRecord } from '../../../src/protocol/record.js';
import { parseRecordLines } from '../../../src/protocol/wire-record.js';
import { jsonOf, startTestBroker, type TestBroker } from '../../helpers/broker.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

const json = { 'content-type': 'application/json' };

async function produce(url: string, topic: string, partition: number, lines: object[]): Promise<void> {
  const res = await fetch(`${url}/topics/${topic}/batch?partition=${partition}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: lines.map((l) => JSON.stringify(l)).join('\n'),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

interface Read {
  contentType: string | null;
  generation: string | null;
  next: string | null;
  records: EvqRecord[];
}

async function read(url: string, group: string, member: string, accept: string | null, query = ''): Promise<Read> {
  const res = await fetch(`${url}/groups/${group}/members/${encodeURIComponent(member)}/messages${query}`, {
    headers: accept === null ? {} : { accept },
  });
  expect(res.status).toBe(200);
  const body = Buffer.from(await res.arrayBuffer());
  const contentType = res.headers.get('content-type');
  const binary = contentType === MEDIA_TYPES.batches;
  return {
    contentType,
    generation: res.headers.get('evq-generation'),
    next: res.headers.get('evq-next-offsets'),
    records: binary ? decodeMemberBatches(body) : parseRecordLines(body, 'events'),
  };
}

/** The records as plain data, by partition then offset (the first partition read turns from one read to the next). */
function plain(records: readonly EvqRecord[]): unknown[] {
  return [...records]
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset)
    .map((r) => ({ ...r, headers: r.headers === null ? null : { ...r.headers }, value: r.value.toString('hex') }));
}

describe('the binary body of a member read', () => {
  it('holds the same records, partitions, offsets, keys, headers and values as the NDJSON answer, with the same headers', async () => {
    broker = await startTestBroker();
    const url = broker.url;
    expect((await fetch(`${url}/topics/events`, { method: 'PUT', headers: json, body: JSON.stringify({ partitions: 3 }) })).status).toBe(
      201,
    );
    await produce(url, 'events', 0, [
      { value: 'plain' },
      { value: 'ünïcødé ✓ 😀', key: 'clé', headers: { type: 'a', 'x-é': 'välue', empty: '' } },
      { valueBase64: Buffer.from([0, 255, 128, 1]).toString('base64'), key: '', headers: {} },
    ]);
    await produce(url, 'events', 2, [
      { value: 'two-a', headers: { type: 'b' } },
      { value: 'two-b', headers: { type: 'a' } },
      { value: 'two-c', headers: { type: 'a' } },
    ]);
    const join = await fetch(`${url}/groups/g/members`, { method: 'POST', headers: json, body: JSON.stringify({ topics: ['events'] }) });
    const member = ((await jsonOf(join)) as GroupMembership).memberId;

    const ndjson = await read(url, 'g', member, null);
    const binary = await read(url, 'g', member, MEDIA_TYPES.batches);
    expect(ndjson.contentType).toMatch(/^application\/x-ndjson/);
    expect(binary.contentType).toBe(MEDIA_TYPES.batches);
    expect(binary.records).toHaveLength(6);
    expect(plain(binary.records)).toEqual(plain(ndjson.records));
    expect(binary.generation).toBe(ndjson.generation);
    expect(binary.next).toBe(ndjson.next);
    expect(new Set(binary.records.map((r) => r.partition))).toEqual(new Set([0, 2]));
    expect(binary.records.find((r) => r.key === '')?.value).toEqual(Buffer.from([0, 255, 128, 1]));

    // a filter leaves a gap in partition 2 (offsets 1 and 2, not 0), and a limit stops the page early
    const filter = `?filter=${encodeURIComponent("headers.type == 'a'")}`;
    const filteredNd = await read(url, 'g', member, null, filter);
    const filteredBin = await read(url, 'g', member, `${MEDIA_TYPES.batches}, ${MEDIA_TYPES.ndjson};q=0.5`, filter);
    expect(filteredBin.contentType).toBe(MEDIA_TYPES.batches);
    expect(plain(filteredBin.records)).toEqual(plain(filteredNd.records));
    expect(filteredBin.records.map((r) => `${r.partition}/${r.offset}`).sort()).toEqual(['0/1', '2/1', '2/2']);
    expect(filteredBin.next).toBe(filteredNd.next);
    const limited = await read(url, 'g', member, MEDIA_TYPES.batches, '?limit=2');
    expect(limited.records).toHaveLength(2);
    const all = plain(ndjson.records);
    for (const r of plain(limited.records)) expect(all).toContainEqual(r);

    // committed offsets inside the stored batches: the binary answer cuts them at the committed offset
    const commit = await fetch(`${url}/groups/g/members/${encodeURIComponent(member)}/commit`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        generation: Number(binary.generation),
        offsets: [
          { topic: 'events', partition: 0, offset: 1 },
          { topic: 'events', partition: 2, offset: 2 },
        ],
      }),
    });
    expect(commit.status, await commit.clone().text()).toBe(200);
    const afterBin = await read(url, 'g', member, MEDIA_TYPES.batches);
    expect(afterBin.records.map((r) => `${r.partition}/${r.offset}`).sort()).toEqual(['0/1', '0/2', '2/2']);
    expect(plain(afterBin.records)).toEqual(plain((await read(url, 'g', member, null)).records));
    const cut = await read(url, 'g', member, MEDIA_TYPES.batches, '?limit=1');
    expect(cut.records).toHaveLength(1);
    expect(all).toContainEqual(plain(cut.records)[0]);

    // an Accept of something else is NDJSON, as curl gets it
    expect((await read(url, 'g', member, 'application/json')).contentType).toMatch(/^application\/x-ndjson/);
  });

  it('is an empty body for an empty page, with the same headers', async () => {
    broker = await startTestBroker();
    const url = broker.url;
    expect((await fetch(`${url}/topics/empty`, { method: 'PUT', headers: json, body: JSON.stringify({ partitions: 2 }) })).status).toBe(
      201,
    );
    const join = await fetch(`${url}/groups/g/members`, { method: 'POST', headers: json, body: JSON.stringify({ topics: ['empty'] }) });
    const member = ((await jsonOf(join)) as GroupMembership).memberId;
    const res = await fetch(`${url}/groups/g/members/${encodeURIComponent(member)}/messages`, { headers: { accept: MEDIA_TYPES.batches } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(MEDIA_TYPES.batches);
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    expect(JSON.parse(res.headers.get('evq-next-offsets') ?? 'null')).toEqual({ empty: { '0': 0, '1': 0 } });
  });
});
