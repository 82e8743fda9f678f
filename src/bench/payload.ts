/**
 * The messages of a run: the shapes they are made from (a generated value of `--size` bytes, the lines of
 * `--payload-file`, or messages shaped for `--filter`), and the per-producer factory that stamps each one.
 */

import { compileFilter } from '../core/filter/index.js';
import type { ProduceMessage } from '../client/types.js';
import { EvqUsageError } from '../errors.js';
import { shapeRecord, shapesForFilter, type MessageShape } from './filter-shapes.js';
import { isMatch, matchPpm } from './match.js';
import { heldMessages, maxInFlightOf } from './produce-window.js';
import type { Scenario } from './scenario.js';
import { STAMP_BYTES, STAMP_FLAGS, STAMP_HEADER, STAMP_HEX_LENGTH, rewriteStamp, stampToHex, writeStamp, type Stamp } from './stamp.js';

export type { MessageShape } from './filter-shapes.js';

/** What the messages are made from: shapes that match the filter (all, without one) and shapes that do not. */
export interface Shapes {
  matching: MessageShape[];
  other: MessageShape[];
}

const FILLER = Buffer.from('evq bench payload 0123456789 abcdefghijklmnopqrstuvwxyz ');

/** `size` bytes of printable filler. */
export function filler(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let at = 0; at < size; at += FILLER.length) FILLER.copy(out, at, 0, Math.min(FILLER.length, size - at));
  return out;
}

/** The stamp header with a placeholder of its real length (what filters see while shaping). */
const STAMP_PLACEHOLDER = { [STAMP_HEADER]: '0'.repeat(STAMP_HEX_LENGTH) };

/**
 * The shapes of a scenario. With a filter, payloads are sorted by the filter (compiled here, as the broker
 * will run it) or generated for it; a match ratio that needs a kind of message that could not be found is a
 * usage error that says what to do.
 */
export function buildShapes(scenario: Scenario): Shapes {
  const { filter, payloads } = scenario;
  if (filter === null) {
    const values = payloads ?? [filler(scenario.size)];
    return { matching: values.map((value) => ({ value, key: null, headers: null })), other: [] };
  }
  let shapes: Shapes;
  if (payloads !== null) {
    const match = compileFilter(filter);
    shapes = { matching: [], other: [] };
    for (const value of payloads) {
      const shape: MessageShape = { value, key: null, headers: null };
      (match(shapeRecord(shape, scenario.topic, STAMP_PLACEHOLDER)) ? shapes.matching : shapes.other).push(shape);
    }
  } else {
    const found = shapesForFilter(filter, scenario.size, scenario.topic, STAMP_PLACEHOLDER);
    shapes = { matching: found.matching === null ? [] : [found.matching], other: found.other === null ? [] : [found.other] };
  }
  const ratio = scenario.matchRatio ?? 1;
  const source = payloads !== null ? `the payloads of ${scenario.payloadFile ?? '--payload-file'}` : 'a message the generator could make';
  if (ratio > 0 && shapes.matching.length === 0) {
    // a payload line is a message value only: a filter on its key or headers can never match one
    const why =
      payloads !== null && /\b(headers|key)\b/.test(filter)
        ? ': a payload line is the message value (it has no key and no headers), so filter on value.FIELD'
        : ': give payloads that match with --payload-file, one per line';
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `no message matches the filter ${JSON.stringify(filter)} (tried ${source})${why}`);
  }
  if (ratio < 1 && shapes.other.length === 0) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `every message matches the filter ${JSON.stringify(filter)} (tried ${source}): give payloads that do not match with --payload-file, or --match-ratio 1`,
    );
  }
  return shapes;
}

/** Shapes back from another thread (where Buffers arrive as Uint8Arrays). */
export function reviveShapes(shapes: Shapes): Shapes {
  const revive = (s: MessageShape): MessageShape => ({
    value: Buffer.isBuffer(s.value)
      ? s.value
      : Buffer.from((s.value as Uint8Array).buffer, (s.value as Uint8Array).byteOffset, (s.value as Uint8Array).byteLength),
    key: s.key,
    headers: s.headers,
  });
  return { matching: shapes.matching.map(revive), other: shapes.other.map(revive) };
}

