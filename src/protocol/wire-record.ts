import type { WireRecord } from './http.js';
import type { EvqRecord } from './record.js';
import { readUtf8 } from './utf8.js';

/**
 * A record as JSON on the wire (NDJSON reads, JSON text frames, `--format json`): its value as text when
 * it is UTF-8, else as `valueBase64`.
 */
export function toWireRecord(record: EvqRecord): WireRecord {
  const wire: WireRecord = {
    topic: record.topic,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key,
    headers: record.headers,
  };
  const text = readUtf8(record.value, 0, record.value.length);
  if (text !== null) wire.value = text;
  else wire.valueBase64 = record.value.toString('base64');
  return wire;
}

/** A record as one line of JSON (no newline). */
export function recordJson(record: EvqRecord): string {
  return JSON.stringify(toWireRecord(record));
}
