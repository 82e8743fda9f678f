/**
 * The write direction of on-disk format v1: today's framing (frame.ts) and index writer (offset-index.ts) must
 * produce, byte for byte, what evq 0.1 wrote into test/fixtures/data-dir-v1/ (the read direction is
 * test/integration/storage/data-dir-v1.test.ts). An encoder and a decoder that drift together fail here.
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, frameHeader } from '../../../../src/broker/storage/frame.js';
import { OffsetIndex } from '../../../../src/broker/storage/offset-index.js';

const ORDERS = fileURLToPath(new URL('../../../fixtures/data-dir-v1/topics/orders/', import.meta.url));

/** The segments of topic `orders` in the fixture: their offsets and record timestamps (see data-dir-v1.test.ts). */
const SEGMENTS = [
  { name: '00000000000000000000', baseOffset: 0, nextOffset: 5, firstTimestamp: 1796179898601, maxTimestamp: 1796179898613 },
  { name: '00000000000000000005', baseOffset: 5, nextOffset: 10, firstTimestamp: 1796179898626, maxTimestamp: 1796179898626 },
  { name: '00000000000000000010', baseOffset: 10, nextOffset: 12, firstTimestamp: 1796179898642, maxTimestamp: 1796179898647 },
];

/** The frames of a segment file, cut by the length field (bytes 4..8 of each header), without any decoder. */
function frames(log: Buffer): Array<{ header: Buffer; payload: Buffer }> {
  const out: Array<{ header: Buffer; payload: Buffer }> = [];
  for (let pos = 0; pos < log.length;) {
    const length = log.readUInt32BE(pos + 4);
    out.push({
      header: log.subarray(pos, pos + FRAME_HEADER_BYTES),
      payload: log.subarray(pos + FRAME_HEADER_BYTES, pos + FRAME_HEADER_BYTES + length),
    });
    pos += FRAME_HEADER_BYTES + length;
  }
  return out;
}

describe('on-disk format v1, written by today’s code', () => {
  it('frames the first batch of orders/00000000000000000000.log as the fixture has it: EVQ1, length, CRC-32', () => {
    const log = readFileSync(`${ORDERS}00000000000000000000.log`);
    const first = frames(log)[0];
    if (first === undefined) throw new Error('the fixture segment has no frame');
    const header = frameHeader(first.payload);
    expect(header.toString('hex')).toBe(log.subarray(0, FRAME_HEADER_BYTES).toString('hex'));
    // the constants themselves, spelled out: magic "EVQ1", big-endian length, CRC-32 (zlib) of the payload
    expect(header.subarray(0, 4).toString('latin1')).toBe('EVQ1');
    expect(header.readUInt32BE(4)).toBe(first.payload.length);
    expect(header.readUInt32BE(8).toString(16).padStart(8, '0')).toBe(log.subarray(8, 12).toString('hex'));
  });

  it('re-frames every batch of every segment into exactly the fixture’s .log files', () => {
    for (const segment of SEGMENTS) {
      const log = readFileSync(`${ORDERS}${segment.name}.log`);
      const parts = frames(log);
      expect(parts.length).toBeGreaterThan(0);
      const rewritten = Buffer.concat(parts.flatMap((f) => [frameHeader(f.payload), f.payload]));
      expect(rewritten.equals(log), `${segment.name}.log`).toBe(true);
    }
  });

  it('writes each segment’s offset index exactly as the fixture’s .index files: EVQX, version 1, summary, entries, CRC', () => {
    for (const segment of SEGMENTS) {
      const { name, ...summary } = segment;
      const index = new OffsetIndex(segment.baseOffset);
      index.add(segment.baseOffset, 0); // the first frame is always indexed; the segments are smaller than the interval
      const logBytes = statSync(`${ORDERS}${name}.log`).size;
      const written = index.serialize({ ...summary, logBytes });
      const fixture = readFileSync(`${ORDERS}${name}.index`);
      expect(written.subarray(0, 8).toString('hex'), `${name}.index header`).toBe('4556515800010000'); // "EVQX", u16 1, reserved 0
      expect(written.toString('hex'), `${name}.index`).toBe(fixture.toString('hex'));
    }
  });
});
