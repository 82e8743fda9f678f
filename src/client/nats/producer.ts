/**
 * `produce` over JetStream. Messages are checked against the same limits as for evq's broker, batched by the
 * core `Batcher` (at most `LIMITS.natsMaxPendingAcks` messages awaiting their acknowledgements) and published the fast way
 * (AckPublisher: plain publishes, one shared reply inbox). Acknowledgements reach `onAck` in input order
 * (ProduceTally); the offset is the stream sequence minus one. A message JetStream refuses for good goes to
 * `onReject` (or fails the produce). With `idempotent`, each message carries `Nats-Msg-Id`
 * (`<run id>-<index>`), so unanswered messages are published again (up to `retries` times) without being
 * stored twice within the stream's duplicate window.
 *
 * Delayed produce: NATS 2.9 has no scheduled messages, so the client holds them. Each batch waits in the
 * core `Scheduler` until the delivery time and is published then; the produce resolves only once every
 * message was published and acknowledged (`onHold` tells the caller that the process must stay up).
 */

import { randomUUID } from 'node:crypto';
import { Batcher } from '../../core/batcher.js';
import { LIMITS } from '../../core/limits.js';
import type { BatchInfo } from '../../core/batcher.js';
import type { Scheduler } from '../../core/scheduler.js';
import { EvqError, EvqUsageError } from '../../errors.js';
import { validateMessage } from '../../protocol/validate.js';
import { ClientLimitError, ownRefusal, toEvqError } from '../errors.js';
import { settingsOf } from '../produce-settings.js';
import type { Settings } from '../produce-settings.js';
import { DueGate, runProduce } from '../produce-run.js';
import { ProduceStop } from '../produce-stop.js';
import { ProduceTally } from '../produce-tally.js';
import type { Outcome } from '../produce-tally.js';
import type { ProduceMessage, ProduceOptions, ProduceResult } from '../types.js';
import type { AckPublisher, Publication } from './ack-publisher.js';
import { encodeHeaders, encodeValue } from './message.js';

export interface JetStreamProducerContext {
  publisher: AckPublisher;
  /** Holds delayed batches until they are due; its items are callbacks to run then. */
  scheduler: Scheduler<() => void>;
  timeoutMs: number;
  /** Creates the topic's stream when it is missing (once the options were found good). */
  ensureStream: () => Promise<void>;
}

interface Item extends Publication {
  index: number;
  message: ProduceMessage;
  bytes: number;
  refused?: { code: string; reason: string };
}

/** Codes of refusals that no resend can change. */
const PERMANENT = new Set(['EVQ_ERR_MESSAGE_TOO_LARGE', 'EVQ_ERR_BATCH_TOO_LARGE', 'EVQ_ERR_MALFORMED', 'EVQ_ERR_INVALID_ARGUMENT']);

export async function produceJetStream(
  ctx: JetStreamProducerContext,
  topic: string,
  subject: string,
  messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage>,
  options: ProduceOptions,
): Promise<ProduceResult> {
  const settings = settingsOf(options);
  if (settings.gzip) {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      'compression is not available over nats:// (JetStream stores what it is sent; compress the values yourself)',
    );
  }
  await ctx.ensureStream();
  return new JetStreamProduceRun(ctx, topic, subject, settings, options).run(messages);
}

class JetStreamProduceRun {
  readonly #ctx: JetStreamProducerContext;
  readonly #topic: string;
  readonly #subject: string;
  readonly #settings: Settings;
  readonly #options: ProduceOptions;
  readonly #tally: ProduceTally;
  readonly #runId: string | undefined;
  readonly #started = performance.now();
  /** Resolves at the delivery time of a delayed produce (undefined: send at once). */
  readonly #due: DueGate;
  readonly #stop: ProduceStop;
  #batcher: Batcher<Item, Item> | undefined;
  #wireBytes = 0;
  #maxInFlight = 0;

  constructor(ctx: JetStreamProducerContext, topic: string, subject: string, settings: Settings, options: ProduceOptions) {
    this.#ctx = ctx;
    this.#topic = topic;
    this.#subject = subject;
    this.#settings = settings;
    this.#options = options;
    this.#tally = new ProduceTally({ onAck: options.onAck, onReject: options.onReject });
    // a failure ends the wait for the delivery time at once (nothing is published then), except a refused
    // message: the messages before it are still sent, when they are due
    this.#due = new DueGate(settings.dueAt, ctx.scheduler, options.onHold);
    this.#stop = new ProduceStop(this.#tally, () => this.#due.release());
    this.#runId = settings.idempotent ? randomUUID() : undefined;
  }

