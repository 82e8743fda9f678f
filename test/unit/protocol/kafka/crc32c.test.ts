import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../../src/protocol/kafka/crc32c.js';

const require = createRequire(import.meta.url);
// kafkajs's CRC-32C: a second, independent implementation
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C') as (buffer: Buffer) => number;

/** A bit-by-bit CRC-32C, the definition itself. */
function slow(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  it('the check value of "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('the vectors of RFC 3720 appendix B.4', () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
    const iscsiRead = Buffer.from(
      '01c00000000000000000000000000000' + '14000000000004000000001400000018' + '28000000000000000200000000000000',
      'hex',
    );
    expect(crc32c(iscsiRead)).toBe(0xd9963a56);
  });

  it('agrees with the definition and with kafkajs on any bytes, in one piece or several', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
        const buf = Buffer.from(bytes);
        const whole = crc32c(buf);
        expect(whole).toBe(slow(buf));
        expect(whole).toBe(kafkajsCrc32c(buf) >>> 0);
        const at = buf.length === 0 ? 0 : cut % buf.length;
        expect(crc32c(buf, at, buf.length, crc32c(buf, 0, at))).toBe(whole);
      }),
    );
  });
});
