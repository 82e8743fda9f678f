/**
 * The JSON control frames of the WebSocket protocol (docs/PROTOCOL.md, "WebSocket"): their shapes, one
 * decoder per frame kind, and the encoder that writes each kind with its fields in a fixed order. The broker
 * decodes what clients send with {@link decodeClientControl}; evq's client decodes what the broker sends
 * with {@link decodeBrokerControl}. A frame of a known kind with a field of the wrong type or range is
 * refused as a whole (`EVQ_ERR_MALFORMED`, or the code of the field: `EVQ_ERR_INVALID_OFFSET` for `from`,
 * `EVQ_ERR_INVALID_FILTER` for `filter`); fields a decoder does not know are ignored. Pure: no I/O.
 */

import { EvqError } from '../errors.js';
import type { PartitionAppendReply, StartPosition } from './http.js';
import { MAX_U32 } from './batch-layout.js';
import { checkHeaders } from './ndjson.js';
import { checkStartPosition } from './positions.js';

export type SubscribeFrom = StartPosition;

/** A message of a JSON produce frame. */
export interface ControlMessage {
  value: string;
  key?: string | null;
  headers?: Record<string, string> | null;
}

export interface SubscribeControl {
  op: 'subscribe';
  sub: number;
  topic: string;
  /** Where to start in each partition (`from` as an offset needs `partition` on a topic of more than one). */
  from?: SubscribeFrom;
  filter?: string;
  /** Only this partition; without it, every partition of the topic (and those it gets later). */
  partition?: number;
  /** Per partition (its number as text) the offset to start at, overriding `from` there: what a client resumes with. */
  offsets?: Record<string, number>;
}

export interface UnsubscribeControl {
  op: 'unsubscribe';
  sub: number;
}

export interface ProduceControl {
  op: 'produce';
  req: number;
  topic: string;
  messages: ControlMessage[];
  /** Deliver after this many milliseconds (not with `dueAt`). */
  delayMs?: number;
  /** Deliver at this time, ms since the epoch (not with `delayMs`). */
  dueAt?: number;
  idempotencyKey?: string;
  /** Append every message to this partition (else each is placed by its key). */
  partition?: number;
}

/** A frame a client sends. */
export type ClientControl = SubscribeControl | UnsubscribeControl | ProduceControl;

export interface SubscribedControl {
  op: 'subscribed';
  sub: number;
  topic: string;
  /** Where the first partition subscribed to starts. */
  offset: number;
  /** Where each partition subscribed to starts. */
  partitions?: PartitionStart[];
}

/** Where a subscription starts in one partition. */
export interface PartitionStart {
  partition: number;
  offset: number;
}

export interface UnsubscribedControl {
  op: 'unsubscribed';
  sub: number;
}

export interface AckControl {
  op: 'ack';
  req: number;
  /** -1 for a delayed request (its offsets are given when it is delivered). */
  baseOffset: number;
  lastOffset: number;
  duplicate?: boolean;
  delayed?: boolean;
  /** The first part's partition (as `baseOffset` and `lastOffset` are its offsets). */
  partition?: number;
  /** One per partition the batch went to (see ProduceReply in http.ts). */
  partitions?: PartitionAppendReply[];
  /** With more than one part: the partition of each message in batch order. */
  placement?: number[];
}

export interface ErrorControl {
  op: 'error';
  sub?: number;
  req?: number;
  code: string;
  message: string;
}

export interface ClosedControl {
  op: 'closed';
  sub: number;
  code: string;
  message: string;
}

/** A frame the broker sends. */
export type BrokerControl = SubscribedControl | UnsubscribedControl | AckControl | ErrorControl | ClosedControl;

/** A control frame parsed as JSON, before its kind is checked. */
export type ControlObject = Record<string, unknown>;

/** The ids a frame names, for the error reply to a frame that is refused. */
export interface ControlIds {
  sub?: number;
  req?: number;
}

function malformed(message: string): EvqError {
  return new EvqError('EVQ_ERR_MALFORMED', message);
}

/** Parses a text frame: a JSON object with a string `op`, else `EVQ_ERR_MALFORMED`. */
export function parseControlJson(text: string): ControlObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed('a text frame must be a JSON object with an "op"');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof (parsed as ControlObject).op !== 'string') {
    throw malformed('a text frame must be a JSON object with an "op"');
  }
  return parsed as ControlObject;
}

