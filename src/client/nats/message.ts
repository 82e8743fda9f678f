/**
 * evq messages as NATS messages and back. The value is the payload; the key and the producer's timestamp
 * travel in the reserved headers `Evq-Key` and `Evq-Timestamp`; the message's own headers are NATS headers
 * under their own names (names starting with `Evq-` or `Nats-` are reserved and not read back as headers).
 * Offsets are JetStream stream sequences minus one: a JetStream sequence starts at 1, an evq offset at 0.
 */

import type { JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { EvqRecord, ProduceMessage } from '../types.js';

export const KEY_HEADER = 'Evq-Key';
export const TIMESTAMP_HEADER = 'Evq-Timestamp';

function isReserved(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('evq-') || lower.startsWith('nats-');
}

/** The NATS headers of a message (undefined when it needs none). */
export function encodeHeaders(message: ProduceMessage, msgId?: string): MsgHdrs | undefined {
  const hasKey = message.key !== undefined && message.key !== null;
  const userHeaders = message.headers ?? null;
  if (!hasKey && userHeaders === null && message.timestamp === undefined && msgId === undefined) return undefined;
  const h = natsHeaders();
  if (hasKey) h.set(KEY_HEADER, message.key as string);
  if (message.timestamp !== undefined) h.set(TIMESTAMP_HEADER, String(message.timestamp));
  if (msgId !== undefined) h.set('Nats-Msg-Id', msgId);
  if (userHeaders !== null) {
    for (const [name, value] of Object.entries(userHeaders)) h.set(name, value);
  }
  return h;
}

/** The payload bytes of a message. */
export function encodeValue(message: ProduceMessage): Uint8Array {
  return typeof message.value === 'string' ? Buffer.from(message.value, 'utf8') : message.value;
}

/** A JetStream message as an evq record of `topic`. */
export function decodeRecord(topic: string, msg: JsMsg): EvqRecord {
  let key: string | null = null;
  let timestamp = Math.floor(msg.info.timestampNanos / 1e6);
  let headers: Record<string, string> | null = null;
  const h = msg.headers;
  if (h !== undefined) {
    for (const name of h.keys()) {
      const value = h.get(name);
      if (name === KEY_HEADER) key = value;
      else if (name === TIMESTAMP_HEADER) {
        const t = Number(value);
        if (Number.isFinite(t)) timestamp = t;
      } else if (!isReserved(name)) {
        headers ??= Object.create(null) as Record<string, string>;
        headers[name] = value;
      }
    }
  }
  const data = msg.data;
  return {
    topic,
    partition: 0,
    offset: msg.seq - 1,
    timestamp,
    key,
    headers,
    value: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  };
}
