/**
 * Kafka's frame and headers. Every request and response is an INT32 size then that many bytes. A request
 * starts with header v1 (api_key INT16, api_version INT16, correlation_id INT32, client_id NULLABLE_STRING)
 * or, for a flexible version, header v2 (the same, then tagged fields: client_id stays a classic
 * NULLABLE_STRING). A response starts with header v0 (correlation_id) or, flexible, v1 (then tagged
 * fields); ApiVersions always answers with v0 (see api-keys.ts). Pure.
 */
import { requestHeaderVersion } from './api-keys.js';
import { KafkaCodecError } from './codec-error.js';
import type { KafkaReader, TaggedField } from './reader.js';
import { KafkaWriter } from './writer.js';

/** Bytes of the size prefix of a frame. */
export const FRAME_SIZE_BYTES = 4;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** 1 or 2, as the API and version fix it. */
  headerVersion: 1 | 2;
  taggedFields: TaggedField[];
}

/**
 * The size of the frame at the start of `buf` (the bytes after the prefix), or undefined when fewer than
 * 4 bytes have come. A size below 8 (no room for a header) or above `maxFrameBytes` is INVALID_REQUEST:
 * the listener closes the connection before reading the frame.
 */
export function frameSize(buf: Buffer, maxFrameBytes: number): number | undefined {
  if (buf.length < FRAME_SIZE_BYTES) return undefined;
  const size = buf.readInt32BE(0);
  if (size < 8 || size > maxFrameBytes) {
    throw new KafkaCodecError(
      'INVALID_REQUEST',
      `Kafka frame of ${size} bytes: a request takes 8 to ${maxFrameBytes} bytes (raise the broker's frame limit for larger ones)`,
    );
  }
  return size;
}

/**
 * The api key, version and correlation id of a request frame (without its size prefix): enough to answer
 * an error even when the rest does not parse. Undefined when the frame is shorter than 8 bytes.
 */
export function peekRequest(frame: Buffer): { apiKey: number; apiVersion: number; correlationId: number } | undefined {
  if (frame.length < 8) return undefined;
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

/**
 * Reads the request header of `frame` (a request without its size prefix); the reader is left at the
 * body. An API this codec does not know is read with header v1 (its body is never parsed).
 */
export function readRequestHeader(r: KafkaReader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const taggedFields = headerVersion === 2 ? r.taggedFields() : [];
  return { apiKey, apiVersion, correlationId, clientId, headerVersion, taggedFields };
}

/** Writes a request header (v1 or v2 as the API and version fix it). */
export function writeRequestHeader(
  w: KafkaWriter,
  header: { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null },
): void {
  w.int16(header.apiKey).int16(header.apiVersion).int32(header.correlationId).nullableString(header.clientId);
  if (requestHeaderVersion(header.apiKey, header.apiVersion) === 2) w.emptyTaggedFields();
}

/** Writes a response header: v0 (correlation id) or v1 (then empty tagged fields). */
export function writeResponseHeader(w: KafkaWriter, correlationId: number, headerVersion: 0 | 1): void {
  w.int32(correlationId);
  if (headerVersion === 1) w.emptyTaggedFields();
}

/** Reads a response header (v0 or v1). */
export function readResponseHeader(r: KafkaReader, headerVersion: 0 | 1): { correlationId: number; taggedFields: TaggedField[] } {
  const correlationId = r.int32();
  return { correlationId, taggedFields: headerVersion === 1 ? r.taggedFields() : [] };
}

/**
 * A whole frame: the size prefix is reserved, `write` writes header and body, the size is filled in.
 */
export function frame(write: (w: KafkaWriter) => void, initialBytes = 256): Buffer {
  const w = new KafkaWriter(initialBytes);
  const at = w.reserve(FRAME_SIZE_BYTES);
  write(w);
  w.setInt32(at, w.length - FRAME_SIZE_BYTES);
  return w.finish();
}