/** The valid `sub` and `req` ids of a frame (those that are whole numbers from 0 to 2^32 - 1). */
export function controlIds(frame: ControlObject): ControlIds {
  const ids: ControlIds = {};
  if (isId(frame.sub)) ids.sub = frame.sub;
  if (isId(frame.req)) ids.req = frame.req;
  return ids;
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_U32;
}

function id(frame: ControlObject, field: 'sub' | 'req'): number {
  const value = frame[field];
  if (!isId(value)) throw malformed(`${String(frame.op)} needs "${field}": a whole number from 0 to ${MAX_U32}`);
  return value;
}

function text(frame: ControlObject, field: string): string {
  const value = frame[field];
  if (typeof value !== 'string') throw malformed(`${String(frame.op)} needs "${field}": a string`);
  return value;
}

function offset(frame: ControlObject, field: string, min: number): number {
  const value = frame[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw malformed(`${String(frame.op)} needs "${field}": a whole number >= ${min}`);
  }
  return value;
}

function optionalFlag(frame: ControlObject, field: string): boolean | undefined {
  const value = frame[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw malformed(`"${field}" of ${String(frame.op)} must be true or false`);
  return value;
}

function optionalMs(frame: ControlObject, field: string): number | undefined {
  const value = frame[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw malformed(`"${field}" of ${String(frame.op)} must be a number of milliseconds >= 0`);
  }
  return value;
}

// ------------------------------------------------------------------------------------ client -> broker

export function decodeSubscribe(frame: ControlObject): SubscribeControl {
  const decoded: SubscribeControl = { op: 'subscribe', sub: id(frame, 'sub'), topic: text(frame, 'topic') };
  if (frame.from !== undefined) decoded.from = checkSubscribeFrom(frame.from);
  const partition = optionalWhole(frame, 'partition');
  if (partition !== undefined) decoded.partition = partition;
  if (frame.offsets !== undefined && frame.offsets !== null) decoded.offsets = checkOffsets(frame.offsets);
  const filter = frame.filter;
  if (filter !== undefined && filter !== null && typeof filter !== 'string') {
    throw new EvqError('EVQ_ERR_INVALID_FILTER', 'the filter must be a string');
  }
  if (typeof filter === 'string') decoded.filter = filter;
  return decoded;
}

/** `from` of a subscribe: a position, `{"last": N}` (the last N records of each partition) or `{"time": MS}`. */
function checkSubscribeFrom(value: unknown): SubscribeFrom {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'last' in value) {
    const last = (value as { last: unknown }).last;
    if (typeof last !== 'number' || !Number.isSafeInteger(last) || last < 0) {
      throw new EvqError('EVQ_ERR_INVALID_OFFSET', 'invalid position: {"last": N} needs N a whole number >= 0');
    }
    return { last };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'time' in value) {
    const time = (value as { time: unknown }).time;
    if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) {
      throw new EvqError('EVQ_ERR_INVALID_OFFSET', 'invalid position: {"time": MS} needs MS a whole number of ms since the epoch');
    }
    return { time };
  }
  return checkStartPosition(value);
}

/** `offsets` of a subscribe: an object of partition numbers (as text) to offsets, at most `MAX_OFFSETS` of them. */
function checkOffsets(value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('"offsets" of subscribe must be an object');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_OFFSETS) throw malformed(`"offsets" of subscribe names at most ${MAX_OFFSETS} partitions`);
  const offsets = Object.create(null) as Record<string, number>;
  for (const [partition, offset] of entries) {
    if (!/^(0|[1-9]\d{0,8})$/.test(partition)) throw malformed('"offsets" of subscribe is keyed by partition numbers');
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      throw new EvqError('EVQ_ERR_INVALID_OFFSET', `invalid offset for partition ${partition}: expected a whole number >= 0`);
    }
    offsets[partition] = offset;
  }
  return offsets;
}

/** Most partitions one `offsets` object may name. */
const MAX_OFFSETS = 4096;

