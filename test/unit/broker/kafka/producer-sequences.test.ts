/**
 * The idempotent producer's sequence checks per partition, as Kafka's broker makes them: retries of the
 * last five batches are duplicates answered with the first write's offset, gaps and replays of older
 * batches are OUT_OF_ORDER_SEQUENCE_NUMBER, older epochs INVALID_PRODUCER_EPOCH, an unknown producer must
 * start at 0; and the rebuild from a log's markers after a restart gives the same answers.
 */
import { describe, expect, it } from 'vitest';
import { MemoryTopicLog } from '../../../../src/broker/storage/memory-topic-log.js';
import { PartitionProducers, inSequence, lastSequence, type ProducerBatch } from '../../../../src/broker/kafka/producer-sequences.js';
import { ProducerState, parseProducerMarker, producerMarker } from '../../../../src/broker/kafka/producer-state.js';
import { KAFKA_PRODUCER_HEADER } from '../../../../src/protocol/kafka/record-translation.js';

const INT32_MAX = 2 ** 31 - 1;

function batch(firstSeq: number, count: number, epoch = 0, producerId = 7): ProducerBatch {
  return { producerId, epoch, firstSeq, lastSeq: lastSequence(firstSeq, count) };
}

/** Checks `b` and, when it is to be appended, remembers it at `baseOffset`: what the produce path does. */
function produce(state: PartitionProducers, b: ProducerBatch, baseOffset: number): ReturnType<PartitionProducers['check']> {
  const check = state.check(b);
  if (check.verdict === 'append') state.begin(b, Promise.resolve(baseOffset));
  return check;
}

describe('sequence arithmetic', () => {
  it('wraps from 2^31 - 1 to 0 as Kafka does', () => {
    expect(lastSequence(0, 1)).toBe(0);
    expect(lastSequence(10, 5)).toBe(14);
    expect(lastSequence(INT32_MAX, 1)).toBe(INT32_MAX);
    expect(lastSequence(INT32_MAX - 1, 3)).toBe(0);
    expect(inSequence(INT32_MAX, 0)).toBe(true);
    expect(inSequence(4, 5)).toBe(true);
    expect(inSequence(4, 6)).toBe(false);
    expect(inSequence(-1, 0)).toBe(true);
  });
});

