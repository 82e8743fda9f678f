/**
 * A fault-injecting client for the verifier's tests: a real `EvqClient` (connected to a real broker) whose
 * subscriptions lose, repeat and reorder records on their way to the caller, as a faulty transport would.
 * Each delivered record gets a number (0, 1, 2 … per subscription); the plan says what happens to it.
 */

import type { EvqClient, EvqRecord, Subscription, SubscribeOptions } from '../../../src/client/types.js';
import { EvqError } from '../../../src/errors.js';

/**
 * What happens to the record with this delivery number. `close-as-slow`: the subscription ends there as the
 * client ends one the broker closed with 4008 (a slow consumer): EVQ_ERR_SLOW_CONSUMER, nothing more delivered.
 */
export type Fault = 'pass' | 'drop' | 'duplicate' | 'swap-with-next' | 'close-as-slow';
export type FaultPlan = (subscription: number, index: number) => Fault;

export function faultyClient(inner: EvqClient, plan: FaultPlan): EvqClient & { injected: Record<Exclude<Fault, 'pass'>, number> } {
  const injected = { drop: 0, duplicate: 0, 'swap-with-next': 0, 'close-as-slow': 0 };
  let subscriptions = 0;
  return {
    url: inner.url,
    injected,
    produce: (topic, messages, options) => inner.produce(topic, messages, options),
    consume: (topic, options) => inner.consume(topic, options),
    groups: () => inner.groups(),
    describeGroup: (group: string) => inner.describeGroup(group),
    resetGroup: (topic, group, to, options) => inner.resetGroup(topic, group, to, options),
    topics: () => inner.topics(),
    createTopic: (topic, settings) => inner.createTopic(topic, settings),
    alterTopic: (topic, settings) => inner.alterTopic(topic, settings),
    describeTopic: (topic) => inner.describeTopic(topic),
    deleteTopic: (topic) => inner.deleteTopic(topic),
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
    subscribe(topic: string, options?: SubscribeOptions): Subscription {
      const real = inner.subscribe(topic, options);
      const id = subscriptions++;
      async function* faulty(): AsyncGenerator<EvqRecord> {
        let index = 0;
        let held: EvqRecord | undefined;
        for await (const record of real) {
          const fault = plan(id, index++);
          if (fault === 'close-as-slow') {
            injected['close-as-slow']++;
            await real.close();
            throw new EvqError(
              'EVQ_ERR_SLOW_CONSUMER',
              `the broker dropped the subscription to "${topic}" as a slow consumer after offset ${record.offset - 1} (too far behind)`,
            );
          }
          if (fault === 'drop') {
            injected.drop++;
            continue;
          }
          if (fault === 'swap-with-next' && held === undefined) {
            injected['swap-with-next']++;
            held = record;
            continue;
          }
          yield record;
          if (fault === 'duplicate') {
            injected.duplicate++;
            yield record;
          }
          if (held !== undefined) {
            const late = held;
            held = undefined;
            yield late;
          }
        }
        if (held !== undefined) yield held;
      }
      const iterator = faulty();
      return {
        topic,
        closed: real.closed,
        ...(real.ready === undefined ? {} : { ready: real.ready }),
        close: () => real.close(),
        [Symbol.asyncDispose]: () => real.close(),
        [Symbol.asyncIterator]: () => iterator,
      };
    },
  };
}
