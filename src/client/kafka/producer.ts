/**
 * `produce` over Kafka with kafkajs's producer. Messages are checked against evq's limits, batched by the core
 * `Batcher` (`batchSize`, `batchBytes`, `lingerMs`: a batch is one `producer.send`, one Produce request per
 * leader) and placed by kafkajs's DefaultPartitioner — murmur2 of the key, as Kafka's Java client and evq
 * serve place keys, so every client agrees — unless `partition` is given. Acknowledgements reach `onAck` in
 * input order (ProduceTally) with each message's partition and offset (the partition's base offset plus its
 * place in the batch; -1 with acks 0, which has no answer). `acks` is Kafka's (all, 1, 0), `compression`
 * gzip, snappy or lz4 (evq's codecs; zstd is decoded, never encoded), `idempotent` kafkajs's idempotent
 * producer (one request in flight, acks all).
 *
 * Delayed produce: Kafka has no delayed delivery, so the client holds the messages until due in the core
 * `Scheduler` and sends them then, as over NATS (`onHold` tells the caller that the process must stay up).
 */

import { Batcher } from '../../core/batcher.js';
import type { BatchInfo } from '../../core/batcher.js';
import type { Scheduler } from '../../core/scheduler.js';
import { EvqError, EvqUsageError } from '../../errors.js';
import { COMPRESSION } from '../../protocol/kafka/compression.js';
import { validateMessage } from '../../protocol/validate.js';
import { ClientLimitError, ownRefusal, toEvqError } from '../errors.js';
import { settingsOf } from '../produce-settings.js';
import type { Settings } from '../produce-settings.js';
import { DueGate, runProduce } from '../produce-run.js';
import { ProduceStop } from '../produce-stop.js';
import { ProduceTally } from '../produce-tally.js';
import type { Outcome } from '../produce-tally.js';
import type { ProduceMessage, ProduceOptions, ProduceResult } from '../types.js';
import { kafkaErrorType, PERMANENT_TYPES } from './errors.js';
import type { KafkaMessage } from './records.js';
import { toKafkaMessage } from './records.js';

/** What kafkajs's producer is asked for and answers, the part used here. */
export interface SendingProducer {
  send(record: {
    topic: string;
    messages: (KafkaMessage & { partition?: number })[];
    acks: number;
    timeout: number;
    compression: number;
  }): Promise<{ partition: number; errorCode: number; baseOffset?: string }[]>;
}

export interface KafkaProducerContext {
  /** kafkajs's producer (idempotent or not), connected. */
  producer: (idempotent: boolean) => Promise<SendingProducer>;
  /** The partition kafkajs's partitioner chose for a message object (told by the partitioner itself). */
  placed: WeakMap<object, number>;
  scheduler: Scheduler<() => void>;
  timeoutMs: number;
  toError: (error: unknown, what: string) => EvqError;
}

interface Item {
  index: number;
  message: ProduceMessage;
  kafka: KafkaMessage & { partition?: number };
  bytes: number;
  refused?: { code: string; reason: string };
}

export async function produceKafka(
  ctx: KafkaProducerContext,
  topic: string,
  messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage>,
  options: ProduceOptions,
): Promise<ProduceResult> {
  const settings = settingsOf(options, true);
  if (settings.compression === 'zstd') {
    throw new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      'zstd compression cannot be produced by evq (it reads zstd, it has no zstd encoder): use --compression lz4, snappy or gzip',
    );
  }
  if (settings.idempotent && settings.acks !== -1) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `an idempotent producer waits for acks all: leave --acks ${settings.acks} out`);
  }
  const producer = await ctx.producer(settings.idempotent);
  return new KafkaProduceRun(ctx, producer, topic, settings, options).run(messages);
}

class KafkaProduceRun {
  readonly #ctx: KafkaProducerContext;
  readonly #producer: SendingProducer;
  readonly #topic: string;
  readonly #settings: Settings;
  readonly #options: ProduceOptions;
  readonly #tally: ProduceTally;
  readonly #stop: ProduceStop;
  readonly #started = performance.now();
  readonly #due: DueGate;
  #batcher: Batcher<Item, Item> | undefined;
  #wireBytes = 0;
  #maxInFlight = 0;

