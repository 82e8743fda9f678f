/**
 * DeleteTopics (key 20), versions 0–3 (none flexible; v4 is flexible, v6 names topics by id too).
 *
 * ```text
 * request:  topic_names ARRAY(STRING), timeout_ms INT32
 * response: throttle_time_ms INT32                       v1+
 *           responses ARRAY(name STRING, error_code INT16)
 * ```
 *
 * v2 answers quota violations before throttling (KIP-219) and v3 may answer TOPIC_DELETION_DISABLED: the
 * same bytes as v1. Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface DeleteTopicsRequest {
  topicNames: string[];
  timeoutMs: number;
}

export interface DeleteTopicsResponse {
  /** v1+; 0 below. */
  throttleTimeMs: number;
  responses: { name: string; errorCode: number }[];
}

export const DELETE_TOPICS_LIMITS = { maxTopics: 10_000 } as const;

export function readDeleteTopicsRequest(
  r: KafkaReader,
  _version: number,
  limits: { maxTopics: number } = DELETE_TOPICS_LIMITS,
): DeleteTopicsRequest {
  const topicNames = r.array((x) => x.string(), { max: limits.maxTopics, minBytes: 2 });
  return { topicNames, timeoutMs: r.int32() };
}

export function writeDeleteTopicsRequest(w: KafkaWriter, _version: number, request: DeleteTopicsRequest): void {
  w.array(request.topicNames, (x, name) => x.string(name)).int32(request.timeoutMs);
}

export function writeDeleteTopicsResponse(w: KafkaWriter, version: number, response: DeleteTopicsResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.array(response.responses, (x, t) => x.string(t.name).int16(t.errorCode));
}

export function readDeleteTopicsResponse(r: KafkaReader, version: number): DeleteTopicsResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const responses = r.array((x) => ({ name: x.string(), errorCode: x.int16() }), { max: DELETE_TOPICS_LIMITS.maxTopics, minBytes: 4 });
  return { throttleTimeMs, responses };
}
