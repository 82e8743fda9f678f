/** The JetStream API errors evq tells apart, by their `err_code`. */

import { JetStreamApiError } from '@nats-io/jetstream';

export const CONSUMER_NOT_FOUND = 10014;
export const STREAM_NAME_IN_USE = 10058;
export const STREAM_NOT_FOUND = 10059;

/** The JetStream API error code (`err_code`) of an error thrown by nats.js, if it has one. */
export function apiErrorCode(error: unknown): number | undefined {
  return error instanceof JetStreamApiError ? error.code : undefined;
}