function optionalWhole(frame: ControlObject, field: string): number | undefined {
  const value = frame[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_U32) {
    throw malformed(`"${field}" of ${String(frame.op)} must be a whole number >= 0`);
  }
  return value;
}

export function decodeUnsubscribe(frame: ControlObject): UnsubscribeControl {
  return { op: 'unsubscribe', sub: id(frame, 'sub') };
}

export function decodeProduce(frame: ControlObject): ProduceControl {
  const req = id(frame, 'req');
  const topic = text(frame, 'topic');
  if (!Array.isArray(frame.messages)) throw malformed('produce needs "messages": an array');
  const fail = (what: string): never => {
    throw malformed(`malformed produce: ${what}`);
  };
  const messages = frame.messages.map((m: unknown): ControlMessage => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return fail('each message is an object with "value"');
    const { value, key, headers } = m as ControlObject;
    if (typeof value !== 'string') return fail('"value" must be a string');
    if (key !== undefined && key !== null && typeof key !== 'string') return fail('"key" must be a string');
    const message: ControlMessage = { value };
    if (key !== undefined) message.key = key as string | null;
    if (headers !== undefined) message.headers = checkHeaders(headers, fail);
    return message;
  });
  const decoded: ProduceControl = { op: 'produce', req, topic, messages };
  const delayMs = optionalMs(frame, 'delayMs');
  const dueAt = optionalMs(frame, 'dueAt');
  if (delayMs !== undefined && dueAt !== undefined) throw malformed('produce takes "delayMs" or "dueAt", not both');
  if (delayMs !== undefined) decoded.delayMs = delayMs;
  if (dueAt !== undefined) decoded.dueAt = dueAt;
  const idempotencyKey = frame.idempotencyKey;
  if (idempotencyKey !== undefined && idempotencyKey !== null) {
    if (typeof idempotencyKey !== 'string') throw malformed('"idempotencyKey" of produce must be a string');
    decoded.idempotencyKey = idempotencyKey;
  }
  const partition = optionalWhole(frame, 'partition');
  if (partition !== undefined) decoded.partition = partition;
  return decoded;
}

const CLIENT_DECODERS: Record<ClientControl['op'], (frame: ControlObject) => ClientControl> = {
  subscribe: decodeSubscribe,
  unsubscribe: decodeUnsubscribe,
  produce: decodeProduce,
};

/** Decodes a frame a client sent (see {@link parseControlJson}); an unknown `op` is `EVQ_ERR_MALFORMED`. */
export function decodeClientControl(frame: ControlObject): ClientControl {
  const decode = Object.hasOwn(CLIENT_DECODERS, frame.op as string) ? CLIENT_DECODERS[frame.op as ClientControl['op']] : undefined;
  if (decode === undefined) throw malformed('unknown op: use subscribe, unsubscribe or produce');
  return decode(frame);
}

// ------------------------------------------------------------------------------------ broker -> client

export function decodeSubscribed(frame: ControlObject): SubscribedControl {
  const decoded: SubscribedControl = {
    op: 'subscribed',
    sub: id(frame, 'sub'),
    topic: text(frame, 'topic'),
    offset: offset(frame, 'offset', 0),
  };
  if (Array.isArray(frame.partitions)) {
    decoded.partitions = frame.partitions.map((p: unknown) => {
      const o = (typeof p === 'object' && p !== null ? p : {}) as ControlObject;
      return { partition: offset({ ...o, op: 'subscribed' }, 'partition', 0), offset: offset({ ...o, op: 'subscribed' }, 'offset', 0) };
    });
  }
  return decoded;
}

export function decodeUnsubscribed(frame: ControlObject): UnsubscribedControl {
  return { op: 'unsubscribed', sub: id(frame, 'sub') };
}

