/**
 * The compression codecs of a RecordBatch v2 (attributes bits 0–2). The records after the batch header are
 * compressed as one block. evq decodes every codec Kafka defines: none, gzip (node:zlib's synchronous
 * functions), snappy (raw or xerial-framed, snappy.ts), lz4 (LZ4 frames, lz4.ts) and zstd (zstd frames,
 * zstd.ts, through fzstd); it encodes none, gzip, snappy and lz4 (zstd is refused with
 * UNSUPPORTED_COMPRESSION_TYPE: no pure-JavaScript zstd compressor is in use). All of it is computation
 * only, no I/O. Decompression is bounded: a block that inflates past the caller's limit is CORRUPT_MESSAGE,
 * declared sizes are checked before anything is allocated, and output stops at the limit (a decompression
 * bomb never allocates more than the limit); bytes that are not the codec's are CORRUPT_MESSAGE too. Pure.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { KafkaCodecError } from './codec-error.js';
import { compressLz4, uncompressLz4 } from './lz4.js';
import { compressSnappy, uncompressSnappy } from './snappy.js';
import { uncompressZstd } from './zstd.js';

export const COMPRESSION = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof COMPRESSION;
export type CompressionId = (typeof COMPRESSION)[CompressionName];

const NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** The name of a codec id (0–7), or undefined for an id Kafka does not define (5–7). */
export function compressionName(id: number): CompressionName | undefined {
  return NAMES[id];
}

/** The codecs this build decodes (a produce request may use any of them). */
export const SUPPORTED_COMPRESSION: ReadonlySet<CompressionName> = new Set(NAMES);

/** The codecs this build encodes (what `compress` accepts). */
export const ENCODABLE_COMPRESSION: ReadonlySet<CompressionName> = new Set(['none', 'gzip', 'snappy', 'lz4']);

function unsupported(id: number, what: string): KafkaCodecError {
  const name = compressionName(id);
  return new KafkaCodecError(
    'UNSUPPORTED_COMPRESSION_TYPE',
    name === undefined
      ? `record batch compression ${id} is not a Kafka codec: produce with none, gzip, snappy, lz4 or zstd`
      : `record batch compression ${name} is not supported by this broker for ${what}`,
  );
}

function gunzip(data: Buffer, maxBytes: number): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (cause) {
    const tooBig = (cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new KafkaCodecError(
      'CORRUPT_MESSAGE',
      tooBig ? `gzip record block inflates past ${maxBytes} bytes` : `gzip record block does not inflate: ${(cause as Error).message}`,
      { cause },
    );
  }
}

export interface DecompressOptions {
  /** Take LZ4 frames whose header checksum covers the magic bytes too (Kafka's magic 0 messages, KAFKA-3160). */
  lz4LegacyHeaderChecksum?: boolean;
}

/** Inflates a record block; more than `maxBytes` out, or bytes that are not the codec's, is CORRUPT_MESSAGE. */
export function decompress(id: number, data: Buffer, maxBytes: number, options: DecompressOptions = {}): Buffer {
  switch (id) {
    case COMPRESSION.none:
      return data;
    case COMPRESSION.gzip:
      return gunzip(data, maxBytes);
    case COMPRESSION.snappy:
      return uncompressSnappy(data, maxBytes);
    case COMPRESSION.lz4:
      return uncompressLz4(data, maxBytes, options.lz4LegacyHeaderChecksum === true);
    case COMPRESSION.zstd:
      return uncompressZstd(data, maxBytes);
    default:
      throw unsupported(id, 'decoding');
  }
}

/** Deflates a record block with codec `id` (none, gzip, snappy as xerial frames, lz4 as one LZ4 frame). */
export function compress(id: number, data: Buffer): Buffer {
  switch (id) {
    case COMPRESSION.none:
      return data;
    case COMPRESSION.gzip:
      return gzipSync(data);
    case COMPRESSION.snappy:
      return compressSnappy(data);
    case COMPRESSION.lz4:
      return compressLz4(data);
    default:
      throw unsupported(id, 'encoding');
  }
}
