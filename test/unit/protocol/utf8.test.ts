import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readUtf8, utf8ByteLength, writeUtf8 } from '../../../src/protocol/utf8.js';

// any UTF-16 code units, lone surrogates included
const codeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 80 });

describe('utf8', () => {
  it('measures and writes exactly as Buffer does, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.oneof(codeUnits, fc.string({ unit: 'grapheme', maxLength: 80 })), (text) => {
        const expected = Buffer.from(text, 'utf8');
        expect(utf8ByteLength(text)).toBe(expected.length);
        const out = Buffer.alloc(expected.length + 2);
        expect(writeUtf8(out, text, 1)).toBe(expected.length);
        expect(out.subarray(1, 1 + expected.length).equals(expected)).toBe(true);
      }),
      { seed: 777, numRuns: 2000 },
    );
    expect(utf8ByteLength('\ud800')).toBe(3);
    expect(utf8ByteLength('😀')).toBe(4);
  });

  it('reads valid UTF-8 and refuses invalid bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (text) => {
        const bytes = Buffer.from(`xx${text}`);
        expect(readUtf8(bytes, 2, bytes.length)).toBe(text);
      }),
      { seed: 778, numRuns: 1000 },
    );
    expect(readUtf8(Buffer.from([0x61, 0xff, 0x62]), 0, 3)).toBeNull();
    expect(readUtf8(Buffer.from([0xe2, 0x82]), 0, 2)).toBeNull();
    expect(readUtf8(Buffer.alloc(100, 0xc3), 0, 100)).toBeNull();
    expect(readUtf8(Buffer.from('abc'), 1, 1)).toBe('');
  });
});
