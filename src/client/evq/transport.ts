/**
 * The evq transport: an `EvqClient` over evq's own broker — HTTP (a keep-alive node:http agent) for reads, topics and
 * health, WebSocket with the binary subprotocol for produce and subscribe (a produce of a short array goes over
 * HTTP: producer.ts).
 */

import { BufferPool } from '../../core/buffer-pool.js';
import { EvqError, EvqUsageError } from '../../errors.js';
import { PATHS } from '../../protocol/http.js';
import {
  decodeGroupDescription,
  decodeGroupList,
  decodeGroupReset,
  decodeTopicChange,
  decodeTopicList,
} from '../../protocol/http-replies.js';
import { validateGroupName, validateTopicName } from '../../protocol/validate.js';
import type {
  GroupDescription,
  GroupInfo,
  GroupReset,
  GroupResetTo,
  ConsumeOptions,
  EvqClient,
  EvqRecord,
  ProduceMessage,
  ProduceOptions,
  ProduceResult,
  SubscribeOptions,
  TopicChange,
  TopicDescription,
  TopicInfo,
  TopicSettings,
} from '../types.js';
import { consume } from './consumer.js';
import { consumeGroup } from './group-consumer.js';
import { consumeTopic } from './partitions-consumer.js';
import { consumeSettings } from '../options.js';
import type { Endpoint } from './endpoint.js';
import { HttpApi } from './http.js';
import { topicInfo } from './positions.js';
import { produce } from './producer.js';
import { EvqSubscription } from './subscription.js';

export interface EvqTransportOptions {
  token?: string | undefined;
  timeoutMs: number;
}

export class EvqTransport implements EvqClient {
  readonly url: string;
  readonly #endpoint: Endpoint;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #http: HttpApi;
  /** Encoding buffers shared by this client's producers. */
  readonly #pool = new BufferPool();
  readonly #subscriptions = new Set<EvqSubscription>();
  readonly #running = new Set<Promise<void>>();
  /** Aborted by `close()`: ends the produces and reads in flight. */
  readonly #closing = new AbortController();
  #closed = false;

  constructor(endpoint: Endpoint, options: EvqTransportOptions) {
    this.url = endpoint.display;
    this.#endpoint = endpoint;
    this.#token = options.token === '' ? undefined : options.token;
    this.#timeoutMs = options.timeoutMs;
    this.#http = new HttpApi(endpoint, this.#token, options.timeoutMs);
  }

  /** Checks that a broker answers (and takes the token): `GET /healthz`. */
  async ping(): Promise<void> {
    await this.#http.json({ method: 'GET', path: PATHS.healthz() });
  }

