/**
 * A record as JSON on the wire (NDJSON reads, JSON text frames, `--format json`), both ways:
 *
 *   {"topic":"orders","partition":0,"offset":4,"timestamp":1767225600000,"key":"k"|null,"headers":{…}|null,"value":"…"}
 *
 * with `"valueBase64"` instead of `"value"` when the value is not UTF-8. Pure: no I/O.
 */
import { EvqError } from '../errors.js';
import { BASE64_EXPECTED, decodeBase64Strict } from './base64.js';
import type { WireRecord } from './http.js';
import { checkHeaders } from './ndjson.js';
import type { EvqRecord } from './record.js';
import { readUtf8 } from './utf8.js';

/** A message value as JSON: `value` (the text) when it is a string or UTF-8 bytes, else `valueBase64`. */
export function valueFields(value: string | Buffer): { value: string } | { valueBase64: string } {
  if (typeof value === 'string') return { value };
  const text = readUtf8(value, 0, value.length);
  return text !== null ? { value: text } : { valueBase64: value.toString('base64') };
}

/** A record as a JSON object: its value as text when it is UTF-8, else as `valueBase64`. */
export function toWireRecord(record: EvqRecord): WireRecord {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key,
    headers: record.headers,
    ...valueFields(record.value),
  };
}

/** A record as one line of JSON (no newline). */
export function recordJson(record: EvqRecord): string {
  return JSON.stringify(toWireRecord(record));
}

/**
 * A record from its JSON object (the inverse of {@link toWireRecord}). `topic` is used when the object has
 * none. Headers come back as an object with a `null` prototype. Throws `EVQ_ERR_MALFORMED`, naming the field,
 * for anything else.
 */
export function fromWireRecord(wire: unknown, topic: string): EvqRecord {
  if (typeof wire !== 'object' || wire === null || Array.isArray(wire)) throw malformed('a record is a JSON object');
  const w = wire as Record<string, unknown>;
  if (w.partition !== undefined && !isWhole(w.partition)) throw malformed('"partition" must be a whole number >= 0');
  if (!isWhole(w.offset)) throw malformed('"offset" must be a whole number >= 0');
  if (!isWhole(w.timestamp)) throw malformed('"timestamp" must be a whole number of milliseconds >= 0');
  if (w.key !== undefined && w.key !== null && typeof w.key !== 'string') throw malformed('"key" must be a string or null');
  let value: Buffer;
  if (typeof w.valueBase64 === 'string') {
    const bytes = decodeBase64Strict(w.valueBase64);
    if (bytes === undefined) throw malformed(`"valueBase64" is ${BASE64_EXPECTED}`);
    value = bytes;
  } else if (typeof w.value === 'string') value = Buffer.from(w.value, 'utf8');
  else throw malformed('a record needs "value" or "valueBase64": a string');
  return {
    topic: typeof w.topic === 'string' ? w.topic : topic,
    partition: (w.partition as number | undefined) ?? 0,
    offset: w.offset,
    timestamp: w.timestamp,
    key: (w.key as string | null | undefined) ?? null,
    headers: checkHeaders(w.headers, fail),
    value,
  };
}

/** The records of an NDJSON read body (one {@link fromWireRecord} object per line; blank lines skipped). */
export function parseRecordLines(body: Buffer, topic: string): EvqRecord[] {
  const records: EvqRecord[] = [];
  const text = body.toString('utf8');
  let start = 0;
  let line = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const lineStart = start;
    start = end + 1;
    if (isBlank(text, lineStart, end)) continue;
    const raw = text.slice(lineStart, end);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw malformed(`line ${line} of the read of "${topic}" is not JSON`);
    }
    try {
      records.push(fromWireRecord(parsed, topic));
    } catch (error) {
      throw malformed(`line ${line} of the read of "${topic}": ${(error as Error).message.slice(PREFIX.length)}`);
    }
  }
  return records;
}

/** Whether `text` holds only JSON whitespace (spaces, tabs, `\r`) from `start` to `end`: no copy made. */
function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

function isWhole(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

const PREFIX = 'malformed record: ';

function malformed(message: string): EvqError {
  return new EvqError('EVQ_ERR_MALFORMED', `${PREFIX}${message}`);
}

function fail(message: string): never {
  throw malformed(message);
}