describe('PartitionProducers', () => {
  it('answers a retry of each of the last five batches with its first offset, and a sixth-oldest as out of order', async () => {
    const state = new PartitionProducers(100);
    for (let i = 0; i < 6; i++) expect(produce(state, batch(i * 10, 10), 100 + i * 10).verdict).toBe('append');
    for (let i = 1; i < 6; i++) {
      const check = state.check(batch(i * 10, 10));
      expect(check.verdict).toBe('duplicate');
      if (check.verdict === 'duplicate') expect(await check.baseOffset).toBe(100 + i * 10);
    }
    expect(state.check(batch(0, 10))).toMatchObject({ verdict: 'refuse', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(state.check(batch(60, 10)).verdict).toBe('append');
  });

  it('refuses a gap, a batch that overlaps a remembered one, and sequence 0 again', () => {
    const state = new PartitionProducers(100);
    produce(state, batch(0, 5), 0);
    expect(state.check(batch(6, 1))).toMatchObject({ verdict: 'refuse', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(state.check(batch(0, 3))).toMatchObject({ verdict: 'refuse', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(state.check(batch(0, 1))).toMatchObject({ verdict: 'refuse', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(state.check(batch(5, 1)).verdict).toBe('append');
  });

  it('fences older epochs, and a newer epoch starts at 0', () => {
    const state = new PartitionProducers(100);
    produce(state, batch(0, 5, 1), 0);
    expect(state.check(batch(5, 1, 0))).toMatchObject({ verdict: 'refuse', error: 'INVALID_PRODUCER_EPOCH' });
    expect(state.check(batch(5, 1, 2))).toMatchObject({ verdict: 'refuse', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(produce(state, batch(0, 1, 2), 5).verdict).toBe('append');
    // the old epoch's batches are no longer duplicates
    expect(state.check(batch(0, 5, 1))).toMatchObject({ verdict: 'refuse', error: 'INVALID_PRODUCER_EPOCH' });
  });

  it('takes an unknown producer at sequence 0 only (UNKNOWN_PRODUCER_ID otherwise)', () => {
    const state = new PartitionProducers(100);
    expect(state.check(batch(3, 1))).toMatchObject({ verdict: 'refuse', error: 'UNKNOWN_PRODUCER_ID' });
    expect(state.check(batch(0, 1)).verdict).toBe('append');
  });

  it('keeps producers apart', () => {
    const state = new PartitionProducers(100);
    produce(state, batch(0, 5, 0, 1), 0);
    expect(state.check(batch(0, 5, 0, 2)).verdict).toBe('append');
    expect(state.check(batch(5, 1, 0, 1)).verdict).toBe('append');
  });

  it('a retry that arrives while the first write is under way waits for its offset', async () => {
    const state = new PartitionProducers(100);
    let resolve!: (offset: number) => void;
    const written = new Promise<number>((r) => (resolve = r));
    state.begin(batch(0, 3), written);
    const check = state.check(batch(0, 3));
    expect(check.verdict).toBe('duplicate');
    resolve(42);
    if (check.verdict === 'duplicate') expect(await check.baseOffset).toBe(42);
  });

  it('forgets a write that failed, so that its retry is appended', async () => {
    const state = new PartitionProducers(100);
    produce(state, batch(0, 2), 0);
    const failed = Promise.reject(new Error('disk full'));
    state.begin(batch(2, 2), failed);
    await failed.catch(() => undefined);
    expect(state.check(batch(2, 2)).verdict).toBe('append');
    expect(state.check(batch(0, 2)).verdict).toBe('duplicate');
  });

  it('forgets the least recently seen producer past its bound', () => {
    const state = new PartitionProducers(2);
    produce(state, batch(0, 1, 0, 1), 0);
    produce(state, batch(0, 1, 0, 2), 1);
    produce(state, batch(1, 1, 0, 1), 2);
    produce(state, batch(0, 1, 0, 3), 3);
    expect(state.size).toBe(2);
    expect(state.check(batch(1, 1, 0, 2))).toMatchObject({ verdict: 'refuse', error: 'UNKNOWN_PRODUCER_ID' });
    expect(state.check(batch(2, 1, 0, 1)).verdict).toBe('append');
  });
});

describe('producer markers', () => {
  it('round-trips and refuses what does not hold together', () => {
    const b = batch(INT32_MAX - 1, 3, 4, 2 ** 52);
    expect(parseProducerMarker(producerMarker(b, 3))).toEqual({ batch: b, appended: 3 });
    for (const bad of ['', '1:0:0:0', '1:0:0:0:0', '-1:0:0:0:1', '1:0:0:0:1:2', '1:99999:0:0:1', '1:0:3000000000:0:1', 'a:b:c:d:e']) {
      expect(parseProducerMarker(bad), bad).toBeNull();
    }
  });
});

describe('ProducerState', () => {
  it('rebuilds the last batches of each producer from the markers at the end of a log', async () => {
    const log = new MemoryTopicLog('t');
    const marked = (b: ProducerBatch, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        value: `v${i}`,
        headers: i === count - 1 ? { [KAFKA_PRODUCER_HEADER]: producerMarker(b, count) } : null,
      }));
    await log.append([{ value: 'unrelated' }]);
    const first = await log.append(marked(batch(0, 3, 0, 1), 3));
    await log.append(marked(batch(0, 2, 0, 2), 2));
    await log.append([{ value: 'forged', headers: { [KAFKA_PRODUCER_HEADER]: 'nonsense' } }]);
    const second = await log.append(marked(batch(3, 4, 0, 1), 4));

    const state = await new ProducerState().of(log);
    const retry = state.check(batch(0, 3, 0, 1));
    expect(retry.verdict).toBe('duplicate');
    if (retry.verdict === 'duplicate') expect(await retry.baseOffset).toBe(first.baseOffset);
    const last = state.check(batch(3, 4, 0, 1));
    if (last.verdict !== 'duplicate') throw new Error(`expected a duplicate, got ${last.verdict}`);
    expect(await last.baseOffset).toBe(second.baseOffset);
    expect(state.check(batch(7, 1, 0, 1)).verdict).toBe('append');
    expect(state.check(batch(8, 1, 0, 1))).toMatchObject({ verdict: 'refuse', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(state.check(batch(2, 1, 0, 2)).verdict).toBe('append');
    expect(state.check(batch(0, 1, 0, 3)).verdict).toBe('append');
  });

  it('reads back only the configured number of records', async () => {
    const log = new MemoryTopicLog('t');
    await log.append([{ value: 'a', headers: { [KAFKA_PRODUCER_HEADER]: producerMarker(batch(0, 1), 1) } }]);
    await log.append(Array.from({ length: 10 }, () => ({ value: 'filler' })));
    const near = await new ProducerState({ maxProducersPerPartition: 10, maxRebuildRecords: 100, rebuildReadBytes: 1 << 20 }).of(log);
    expect(near.check(batch(1, 1)).verdict).toBe('append');
    const far = await new ProducerState({ maxProducersPerPartition: 10, maxRebuildRecords: 5, rebuildReadBytes: 1 << 20 }).of(log);
    expect(far.check(batch(1, 1))).toMatchObject({ verdict: 'refuse', error: 'UNKNOWN_PRODUCER_ID' });
  });

  it('runs the steps of one partition one at a time, in call order', async () => {
    const state = new ProducerState();
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = state.serialize('t', 0, async () => {
      await gate;
      seen.push('a');
    });
    const b = state.serialize('t', 0, async () => void seen.push('b'));
    const other = state.serialize('t', 1, async () => void seen.push('other'));
    await other;
    expect(seen).toEqual(['other']);
    release();
    await Promise.all([a, b]);
    expect(seen).toEqual(['other', 'a', 'b']);
  });

  it('hands out increasing producer ids within the safe integers', () => {
    const state = new ProducerState();
    const now = Date.parse('2026-12-02T00:00:00Z');
    const ids = Array.from({ length: 1000 }, () => state.nextProducerId(now));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1] as number);
    expect(ids.every((id) => Number.isSafeInteger(id) && id > 0)).toBe(true);
    // a later start (a restart) begins above: the clock moved on
    expect(new ProducerState().nextProducerId(now + 1000)).toBeGreaterThan(ids[ids.length - 1] as number);
  });
});
