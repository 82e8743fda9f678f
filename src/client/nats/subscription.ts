/**
 * `subscribe` over JetStream: an ordered consumer (ephemeral, server-side flow control, restarted by the
 * client at the right sequence after a gap) started at the sequence that `from` names, or at a time
 * (`DeliverPolicy.StartTime` with `opt_start_time`: the first message the server stored at or after it). The `filter`
 * expression is compiled with the same `compileFilter` as the evq broker's, but it runs here, in the client:
 * every record crosses the network before it is tested.
 */

import { EvqUsageError } from '../../errors.js';
import { DeliverPolicy } from '@nats-io/jetstream';
import type { ConsumerMessages, JetStreamClient, JetStreamManager, OrderedConsumerOptions } from '@nats-io/jetstream';
import { LIMITS } from '../../core/limits.js';
import { compileFilter } from '../../core/filter/index.js';
import type { Filter } from '../../core/filter/index.js';
import { checkFrom } from '../options.js';
import type { EvqRecord, From, Subscription, SubscribeOptions } from '../types.js';
import { decodeRecord } from './message.js';

/** The stream sequence where reading starts (from 1), given the stream's first and last sequences (a time: see startOptions). */
export function startSequence(from: From, firstSeq: number, lastSeq: number): number {
  checkFrom(from);
  const first = Math.max(1, firstSeq);
  if (from === 'earliest') return first;
  if (from === 'latest') return lastSeq + 1;
  if (typeof from === 'number') return Math.max(first, from + 1);
  if ('time' in from) throw new EvqUsageError('EVQ_ERR_INVALID_OFFSET', 'a start time is not read by evq consume over nats:// yet');
  return Math.max(first, lastSeq - from.last + 1);
}

/**
 * The ordered consumer's start: a sequence, or for `{ time }` JetStream's own search by time (the server's
 * arrival time of each message; a time past the end is the end, before the start the start).
 */
export function startOptions(from: From, firstSeq: number, lastSeq: number, now = Date.now()): Partial<OrderedConsumerOptions> {
  checkFrom(from);
  // a time still to come is the end, as on evq's broker (JetStream would skip what is stored until then)
  if (typeof from === 'object' && 'time' in from && from.time > now) return startOptions('latest', firstSeq, lastSeq);
  if (typeof from === 'object' && 'time' in from) {
    return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(from.time).toISOString() };
  }
  return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSequence(from, firstSeq, lastSeq) };
}

export class NatsSubscription implements Subscription {
  readonly topic: string;
  readonly ready: Promise<number>;
  readonly closed: Promise<Error | null>;
  readonly #filter: Filter | null;
  #messages: ConsumerMessages | undefined;
  #closing = false;
  #iterating = false;
  #settle!: (error: Error | null) => void;
  readonly #onAbort = (): void => void this.close();
  readonly #signal: AbortSignal | undefined;

  constructor(
    js: JetStreamClient,
    jsm: JetStreamManager,
    topic: string,
    stream: string,
    ensure: () => Promise<void>,
    options: SubscribeOptions,
  ) {
    this.topic = topic;
    checkFrom(options.from ?? 'latest');
    this.#filter = options.filter !== undefined && options.filter.trim() !== '' ? compileFilter(options.filter) : null;
    this.closed = new Promise((resolve) => (this.#settle = resolve));
    this.#signal = options.signal;
    this.ready = (async () => {
      await ensure();
      const info = await jsm.streams.info(stream);
      const start = startOptions(options.from ?? 'latest', info.state.first_seq, info.state.last_seq);
      const consumer = await js.consumers.get(stream, start);
      const messages = await consumer.consume({ max_messages: options.highWaterMark ?? LIMITS.clientQueueMessages });
      if (this.#closing) await messages.close();
      this.#messages = messages;
      if (start.opt_start_seq !== undefined) return start.opt_start_seq - 1;
      // by time the server found the sequence: the stream's end less what the consumer delivered and has pending
      const [state, now] = await Promise.all([consumer.info(), jsm.streams.info(stream)]);
      return Math.max(0, now.state.last_seq - state.num_pending - state.delivered.consumer_seq);
    })();
    this.ready.catch((error: unknown) => this.#finish(error instanceof Error ? error : new Error(String(error))));
    if (this.#signal !== undefined) {
      if (this.#signal.aborted) void this.close();
      else this.#signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  #finish(error: Error | null): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#settle(error);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<EvqRecord> {
    if (this.#iterating) throw new Error('a subscription can be iterated once');
    this.#iterating = true;
    try {
      await this.ready;
      const messages = this.#messages;
      if (messages === undefined || this.#closing) return;
      for await (const msg of messages) {
        if (this.#closing) break;
        const record = decodeRecord(this.topic, msg);
        if (this.#filter === null || this.#filter(record)) yield record;
      }
    } catch (error) {
      if (!this.#closing) {
        const err = error instanceof Error ? error : new Error(String(error));
        this.#finish(err);
        throw err;
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      const messages = this.#messages;
      if (messages !== undefined) await messages.close().catch(() => undefined);
      this.#finish(null);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
