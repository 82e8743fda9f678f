/**
 * The NATS JetStream transport behind `EvqClient` (`nats://host:port`). A topic is a stream (see names.ts
 * for the naming) with one subject, created with file storage on first produce or subscribe; offsets are
 * stream sequences minus one. Delayed messages are held in this process until due (producer.ts).
 */

import { DiscardPolicy, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager, StreamInfo } from '@nats-io/jetstream';
import { connect as natsConnect, nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { connect as netConnect } from 'node:net';
import { Scheduler } from '../../core/scheduler.js';
import { EvqConnectionError, EvqError, EvqUsageError } from '../../errors.js';
import type {
  ConnectOptions,
  ConsumeOptions,
  EvqClient,
  EvqRecord,
  GroupDescription,
  GroupInfo,
  GroupReset,
  ProduceMessage,
  ProduceOptions,
  ProduceResult,
  SubscribeOptions,
  Subscription,
  TopicChange,
  TopicDescription,
  TopicInfo,
  TopicSettings,
} from '../types.js';
import { apiErrorCode, STREAM_NAME_IN_USE, STREAM_NOT_FOUND } from './api-errors.js';
import { streamOfTopic, subjectOfTopic, topicOfStream } from './names.js';
import { AckPublisher } from './ack-publisher.js';
import { consumeSettings } from '../options.js';
import { consumeJetStream } from './consumer.js';
import { produceJetStream } from './producer.js';
import { NatsSubscription } from './subscription.js';

export class NatsTransport implements EvqClient {
  readonly url: string;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #timeoutMs: number;
  readonly #known = new Map<string, Promise<void>>();
  readonly #subscriptions = new Set<Subscription>();
  #publisher: AckPublisher | undefined;
  #scheduler: Scheduler<() => void> | undefined;

  constructor(url: string, nc: NatsConnection, jsm: JetStreamManager, timeoutMs: number) {
    this.url = url;
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = jetstream(nc, { timeout: timeoutMs });
    this.#timeoutMs = timeoutMs;
  }

  /** Creates the topic's stream with these limits; false when it exists already. */
  async #addStream(topic: string, settings: TopicSettings): Promise<boolean> {
    const stream = streamOfTopic(topic);
    try {
      await this.#jsm.streams.info(stream);
      return false;
    } catch (error) {
      if (apiErrorCode(error) !== STREAM_NOT_FOUND) throw error;
    }
    try {
      await this.#jsm.streams.add({
        name: stream,
        subjects: [subjectOfTopic(topic)],
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        ...(settings.retentionBytes !== undefined ? { max_bytes: settings.retentionBytes } : {}),
        ...(settings.retentionAgeMs !== undefined ? { max_age: nanos(settings.retentionAgeMs) } : {}),
      });
      return true;
    } catch (error) {
      if (apiErrorCode(error) === STREAM_NAME_IN_USE) return false; // another client created it meanwhile
      throw error;
    }
  }

  /** Creates the topic's stream if it does not exist yet (once per topic and connection). */
  #ensureStream(topic: string): Promise<void> {
    const stream = streamOfTopic(topic);
    let pending = this.#known.get(stream);
    if (pending === undefined) {
      pending = this.#addStream(topic, {}).then(() => undefined);
      pending.catch(() => this.#known.delete(stream));
      this.#known.set(stream, pending);
    }
    return pending;
  }

  async produce(
    topic: string,
    messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage>,
    options: ProduceOptions = {},
  ): Promise<ProduceResult> {
    if (options.partition !== undefined && options.partition !== 0) throw noPartition(options.partition);
    const subject = subjectOfTopic(topic);
    this.#publisher ??= new AckPublisher(this.#nc);
    this.#scheduler ??= new Scheduler<() => void>({ onDue: (release) => release() });
    const ctx = {
      publisher: this.#publisher,
      scheduler: this.#scheduler,
      timeoutMs: this.#timeoutMs,
      ensureStream: () => this.#ensureStream(topic),
    };
    return produceJetStream(ctx, topic, subject, messages, options);
  }

  subscribe(topic: string, options: SubscribeOptions = {}): Subscription {
    if (options.partition !== undefined && options.partition !== 0) throw noPartition(options.partition);
    const stream = streamOfTopic(topic);
    const sub = new NatsSubscription(this.#js, this.#jsm, topic, stream, () => this.#ensureStream(topic), options);
    this.#subscriptions.add(sub);
    void sub.closed.then(() => this.#subscriptions.delete(sub));
    return sub;
  }

  consume(topic: string, options: ConsumeOptions = {}): AsyncIterable<EvqRecord> {
    const settings = consumeSettings(topic, options); // bad options fail here, not at the first iteration
    if (options.partition !== undefined && options.partition !== 0) {
      throw new EvqUsageError(
        'EVQ_ERR_INVALID_ARGUMENT',
        `partition ${options.partition} over nats://: a JetStream stream is one partition (0); leave --partition out`,
      );
    }
    return consumeJetStream(this.#js, this.#jsm, topic, options, settings);
  }

  async topics(): Promise<TopicInfo[]> {
    const out: TopicInfo[] = [];
    for await (const info of this.#jsm.streams.list()) out.push(topicOfStreamInfo(info));
    return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  }

  async describeTopic(topic: string): Promise<TopicDescription | null> {
    try {
      return { ...topicOfStreamInfo(await this.#jsm.streams.info(streamOfTopic(topic))), groups: [] };
    } catch (error) {
      if (apiErrorCode(error) === STREAM_NOT_FOUND) return null;
      throw error;
    }
  }

  async alterTopic(topic: string, settings: { partitions: number }): Promise<TopicChange> {
    const info = await this.describeTopic(topic);
    if (info === null) throw new EvqError('EVQ_ERR_NOT_FOUND', `topic ${JSON.stringify(topic)} does not exist`);
    if (settings.partitions === 1) return { topic, partitions: 1, previous: 1 };
    throw onePartition(`evq topics alter --partitions ${settings.partitions}`);
  }

  async createTopic(topic: string, settings: TopicSettings = {}): Promise<boolean> {
    if (settings.partitions !== undefined && settings.partitions !== 1) throw onePartition(`--partitions ${settings.partitions}`);
    const created = await this.#addStream(topic, settings);
    this.#known.set(streamOfTopic(topic), Promise.resolve());
    return created;
  }

  async deleteTopic(topic: string): Promise<void> {
    const stream = streamOfTopic(topic);
    try {
      await this.#jsm.streams.delete(stream);
    } catch (error) {
      if (apiErrorCode(error) === STREAM_NOT_FOUND)
        throw new EvqError('EVQ_ERR_NOT_FOUND', `topic ${JSON.stringify(topic)} does not exist`);
      throw error;
    } finally {
      this.#known.delete(stream);
    }
  }

  async groups(): Promise<GroupInfo[]> {
    throw groupsNotImplemented('evq groups', 'nats consumer ls STREAM');
  }

  async describeGroup(): Promise<GroupDescription> {
    throw groupsNotImplemented('evq groups describe', 'nats consumer info STREAM GROUP');
  }

  async resetGroup(): Promise<GroupReset> {
    throw groupsNotImplemented('evq groups reset', 'nats consumer rm STREAM GROUP, then consume with --from');
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    this.#publisher?.close();
    this.#scheduler?.drainDue(Number.POSITIVE_INFINITY); // held messages are given up: their produce fails as closed
    this.#scheduler?.close();
    if (!this.#nc.isClosed()) await this.#nc.drain().catch(() => this.#nc.close());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Waits for the server's `INFO` greeting on a plain socket (then closed). nats.js keeps the socket of a
 * connection attempt that timed out open, so a server that accepts but never answers would keep the
 * process alive for good: such a server is found out here, within the timeout, before nats.js is used.
 */
function awaitGreeting(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    let seen = '';
    const done = (error?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for the server's NATS greeting`)), timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      seen += chunk;
      if (seen.length >= 5) done(seen.startsWith('INFO ') ? undefined : new Error('the server there does not speak the NATS protocol'));
    });
    socket.once('error', (error) => done(error));
    socket.once('close', () => done(new Error('the server closed the connection')));
  });
}

/** Connects to the NATS server at `url` and checks that JetStream is enabled. */
export async function connectNats(url: URL, options: ConnectOptions & { timeoutMs: number }): Promise<EvqClient> {
  const port = url.port === '' ? 4222 : Number(url.port);
  const server = `${url.hostname}:${port}`;
  let nc: NatsConnection;
  try {
    await awaitGreeting(url.hostname.replace(/^\[|\]$/g, ''), port, options.timeoutMs);
    nc = await natsConnect({
      servers: server,
      timeout: options.timeoutMs,
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(url.username !== '' ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : {}),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = /time(d )?out/i.test(message) ? 'EVQ_ERR_TIMEOUT' : 'EVQ_ERR_UNREACHABLE';
    throw new EvqConnectionError(code, `cannot connect to NATS at nats://${server}: ${message}`, { cause: error });
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: options.timeoutMs });
    return new NatsTransport(`nats://${server}`, nc, jsm, options.timeoutMs);
  } catch (error) {
    await nc.close();
    const message = error instanceof Error ? error.message : String(error);
    throw new EvqConnectionError('EVQ_ERR_UNREACHABLE', `NATS at nats://${server} has no JetStream (start it with -js): ${message}`, {
      cause: error,
    });
  }
}

/** A stream as a topic: one ordered log, so one partition. */
function topicOfStreamInfo(info: StreamInfo): TopicInfo {
  const { state } = info;
  const offsets = {
    startOffset: Math.max(0, state.first_seq - 1),
    endOffset: state.last_seq,
    messageCount: state.messages,
    sizeBytes: state.bytes,
  };
  return {
    topic: topicOfStream(info.config.name),
    ...offsets,
    subscribers: state.consumer_count,
    partitions: [{ partition: 0, ...offsets }],
  };
}

function onePartition(what: string): EvqError {
  return new EvqError(
    'EVQ_ERR_NOT_IMPLEMENTED',
    `${what} is not implemented over nats://: a JetStream stream is one partition (create one topic per partition, or use evq serve)`,
  );
}

function noPartition(partition: number): EvqUsageError {
  return new EvqUsageError(
    'EVQ_ERR_INVALID_ARGUMENT',
    `there is no partition ${partition} over nats://: a JetStream stream is one partition (0)`,
  );
}

function groupsNotImplemented(what: string, instead: string): EvqError {
  return new EvqError(
    'EVQ_ERR_NOT_IMPLEMENTED',
    `${what} is not implemented over nats://: a group there is a JetStream durable consumer (use \`${instead}\`)`,
  );
}
