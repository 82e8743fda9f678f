/**
 * Between Kafka's records and evq's: one set of records serves both listeners. A Kafka record's key and
 * header values are bytes, evq's are text, so a Kafka record is taken only when its key and header values
 * are UTF-8 (they then come back byte for byte); its value is bytes in both. A null value (a tombstone)
 * is stored empty, a null header value as an empty string, and a header name given twice is refused (evq's
 * headers are a map): each is INVALID_RECORD with a message that says so, and nothing of the batch is
 * written. A record's CreateTime is kept; a batch stamped with LogAppendTime, or a record without a time
 * (-1), gets the broker's clock. Pure.
 */
import { isUtf8 } from 'node:buffer';
import type { MessageInput } from '../record.js';
import { FORBIDDEN_HEADER_NAMES } from '../record.js';
import { forEachRecord, type ForEachRecordOptions } from '../record-codec.js';
import { KafkaCodecError } from './codec-error.js';
import { encodeRecordBatch, type EncodeRecord, type KafkaHeader, type RecordBatch } from './record-batch.js';

/** A Kafka record as evq keeps it, with the delivery time its `evq-delay` / `evq-deliver-at` header asks for. */
export interface TranslatedRecord {
  message: MessageInput;
  /** The value of the delay header (`evq-delay`), or of the due-time header (`evq-deliver-at`, `evq-at`), when present. */
  delay: { kind: 'delay' | 'at'; text: string } | null;
}

/** Headers of a Kafka record that ask for delayed delivery, as evq's own `evq-delay` and `evq-at` do. */
export const KAFKA_DELAY_HEADERS = { delay: 'evq-delay', at: ['evq-deliver-at', 'evq-at'] } as const;

/**
 * The header the broker puts on the last record it appends of an idempotent producer's batch:
 * `<producer id>:<epoch>:<first sequence>:<last sequence>:<records appended>`, so that the producer's
 * sequences are read back from the log after a restart. evq's readers see it; Kafka fetches leave it out,
 * and a Kafka record that carries it is refused.
 */
export const KAFKA_PRODUCER_HEADER = 'evq-kafka-producer';

function invalid(message: string): KafkaCodecError {
  return new KafkaCodecError('INVALID_RECORD', message);
}

/** The records of a decoded Kafka batch as evq messages; INVALID_RECORD for one evq cannot keep as it came. */
export function translateKafkaBatch(batch: RecordBatch): TranslatedRecord[] {
  const stampOnArrival = batch.timestampType === 'LogAppendTime';
  const out = new Array<TranslatedRecord>(batch.records.length);
  for (let i = 0; i < batch.records.length; i++) {
    const record = batch.records[i] as RecordBatch['records'][number];
    let key: string | null = null;
    if (record.key !== null) {
      if (!isUtf8(record.key)) throw invalid(`record ${i} has a key that is not UTF-8 text: evq keeps keys as text`);
      key = record.key.toString('utf8');
    }
    let headers: Record<string, string> | null = null;
    let delay: TranslatedRecord['delay'] = null;
    if (record.headers.length > 0) {
      headers = Object.create(null) as Record<string, string>;
      for (const h of record.headers) {
        if (FORBIDDEN_HEADER_NAMES.has(h.key) || h.key === KAFKA_PRODUCER_HEADER) {
          throw invalid(`record ${i} has a header named "${h.key}", a name evq refuses`);
        }
        if (h.key in headers) throw invalid(`record ${i} has header "${h.key.slice(0, 100)}" twice: evq keeps one value per header name`);
        if (h.value !== null && !isUtf8(h.value)) {
          throw invalid(
            `record ${i} has a value of header "${h.key.slice(0, 100)}" that is not UTF-8 text: evq keeps header values as text`,
          );
        }
        const value = h.value === null ? '' : h.value.toString('utf8');
        headers[h.key] = value;
        if (h.key === KAFKA_DELAY_HEADERS.delay) delay = { kind: 'delay', text: value };
        else if ((KAFKA_DELAY_HEADERS.at as readonly string[]).includes(h.key)) delay = { kind: 'at', text: value };
      }
    }
    const message: MessageInput = { value: record.value === null ? Buffer.alloc(0) : record.value, key, headers };
    const timestamp = batch.baseTimestamp + record.timestampDelta;
    if (!stampOnArrival && batch.baseTimestamp >= 0 && timestamp >= 0) message.timestamp = timestamp;
    out[i] = { message, delay };
  }
  return out;
}

/**
 * One evq batch (record-codec format, as stored) as one Kafka RecordBatch v2 with the same base offset and
 * the same records: keys and header values as their UTF-8 bytes (without {@link KAFKA_PRODUCER_HEADER}),
 * CreateTime the record's timestamp. A fetch inside it returns it whole, as Kafka does (the client skips
 * the records before the offset it asked for).
 */
export function evqBatchToKafka(stored: Buffer, topic: string, options: ForEachRecordOptions = {}): Buffer {
  const records: EncodeRecord[] = [];
  let baseOffset = -1;
  forEachRecord(
    stored,
    topic,
    (record) => {
      if (baseOffset < 0) baseOffset = record.offset;
      let headers: KafkaHeader[] | undefined;
      if (record.headers !== null) {
        headers = [];
        for (const name in record.headers) {
          if (name !== KAFKA_PRODUCER_HEADER) headers.push({ key: name, value: Buffer.from(record.headers[name] as string, 'utf8') });
        }
      }
      records.push({
        timestamp: record.timestamp,
        key: record.key === null ? null : Buffer.from(record.key, 'utf8'),
        value: record.value,
        headers,
        offsetDelta: record.offset - baseOffset,
      });
    },
    { ...options, fromOffset: 0 },
  );
  return encodeRecordBatch({ records, baseOffset: Math.max(0, baseOffset), partitionLeaderEpoch: 0 });
}