export function decodeAck(frame: ControlObject): AckControl {
  const decoded: AckControl = {
    op: 'ack',
    req: id(frame, 'req'),
    baseOffset: offset(frame, 'baseOffset', -1),
    lastOffset: offset(frame, 'lastOffset', -1),
  };
  const duplicate = optionalFlag(frame, 'duplicate');
  const delayed = optionalFlag(frame, 'delayed');
  if (duplicate !== undefined) decoded.duplicate = duplicate;
  if (delayed !== undefined) decoded.delayed = delayed;
  const partition = optionalWhole(frame, 'partition');
  if (partition !== undefined) decoded.partition = partition;
  if (Array.isArray(frame.partitions)) decoded.partitions = frame.partitions.map(decodePart);
  if (Array.isArray(frame.placement)) {
    decoded.placement = frame.placement.map((p: unknown) => {
      if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 0) throw malformed('"placement" of ack holds partition numbers');
      return p;
    });
  }
  if (delayed !== true && (decoded.baseOffset < 0 || decoded.lastOffset < decoded.baseOffset)) {
    throw malformed(`ack of request ${decoded.req} has invalid offsets ${decoded.baseOffset}..${decoded.lastOffset}`);
  }
  return decoded;
}

function decodePart(value: unknown): PartitionAppendReply {
  const o = { ...((typeof value === 'object' && value !== null ? value : {}) as ControlObject), op: 'ack' };
  return {
    partition: offset(o, 'partition', 0),
    baseOffset: offset(o, 'baseOffset', 0),
    lastOffset: offset(o, 'lastOffset', 0),
    count: offset(o, 'count', 0),
  };
}

export function decodeError(frame: ControlObject): ErrorControl {
  const decoded: ErrorControl = { op: 'error', code: text(frame, 'code'), message: text(frame, 'message') };
  if (frame.sub !== undefined) decoded.sub = id(frame, 'sub');
  if (frame.req !== undefined) decoded.req = id(frame, 'req');
  return decoded;
}

export function decodeClosed(frame: ControlObject): ClosedControl {
  return { op: 'closed', sub: id(frame, 'sub'), code: text(frame, 'code'), message: text(frame, 'message') };
}

const BROKER_DECODERS: Record<BrokerControl['op'], (frame: ControlObject) => BrokerControl> = {
  subscribed: decodeSubscribed,
  unsubscribed: decodeUnsubscribed,
  ack: decodeAck,
  error: decodeError,
  closed: decodeClosed,
};

/**
 * Decodes a frame the broker sent (see {@link parseControlJson}). Returns null for an `op` this version does
 * not know (a newer broker's frame, ignored); a known kind with a bad field is `EVQ_ERR_MALFORMED`.
 */
export function decodeBrokerControl(frame: ControlObject): BrokerControl | null {
  const decode = Object.hasOwn(BROKER_DECODERS, frame.op as string) ? BROKER_DECODERS[frame.op as BrokerControl['op']] : undefined;
  return decode === undefined ? null : decode(frame);
}

// ------------------------------------------------------------------------------------------- encoding

/** The fields of each kind in the order they are written. */
const FIELD_ORDER: Record<ClientControl['op'] | BrokerControl['op'], readonly string[]> = {
  subscribe: ['op', 'sub', 'topic', 'from', 'filter', 'partition', 'offsets'],
  unsubscribe: ['op', 'sub'],
  produce: ['op', 'req', 'topic', 'messages', 'delayMs', 'dueAt', 'idempotencyKey', 'partition'],
  subscribed: ['op', 'sub', 'topic', 'offset', 'partitions'],
  unsubscribed: ['op', 'sub'],
  ack: ['op', 'req', 'baseOffset', 'lastOffset', 'duplicate', 'delayed', 'partition', 'partitions', 'placement'],
  error: ['op', 'sub', 'req', 'code', 'message'],
  closed: ['op', 'sub', 'code', 'message'],
};

const MESSAGE_ORDER = ['value', 'key', 'headers'] as const;

/** A control frame as the text of a WebSocket frame: its kind's fields in a fixed order, undefined ones left out. */
export function encodeControl(frame: ClientControl | BrokerControl): string {
  const source = frame as unknown as ControlObject;
  const out: ControlObject = {};
  for (const field of FIELD_ORDER[frame.op]) {
    const value = source[field];
    if (value === undefined) continue;
    out[field] = field === 'messages' ? (value as ControlMessage[]).map(orderMessage) : value;
  }
  return JSON.stringify(out);
}

function orderMessage(message: ControlMessage): ControlObject {
  const out: ControlObject = {};
  for (const field of MESSAGE_ORDER) if (message[field] !== undefined) out[field] = message[field];
  return out;
}
