/**
 * The record model shared by the broker and the client.
 *
 * A record is what a consumer reads: a message plus the topic and partition it lives in and the offset the
 * broker gave it. Offsets are per partition, from 0, without gaps; timestamps are milliseconds since the Unix epoch.
 */

/** Header names that are refused everywhere: they would let a message reach into an object's prototype. */
export const FORBIDDEN_HEADER_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** One record of a topic, as read back from the broker. */
export interface EvqRecord {
  topic: string;
  /** The partition of the topic the record lives in (0 for a topic of one partition). */
  partition: number;
  /** Position of the record in its partition: from 0, without gaps. */
  offset: number;
  /** Milliseconds since the Unix epoch: given by the producer, or the broker's clock at append time. */
  timestamp: number;
  key: string | null;
  /**
   * Header names to values. Decoded headers are objects with a `null` prototype (no `toString`,
   * no `__proto__`); `null` when the message had none.
   */
  headers: Record<string, string> | null;
  /** The message bytes. Decoded values are views into the decoded buffer (copy them to keep them past it). */
  value: Buffer;
}

/** A message as a producer gives it. */
export interface MessageInput {
  value: Buffer | string;
  key?: string | null;
  headers?: Record<string, string> | null;
  /** Milliseconds since the Unix epoch; the broker uses its clock when absent. */
  timestamp?: number;
}

/** A message whose timestamp is known: what a batch encodes. */
export interface TimestampedMessage extends MessageInput {
  timestamp: number;
}
