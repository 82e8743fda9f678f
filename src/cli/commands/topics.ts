import { Command } from '../commander.js';
import { validateTopicName } from '../../protocol/validate.js';
import type { TopicSettings } from '../../client/types.js';
import { brokerUrl } from '../connection.js';
import { withConnectionOptions, withExamples } from '../help.js';
import { durationOption, sizeOption } from '../options.js';
import type { Output } from '../output.js';

interface ConnectionFlags {
  url: string;
  token?: string;
}

export interface TopicsPlan {
  url: string;
  token: string | undefined;
  /** Print JSON even on a terminal. */
  json: boolean;
}

export interface CreateTopicPlan {
  url: string;
  token: string | undefined;
  topic: string;
  settings: TopicSettings;
}

export interface DeleteTopicPlan {
  url: string;
  token: string | undefined;
  topic: string;
}

/** The connection flags of `evq topics create|delete`, where those given to `evq topics` itself count too. */
function connectionOf(command: Command): { url: string; token: string | undefined } {
  const own = command.opts<ConnectionFlags>();
  const parent = command.parent;
  const pick = (name: 'url' | 'token'): string | undefined => {
    const fromParent = parent !== null && parent.getOptionValueSource(name) === 'cli';
    const fromSelf = command.getOptionValueSource(name) === 'cli';
    return fromSelf || !fromParent ? own[name] : parent.opts<ConnectionFlags>()[name];
  };
  const token = pick('token');
  return { url: brokerUrl(pick('url') ?? ''), token: token === '' ? undefined : token };
}

export function makeTopicsCommand(output: Output): Command {
  const command = new Command('topics')
    .description('list topics with message counts, sizes and offsets (a table on a terminal, JSON otherwise)')
    .option('--json', 'print JSON even on a terminal');
  withConnectionOptions(command);
  withExamples(command, [
    'evq topics',
    "evq topics --json | jq -r '.[].topic'",
    'evq topics create orders',
    'evq topics delete orders-old',
  ]);

  const create = new Command('create')
    .description('create a topic (it is also created by its first produce); an existing topic is left as it is')
    .argument('<topic>', 'topic to create')
    .option('--retention-bytes <size>', 'over nats://: the stream keeps at most this much (its max_bytes)', sizeOption)
    .option('--retention-age <duration>', 'over nats://: the stream drops messages older than this (its max_age)', durationOption);
  withConnectionOptions(create);
  withExamples(create, [
    'evq topics create orders',
    'evq topics create --url nats://127.0.0.1:4222 orders --retention-bytes 1gb --retention-age 7d',
  ]);
  create.action(async (topic: string, flags: ConnectionFlags & { retentionBytes?: number; retentionAge?: number }, cmd: Command) => {
    validateTopicName(topic);
    const settings: TopicSettings = {};
    if (flags.retentionBytes !== undefined) settings.retentionBytes = flags.retentionBytes;
    if (flags.retentionAge !== undefined) settings.retentionAgeMs = flags.retentionAge;
    const plan: CreateTopicPlan = { ...connectionOf(cmd), topic, settings };
    const { runCreateTopic } = await import('../run-topics.js');
    await runCreateTopic(plan, output);
  });
  command.addCommand(create);

  const remove = new Command('delete')
    .description('delete a topic: its log, its consumer groups; live subscribers are told')
    .argument('<topic>', 'topic to delete');
  withConnectionOptions(remove);
  withExamples(remove, ['evq topics delete orders-old', 'EVQ_URL=http://127.0.0.1:7171 evq topics delete scratch']);
  remove.action(async (topic: string, _flags: ConnectionFlags, cmd: Command) => {
    validateTopicName(topic);
    const plan: DeleteTopicPlan = { ...connectionOf(cmd), topic };
    const { runDeleteTopic } = await import('../run-topics.js');
    await runDeleteTopic(plan, output);
  });
  command.addCommand(remove);

  return command.action(async (flags: ConnectionFlags & { json?: boolean }) => {
    const plan: TopicsPlan = { url: brokerUrl(flags.url), token: flags.token === '' ? undefined : flags.token, json: flags.json === true };
    const { runTopics } = await import('../run-topics.js');
    await runTopics(plan, output);
  });
}
