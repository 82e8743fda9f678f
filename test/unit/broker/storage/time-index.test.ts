import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TIME_INDEX_HEADER_BYTES, TimeIndex } from '../../../../src/broker/storage/time-index.js';

const summary = { baseOffset: 100, nextOffset: 200, logBytes: 9000, maxTimestamp: 50 };

/** Entries (largest timestamp so far, frame offset) of 100..: 10@100, 20@110, 30@150. */
function sample(): TimeIndex {
  const index = new TimeIndex(100);
  index.add(100, 10);
  index.add(110, 20);
  index.add(120, 20); // the same maximum: the entry moves to the later frame
  index.add(150, 30);
  return index;
}

/** Sets the CRC of a time index file after its bytes were changed on purpose. */
function reseal(buf: Buffer): Buffer {
  buf.writeUInt32BE(crc32(buf.subarray(TIME_INDEX_HEADER_BYTES), crc32(buf.subarray(0, 44))), 44);
  return buf;
}

describe('TimeIndex', () => {
  it('keeps one entry per new largest timestamp, moved to the latest frame that has it', () => {
    const index = sample();
    expect(index.length).toBe(3);
    expect(index.lastTimestamp).toBe(30);
    // where to scan from for the first record stamped >= T: after everything known to be below T
    expect(index.lookup(5)).toBe(100); // nothing is known below 5: the segment start
    expect(index.lookup(10)).toBe(100);
    expect(index.lookup(11)).toBe(100);
    expect(index.lookup(21)).toBe(120); // the moved entry: records up to the end of frame 120 are <= 20
    expect(index.lookup(31)).toBe(150);
    expect(index.lookup(1e15)).toBe(150);
  });

  it('ignores a smaller maximum or an earlier frame (the caller only ever grows both)', () => {
    const index = sample();
    index.add(160, 25);
    index.add(140, 40);
    expect(index.length).toBe(3);
    expect(index.lookup(1e15)).toBe(150);
  });

  it('forgets the entries at or past a cut offset', () => {
    const index = sample();
    index.truncate(150);
    expect(index.length).toBe(2);
    expect(index.lookup(1e15)).toBe(120);
    index.truncate(100);
    expect(index.length).toBe(0);
    expect(index.lookup(1e15)).toBe(100);
  });

  it('reads back what it writes', () => {
    const bytes = sample().serialize(summary);
    expect(bytes.length).toBe(TIME_INDEX_HEADER_BYTES + 3 * 12);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('4556515400010000'); // "EVQT", version 1, reserved
    const parsed = TimeIndex.parse(bytes, 100);
    expect(parsed?.summary).toEqual(summary);
    for (const t of [5, 11, 21, 31, 1e15]) expect(parsed?.index.lookup(t)).toBe(sample().lookup(t));
    expect(
      TimeIndex.parse(new TimeIndex(0).serialize({ baseOffset: 0, nextOffset: 0, logBytes: 0, maxTimestamp: -1 }), 0)?.index.length,
    ).toBe(0);
  });

  it.each([
    ['a flipped bit', (b: Buffer) => ((b[b.length - 2] = (b[b.length - 2] as number) ^ 0x01), b)],
    ['cut short', (b: Buffer) => b.subarray(0, b.length - 5)],
    ['only a piece of the header', (b: Buffer) => b.subarray(0, 20)],
    ['empty', () => Buffer.alloc(0)],
    ['the offset index magic', (b: Buffer) => (b.writeUInt32BE(0x45565158, 0), reseal(b))],
    ['timestamps out of order', (b: Buffer) => (b.writeDoubleBE(5, TIME_INDEX_HEADER_BYTES + 12), reseal(b))],
    ['offsets out of order', (b: Buffer) => (b.writeUInt32BE(5, TIME_INDEX_HEADER_BYTES + 24 + 8), reseal(b))],
    ['an entry past the segment end', (b: Buffer) => (b.writeDoubleBE(140, 16), reseal(b))],
    ['an entry above the largest timestamp', (b: Buffer) => (b.writeDoubleBE(29, 32), reseal(b))],
    ['a fractional timestamp', (b: Buffer) => (b.writeDoubleBE(10.5, TIME_INDEX_HEADER_BYTES), reseal(b))],
  ])('refuses a file that is damaged: %s', (_name, damage) => {
    expect(TimeIndex.parse(damage(Buffer.from(sample().serialize(summary))), 100)).toBeNull();
  });

  it('refuses the index of another segment', () => {
    expect(TimeIndex.parse(sample().serialize(summary), 0)).toBeNull();
  });
});
