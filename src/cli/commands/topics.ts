import { Command } from '../commander.js';
import { validateTopicName } from '../../protocol/validate.js';
import type { TopicSettings } from '../../client/types.js';
import { connectionOf, jsonOf, withClientOptions, type Connection } from '../connection-options.js';
import { withExamples } from '../help.js';
import { durationOption, sizeOption } from '../options.js';
import type { Output } from '../output.js';

interface ConnectionFlags {
  url: string;
  token?: string;
  timeout?: number;
}

export interface TopicsPlan extends Connection {
  /** Print JSON even on a terminal. */
  json: boolean;
}

export interface CreateTopicPlan extends Connection {
  topic: string;
  settings: TopicSettings;
}

export interface DeleteTopicPlan extends Connection {
  topic: string;
}

export function makeTopicsCommand(output: Output): Command {
  const command = new Command('topics')
    .description('list topics with message counts, sizes and offsets (a table on a terminal, JSON otherwise)')
    .option('--json', 'print JSON even on a terminal');
  withClientOptions(command);
  withExamples(command, [
    'evq topics',
    'evq topics ls --json',
    "evq topics --json | jq -r '.[].topic'",
    'evq topics create orders',
    'evq topics delete orders-old',
  ]);

  const create = new Command('create')
    .description('create a topic (it is also created by its first produce); an existing topic is left as it is')
    .argument('<topic>', 'topic to create')
    .option('--retention-bytes <size>', 'over nats://: the stream keeps at most this much (its max_bytes)', sizeOption)
    .option('--retention-age <duration>', 'over nats://: the stream drops messages older than this (its max_age)', durationOption);
  withClientOptions(create);
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
  withClientOptions(remove);
  withExamples(remove, ['evq topics delete orders-old', 'EVQ_URL=http://127.0.0.1:7171 evq topics delete scratch']);
  remove.action(async (topic: string, _flags: ConnectionFlags, cmd: Command) => {
    validateTopicName(topic);
    const plan: DeleteTopicPlan = { ...connectionOf(cmd), topic };
    const { runDeleteTopic } = await import('../run-topics.js');
    await runDeleteTopic(plan, output);
  });
  command.addCommand(remove);

  // `evq topics ls` (and `list`): what `evq topics` prints, as kafka-topics --list and nats stream ls users type it
  const list = new Command('ls')
    .alias('list')
    .description('list topics (the same as `evq topics`)')
    .option('--json', 'print JSON even on a terminal');
  withClientOptions(list);
  withExamples(list, ['evq topics ls', "evq topics ls --json | jq -r '.[].topic'"]);
  list.action(async (flags: { json?: boolean }, cmd: Command) => {
    const plan: TopicsPlan = { ...connectionOf(cmd), json: jsonOf(flags, cmd) };
    const { runTopics } = await import('../run-topics.js');
    await runTopics(plan, output);
  });
  command.addCommand(list);

  return command.action(async (flags: { json?: boolean }, cmd: Command) => {
    const plan: TopicsPlan = { ...connectionOf(cmd), json: flags.json === true };
    const { runTopics } = await import('../run-topics.js');
    await runTopics(plan, output);
  });
}