  produce(
    topic: string,
    messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage>,
    options?: ProduceOptions,
  ): Promise<ProduceResult> {
    if (this.#closed) return Promise.reject(closedError());
    const ctx = { endpoint: this.#endpoint, token: this.#token, timeoutMs: this.#timeoutMs, pool: this.#pool, http: this.#http };
    const running = produce(ctx, topic, messages, { ...options, signal: this.#signal(options?.signal) });
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    this.#running.add(settled);
    void settled.then(() => this.#running.delete(settled));
    return running;
  }

  subscribe(topic: string, options?: SubscribeOptions): EvqSubscription {
    if (this.#closed) throw closedError();
    const subscription = new EvqSubscription(
      { endpoint: this.#endpoint, token: this.#token, timeoutMs: this.#timeoutMs, http: this.#http },
      topic,
      options,
    );
    this.#subscriptions.add(subscription);
    void subscription.closed.then(() => this.#subscriptions.delete(subscription));
    return subscription;
  }

  consume(topic: string, options: ConsumeOptions = {}): AsyncIterable<EvqRecord> {
    if (this.#closed) throw closedError();
    const settings = consumeSettings(topic, options);
    const running = { ...options, signal: this.#signal(options.signal) };
    // a group with commits: a member of it, reading the partitions the broker gives it (every topic, one partition too)
    if (options.group !== undefined && settings.commit) return consumeGroup(this.#http, topic, options.group, running, settings);
    // a peek at a group (commit: false, one partition) or one partition: today's reads
    if (options.group !== undefined || options.partition !== undefined) return consume(this.#http, topic, running, settings);
    return consumeTopic(this.#http, topic, running, settings);
  }

  async topics(): Promise<TopicInfo[]> {
    return decodeTopicList(await this.#http.json<unknown>({ method: 'GET', path: PATHS.topics() }));
  }

  async createTopic(topic: string, settings: TopicSettings = {}): Promise<boolean> {
    validateTopicName(topic);
    if (settings.retentionBytes !== undefined || settings.retentionAgeMs !== undefined) {
      throw new EvqUsageError(
        'EVQ_ERR_INVALID_ARGUMENT',
        'evq serve has no retention per topic: its --retention-bytes and --retention-age apply to every topic',
      );
    }
    const partitions = settings.partitions;
    if (partitions !== undefined) checkPartitionCount(partitions);
    const body = await this.#http.json<{ created: boolean }>({
      method: 'PUT',
      path: PATHS.topic(topic),
      ...(partitions === undefined ? {} : { body: JSON.stringify({ partitions }), headers: { 'content-type': 'application/json' } }),
    });
    return body.created;
  }

  async alterTopic(topic: string, settings: { partitions: number }): Promise<TopicChange> {
    validateTopicName(topic);
    checkPartitionCount(settings.partitions);
    const body = await this.#http.json<unknown>({
      method: 'PATCH',
      path: PATHS.topic(topic),
      body: JSON.stringify({ partitions: settings.partitions }),
      headers: { 'content-type': 'application/json' },
    });
    return decodeTopicChange(body, 'PATCH /topics/{topic}');
  }

  async describeTopic(topic: string): Promise<TopicDescription | null> {
    validateTopicName(topic);
    return topicInfo(this.#http, topic);
  }

  async deleteTopic(topic: string): Promise<void> {
    validateTopicName(topic);
    await this.#http.request({ method: 'DELETE', path: PATHS.topic(topic) });
  }

  async groups(): Promise<GroupInfo[]> {
    return decodeGroupList(await this.#http.json<unknown>({ method: 'GET', path: PATHS.groups() }));
  }

  async describeGroup(group: string): Promise<GroupDescription> {
    validateGroupName(group);
    return decodeGroupDescription(await this.#http.json<unknown>({ method: 'GET', path: PATHS.groupDescription(group) }));
  }

  async resetGroup(topic: string, group: string, to: GroupResetTo, options: { dryRun?: boolean } = {}): Promise<GroupReset> {
    validateTopicName(topic);
    validateGroupName(group);
    const body = await this.#http.json<unknown>({
      method: 'POST',
      path: PATHS.groupReset(topic, group),
      body: JSON.stringify({ to, dryRun: options.dryRun === true }),
      headers: { 'content-type': 'application/json' },
    });
    return decodeGroupReset(body);
  }

  /**
   * Ends everything this client runs: subscriptions and reads end, produces in flight are aborted (what was
   * acknowledged stays acknowledged; their promises reject with EVQ_ERR_CLOSED), connections close.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort(closedError());
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    await Promise.all(this.#running);
    await this.#http.close();
    this.#pool.trim();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The caller's signal combined with this client's own (aborted by `close()`). */
  #signal(signal: AbortSignal | undefined): AbortSignal {
    return signal === undefined ? this.#closing.signal : AbortSignal.any([signal, this.#closing.signal]);
  }
}

/** A partition count asked for: a whole number from 1. */
function checkPartitionCount(partitions: number): void {
  if (!Number.isSafeInteger(partitions) || partitions < 1) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `invalid partition count ${String(partitions)}: expected a whole number >= 1`);
  }
}

function closedError(): EvqError {
  return new EvqError('EVQ_ERR_CLOSED', 'the client is closed');
}