  async run(messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage>): Promise<ProduceResult> {
    // a batch is only a group of publishes here: the pending acks (batch × window) are capped, in 4 or more
    // groups so that publishing goes on while the oldest group's acks come back
    const pendingAcks = Math.min(this.#settings.batchSize * this.#settings.maxInFlight, LIMITS.natsMaxPendingAcks);
    const batchSize = Math.min(this.#settings.batchSize, Math.ceil(pendingAcks / 4));
    const batcher = new Batcher<Item, Item>({
      flush: (items, info) => this.#flush(items, info),
      maxCount: batchSize,
      maxBytes: this.#settings.batchBytes,
      sizeOf: (item) => item.bytes,
      lingerMs: this.#settings.lingerMs,
      eager: true,
      maxInFlight: Math.max(1, Math.floor(pendingAcks / batchSize)),
    });
    this.#batcher = batcher;
    return runProduce(messages, {
      batcher,
      stop: this.#stop,
      tally: this.#tally,
      check: (index, message) => this.#check(index, message),
      signal: this.#options.signal,
      topic: this.#topic,
      idempotent: this.#settings.idempotent,
      startedAt: this.#started,
      wireBytes: () => this.#wireBytes,
      maxInFlight: () => this.#maxInFlight,
    });
  }

  /** A message as a publication, or a refused one (kept for `onReject`); undefined when it fails the produce. */
  #check(index: number, message: ProduceMessage): Item | undefined {
    if (this.#stop.failed) return undefined;
    try {
      validateMessage(message, this.#settings.limits);
      const data = encodeValue(message);
      const headers = encodeHeaders(message, this.#runId === undefined ? undefined : `${this.#runId}-${index}`);
      return { index, message, subject: this.#subject, data, headers, bytes: data.byteLength + (headers === undefined ? 0 : 64) };
    } catch (error) {
      const evq = ownRefusal(toEvqError(error), this.#settings.limits.maxMessageBytes);
      if (this.#options.onReject === undefined) {
        const what = evq instanceof ClientLimitError ? 'was not sent' : 'was refused';
        this.#stop.fail(new EvqError(evq.code, `message ${index + 1} of the input ${what}: ${evq.message}`, { cause: evq }), index, true);
        return undefined;
      }
      return {
        index,
        message,
        subject: this.#subject,
        data: new Uint8Array(0),
        headers: undefined,
        bytes: 0,
        refused: { code: evq.code, reason: evq.message },
      };
    }
  }

  /** The Batcher's flush: waits for the delivery time, publishes, and hands the outcomes to the tally. */
  async #flush(items: Item[], info: BatchInfo): Promise<Item[]> {
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#batcher?.stats().inFlight ?? 0);
    const outcomes: Outcome[] = items.map((item) =>
      item.refused === undefined ? { kind: 'failed' } : { kind: 'rejected', ...item.refused },
    );
    try {
      const due = this.#due.wait();
      if (due !== undefined) await due;
      const toSend = items.filter((item) => item.refused === undefined);
      if (toSend.length > 0 && this.#stop.sendable((toSend[toSend.length - 1] as Item).index)) {
        const resends = this.#settings.idempotent ? this.#settings.retries : 0;
        const results = await this.#ctx.publisher.publishBatch(toSend, this.#ctx.timeoutMs, resends);
        const delayed = this.#settings.dueAt > 0;
        let j = 0;
        for (let i = 0; i < items.length; i++) {
          const item = items[i] as Item;
          if (item.refused !== undefined) continue;
          const result = results[j++];
          if (typeof result === 'number') {
            outcomes[i] = { kind: 'ack', offset: result - 1, delayed };
            this.#wireBytes += item.bytes;
          } else if (result === undefined) {
            this.#stop.fail(
              new EvqError('EVQ_ERR_TIMEOUT', `JetStream did not acknowledge message ${item.index + 1} within ${this.#ctx.timeoutMs} ms`),
              item.index,
            );
          } else if (PERMANENT.has(result.code) && this.#options.onReject !== undefined) {
            outcomes[i] = { kind: 'rejected', code: result.code, reason: result.message };
          } else {
            this.#stop.fail(result, item.index);
          }
        }
      }
    } catch (error) {
      this.#stop.fail(toEvqError(error), items[0]?.index);
    } finally {
      this.#tally.complete(info.seq, items, outcomes);
      if (this.#tally.callbackError !== undefined) this.#stop.fail(toEvqError(this.#tally.callbackError.error));
    }
    return items;
  }
}
