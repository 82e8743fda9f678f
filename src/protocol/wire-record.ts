import type { WireRecord } from './http.js';
import type { EvqRecord } from './record.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

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
  try {
    wire.value = utf8.decode(record.value);
  } catch {
    wire.valueBase64 = Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength).toString('base64');
  }
  return wire;
}
