/**
 * The WebSocket side of the wire contract (docs/PROTOCOL.md). One connection at `/ws` carries any number of
 * subscriptions and produce requests.
 *
 * Text frames are JSON control messages (`op`; their shapes and decoders are in ws-control.ts). Binary frames
 * are evq's fast path:
 *
 *   produce  (client -> broker)  u8 0x01 | u32 req | u16 topicLength | topic utf8 | u8 flags (bit 0: gzip,
 *                                bit 1: a partition follows) | f64 dueAt (ms since epoch, 0 = now) | u16 idLength
 *                                | idempotency key utf8 | [u32 partition, with flag bit 1]
 *                                | batch (record-codec; its baseOffset and zero timestamps are ignored)
 *   deliver  (broker -> client)  u8 0x02 | u32 sub | batch            every record of the batch with an
 *                                offset >= the subscription's position is the subscription's (unfiltered);
 *                                the batch is of partition 0
 *   sparse   (broker -> client)  u8 0x03 | u32 sub | u32 count | f64 offset * count | batch
 *                                the records of partition 0 that matched a filter; record i has offset offsets[i]
 *   deliver-p (broker -> client) u8 0x04 | u32 sub | u32 partition | batch       as deliver, of that partition
 *   sparse-p  (broker -> client) u8 0x05 | u32 sub | u32 partition | u32 count | f64 offset * count | batch
 *
 * A subscription of a topic of one partition gets only 0x02 and 0x03 frames, exactly as before partitions.
 *
 * Deliver and sparse frames are sent as two fragments of one WebSocket message (the header, then the batch
 * bytes), so a stored batch is encoded once and shared by every subscriber that takes it.
 */

import { EvqError } from '../errors.js';

export const FRAME = { produce: 0x01, deliver: 0x02, sparse: 0x03, deliverPartition: 0x04, sparsePartition: 0x05 } as const;
export const PRODUCE_FLAGS = { gzip: 0x01, partition: 0x02 } as const;

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
  /** The partition to append to; null lets the broker place the records by key. */
  partition?: number | null;
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
  const partition = frame.partition ?? null;
  const head = Buffer.allocUnsafe(1 + 4 + 2 + topic.length + 1 + 8 + 2 + id.length + (partition === null ? 0 : 4));
  let p = head.writeUInt8(FRAME.produce, 0);
  p = head.writeUInt32BE(frame.req >>> 0, p);
  p = head.writeUInt16BE(topic.length, p);
  p += topic.copy(head, p);
  p = head.writeUInt8((frame.gzip ? PRODUCE_FLAGS.gzip : 0) | (partition === null ? 0 : PRODUCE_FLAGS.partition), p);
  p = head.writeDoubleBE(frame.dueAt, p);
  p = head.writeUInt16BE(id.length, p);
  p += id.copy(head, p);
  if (partition !== null) head.writeUInt32BE(partition >>> 0, p);
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
  if ((flags & PRODUCE_FLAGS.partition) === 0) {
    return { req, topic, gzip: (flags & PRODUCE_FLAGS.gzip) !== 0, dueAt, idempotencyKey, batch: buf.subarray(p) };
  }
  if (buf.length < p + 4) fail('truncated partition');
  const partition = buf.readUInt32BE(p);
  return { req, topic, gzip: (flags & PRODUCE_FLAGS.gzip) !== 0, dueAt, idempotencyKey, partition, batch: buf.subarray(p + 4) };
}

/**
 * The header of a deliver frame (5 bytes for partition 0, 9 with the partition for the others); the batch bytes
 * follow as the message's second fragment.
 */
export function encodeDeliverHeader(sub: number, partition = 0): Buffer {
  const head = Buffer.allocUnsafe(partition === 0 ? 5 : 9);
  head.writeUInt8(partition === 0 ? FRAME.deliver : FRAME.deliverPartition, 0);
  head.writeUInt32BE(sub >>> 0, 1);
  if (partition !== 0) head.writeUInt32BE(partition >>> 0, 5);
  return head;
}

/** The header of a sparse frame; the batch of the matching records follows as the message's second fragment. */
export function encodeSparseHeader(sub: number, offsets: readonly number[], partition = 0): Buffer {
  const at = partition === 0 ? 5 : 9;
  const head = Buffer.allocUnsafe(at + 4 + 8 * offsets.length);
  head.writeUInt8(partition === 0 ? FRAME.sparse : FRAME.sparsePartition, 0);
  head.writeUInt32BE(sub >>> 0, 1);
  if (partition !== 0) head.writeUInt32BE(partition >>> 0, 5);
  head.writeUInt32BE(offsets.length, at);
  for (let i = 0; i < offsets.length; i++) head.writeDoubleBE(offsets[i] as number, at + 4 + 8 * i);
  return head;
}

export interface DeliveryFrame {
  sub: number;
  /** The partition the batch is of (0 for the frames 0x02 and 0x03). */
  partition: number;
  /** Offsets of the records in `batch` (sparse frames), or null when they follow the batch's base offset. */
  offsets: number[] | null;
  batch: Buffer;
}

export function decodeDeliveryFrame(buf: Buffer): DeliveryFrame {
  if (buf.length < 5) throw new EvqError('EVQ_ERR_MALFORMED', 'malformed delivery frame: too short');
  const kind = buf[0];
  const sub = buf.readUInt32BE(1);
  if (kind === FRAME.deliver) return { sub, partition: 0, offsets: null, batch: buf.subarray(5) };
  const withPartition = kind === FRAME.deliverPartition || kind === FRAME.sparsePartition;
  if (withPartition && buf.length < 9) throw new EvqError('EVQ_ERR_MALFORMED', 'malformed delivery frame: too short');
  const partition = withPartition ? buf.readUInt32BE(5) : 0;
  if (kind === FRAME.deliverPartition) return { sub, partition, offsets: null, batch: buf.subarray(9) };
  const at = withPartition ? 9 : 5;
  if ((kind !== FRAME.sparse && kind !== FRAME.sparsePartition) || buf.length < at + 4) {
    throw new EvqError('EVQ_ERR_MALFORMED', 'malformed delivery frame: unknown kind');
  }
  const count = buf.readUInt32BE(at);
  if (buf.length < at + 4 + 8 * count) throw new EvqError('EVQ_ERR_MALFORMED', 'malformed delivery frame: truncated offsets');
  const offsets = new Array<number>(count);
  for (let i = 0; i < count; i++) offsets[i] = buf.readDoubleBE(at + 4 + 8 * i);
  return { sub, partition, offsets, batch: buf.subarray(at + 4 + 8 * count) };
}

/** The subprotocol with which evq's own client asks for binary batched delivery. */
export const SUBPROTOCOL_BINARY = 'evq.binary.v1';