  constructor(ctx: KafkaProducerContext, producer: SendingProducer, topic: string, settings: Settings, options: ProduceOptions) {
    this.#ctx = ctx;
    this.#producer = producer;
    this.#topic = topic;
    this.#settings = settings;
    this.#options = options;
    this.#tally = new ProduceTally({ onAck: options.onAck, onReject: options.onReject });
    this.#due = new DueGate(settings.dueAt, ctx.scheduler, options.onHold);
    this.#stop = new ProduceStop(this.#tally, () => this.#due.release());
  }

  async run(messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage>): Promise<ProduceResult> {
    const batcher = new Batcher<Item, Item>({
      flush: (items, info) => this.#flush(items, info),
      maxCount: this.#settings.batchSize,
      maxBytes: this.#settings.batchBytes,
      sizeOf: (item) => item.bytes,
      lingerMs: this.#settings.lingerMs,
      eager: true,
      // one send at a time: kafkajs's concurrent sends reach the wire in any order (each awaits metadata and
      // locks first), which would reorder a partition's batches; its idempotent producer needs it too
      maxInFlight: 1,
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

  #check(index: number, message: ProduceMessage): Item | undefined {
    if (this.#stop.failed) return undefined;
    try {
      const bytes = validateMessage(message, this.#settings.limits);
      const kafka: Item['kafka'] = toKafkaMessage(message);
      if (this.#options.partition !== undefined) kafka.partition = this.#options.partition;
      return { index, message, kafka, bytes };
    } catch (error) {
      const evq = ownRefusal(toEvqError(error), this.#settings.limits.maxMessageBytes);
      if (this.#options.onReject === undefined) {
        const what = evq instanceof ClientLimitError ? 'was not sent' : 'was refused';
        this.#stop.fail(new EvqError(evq.code, `message ${index + 1} of the input ${what}: ${evq.message}`, { cause: evq }), index, true);
        return undefined;
      }
      return { index, message, kafka: { key: null, value: Buffer.alloc(0) }, bytes: 0, refused: { code: evq.code, reason: evq.message } };
    }
  }

  async #flush(items: Item[], info: BatchInfo): Promise<Item[]> {
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#batcher?.stats().inFlight ?? 0);
    const outcomes: Outcome[] = items.map((item) =>
      item.refused === undefined ? { kind: 'failed' } : { kind: 'rejected', ...item.refused },
    );
    try {
      const due = this.#due.wait();
      if (due !== undefined) await due;
      const toSend = items.filter((item) => item.refused === undefined);
      const lastItem = toSend[toSend.length - 1];
      if (lastItem !== undefined && this.#stop.sendable(lastItem.index)) {
        try {
          const answer = await this.#producer.send({
            topic: this.#topic,
            messages: toSend.map((item) => item.kafka),
            acks: this.#settings.acks,
            timeout: this.#ctx.timeoutMs,
            compression: COMPRESSION[this.#settings.compression],
          });
          const base = new Map<number, number>();
          for (const r of answer) base.set(r.partition, Number(r.baseOffset ?? -1));
          const delayed = this.#settings.dueAt > 0;
          for (let i = 0; i < items.length; i++) {
            const item = items[i] as Item;
            if (item.refused !== undefined) continue;
            const partition = item.kafka.partition ?? this.#ctx.placed.get(item.kafka) ?? 0;
            const next = base.get(partition);
            let offset = -1;
            if (next !== undefined && next >= 0) {
              offset = next;
              base.set(partition, next + 1);
            }
            outcomes[i] = { kind: 'ack', offset, delayed, partition };
            this.#wireBytes += item.bytes;
          }
        } catch (error) {
          const type = kafkaErrorType(error);
          const evq = this.#ctx.toError(error, 'acknowledge the batch');
          if (type !== undefined && PERMANENT_TYPES.has(type) && this.#options.onReject !== undefined) {
            for (let i = 0; i < items.length; i++) {
              if ((items[i] as Item).refused === undefined) outcomes[i] = { kind: 'rejected', code: evq.code, reason: evq.message };
            }
          } else {
            this.#stop.fail(evq, toSend[0]?.index);
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
