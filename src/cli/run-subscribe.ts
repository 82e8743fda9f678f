import type { EvqRecord, From, SubscribeOptions, SubscriptionStatus } from '../client/types.js';
import { formatDuration } from '../core/durations.js';
import { LIMITS } from '../core/limits.js';
import { EXIT, EvqError } from '../errors.js';
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
  const subscription = client.subscribe(plan.topic, options);
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
  if (failure !== undefined && failure !== null) throw subscriptionFailure(failure, plan, last);
  if (stopped === 'idle' && plan.count !== undefined && received < plan.count) {
    throw new EvqError(
      'EVQ_ERR_TIMEOUT',
      `no message for ${formatDuration(plan.idleTimeoutMs ?? 0)}: ${received} of the ${plan.count} messages asked for arrived`,
    );
  }
  if (stopped === 'idle') output.info(`no message for ${formatDuration(plan.idleTimeoutMs ?? 0)}: ${received} received, stopping`);
}

/** The command line that picks up right after the last record printed. */
export function resumeCommand(plan: SubscribePlan, last: EvqRecord | undefined): string {
  const from: From = last === undefined ? plan.from : last.offset + 1;
  const position = typeof from !== 'object' ? String(from) : 'time' in from ? `@${from.time}` : `-${from.last}`;
  const filter = plan.filter === undefined ? '' : ` --filter '${plan.filter.replace(/'/g, `'\\''`)}'`;
  return `evq subscribe ${plan.topic} --from ${position}${filter}`;
}

function subscriptionFailure(err: unknown, plan: SubscribePlan, last: EvqRecord | undefined): unknown {
  if (err instanceof EvqError && err.code === 'EVQ_ERR_SLOW_CONSUMER') {
    const after = last === undefined ? 'before any message arrived' : `after offset ${last.offset}`;
    return new EvqError(
      'EVQ_ERR_SLOW_CONSUMER',
      `the broker dropped this subscription ${after}: it read too slowly (slow consumer); resume with: ${resumeCommand(plan, last)}`,
      { cause: err },
    );
  }
  if (err instanceof EvqError && err.code === 'EVQ_ERR_CLOSED') {
    const after = last === undefined ? '' : ` after offset ${last.offset}`;
    return new EvqError(
      'EVQ_ERR_CLOSED',
      `the subscription was closed by the broker${after} (${err.message}); resume with: ${resumeCommand(plan, last)}`,
      {
        cause: err,
      },
    );
  }
  return explainError(err, plan.url);
}

/** Lost and regained connections, on stderr: the records themselves resume with no gap and no repeat. */
function reportStatus(status: SubscriptionStatus, output: Output): void {
  switch (status.type) {
    case 'disconnected':
      output.info(
        `connection lost (${status.error.message})${status.lastOffset === null ? '' : ` after offset ${status.lastOffset}`}; reconnecting`,
      );
      break;
    case 'reconnecting':
      if (status.attempt > 1 && status.attempt % 5 === 0)
        output.info(`still reconnecting (attempt ${status.attempt}, next in ${formatDuration(status.delayMs)})`);
      break;
    case 'reconnected':
      output.info(`reconnected: resuming at offset ${status.from}`);
      break;
  }
}
