import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KafkaCodecError } from '../../../../src/protocol/kafka/codec-error.js';
import {
  COMPRESSION,
  ENCODABLE_COMPRESSION,
  SUPPORTED_COMPRESSION,
  compress,
  compressionName,
  decompress,
} from '../../../../src/protocol/kafka/compression.js';
import { xxh32 } from '../../../../src/protocol/kafka/lz4.js';
import { windowDescriptorFor } from '../../../../src/protocol/kafka/zstd.js';

const require = createRequire(import.meta.url);
const snappyjs = require('snappyjs') as { compress(b: Uint8Array): Uint8Array };
const lz4js = require('lz4js') as { compress(b: Uint8Array): Uint8Array };
const lz4jsXxh32 = require('lz4js/xxh32.js') as { hash(seed: number, b: Uint8Array, at: number, len: number): number };

const MB = 1 << 20;

function codecError(fn: () => unknown): KafkaCodecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaCodecError);
    return e as KafkaCodecError;
  }
  throw new Error('expected a KafkaCodecError');
}

/** Text-like bytes that compress: records of a few repeated words with counters. */
function sample(bytes: number): Buffer {
  const parts: string[] = [];
  for (let i = 0, n = 0; n < bytes; i++) {
    const line = `{"order":${i},"user":"user-${i % 37}","status":"${i % 3 === 0 ? 'paid' : 'open'}"}\n`;
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

const SIZES = [0, 1, 17, 4096, 40_000, 300_000];

/** Byte-for-byte equality (vitest's toEqual walks a Buffer element by element: seconds for 300 KB). */
function expectSame(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected)).toBe(true);
}

/** A zstd frame of raw (0) and RLE (1) blocks, hand-built: [type, size, byte] per block. */
function zstdFrame(blocks: [number, number, number][], header: number[] = [0x00, 0x58]): Buffer {
  const out = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, ...header])];
  blocks.forEach(([type, size, byte], i) => {
    const h = Buffer.alloc(3);
    h.writeUIntLE((size << 3) | (type << 1) | (i === blocks.length - 1 ? 1 : 0), 0, 3);
    out.push(h, type === 1 ? Buffer.from([byte]) : Buffer.alloc(size, byte));
  });
  return Buffer.concat(out);
}

/** An LZ4 frame around `blocks` (each [stored uncompressed?, bytes]), with the descriptor checksum. */
function lz4Frame(flg: number, blocks: [boolean, Buffer][], extra: { contentSize?: number; contentChecksum?: number } = {}) {
  const descriptor = Buffer.alloc(extra.contentSize === undefined ? 2 : 10);
  descriptor[0] = flg | (extra.contentSize === undefined ? 0 : 0x08);
  descriptor[1] = 0x40;
  if (extra.contentSize !== undefined) descriptor.writeBigUInt64LE(BigInt(extra.contentSize), 2);
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18]), descriptor, Buffer.from([(xxh32(descriptor) >>> 8) & 0xff])];
  for (const [stored, bytes] of blocks) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE(((stored ? 0x80000000 : 0) | bytes.length) >>> 0);
    parts.push(size, bytes);
    if (flg & 0x10) {
      const sum = Buffer.alloc(4);
      sum.writeUInt32LE(xxh32(bytes));
      parts.push(sum);
    }
  }
  parts.push(Buffer.alloc(4));
  if (extra.contentChecksum !== undefined) {
    const sum = Buffer.alloc(4);
    sum.writeUInt32LE(extra.contentChecksum);
    parts.push(sum);
  }
  return Buffer.concat(parts);
}

describe('compression codecs', () => {
  it('every Kafka codec decodes; none, gzip, snappy and lz4 encode; ids 5–7 are not codecs', () => {
    expect([...SUPPORTED_COMPRESSION]).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd']);
    expect([...ENCODABLE_COMPRESSION]).toEqual(['none', 'gzip', 'snappy', 'lz4']);
    expect(codecError(() => compress(COMPRESSION.zstd, Buffer.from('x'))).kafkaError).toBe('UNSUPPORTED_COMPRESSION_TYPE');
    for (const id of [5, 6, 7]) {
      expect(compressionName(id)).toBeUndefined();
      expect(codecError(() => decompress(id, Buffer.from('x'), MB)).kafkaError).toBe('UNSUPPORTED_COMPRESSION_TYPE');
    }
  });

  it.each(['gzip', 'snappy', 'lz4'] as const)('%s: what compress writes, decompress reads back byte for byte', (name) => {
    const id = COMPRESSION[name];
    for (const size of SIZES) {
      const data = sample(size);
      const packed = compress(id, data);
      if (size >= 4096) expect(packed.length).toBeLessThan(size / 2);
      expectSame(decompress(id, packed, MB), data);
    }
    const noise = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 2654435761) >>> 24));
    expectSame(decompress(id, compress(id, noise), MB), noise);
  });

  it('xxh32 is xxHash32: the published vectors, and lz4js’s implementation on every length to 100', () => {
    expect(xxh32(Buffer.alloc(0))).toBe(0x02cc5d05);
    expect(xxh32(Buffer.from('abc'))).toBe(0x32d153ff);
    const data = sample(100);
    for (let n = 0; n <= 100; n++) expect(xxh32(data, 0, n)).toBe(lz4jsXxh32.hash(0, data, 0, n) >>> 0);
    expect(xxh32(data, 3, 60)).toBe(lz4jsXxh32.hash(0, data, 3, 57) >>> 0);
  });
});

