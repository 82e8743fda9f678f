/**
 * The run of a producer that stops as a whole through a {@link ProduceStop} (the NATS and Kafka producers):
 * feeds the input through the batcher, then answers the tally's result, or throws the first failure with
 * what was acknowledged before it.
 */
import type { Batcher } from '../core/batcher.js';
import type { Scheduler } from '../core/scheduler.js';
import { EvqError } from '../errors.js';
import { produceFailure, toEvqError } from './errors.js';
import { produceInto } from './feed.js';
import type { ProduceStop } from './produce-stop.js';
import type { ProduceTally } from './produce-tally.js';
import type { ProduceMessage, ProduceResult } from './types.js';

export interface ProduceRun<I> {
  batcher: Batcher<I, I>;
  stop: ProduceStop;
  tally: ProduceTally;
  /** A message as the batcher's item, or undefined when it fails the produce (or is refused alone). */
  check: (index: number, message: ProduceMessage) => I | undefined;
  signal: AbortSignal | undefined;
  topic: string;
  idempotent: boolean;
  /** `performance.now()` when the produce started. */
  startedAt: number;
  /** Bytes sent so far, and the most batches that were in flight at once (read once the input is done). */
  wireBytes: () => number;
  maxInFlight: () => number;
}

export async function runProduce<I>(
  messages: Iterable<ProduceMessage> | AsyncIterable<ProduceMessage>,
  run: ProduceRun<I>,
): Promise<ProduceResult> {
  const { batcher, stop, tally, signal } = run;
  stop.batcher = batcher;
  await produceInto(messages, {
    batcher,
    check: run.check,
    failed: () => stop.failed,
    fail: (error) => stop.fail(toEvqError(error)),
    watch: (iterator) => stop.watch(iterator),
    signal,
    onAbort: () => stop.fail(new EvqError('EVQ_ERR_CLOSED', 'the produce was aborted', { cause: signal?.reason })),
  });
  if (tally.callbackError !== undefined) throw tally.callbackError.error;
  const stats = batcher.stats();
  const result: ProduceResult = {
    ...tally.result(performance.now() - run.startedAt, run.wireBytes()),
    delayed: tally.delayed,
    batches: stats.batches,
    maxInFlight: Math.max(1, Math.min(run.maxInFlight(), stats.batches)),
  };
  if (stop.error !== undefined) throw produceFailure(run.topic, stop.error, result, tally.firstUnacknowledged, run.idempotent);
  return result;
}

/**
 * A produce delayed in this process (NATS and Kafka have no delayed delivery): one wait for the due time, made
 * once in the core Scheduler and shared by every batch; `release` (a failure, an abort) ends it at once, and
 * nothing is sent then.
 */
export class DueGate {
  #due: Promise<void> | undefined;
  #release: (() => void) | undefined;

  constructor(
    private readonly dueAt: number,
    private readonly scheduler: Scheduler<() => void>,
    private readonly onHold: ((hold: { until: number }) => void) | undefined,
  ) {}

  /** Resolves at the due time; undefined for a produce that is not delayed. */
  wait(): Promise<void> | undefined {
    if (this.dueAt === 0) return undefined;
    if (this.#due === undefined) {
      this.onHold?.({ until: this.dueAt });
      this.#due = new Promise((resolve) => {
        const id = this.scheduler.schedule(this.dueAt, resolve);
        this.#release = () => {
          this.scheduler.cancel(id);
          resolve();
        };
      });
    }
    return this.#due;
  }

  release(): void {
    this.#release?.();
  }
}
