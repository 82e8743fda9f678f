/**
 * `consume` over JetStream. With a `group`: a durable pull consumer named after the group (escaped as stream
 * names are, see names.ts), created at `from` (default earliest) when it does not exist yet; a record is
 * acknowledged — committed — once the caller has taken it (asked for the next one, or stopped after it).
 * A group has one reader at a time (as on evq serve): a reader that starts while messages were handed out and
 * never acknowledged (the last reader was killed) restarts the group after its last commit.
 * Without a group: an ordered consumer from `from` (default earliest), nothing committed. The iteration ends
 * at the end of the stream (no record pending) unless `follow`. The filter runs in the client; records it
 * skips are committed too. A stream that does not exist is an error, or waited for with `allowMissing`;
 * a read never creates it.
 */

import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import type { Consumer, ConsumerConfig, JetStreamClient, JetStreamManager, JsMsg, StreamState } from '@nats-io/jetstream';
import { compileFilter } from '../../core/filter/index.js';
import { validateGroupName } from '../../protocol/validate.js';
import type { ConsumeSettings } from '../options.js';
import type { ConsumeOptions, EvqRecord } from '../types.js';
import { apiErrorCode, CONSUMER_NOT_FOUND, STREAM_NOT_FOUND } from './api-errors.js';
import { decodeRecord } from './message.js';
import { streamOfTopic } from './names.js';
import { CommitError, TopicGoneError } from '../errors.js';
import { sleep } from '../backoff.js';
import { startSequence } from './subscription.js';

/** How often a read with `allowMissing` looks again for a stream that does not exist yet. */
const MISSING_POLL_MS = 250;

/** The durable consumer of a group, starting at stream sequence `seq`. */
function groupConsumer(name: string, seq: number): Partial<ConsumerConfig> {
  return { durable_name: name, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: seq };
}

/** The durable consumer that stands for `group`. */
export function consumerOfGroup(group: string): string {
  validateGroupName(group);
  return streamOfTopic(group);
}

/**
 * The stream's state. A stream that does not exist is {@link TopicGoneError} (as a read of a missing topic of
 * evq serve: a read creates nothing), or with `allowMissing` waited for, looked at every 250 ms until it is
 * created by a produce; undefined when `options.signal` aborts that wait.
 */
async function streamState(
  jsm: JetStreamManager,
  topic: string,
  options: ConsumeOptions,
  allowMissing: boolean,
): Promise<StreamState | undefined> {
  const stream = streamOfTopic(topic);
  let told = false;
  for (;;) {
    try {
      return (await jsm.streams.info(stream)).state;
    } catch (error) {
      if (apiErrorCode(error) !== STREAM_NOT_FOUND) throw error;
      if (!allowMissing) throw new TopicGoneError(topic, false, undefined, { cause: error });
      if (!told) {
        told = true;
        options.onWaiting?.(topic);
      }
      if (!(await sleep(MISSING_POLL_MS, options.signal))) return undefined;
    }
  }
}

export async function* consumeJetStream(
  js: JetStreamClient,
  jsm: JetStreamManager,
  topic: string,
  options: ConsumeOptions,
  settings: ConsumeSettings,
): AsyncGenerator<EvqRecord> {
  const stream = streamOfTopic(topic);
  const filter = options.filter !== undefined && options.filter.trim() !== '' ? compileFilter(options.filter) : null;
  const { limit, pageSize, waitMs, follow } = settings;
  const group = options.group;
  const commit = group !== undefined && settings.commit;
  if (limit === 0) return;
  const state = await streamState(jsm, topic, options, settings.allowMissing);
  if (state === undefined) return; // aborted while waiting for the stream
  const seq = startSequence(options.from ?? 'earliest', state.first_seq, state.last_seq);
  let consumer: Consumer;
  let pendingAtStart: number;
  if (group !== undefined) {
    const name = consumerOfGroup(group);
    let info;
    try {
      info = await jsm.consumers.info(stream, name);
    } catch (error) {
      if (apiErrorCode(error) !== CONSUMER_NOT_FOUND) throw error;
      info = await jsm.consumers.add(stream, groupConsumer(name, seq));
    }
    if (info.num_ack_pending > 0) {
      // the last reader stopped without committing what it had been given (killed, or a full page left
      // unread): JetStream would hold those back until their ack wait ends and then redeliver them out of
      // order, so the group starts over after its last commit, as a group of evq serve does
      const restart = info.ack_floor.stream_seq > 0 ? info.ack_floor.stream_seq + 1 : (info.config.opt_start_seq ?? state.first_seq);
      await jsm.consumers.delete(stream, name);
      info = await jsm.consumers.add(stream, groupConsumer(name, restart));
    }
    pendingAtStart = info.num_pending + info.num_ack_pending;
    consumer = await js.consumers.get(stream, name);
  } else {
    pendingAtStart = Math.max(0, state.last_seq - seq + 1);
    consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: seq });
  }
  if (pendingAtStart === 0 && !follow) return;

  let taken = 0;
  let toAck: JsMsg | undefined;
  const signal = options.signal;
  const aborted = (): boolean => signal?.aborted === true;
  let failed = false;
  try {
    while (taken < limit && !aborted()) {
      const batch = await consumer.fetch({
        max_messages: Math.min(pageSize, limit - taken),
        expires: follow ? Math.max(1000, waitMs) : 1000,
      }); // nats.js wants at least 1 s;
      const onAbort = (): void => batch.stop();
      signal?.addEventListener('abort', onAbort, { once: true });
      let received = 0;
      let atEnd = false;
      try {
        for await (const msg of batch) {
          received++;
          if (toAck !== undefined) {
            const written = options.beforeCommit?.();
            if (written !== undefined) await written;
            toAck.ack();
          }
          toAck = commit ? msg : undefined;
          atEnd = msg.info.pending === 0;
          const record = decodeRecord(topic, msg);
          if (filter === null || filter(record)) {
            taken++;
            yield record;
            if (taken >= limit || aborted()) break;
          }
          if (atEnd && !follow) break;
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
        batch.stop();
      }
      if (!follow && (atEnd || received === 0)) break;
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // the last record handed out is committed too; ackAck waits for the server, after the earlier acks. A
    // commit that fails rejects the caller's break as a read would (after a read's own failure, that one wins)
    if (toAck !== undefined) {
      const last = toAck;
      await options.beforeCommit?.()?.catch(() => undefined);
      const acked = last.ackAck();
      if (failed) await acked.catch(() => undefined);
      else await acked.catch((error: unknown) => Promise.reject(new CommitError(topic, group ?? '', last.seq, error)));
    }
  }
}
