import { describe, expect, it } from 'vitest';
import { MessageFactory, buildShapes, filler } from '../../../src/bench/payload.js';
import { PRODUCE_WINDOW, heldMessages } from '../../../src/bench/produce-window.js';
import { parseScenario } from '../../../src/bench/scenario.js';
import { STAMP_BYTES, STAMP_FLAGS, STAMP_HEADER, emptyStamp, readStamp, readStampHex } from '../../../src/bench/stamp.js';

const URL = 'http://127.0.0.1:7070';

function factoryFor(input: Partial<Parameters<typeof parseScenario>[0]> = {}, producer = 3): MessageFactory {
  const scenario = parseScenario({ url: URL, ...input });
  return new MessageFactory(scenario, buildShapes(scenario), 0xc0ffee, producer);
}

function stampOf(value: Buffer | string) {
  const stamp = emptyStamp();
  expect(readStamp(value as Buffer, 0, stamp)).toBe(true);
  return stamp;
}

describe('MessageFactory', () => {
  it('stamps the value: run, producer, sequence number, both times and the flags; the rest is filler', () => {
    const factory = factoryFor({ size: 100, filter: undefined });
    const message = factory.make(5, 1000.25, 1001.5, true);
    const value = message.value as Buffer;
    expect(value).toHaveLength(100);
    expect(stampOf(value)).toEqual({
      runId: 0xc0ffee,
      producer: 3,
      flags: STAMP_FLAGS.warmup | STAMP_FLAGS.match,
      seq: 5,
      intendedMs: 1000.25,
      sentMs: 1001.5,
    });
    expect(value.subarray(STAMP_BYTES).equals(filler(100).subarray(STAMP_BYTES))).toBe(true);
    expect(message.headers).toBeUndefined();
  });

  it('reuses a message only a whole ring later, each time with its own stamp', () => {
    const factory = factoryFor({ size: 64, batchSize: 10 });
    const ring = factory.ringLength;
    expect(ring).toBe(heldMessages(10, 64));
    const first = Array.from({ length: ring }, (_, seq) => factory.make(seq, seq, seq + 0.5, false));
    // every message of one ring is its own object and, once all are made, still carries its own stamp
    expect(new Set(first).size).toBe(ring);
    first.forEach((m, seq) =>
      expect(stampOf(m.value)).toMatchObject({ seq, intendedMs: seq, sentMs: seq + 0.5, flags: STAMP_FLAGS.match }),
    );
    // a ring later: the same object, stamped again (warm-up flag, new times); the filler is untouched
    const again = factory.make(ring + 2, 7, 8, true);
    expect(again).toBe(first[2]);
    expect(stampOf(again.value)).toEqual({
      runId: 0xc0ffee,
      producer: 3,
      flags: STAMP_FLAGS.warmup | STAMP_FLAGS.match,
      seq: ring + 2,
      intendedMs: 7,
      sentMs: 8,
    });
    expect((again.value as Buffer).subarray(STAMP_BYTES).equals(filler(64).subarray(STAMP_BYTES))).toBe(true);
    expect(stampOf(first[3]?.value as Buffer).seq).toBe(3);
  });

  it('holds as many messages as the client can: bounded by the batch count, and by the batch bytes for large values', () => {
    expect(heldMessages(1000, 100)).toBe((PRODUCE_WINDOW.maxInFlight + 2) * 1000 + 1);
    expect(heldMessages(1, 100)).toBe(PRODUCE_WINDOW.maxInFlight + 3);
    // 512 KiB values: two fit in a batch of 1 MiB, a third crosses it
    expect(heldMessages(1000, 512 * 1024)).toBe((PRODUCE_WINDOW.maxInFlight + 2) * 3 + 1);
    expect(factoryFor({ size: 512 * 1024 }).ringLength).toBe(heldMessages(1000, 512 * 1024));
  });

  it('with a filter the stamp travels in a header, on a fresh message each time', () => {
    const factory = factoryFor({ filter: 'value.amount > 100', matchRatio: 0.5 });
    const a = factory.make(0, 1, 2, false);
    const b = factory.make(1, 3, 4, false);
    expect(a).not.toBe(b);
    const stamp = emptyStamp();
    expect(readStampHex(a.headers?.[STAMP_HEADER], stamp)).toBe(true);
    expect(stamp).toMatchObject({ seq: 0, intendedMs: 1, sentMs: 2 });
    expect(readStampHex(b.headers?.[STAMP_HEADER], stamp)).toBe(true);
    expect(stamp.seq).toBe(1);
    expect((stamp.flags & STAMP_FLAGS.match) !== 0).toBe(factory.matches(1));
  });
});
