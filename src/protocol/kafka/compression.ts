/**
 * The compression codecs of a RecordBatch v2 (attributes bits 0–2). The records after the batch header are
 * compressed as one block. evq decodes and encodes `none` and `gzip` (node:zlib's synchronous functions:
 * computation only, no I/O); snappy, lz4 and zstd are refused with UNSUPPORTED_COMPRESSION_TYPE until a
 * pure-JavaScript codec is chosen for each. Decompression is bounded: a block that inflates past the
 * caller's limit is CORRUPT_MESSAGE (a decompression bomb never allocates more than the limit). Pure.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { KafkaCodecError } from './codec-error.js';

export const COMPRESSION = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof COMPRESSION;
export type CompressionId = (typeof COMPRESSION)[CompressionName];

const NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** The name of a codec id (0–7), or undefined for an id Kafka does not define (5–7). */
export function compressionName(id: number): CompressionName | undefined {
  return NAMES[id];
}

/** The codecs this build decodes and encodes. */
export const SUPPORTED_COMPRESSION: ReadonlySet<CompressionName> = new Set(['none', 'gzip']);

function unsupported(id: number): KafkaCodecError {
  const name = compressionName(id);
  return new KafkaCodecError(
    'UNSUPPORTED_COMPRESSION_TYPE',
    name === undefined
      ? `record batch compression ${id} is not a Kafka codec: produce with none or gzip`
      : `record batch compression ${name} is not supported by this broker: produce with none or gzip`,
  );
}

/** Inflates a record block; more than `maxBytes` out, or bytes that are not the codec's, is CORRUPT_MESSAGE. */
export function decompress(id: number, data: Buffer, maxBytes: number): Buffer {
  if (id === COMPRESSION.none) return data;
  if (id !== COMPRESSION.gzip) throw unsupported(id);
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

/** Deflates a record block with codec `id`. */
export function compress(id: number, data: Buffer): Buffer {
  if (id === COMPRESSION.none) return data;
  if (id !== COMPRESSION.gzip) throw unsupported(id);
  return gzipSync(data);
}