describe('snappy', () => {
  it('reads raw streams (as librdkafka writes them) and xerial frames (as Java and evq write them)', () => {
    const data = sample(100_000);
    const raw = Buffer.from(snappyjs.compress(data));
    expectSame(decompress(COMPRESSION.snappy, raw, MB), data);
    const xerial = compress(COMPRESSION.snappy, data);
    expect(xerial.subarray(0, 8)).toEqual(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]));
    expect(xerial.readInt32BE(16)).toBeGreaterThan(0); // the first block's length: 32 KiB blocks, several
    expectSame(decompress(COMPRESSION.snappy, xerial, MB), data);
  });

  it('the 6 bytes that hang snappyjs are CORRUPT_MESSAGE at once', () => {
    // length 1, then a literal whose 4-byte length is -6: snappyjs steps back to the tag forever.
    const e = codecError(() => decompress(COMPRESSION.snappy, Buffer.from([0x01, 0xfc, 0xfa, 0xff, 0xff, 0xff]), MB));
    expect([e.kafkaError, e.message]).toEqual([
      'CORRUPT_MESSAGE',
      'snappy record block literal of 4294967291 bytes past the end of the input',
    ]);
  });

  it('a bomb is refused at its declared length, before allocating; a stream that outgrows it is refused', () => {
    const declares4G = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x61]);
    expect(codecError(() => decompress(COMPRESSION.snappy, declares4G, 64 * 1024)).message).toMatch(
      /inflates past 65536 bytes \(declares 4294967295\)/,
    );
    // declares 10 bytes, then a literal of 1 and a copy of 64: writes past what it declared
    const outgrows = Buffer.from([10, 0x00, 0x61, (63 << 2) | 2, 0x01, 0x00]);
    expect(codecError(() => decompress(COMPRESSION.snappy, outgrows, MB)).message).toMatch(/writes past its declared 10 bytes/);
    // a xerial frame whose blocks together pass the limit
    const block = Buffer.from(snappyjs.compress(Buffer.alloc(40_000)));
    const size = Buffer.alloc(4);
    size.writeInt32BE(block.length);
    const xerial = Buffer.concat([compress(COMPRESSION.snappy, Buffer.alloc(0)), size, block, size, block]);
    expectSame(decompress(COMPRESSION.snappy, xerial, 80_000), Buffer.alloc(80_000));
    expect(codecError(() => decompress(COMPRESSION.snappy, xerial, 79_999)).message).toMatch(/inflates past 39999 bytes/);
  });
});

describe('lz4', () => {
  it('reads frames with block and content checksums, a content size, skippable frames and stored blocks', () => {
    const data = sample(50_000);
    const blocks = lz4js.compress(data);
    expectSame(decompress(COMPRESSION.lz4, Buffer.from(blocks), MB), data);
    const stored = lz4Frame(0x60 | 0x10 | 0x04, [[true, data.subarray(0, 10)]], { contentSize: 10, contentChecksum: xxh32(data, 0, 10) });
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]);
    expect(decompress(COMPRESSION.lz4, Buffer.concat([stored, skippable, stored]), MB)).toEqual(
      Buffer.concat([data.subarray(0, 10), data.subarray(0, 10)]),
    );
  });

  it('a wrong descriptor, block or content checksum, or a short content, is CORRUPT_MESSAGE', () => {
    const ten = Buffer.from('0123456789');
    const good = lz4Frame(0x60 | 0x10 | 0x04, [[true, ten]], { contentSize: 10, contentChecksum: xxh32(ten) });
    const flip = (at: number) => {
      const bad = Buffer.from(good);
      bad[at] = (bad[at] as number) ^ 1;
      return codecError(() => decompress(COMPRESSION.lz4, bad, MB)).message;
    };
    expect(flip(14)).toMatch(/frame descriptor checksum does not match/);
    expect(flip(20)).toMatch(/block checksum does not match/);
    expect(flip(good.length - 1)).toMatch(/content checksum does not match/);
    const short = lz4Frame(0x60, [[true, ten]], { contentSize: 11 });
    expect(codecError(() => decompress(COMPRESSION.lz4, short, MB)).message).toMatch(/declares 11 bytes and holds 10/);
    expect(codecError(() => decompress(COMPRESSION.lz4, Buffer.from('not lz4 at all'), MB)).message).toMatch(/not an LZ4 frame's 184d2204/);
  });

  it('a bomb is refused: a declared content size past the limit, and a match that grows past it', () => {
    const declares = lz4Frame(0x60, [[true, Buffer.from('x')]], { contentSize: 2 ** 40 });
    expect(codecError(() => decompress(COMPRESSION.lz4, declares, MB)).message).toMatch(
      /inflates past 1048576 bytes \(declares 1099511627776\)/,
    );
    // one literal, then a match of offset 1 and length 4 + 15 + 255 × 4000 (≈ 1 MB from 4 KB)
    const block = Buffer.concat([Buffer.from([0x1f, 0x61, 0x01, 0x00]), Buffer.alloc(4000, 0xff), Buffer.from([0x00, 0x10, 0x61])]);
    const bomb = lz4Frame(0x60, [[false, block]]);
    expect(decompress(COMPRESSION.lz4, bomb, 2 * MB).length).toBe(1 + 4 + 15 + 255 * 4000 + 1);
    expect(codecError(() => decompress(COMPRESSION.lz4, bomb, 64 * 1024)).message).toBe('lz4 record block inflates past 65536 bytes');
  });
});

