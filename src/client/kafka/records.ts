/**
 * evq messages as Kafka records and back. Key, headers, value and timestamp map one to one: the key is the
 * record key (UTF-8), each header a record header, the timestamp the record's CreateTime (absent, the broker
 * stamps it). A record read back gets its partition and offset from the fetch; a header repeated in Kafka
 * (evq's headers are a map) keeps its last value, and a null value reads as empty bytes.
 */

import type { EvqRecord, ProduceMessage } from '../types.js';
import type { FetchedMessage } from './library.js';

/** A message as kafkajs's producer takes it. */
export interface KafkaMessage {
  key: string | null;
  value: Buffer;
  headers?: Record<string, string>;
  timestamp?: string;
}

export function toKafkaMessage(message: ProduceMessage): KafkaMessage {
  const out: KafkaMessage = {
    key: message.key ?? null,
    value: typeof message.value === 'string' ? Buffer.from(message.value, 'utf8') : message.value,
  };
  if (message.headers !== undefined && message.headers !== null) out.headers = { ...message.headers };
  if (message.timestamp !== undefined) out.timestamp = String(message.timestamp);
  return out;
}

/** A fetched record of `topic`'s `partition` as an evq record. */
export function toEvqRecord(topic: string, partition: number, message: FetchedMessage): EvqRecord {
  let headers: Record<string, string> | null = null;
  if (message.headers !== undefined) {
    for (const [name, raw] of Object.entries(message.headers)) {
      if (raw === undefined) continue;
      const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
      if (last === undefined) continue;
      headers ??= Object.create(null) as Record<string, string>;
      headers[name] = typeof last === 'string' ? last : last.toString('utf8');
    }
  }
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: message.key === null || message.key === undefined ? null : message.key.toString('utf8'),
    headers,
    value: message.value ?? Buffer.alloc(0),
  };
}
