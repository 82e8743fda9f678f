import type { EvqRecord, From, PartitionPosition, SubscribeOptions, SubscriptionStatus } from '../client/types.js';
import { formatDuration } from '../core/durations.js';
import { LIMITS } from '../core/limits.js';
import { EXIT, EvqError, EvqUsageError } from '../errors.js';
import type { SubscribePlan } from './commands/subscribe.js';
import { processEnv, type CliEnv } from './connection.js';
import { explainError } from './error-text.js';
import { LinePrinter } from './line-printer.js';
import { onInterrupt } from './signals.js';
import type { Output } from './output.js';

/**
 * `evq subscribe`: a live push subscription printed one record per line, pulled only as fast as stdout
 * takes them. Ends with exit 0 after --count records, on Ctrl-C, when the reader of a pipe goes away, or
 * when --timeout passes with nothing new (exit 1 if --count was not reached by then).
 */
export async function runSubscribe(plan: SubscribePlan, output: Output, env: CliEnv = processEnv()): Promise<void> {
  // connecting (and each answer) may take the default timeout at least; --timeout of subscribe is the idle
  // timeout, and a longer one waits that long for the broker too, so "raise --timeout" holds here as well
  const client = await env.connect(plan.url, { token: plan.token, timeoutMs: Math.max(LIMITS.defaultTimeoutMs, plan.idleTimeoutMs ?? 0) });
  const options: SubscribeOptions = { from: plan.from, onStatus: (status) => reportStatus(status, output) };
  if (plan.filter !== undefined) options.filter = plan.filter;
  if (plan.partition !== undefined) options.partition = plan.partition;
  const subscription = client.subscribe(plan.topic, options);
  // where each partition started, and the next offset of each after what was printed: a resume command's positions
  const resume = new Map<number, number>();
  void subscription.ready?.then(
    () => {
      for (const p of subscription.positions?.() ?? []) if (!resume.has(p.partition)) resume.set(p.partition, p.next);
    },
    () => undefined,
  );
  let stopped: 'count' | 'signal' | 'idle' | 'pipe' | undefined;
  const stop = (why: NonNullable<typeof stopped>): void => {
    stopped ??= why;
    void subscription.close().catch(() => undefined);
  };
  const printer = new LinePrinter(env.stdout, () => stop('pipe'));
  const removeSignalHandlers = onInterrupt(() => stop('signal'), EXIT.ok);
  const idle = plan.idleTimeoutMs === undefined ? undefined : setTimeout(() => stop('idle'), plan.idleTimeoutMs);

  let received = 0;
  let last: EvqRecord | undefined;
  let failure: unknown;
  try {
    for await (const record of subscription) {
      idle?.refresh();
      received++;
      last = record;
      resume.set(record.partition, record.offset + 1);
      const wait = printer.line(plan.format.format(record));
      if (plan.count !== undefined && received >= plan.count) {
        stop('count');
        break;
      }
      if (wait !== undefined) await wait;
      if (stopped !== undefined) break;
    }
  } catch (err) {
    failure = err;
  } finally {
    if (idle !== undefined) clearTimeout(idle);
    removeSignalHandlers();
    await subscription.close().catch(() => undefined);
    await printer.end();
    await client.close().catch(() => undefined);
  }
  if (stopped === undefined && failure === undefined) failure = await subscription.closed.catch((err: unknown) => err);
  if (stopped === 'signal' || stopped === 'pipe' || stopped === 'count') return;
  if (failure !== undefined && failure !== null) throw subscriptionFailure(failure, plan, last, positionsOf(resume));
  if (stopped === 'idle' && plan.count !== undefined && received < plan.count) {
    throw new EvqError(
      'EVQ_ERR_TIMEOUT',
      `no message for ${formatDuration(plan.idleTimeoutMs ?? 0)}: ${received} of the ${plan.count} messages asked for arrived`,
    );
  }
  if (stopped === 'idle') output.info(`no message for ${formatDuration(plan.idleTimeoutMs ?? 0)}: ${received} received, stopping`);
}

/** The positions kept by runSubscribe, in partition order. */
function positionsOf(resume: Map<number, number>): PartitionPosition[] {
  return [...resume].map(([partition, next]) => ({ partition, next })).sort((a, b) => a.partition - b.partition);
}

