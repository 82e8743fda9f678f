/**
 * SaslHandshake (key 17), versions 0–1, and SaslAuthenticate (key 36), versions 0–1 (none flexible;
 * SaslAuthenticate v2 is flexible).
 *
 * ```text
 * SaslHandshake
 *   request:  mechanism STRING
 *   response: error_code INT16, mechanisms ARRAY(STRING)
 * SaslAuthenticate
 *   request:  auth_bytes BYTES
 *   response: error_code INT16, error_message NULLABLE_STRING, auth_bytes BYTES,
 *             session_lifetime_ms INT64                                            v1+
 * ```
 *
 * SaslHandshake v0 is followed by raw SASL tokens, each framed by an INT32 length alone; v1 by
 * SaslAuthenticate requests carrying them (KIP-152). A session lifetime of 0 means none (KIP-368). Byte
 * fields are views into the frame. Pure.
 */
import type { KafkaReader } from './reader.js';
import type { KafkaWriter } from './writer.js';

export interface SaslHandshakeRequest {
  mechanism: string;
}

export interface SaslHandshakeResponse {
  errorCode: number;
  /** The mechanisms the broker enables (e.g. `PLAIN`, `SCRAM-SHA-256`). */
  mechanisms: string[];
}

export interface SaslAuthenticateRequest {
  authBytes: Buffer;
}

export interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  /** v1+; 0 below (no limit). */
  sessionLifetimeMs: number;
}

export const SASL_LIMITS = { maxMechanisms: 100 } as const;

export function readSaslHandshakeRequest(r: KafkaReader, _version: number): SaslHandshakeRequest {
  return { mechanism: r.string() };
}

export function writeSaslHandshakeRequest(w: KafkaWriter, _version: number, request: SaslHandshakeRequest): void {
  w.string(request.mechanism);
}

export function writeSaslHandshakeResponse(w: KafkaWriter, _version: number, response: SaslHandshakeResponse): void {
  w.int16(response.errorCode).array(response.mechanisms, (x, m) => x.string(m));
}

export function readSaslHandshakeResponse(r: KafkaReader, _version: number): SaslHandshakeResponse {
  const errorCode = r.int16();
  return { errorCode, mechanisms: r.array((x) => x.string(), { max: SASL_LIMITS.maxMechanisms, minBytes: 2 }) };
}

export function readSaslAuthenticateRequest(r: KafkaReader, _version: number): SaslAuthenticateRequest {
  return { authBytes: r.bytes() };
}

export function writeSaslAuthenticateRequest(w: KafkaWriter, _version: number, request: SaslAuthenticateRequest): void {
  w.bytes(request.authBytes);
}

export function writeSaslAuthenticateResponse(w: KafkaWriter, version: number, response: SaslAuthenticateResponse): void {
  w.int16(response.errorCode).nullableString(response.errorMessage).bytes(response.authBytes);
  if (version >= 1) w.int64(response.sessionLifetimeMs);
}

export function readSaslAuthenticateResponse(r: KafkaReader, version: number): SaslAuthenticateResponse {
  const errorCode = r.int16();
  const errorMessage = r.nullableString();
  const authBytes = r.bytes();
  const sessionLifetimeMs = version >= 1 ? r.int64Number() : 0;
  return { errorCode, errorMessage, authBytes, sessionLifetimeMs };
}
