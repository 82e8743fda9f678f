/**
 * The WebSocket side of the wire contract (docs/PROTOCOL.md). One connection at `/ws` carries any number of
 * subscriptions and produce requests.
 *
 * Text frames are JSON control messages (`op`; their shapes and decoders are in ws-control.ts). Binary frames
 * are evq's fast path:
 *
 *   produce  (client -> broker)  u8 0x01 | u32 req | u16 topicLength | topic utf8 | u8 flags (bit 0: gzip)
 *                                | f64 dueAt (ms since epoch, 0 = now) | u16 idLength | idempotency key utf8
 *                                | batch (record-codec; its baseOffset and zero timestamps are ignored)
 *   deliver  (broker -> client)  u8 0x02 | u32 sub | batch            every record of the batch with an
 *                                offset >= the subscription's position is the subscription's (unfiltered)
 *   sparse   (broker -> client)  u8 0x03 | u32 sub | u32 count | f64 offset * count | batch
 *                                the records that matched a filter; record i has offset offsets[i]
 *
 * Deliver and sparse frames are sent as two fragments of one WebSocket message (the header, then the batch
 * bytes), so a stored batch is encoded once and shared by every subscriber that takes it.
 */

import { EvqError } from '../errors.js';

export const FRAME = { produce: 0x01, deliver: 0x02, sparse: 0x03 } as const;
export const PRODUCE_FLAGS = { gzip: 0x01 } as const;

/** Close codes the broker uses besides the standard ones (1000 normal, 1001 going away, 1009 too big). */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
  /** The subscriber fell too far behind (memory topics, or past the hard limit) and was disconnected. */
  slowConsumer: 4008,
  unauthorized: 4401,
} as const;

export interface ProduceFrame {
  req: number;
  topic: string;
  gzip: boolean;
  dueAt: number;
  idempotencyKey: string | null;
  batch: Buffer;
}

const MAX_TOPIC_BYTES = 1024;

export function encodeProduceFrame(frame: Omit<ProduceFrame, 'batch'>, batch: Buffer): Buffer {
  return Buffer.concat([encodeProduceHeader(frame), batch]);
}

/** The bytes of a produce frame before its batch (`encodeProduceFrame(frame, batch)` is these, then `batch`). */
export function encodeProduceHeader(frame: Omit<ProduceFrame, 'batch'>): Buffer {
  const topic = Buffer.from(frame.topic, 'utf8');
  const id = Buffer.from(frame.idempotencyKey ?? '', 'utf8');
  const head = Buffer.allocUnsafe(1 + 4 + 2 + topic.length + 1 + 8 + 2 + id.length);
  let p = head.writeUInt8(FRAME.produce, 0);
  p = head.writeUInt32BE(frame.req >>> 0, p);
  p = head.writeUInt16BE(topic.length, p);
  p += topic.copy(head, p);
  p = head.writeUInt8(frame.gzip ? PRODUCE_FLAGS.gzip : 0, p);
  p = head.writeDoubleBE(frame.dueAt, p);
  p = head.writeUInt16BE(id.length, p);
  id.copy(head, p);
  return head;
}

export function decodeProduceFrame(buf: Buffer): ProduceFrame {
  const fail = (what: string): never => {
    throw new EvqError('EVQ_ERR_MALFORMED', `malformed produce frame: ${what}`);
  };
  if (buf.length < 1 + 4 + 2 || buf[0] !== FRAME.produce) fail('bad header');
  const req = buf.readUInt32BE(1);
  const topicLength = buf.readUInt16BE(5);
  if (topicLength > MAX_TOPIC_BYTES) fail('topic too long');
  let p = 7;
  if (buf.length < p + topicLength + 1 + 8 + 2) fail('truncated');
  const topic = buf.toString('utf8', p, p + topicLength);
  p += topicLength;
  const flags = buf.readUInt8(p);
  p += 1;
  const dueAt = buf.readDoubleBE(p);
  p += 8;
  if (!Number.isFinite(dueAt) || dueAt < 0) fail('bad due time');
  const idLength = buf.readUInt16BE(p);
  p += 2;
  if (buf.length < p + idLength) fail('truncated idempotency key');
  const idempotencyKey = idLength > 0 ? buf.toString('utf8', p, p + idLength) : null;
  p += idLength;
  return { req, topic, gzip: (flags & PRODUCE_FLAGS.gzip) !== 0, dueAt, idempotencyKey, batch: buf.subarray(p) };
}

/** The 5-byte header of a deliver frame; the batch bytes follow as the message's second fragment. */
export function encodeDeliverHeader(sub: number): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt8(FRAME.deliver, 0);
  head.writeUInt32BE(sub >>> 0, 1);
  return head;
}

/** The header of a sparse frame; the batch of the matching records follows as the message's second fragment. */
export function encodeSparseHeader(sub: number, offsets: readonly number[]): Buffer {
  const head = Buffer.allocUnsafe(9 + 8 * offsets.length);
  head.writeUInt8(FRAME.sparse, 0);
  head.writeUInt32BE(sub >>> 0, 1);
  head.writeUInt32BE(offsets.length, 5);
  for (let i = 0; i < offsets.length; i++) head.writeDoubleBE(offsets[i] as number, 9 + 8 * i);
  return head;
}

export interface DeliveryFrame {
  sub: number;
  /** Offsets of the records in `batch` (sparse frames), or null when they follow the batch's base offset. */
  offsets: number[] | null;
  batch: Buffer;
}

export function decodeDeliveryFrame(buf: Buffer): DeliveryFrame {
  if (buf.length < 5) throw new EvqError('EVQ_ERR_MALFORMED', 'malformed delivery frame: too short');
  const kind = buf[0];
  const sub = buf.readUInt32BE(1);
  if (kind === FRAME.deliver) return { sub, offsets: null, batch: buf.subarray(5) };
  if (kind !== FRAME.sparse || buf.length < 9) throw new EvqError('EVQ_ERR_MALFORMED', 'malformed delivery frame: unknown kind');
  const count = buf.readUInt32BE(5);
  if (buf.length < 9 + 8 * count) throw new EvqError('EVQ_ERR_MALFORMED', 'malformed delivery frame: truncated offsets');
  const offsets = new Array<number>(count);
  for (let i = 0; i < count; i++) offsets[i] = buf.readDoubleBE(9 + 8 * i);
  return { sub, offsets, batch: buf.subarray(9 + 8 * count) };
}

/** The subprotocol with which evq's own client asks for binary batched delivery. */
export const SUBPROTOCOL_BINARY = 'evq.binary.v1';
