/**
 * `subscribe` over Kafka: no consumer group (partition-reader.ts), every partition of the topic (or the one
 * asked for) from `from` — `{ time }` through ListOffsets by timestamp — in offset order per partition. The
 * `filter` runs here, in the client: every record crosses the network before it is tested. A lost connection
 * is retried with backoff (told through `onStatus`) and reading resumes at each partition's next offset.
 * A topic that does not exist is created with the cluster's default partitions (as a first produce would).
 */

import { compileFilter } from '../../core/filter/index.js';
import type { Filter } from '../../core/filter/index.js';
import { EvqError } from '../../errors.js';
import { Backoff, sleep } from '../backoff.js';
import { checkFrom, checkPartition } from '../options.js';
import type { EvqRecord, PartitionPosition, SubscribeOptions, Subscription } from '../types.js';
import type { Admin, InternalCluster } from './library.js';
import { PartitionReader, startPositions } from './partition-reader.js';

export interface SubscriptionContext {
  cluster: InternalCluster;
  admin: Admin;
  /** Makes the topic when it is missing; resolves once it exists. */
  ensureTopic: (topic: string) => Promise<void>;
  /** A kafkajs failure as evq's error. */
  toError: (error: unknown) => EvqError;
}

/** Longest wait of one fetch of a subscription for new records (then it asks again). */
const LIVE_WAIT_MS = 500;

export class KafkaSubscription implements Subscription {
  readonly topic: string;
  readonly ready: Promise<number>;
  readonly closed: Promise<Error | null>;
  readonly #ctx: SubscriptionContext;
  readonly #options: SubscribeOptions;
  readonly #filter: Filter | null;
  readonly #abort = new AbortController();
  #reader: PartitionReader | undefined;
  #closing = false;
  #iterating = false;
  #settle!: (error: Error | null) => void;
  readonly #onAbort = (): void => void this.close();

  constructor(ctx: SubscriptionContext, topic: string, options: SubscribeOptions) {
    this.topic = topic;
    this.#ctx = ctx;
    this.#options = options;
    checkFrom(options.from ?? 'latest');
    checkPartition(options.partition);
    this.#filter = options.filter !== undefined && options.filter.trim() !== '' ? compileFilter(options.filter) : null;
    this.closed = new Promise((resolve) => (this.#settle = resolve));
    this.ready = this.#start();
    this.ready.catch((error: unknown) => this.#finish(error instanceof Error ? error : new Error(String(error))));
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) void this.close();
      else signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  async #start(): Promise<number> {
    try {
      await this.#ctx.ensureTopic(this.topic);
      await this.#ctx.cluster.addTargetTopic(this.topic);
      const only = this.#options.partition;
      const start = await startPositions(this.#ctx.admin, this.topic, this.#options.from ?? 'latest', only);
      if (only !== undefined && !start.has(only)) {
        throw new EvqError('EVQ_ERR_NOT_FOUND', `topic "${this.topic}" has no partition ${only}`);
      }
      this.#reader = new PartitionReader(this.#ctx.cluster, this.#ctx.admin, this.topic, start, {
        maxWaitMs: LIVE_WAIT_MS,
        partition: only,
      });
      return start.get(only ?? 0) ?? 0;
    } catch (error) {
      throw this.#ctx.toError(error);
    }
  }

  positions(): PartitionPosition[] {
    return this.#reader?.positions() ?? [];
  }

  #finish(error: Error | null): void {
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#settle(error);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<EvqRecord> {
    if (this.#iterating) throw new Error('a subscription can be iterated once');
    this.#iterating = true;
    const reconnect = this.#options.reconnect ?? true;
    const maxAttempts = this.#options.maxReconnectAttempts ?? Number.POSITIVE_INFINITY;
    const backoff = new Backoff();
    let lost = false;
    try {
      await this.ready;
      const reader = this.#reader as PartitionReader;
      while (!this.#closing) {
        let records: EvqRecord[];
        try {
          records = await reader.fetch();
        } catch (error) {
          if (this.#closing) break;
          const evq = this.#ctx.toError(error);
          const retryable = evq.code === 'EVQ_ERR_UNREACHABLE' || evq.code === 'EVQ_ERR_TIMEOUT' || evq.code === 'EVQ_ERR_CLOSED';
          if (!reconnect || !retryable || backoff.attempts >= maxAttempts) throw evq;
          if (!lost) {
            lost = true;
            const positions = reader.positions();
            this.#options.onStatus?.({ type: 'disconnected', error: evq, lastOffset: lastOf(positions), positions });
          }
          const delayMs = backoff.next();
          this.#options.onStatus?.({ type: 'reconnecting', attempt: backoff.attempts, delayMs });
          if (!(await sleep(delayMs, this.#abort.signal))) break;
          continue;
        }
        if (lost) {
          lost = false;
          backoff.reset();
          const positions = reader.positions();
          this.#options.onStatus?.({ type: 'reconnected', from: positions[0]?.next ?? 0, positions });
        }
        for (const record of records) {
          if (this.#closing) break;
          if (this.#filter === null || this.#filter(record)) yield record;
        }
      }
    } catch (error) {
      if (!this.#closing) {
        const err = error instanceof Error ? error : new Error(String(error));
        this.#closing = true;
        this.#finish(err);
        throw err;
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.#closing) {
      this.#finish(null);
      return;
    }
    this.#closing = true;
    this.#abort.abort();
    this.#finish(null);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function lastOf(positions: PartitionPosition[]): number | null {
  const first = positions[0];
  return positions.length === 1 && first !== undefined && first.next > 0 ? first.next - 1 : null;
}
