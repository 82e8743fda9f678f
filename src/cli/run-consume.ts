import type { ConsumeOptions } from '../client/types.js';
import { CommitError, TopicGoneError } from '../client/errors.js';
import { EvqError, EXIT } from '../errors.js';
import type { ConsumePlan } from './commands/consume.js';
import { processEnv, type CliEnv } from './connection.js';
import { explainError } from './error-text.js';
import { LinePrinter } from './line-printer.js';
import { onInterrupt } from './signals.js';
import type { Output } from './output.js';

/**
 * `evq consume`: pulls records over HTTP and prints one per line, only as fast as stdout takes them. Without
 * --follow it ends (exit 0) at the end of the log, also with --group; with --group the client commits as it
 * reads, so the next run resumes after the last page read. Ctrl-C ends it with exit 0.
 */
export async function runConsume(plan: ConsumePlan, output: Output, env: CliEnv = processEnv()): Promise<void> {
  const client = await env.connect(plan.url, { token: plan.token, timeoutMs: plan.timeoutMs });
  const abort = new AbortController();
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    abort.abort();
  };
  const printer = new LinePrinter(env.stdout, stop);
  const removeSignalHandlers = onInterrupt(() => stop(), EXIT.ok);

  const options: ConsumeOptions = { from: plan.from, follow: plan.follow, allowMissing: plan.allowMissing, signal: abort.signal };
  if (plan.group !== undefined) {
    options.group = plan.group;
    // a commit covers only lines that reached stdout: a kill after it never loses a committed line
    options.beforeCommit = () => printer.flush();
  }
  if (plan.partition !== undefined) options.partition = plan.partition;
  if (plan.sessionTimeoutMs !== undefined) options.sessionTimeoutMs = plan.sessionTimeoutMs;
  options.onMissed = (m) =>
    output.info(
      `group ${m.group} missed ${m.missed} record${m.missed === 1 ? '' : 's'} of ${m.topic}: retention removed them before the group read them`,
    );
  options.onWaiting = (topic) => output.info(`waiting for topic ${topic} to be created`);
  if (plan.limit !== undefined) options.limit = plan.limit;
  if (plan.filter !== undefined) options.filter = plan.filter;

  let received = 0;
  let failure: unknown;
  try {
    for await (const record of client.consume(plan.topic, options)) {
      received++;
      const wait = printer.line(plan.format.format(record));
      if (plan.limit !== undefined && received >= plan.limit) break;
      if (wait !== undefined) await wait;
      if (stopped) break;
    }
  } catch (err) {
    // a stop (Ctrl-C, stdout closed) ends the read quietly, but never a failed commit of a group
    if (!stopped || err instanceof CommitError) failure = err;
  } finally {
    removeSignalHandlers();
    await printer.end();
    await client.close().catch(() => undefined);
  }
  if (failure instanceof TopicGoneError && !failure.deleted) {
    throw new EvqError(
      'EVQ_ERR_NOT_FOUND',
      `${failure.message} at ${plan.url}: check the name with \`evq topics\`, or pass --allow-missing to wait for it`,
      { cause: failure },
    );
  }
  if (failure !== undefined) throw explainError(failure, plan.url);
}
