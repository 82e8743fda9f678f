/** The JetStream API errors evq tells apart, by their `err_code`. */

export const CONSUMER_NOT_FOUND = 10014;
export const STREAM_NAME_IN_USE = 10058;
export const STREAM_NOT_FOUND = 10059;

/** The JetStream API error code of an error thrown by nats.js, if it has one. */
export function apiErrorCode(error: unknown): number | undefined {
  const api = (error as { api_error?: { err_code?: unknown } } | null)?.api_error;
  return typeof api?.err_code === 'number' ? api.err_code : undefined;
}
