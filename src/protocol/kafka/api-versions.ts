/**
 * ApiVersions (key 18), versions 0–3: the first request of every connection, which tells the client the
 * broker's version table.
 *
 * ```text
 * request v0–v2: (empty body)
 * request v3 (flexible): client_software_name COMPACT_STRING, client_software_version COMPACT_STRING, tags
 * response v0: error_code INT16, api_keys ARRAY(api_key INT16, min_version INT16, max_version INT16)
 * response v1–v2: v0, then throttle_time_ms INT32
 * response v3 (flexible): error_code, api_keys COMPACT_ARRAY(api_key, min, max, tags), throttle_time_ms, tags
 * ```
 *
 * The response header is v0 at every version. A client that asks for a version the broker does not know
 * (newer than 3) gets UNSUPPORTED_VERSION in a v0 response whose table holds the ApiVersions range only
 * (KIP-511), and asks again within it. Pure.
 */
import { API_KEY, type ApiVersionRange } from './api-keys.js';
import { KAFKA_ERROR } from './error-codes.js';
import { frame, writeResponseHeader } from './header.js';
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export const API_VERSIONS_MAX_VERSION = 3;

/** The most api_keys entries a response may carry (Kafka defines fewer than 100 APIs). */
const MAX_API_ENTRIES = 1000;

export interface ApiVersionsRequest {
  /** v3 only; null below. */
  clientSoftwareName: string | null;
  clientSoftwareVersion: string | null;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersionRange[];
  throttleTimeMs: number;
}

/** Reads an ApiVersions request body of `version` (0–3). */
export function readApiVersionsRequest(r: KafkaReader, version: number): ApiVersionsRequest {
  if (version < 3) return { clientSoftwareName: null, clientSoftwareVersion: null };
  const clientSoftwareName = r.compactString();
  const clientSoftwareVersion = r.compactString();
  r.taggedFields();
  return { clientSoftwareName, clientSoftwareVersion };
}

export function writeApiVersionsRequest(w: KafkaWriter, version: number, request: ApiVersionsRequest): void {
  if (version < 3) return;
  w.compactString(request.clientSoftwareName ?? '').compactString(request.clientSoftwareVersion ?? '');
  w.emptyTaggedFields();
}

/** Writes an ApiVersions response body of `version` (0–3). */
export function writeApiVersionsResponse(w: KafkaWriter, version: number, response: ApiVersionsResponse): void {
  w.int16(response.errorCode);
  if (version >= 3) {
    w.compactArray(response.apiKeys, (x, k) => {
      x.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion);
      x.emptyTaggedFields();
    });
  } else {
    w.array(response.apiKeys, (x, k) => x.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion));
  }
  if (version >= 1) w.int32(response.throttleTimeMs);
  if (version >= 3) w.emptyTaggedFields();
}

/** Reads an ApiVersions response body of `version` (0–3); tagged fields (features) are skipped. */
export function readApiVersionsResponse(r: KafkaReader, version: number): ApiVersionsResponse {
  const errorCode = r.int16();
  const entry = (x: KafkaReader): ApiVersionRange => {
    const range = { apiKey: x.int16(), minVersion: x.int16(), maxVersion: x.int16() };
    if (version >= 3) x.taggedFields();
    return range;
  };
  const apiKeys =
    version >= 3 ? r.compactArray(entry, { max: MAX_API_ENTRIES, minBytes: 7 }) : r.array(entry, { max: MAX_API_ENTRIES, minBytes: 6 });
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  if (version >= 3) r.taggedFields();
  return { errorCode, apiKeys, throttleTimeMs };
}

/** The whole response frame (size, header v0, body) answering ApiVersions `version` with `apiKeys`. */
export function apiVersionsResponseFrame(correlationId: number, version: number, apiKeys: readonly ApiVersionRange[]): Buffer {
  return frame((w) => {
    writeResponseHeader(w, correlationId, 0);
    writeApiVersionsResponse(w, version, { errorCode: KAFKA_ERROR.NONE, apiKeys: [...apiKeys], throttleTimeMs: 0 });
  });
}

/**
 * The answer to an ApiVersions request of a version above `maxVersion`: UNSUPPORTED_VERSION in a v0
 * response that names the ApiVersions range the broker speaks, so the client retries within it.
 */
export function apiVersionsUnsupportedFrame(correlationId: number, minVersion = 0, maxVersion = API_VERSIONS_MAX_VERSION): Buffer {
  return frame((w) => {
    writeResponseHeader(w, correlationId, 0);
    writeApiVersionsResponse(w, 0, {
      errorCode: KAFKA_ERROR.UNSUPPORTED_VERSION,
      apiKeys: [{ apiKey: API_KEY.ApiVersions, minVersion, maxVersion }],
      throttleTimeMs: 0,
    });
  });
}
