/**
 * InitProducerId (key 22), versions 0–1 (none flexible; v2 is flexible, v3 adds producer id and epoch to
 * the request).
 *
 * ```text
 * request:  transactional_id NULLABLE_STRING, transaction_timeout_ms INT32
 * response: throttle_time_ms INT32, error_code INT16, producer_id INT64, producer_epoch INT16
 * ```
 *
 * An idempotent producer sends a null transactional id. v1 answers quota violations before throttling
 * (KIP-219): the same bytes. Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface InitProducerIdRequest {
  /** null: an idempotent producer outside transactions. */
  transactionalId: string | null;
  transactionTimeoutMs: number;
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  /** -1 with an error. */
  producerId: number;
  producerEpoch: number;
}

export function readInitProducerIdRequest(r: KafkaReader, _version: number): InitProducerIdRequest {
  return { transactionalId: r.nullableString(), transactionTimeoutMs: r.int32() };
}

export function writeInitProducerIdRequest(w: KafkaWriter, _version: number, request: InitProducerIdRequest): void {
  w.nullableString(request.transactionalId).int32(request.transactionTimeoutMs);
}

export function writeInitProducerIdResponse(w: KafkaWriter, _version: number, response: InitProducerIdResponse): void {
  w.int32(response.throttleTimeMs).int16(response.errorCode).int64(response.producerId).int16(response.producerEpoch);
}

export function readInitProducerIdResponse(r: KafkaReader, _version: number): InitProducerIdResponse {
  return { throttleTimeMs: r.int32(), errorCode: r.int16(), producerId: r.int64Number(), producerEpoch: r.int16() };
}
