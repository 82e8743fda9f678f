import { describe, expect, it } from 'vitest';
import {
  STAMP_BYTES,
  STAMP_FLAGS,
  STAMP_HEX_LENGTH,
  emptyStamp,
  readStamp,
  readStampHex,
  rewriteStamp,
  stampToHex,
  writeStamp,
  writeStampHex,
} from '../../../src/bench/stamp.js';

const stamp = {
  runId: 0xdeadbeef,
  producer: 7,
  flags: STAMP_FLAGS.warmup | STAMP_FLAGS.match,
  seq: 2 ** 40 + 3,
  intendedMs: 123456789.125,
  sentMs: 123456790.5,
};

describe('stamp', () => {
  it('40 bytes at the start of the value, read back exactly', () => {
    const value = Buffer.alloc(100, 0x61);
    writeStamp(value, 0, stamp);
    expect(value.subarray(STAMP_BYTES).every((b) => b === 0x61)).toBe(true);
    const out = emptyStamp();
    expect(readStamp(value, 0, out)).toBe(true);
    expect(out).toEqual(stamp);
    expect(readStamp(new Uint8Array(value), 0, emptyStamp())).toBe(true);
  });

  it('restamped in place: the changing fields are new, the run, the producer and the filler are kept', () => {
    const value = Buffer.alloc(64, 0x62);
    writeStamp(value.subarray(8), 0, stamp);
    const next = { ...stamp, flags: 0, seq: 2 ** 40 + 4, intendedMs: 0.001, sentMs: 2 ** 45 + 0.5 };
    rewriteStamp(new DataView(value.buffer, value.byteOffset + 8, STAMP_BYTES), next);
    const out = emptyStamp();
    expect(readStamp(value, 8, out)).toBe(true);
    expect(out).toEqual(next);
    expect(value.subarray(0, 8).every((b) => b === 0x62) && value.subarray(8 + STAMP_BYTES).every((b) => b === 0x62)).toBe(true);
  });

  it('a value without the magic, or too short, carries no stamp', () => {
    expect(readStamp(Buffer.alloc(100), 0, emptyStamp())).toBe(false);
    const value = Buffer.alloc(STAMP_BYTES);
    writeStamp(value, 0, stamp);
    expect(readStamp(value.subarray(0, STAMP_BYTES - 1), 0, emptyStamp())).toBe(false);
  });

  it('as a header: 80 hex characters, patched in place in a prebuilt request', () => {
    const text = stampToHex(stamp);
    expect(text).toHaveLength(STAMP_HEX_LENGTH);
    const out = emptyStamp();
    expect(readStampHex(text, out)).toBe(true);
    expect(out).toEqual(stamp);
    const request = Buffer.from(`x: ${'0'.repeat(STAMP_HEX_LENGTH)}\r\n`);
    writeStampHex(request, 3, stamp);
    expect(request.toString('latin1')).toBe(`x: ${text}\r\n`);
    expect(readStampHex(undefined, out) || readStampHex('zz', out) || readStampHex('g'.repeat(80), out)).toBe(false);
  });
});