/**
 * Makes the stamped messages of one producer.
 *
 * With the stamp in the value, messages come from a ring of {@link heldMessages} reused messages, one per
 * sequence number modulo its length: the value of message `seq` is made once (filler and stamp) and, for
 * `seq + ring`, only its stamp's changing fields are written again. The client holds a message (and may read
 * its value: to encode it, or to publish it again to NATS) only until it is acknowledged, and never holds
 * more than the ring at once, so a message is reused only once the client is done with it: no Buffer and no
 * object per message.
 */
export class MessageFactory {
  readonly #stampInValue: boolean;
  readonly #shapes: Shapes;
  readonly #ppm: number;
  readonly #stamp: Stamp;
  readonly #size: number;
  readonly #template: Buffer;
  /** The reused messages, made on first use (a run that sends few messages makes few). */
  readonly #ring: ProduceMessage[] = [];
  /** The stamp of each reused message, to write it again. */
  readonly #stampViews: DataView[] = [];
  readonly #ringLength: number;

  constructor(scenario: Scenario, shapes: Shapes, runId: number, producer: number) {
    this.#stampInValue = scenario.stampIn === 'value';
    this.#shapes = shapes;
    this.#ppm = matchPpm(scenario.matchRatio ?? 1);
    this.#stamp = { runId, producer, flags: 0, seq: 0, intendedMs: 0, sentMs: 0 };
    this.#template = (shapes.matching[0] ?? (shapes.other[0] as MessageShape)).value;
    this.#size = this.#template.length;
    this.#ringLength = heldMessages(scenario.batchSize, this.#size, maxInFlightOf(scenario.rate));
  }

  /** Whether message `seq` is shaped to match the filter. */
  matches(seq: number): boolean {
    return isMatch(seq, this.#ppm);
  }

  /** The shape message `seq` is made from. */
  shapeOf(seq: number): MessageShape {
    const match = isMatch(seq, this.#ppm);
    const list = match ? this.#shapes.matching : this.#shapes.other;
    return list[seq % list.length] as MessageShape;
  }

  /** The stamp of message `seq` (a reused object: read it before the next call). */
  stamp(seq: number, intendedMs: number, sentMs: number, warmup: boolean): Stamp {
    const s = this.#stamp;
    s.seq = seq;
    s.intendedMs = intendedMs;
    s.sentMs = sentMs;
    s.flags = (warmup ? STAMP_FLAGS.warmup : 0) | (isMatch(seq, this.#ppm) ? STAMP_FLAGS.match : 0);
    return s;
  }

  /**
   * Message `seq`, stamped. With the stamp in the value it is a reused message (see the class): the same object
   * as message `seq - ring`, which must no longer be held by anyone by then.
   */
  make(seq: number, intendedMs: number, sentMs: number, warmup: boolean): ProduceMessage {
    const stamp = this.stamp(seq, intendedMs, sentMs, warmup);
    if (this.#stampInValue) {
      const slot = seq % this.#ringLength;
      const reused = this.#ring[slot];
      if (reused !== undefined) {
        rewriteStamp(this.#stampViews[slot] as DataView, stamp);
        return reused;
      }
      const value = Buffer.allocUnsafe(this.#size);
      this.#template.copy(value, STAMP_BYTES, STAMP_BYTES);
      writeStamp(value, 0, stamp);
      const message = { value };
      // filled in order from slot 0 (sequence numbers start at 0 and have no gaps)
      this.#ring[slot] = message;
      this.#stampViews[slot] = new DataView(value.buffer, value.byteOffset, STAMP_BYTES);
      return message;
    }
    const shape = this.shapeOf(seq);
    const headers: Record<string, string> = shape.headers === null ? {} : { ...shape.headers };
    headers[STAMP_HEADER] = stampToHex(stamp);
    return { value: shape.value, key: shape.key, headers };
  }

  /** How many messages the ring of reused ones holds (made messages are reused from `seq` = this on). */
  get ringLength(): number {
    return this.#ringLength;
  }

  /** Bytes of the value of message `seq`. */
  valueBytes(seq: number): number {
    return this.#stampInValue ? this.#size : this.shapeOf(seq).value.length;
  }
}
