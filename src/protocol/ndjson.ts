/**
 * NDJSON produce batches (POST /topics/{topic}/batch): one JSON object per line,
 *
 *   {"value": <string | any JSON>, "key"?: string | null, "headers"?: {name: string}, "valueBase64"?: string,
 *    "timestamp"?: ms since the epoch}
 *
 * A string value is the message as it is; any other JSON value is stored as its JSON text. Blank lines are
 * skipped. Any malformed line fails the whole batch (nothing is appended) with the line number.
 */

import { EvqError } from '../errors.js';
import { BASE64_EXPECTED, decodeBase64Strict } from './base64.js';
import { FORBIDDEN_HEADER_NAMES } from './record.js';

export interface NdjsonMessage {
  value: Buffer;
  key: string | null;
  headers: Record<string, string> | null;
  /** The producer's timestamp (ms since the epoch); absent: the broker's clock at append. */
  timestamp?: number;
}

export function parseNdjsonBatch(body: Buffer, maxCount: number): NdjsonMessage[] {
  const text = body.toString('utf8');
  const messages: NdjsonMessage[] = [];
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    if (messages.length >= maxCount) {
      throw new EvqError('EVQ_ERR_BATCH_TOO_LARGE', `batch has more than ${maxCount} messages`);
    }
    messages.push(parseLine(raw, line));
  }
  if (messages.length === 0) throw new EvqError('EVQ_ERR_MALFORMED', 'the batch is empty: send one JSON object per line');
  return messages;
}

function parseLine(raw: string, line: number): NdjsonMessage {
  const fail = (what: string): never => {
    throw new EvqError('EVQ_ERR_MALFORMED', `malformed batch at line ${line}: ${what}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail('not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('expected an object like {"value": "..."}');
  }
  const obj = parsed as Record<string, unknown>;
  let value: Buffer;
  if (Object.hasOwn(obj, 'valueBase64')) {
    if (typeof obj.valueBase64 !== 'string') fail('"valueBase64" must be a string');
    value = decodeBase64Strict(obj.valueBase64 as string) ?? fail(`"valueBase64" is ${BASE64_EXPECTED}`);
  } else if (!Object.hasOwn(obj, 'value')) {
    return fail('missing "value"');
  } else {
    value = Buffer.from(typeof obj.value === 'string' ? obj.value : JSON.stringify(obj.value), 'utf8');
  }
  let key: string | null = null;
  if (obj.key !== undefined && obj.key !== null) {
    if (typeof obj.key !== 'string') fail('"key" must be a string');
    key = obj.key as string;
  }
  const message: NdjsonMessage = { value, key, headers: checkHeaders(obj.headers, fail) };
  if (obj.timestamp !== undefined && obj.timestamp !== null) {
    const ts = obj.timestamp;
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) fail('"timestamp" must be a whole number of ms since the epoch');
    message.timestamp = ts as number;
  }
  return message;
}

/** Checks a headers object received as JSON: string values, no prototype names. */
export function checkHeaders(value: unknown, fail: (what: string) => never): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return fail('"headers" must be an object of strings or null');
  const headers = Object.create(null) as Record<string, string>;
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    if (FORBIDDEN_HEADER_NAMES.has(name)) fail(`"${name}" cannot be a header name`);
    if (typeof v !== 'string') fail(`header "${name}" must be a string`);
    headers[name] = v as string;
  }
  return headers;
}
