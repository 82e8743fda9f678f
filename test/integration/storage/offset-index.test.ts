import { describe, expect, it } from 'vitest';
import { OffsetIndex } from '../../../src/broker/storage/offset-index.js';

describe('OffsetIndex', () => {
  function sample(): OffsetIndex {
    const index = new OffsetIndex(1000, 100);
    // frames of 60 bytes with 3 records each
    for (let i = 0; i < 20; i++) index.add(1000 + i * 3, i * 60);
    return index;
  }

  it('keeps an entry every intervalBytes and finds the last one at or below an offset', () => {
    const index = sample();
    expect(index.length).toBe(10);
    expect(index.lookup(1000)).toEqual({ offset: 1000, position: 0 });
    expect(index.lookup(1005)).toEqual({ offset: 1000, position: 0 });
    expect(index.lookup(1006)).toEqual({ offset: 1006, position: 120 });
    expect(index.lookup(1059)).toEqual({ offset: 1054, position: 1080 });
    expect(index.lookup(999)).toEqual({ offset: 1000, position: 0 });
  });

  it('forgets entries past a cut', () => {
    const index = sample();
    index.truncate(600);
    expect(index.lookup(1059)).toEqual({ offset: 1024, position: 480 });
    index.add(1030, 600);
    expect(index.lookup(1059)).toEqual({ offset: 1030, position: 600 });
  });

  it('round-trips through its file format and refuses damaged files', () => {
    const index = sample();
    const summary = { baseOffset: 1000, nextOffset: 1060, logBytes: 1200, firstTimestamp: 5, maxTimestamp: 9 };
    const bytes = index.serialize(summary);
    const parsed = OffsetIndex.parse(bytes, 1000, 100);
    expect(parsed?.summary).toEqual(summary);
    expect(parsed?.index.lookup(1059)).toEqual(index.lookup(1059));
    expect(OffsetIndex.parse(bytes, 1001)).toBeNull();
    for (let at = 0; at < bytes.length; at += 3) {
      const bad = Buffer.from(bytes);
      bad[at] = (bad[at] as number) ^ 0x04;
      expect(OffsetIndex.parse(bad, 1000), `byte ${at}`).toBeNull();
    }
    for (let n = 0; n < bytes.length; n += 5) expect(OffsetIndex.parse(bytes.subarray(0, n), 1000)).toBeNull();
  });
});