/**
 * The command line that picks up right after the last record printed. A subscription of every partition of a
 * topic of more than one (`positions` names several) resumes each partition with its own command, run together
 * in one line a shell takes as it is: `(evq subscribe t --partition 0 --from 5 & evq subscribe t --partition 1
 * --from 9 & wait)`. On a topic of one partition it is `evq subscribe t --from N`, as before partitions.
 */
export function resumeCommand(plan: SubscribePlan, last: EvqRecord | undefined, positions: readonly PartitionPosition[] = []): string {
  const filter = plan.filter === undefined ? '' : ` --filter '${plan.filter.replace(/'/g, `'\\''`)}'`;
  const many = plan.partition === undefined && (positions.length > 1 || positions.some((p) => p.partition !== 0));
  if (many) {
    const each = positions.map((p) => `evq subscribe ${plan.topic} --partition ${p.partition} --from ${p.next}${filter}`);
    return `(${each.join(' & ')} & wait)`;
  }
  const from: From = last === undefined ? plan.from : last.offset + 1;
  const position = typeof from !== 'object' ? String(from) : 'time' in from ? `@${from.time}` : `-${from.last}`;
  const partition = plan.partition === undefined ? '' : ` --partition ${plan.partition}`;
  return `evq subscribe ${plan.topic}${partition} --from ${position}${filter}`;
}

/** Where the subscription stopped, for an error line: the offset on one partition, else each partition's next one. */
function stoppedAt(last: EvqRecord | undefined, positions: readonly PartitionPosition[], plan: SubscribePlan): string {
  if (plan.partition === undefined && positions.length > 1) return ` (next: ${positions.map((p) => `${p.partition}:${p.next}`).join(' ')})`;
  return last === undefined ? '' : ` after offset ${last.offset}`;
}

function subscriptionFailure(err: unknown, plan: SubscribePlan, last: EvqRecord | undefined, positions: PartitionPosition[]): unknown {
  if (err instanceof EvqError && err.code === 'EVQ_ERR_SLOW_CONSUMER') {
    const where = stoppedAt(last, positions, plan);
    const after = where === '' ? ' before any message arrived' : where;
    return new EvqError(
      'EVQ_ERR_SLOW_CONSUMER',
      `the broker dropped this subscription${after}: it read too slowly (slow consumer); resume with: ${resumeCommand(plan, last, positions)}`,
      { cause: err },
    );
  }
  if (err instanceof EvqError && err.code === 'EVQ_ERR_CLOSED') {
    return new EvqError(
      'EVQ_ERR_CLOSED',
      `the subscription was closed by the broker${stoppedAt(last, positions, plan)} (${err.message}); resume with: ${resumeCommand(plan, last, positions)}`,
      {
        cause: err,
      },
    );
  }
  if (
    err instanceof EvqError &&
    err.code === 'EVQ_ERR_INVALID_ARGUMENT' &&
    typeof plan.from === 'number' &&
    plan.partition === undefined &&
    /needs a partition/.test(err.message)
  ) {
    const count = /has (\d+) partitions/.exec(err.message)?.[1] ?? 'several';
    return new EvqUsageError(
      'EVQ_ERR_INVALID_ARGUMENT',
      `--from ${plan.from} needs --partition N: topic ${plan.topic} has ${count} partitions, each with its own offsets (earliest, latest, -N and times apply to each)`,
      { cause: err },
    );
  }
  return explainError(err, plan.url);
}

/** Lost and regained connections, on stderr: the records themselves resume with no gap and no repeat. */
function reportStatus(status: SubscriptionStatus, output: Output): void {
  switch (status.type) {
    case 'disconnected': {
      const positions = status.positions ?? [];
      const where =
        positions.length > 1
          ? ` (next: ${positions.map((p) => `${p.partition}:${p.next}`).join(' ')})`
          : status.lastOffset === null
            ? ''
            : ` after offset ${status.lastOffset}`;
      output.info(`connection lost (${status.error.message})${where}; reconnecting`);
      break;
    }
    case 'reconnecting':
      if (status.attempt > 1 && status.attempt % 5 === 0)
        output.info(`still reconnecting (attempt ${status.attempt}, next in ${formatDuration(status.delayMs)})`);
      break;
    case 'reconnected': {
      const positions = status.positions ?? [];
      output.info(
        positions.length > 1
          ? `reconnected: resuming partitions at ${positions.map((p) => `${p.partition}:${p.next}`).join(' ')}`
          : `reconnected: resuming at offset ${status.from}`,
      );
      break;
    }
  }
}
