/**
 * FindCoordinator (key 10), versions 0–2 (3 is flexible).
 *
 * ```text
 * request:  key STRING, key_type INT8 v1+ (0 group, 1 transaction)
 * response: throttle_time_ms INT32 v1+, error_code INT16, error_message NULLABLE_STRING v1+,
 *           node_id INT32, host STRING, port INT32
 * ```
 * Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export const COORDINATOR_KEY_TYPE = { group: 0, transaction: 1 } as const;

export interface FindCoordinatorRequest {
  key: string;
  /** v1+; 0 (group) below. */
  keyType: number;
}

export interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export function readFindCoordinatorRequest(r: KafkaReader, version: number): FindCoordinatorRequest {
  const key = r.string();
  const keyType = version >= 1 ? r.int8() : COORDINATOR_KEY_TYPE.group;
  return { key, keyType };
}

export function writeFindCoordinatorRequest(w: KafkaWriter, version: number, request: FindCoordinatorRequest): void {
  w.string(request.key);
  if (version >= 1) w.int8(request.keyType);
}

export function writeFindCoordinatorResponse(w: KafkaWriter, version: number, response: FindCoordinatorResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.int16(response.errorCode);
  if (version >= 1) w.nullableString(response.errorMessage);
  w.int32(response.nodeId).string(response.host).int32(response.port);
}

export function readFindCoordinatorResponse(r: KafkaReader, version: number): FindCoordinatorResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  const errorMessage = version >= 1 ? r.nullableString() : null;
  return { throttleTimeMs, errorCode, errorMessage, nodeId: r.int32(), host: r.string(), port: r.int32() };
}
