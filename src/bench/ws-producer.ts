/**
 * A producer over the client library (`EvqClient.produce`: evq's binary WebSocket fast path, batched by
 * `--batch-size` and `--linger`, acknowledgements windowed). The messages are an async iterator the client
 * pulls from as fast as its window allows: each one is made and stamped at the moment it is taken (its actual
 * send time), and not before its intended time on the `--rate` schedule. When the broker stalls, the client's
 * window fills and it stops pulling, so messages are taken late — their intended times stay where the
 * schedule put them.
 */

import { eagerAsyncIterable } from '../client/feed.js';
import type { EvqClient, MessageAck, ProduceMessage } from '../client/types.js';
import { EvqError } from '../errors.js';
import { ProducerMeter, type Meters } from './meters.js';
import { DONE, type Pacer, type PaceTimer } from './pacer.js';
import type { MessageFactory } from './payload.js';
import { PRODUCE_WINDOW, heldMessages, maxInFlightOf } from './produce-window.js';
import type { Scenario } from './scenario.js';
import { monoMs } from './time.js';

export class WsProducer {
  readonly meter: ProducerMeter;
  readonly #scenario: Scenario;
  readonly #factory: MessageFactory;
  readonly #timer: PaceTimer;
  #seq = 0;

  constructor(id: number, scenario: Scenario, factory: MessageFactory, meters: Meters, timer: PaceTimer) {
    this.#scenario = scenario;
    this.#factory = factory;
    this.#timer = timer;
    this.meter = new ProducerMeter(id, meters, heldMessages(scenario.batchSize, 0, maxInFlightOf(scenario.rate)));
  }

  /** Produces until the pacer is done (or `signal` aborts); never rejects: failures go to the meter. */
  async run(client: EvqClient, pacer: Pacer, signal: AbortSignal): Promise<void> {
    const meter = this.meter;
    const factory = this.#factory;
    const timer = this.#timer;
    // No object, no promise and no microtask per message: while messages are due, each `next()` answers at
    // once, with one result object that carries each message in turn (the client takes the value out before
    // it asks for the next one); only a wait for the schedule is a promise.
    const result: IteratorYieldResult<ProduceMessage> = { done: false, value: { value: '' } };
    const end: IteratorReturnResult<undefined> = { done: true, value: undefined };
    const next = (): IteratorResult<ProduceMessage> | Promise<IteratorResult<ProduceMessage>> => {
      const now = monoMs();
      const intended = pacer.due(now);
      if (intended >= 0) {
        const seq = this.#seq++;
        meter.onSend(seq, intended, now, pacer.warmup);
        result.value = factory.make(seq, intended, now, pacer.warmup);
        return result;
      }
      if (intended === DONE) return end;
      return timer.until(pacer.nextAt).then(next);
    };
    const messages = eagerAsyncIterable<ProduceMessage>({
      next,
      return: () => {
        pacer.stop();
        return end;
      },
    });
    // The client hands over the acknowledgements of a batch (one frame from the broker) in one synchronous
    // run: they are timed by one clock reading, taken at the first of them and forgotten in the next microtask.
    let ackedAt = Number.NaN;
    const forgetAckedAt = (): void => {
      ackedAt = Number.NaN;
    };
    const onAck = (ack: MessageAck): void => {
      if (Number.isNaN(ackedAt)) {
        ackedAt = monoMs();
        queueMicrotask(forgetAckedAt);
      }
      meter.onAck(ack.index, ackedAt, factory.valueBytes(ack.index));
    };
    try {
      await client.produce(this.#scenario.topic, messages, {
        batchSize: this.#scenario.batchSize,
        lingerMs: this.#scenario.lingerMs,
        maxInFlight: maxInFlightOf(this.#scenario.rate),
        batchBytes: PRODUCE_WINDOW.batchBytes,
        onAck,
        signal,
      });
    } catch (error) {
      if (signal.aborted && error instanceof EvqError && error.code === 'EVQ_ERR_CLOSED') return;
      meter.onError(error, monoMs());
    } finally {
      pacer.stop();
    }
  }
}