describe('zstd', () => {
  it('reads raw and RLE blocks, several frames and skippable frames', () => {
    const frame = zstdFrame([
      [0, 5, 0x61],
      [1, 1000, 0x62],
    ]);
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 1, 0, 0, 0, 7]);
    expect(decompress(COMPRESSION.zstd, Buffer.concat([frame, skippable, frame]), MB).toString()).toBe(
      `${'a'.repeat(5)}${'b'.repeat(1000)}`.repeat(2),
    );
  });

  it('a window past the limit is shrunk (a 2 GiB window decodes with a 1 MiB limit); a declared size past it is refused', () => {
    expect(windowDescriptorFor(MB)).toBe(10 << 3);
    expect(windowDescriptorFor(MB + 1)).toBe((10 << 3) | 1);
    const huge = zstdFrame([[1, 100, 0x7a]], [0x00, (31 << 3) | 7]);
    expect(decompress(COMPRESSION.zstd, huge, MB).toString()).toBe('z'.repeat(100));
    // single segment, 8-byte content size 2^40
    const declares = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0]), Buffer.from([0, 0, 0, 0, 0, 1, 0, 0])]);
    expect(codecError(() => decompress(COMPRESSION.zstd, declares, MB)).message).toMatch(/declares 1099511627776 bytes/);
  });

  it('a bomb of RLE blocks is stopped at the limit; a block over 128 KiB is refused', () => {
    const bomb = zstdFrame(Array.from({ length: 100 }, (): [number, number, number] => [1, 128 * 1024, 0]));
    expect(bomb.length).toBeLessThan(500);
    expect(decompress(COMPRESSION.zstd, bomb, 100 * 128 * 1024).length).toBe(100 * 128 * 1024);
    expect(codecError(() => decompress(COMPRESSION.zstd, bomb, MB)).message).toBe('zstd record block inflates past 1048576 bytes');
    const big = zstdFrame([[1, 128 * 1024 + 1, 0]]);
    expect(codecError(() => decompress(COMPRESSION.zstd, big, 4 * MB)).message).toMatch(/block of 131073 bytes \(at most 131072\)/);
  });

  it('bytes fzstd cannot decode are CORRUPT_MESSAGE with its reason', () => {
    const frame = zstdFrame([[2, 4, 0xff]]); // a compressed block of four 0xff bytes
    const e = codecError(() => decompress(COMPRESSION.zstd, frame, MB));
    expect(e.kafkaError).toBe('CORRUPT_MESSAGE');
    expect(e.message).toMatch(/^zstd record block does not decode: /);
  });
});

describe('any bytes, any codec', () => {
  it('decompress returns at most the limit or throws a one-line CORRUPT_MESSAGE, never anything else', () => {
    const valid = [
      gzipSync(sample(3000)),
      compress(COMPRESSION.snappy, sample(3000)),
      Buffer.from(snappyjs.compress(sample(3000))),
      compress(COMPRESSION.lz4, sample(3000)),
      zstdFrame([
        [0, 30, 0x61],
        [1, 3000, 0x62],
      ]),
    ];
    const ids = [COMPRESSION.gzip, COMPRESSION.snappy, COMPRESSION.snappy, COMPRESSION.lz4, COMPRESSION.zstd];
    fc.assert(
      fc.property(
        fc.nat(valid.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        fc.integer({ min: 1, max: 5000 }),
        (which, edits, cut, limit) => {
          const bytes = Buffer.from(valid[which] as Buffer);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const input = bytes.subarray(0, bytes.length - (cut % 8));
          try {
            expect(decompress(ids[which] as number, input, limit).length).toBeLessThanOrEqual(limit);
          } catch (e) {
            expect(e).toBeInstanceOf(KafkaCodecError);
            expect((e as KafkaCodecError).kafkaError).toBe('CORRUPT_MESSAGE');
            expect((e as Error).message).not.toMatch(/\n/);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
